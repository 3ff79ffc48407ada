"""The HTTP API for deploy pipelines, authorised by an application's deploy token.

No token (or an unknown one) is 401; a valid token for another application is 404, so a token
never learns what else exists. An address that keeps sending unknown tokens is answered 429 for
a while, so tokens cannot be guessed at speed. Bodies are small and bounded before they are read.
"""

import json

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from connections import applications, tokens
from connections.environment import UnresolvedEnvironment, cached_environment
from connections.errors import Refused
from connections.formats import CONTENT_TYPES, FORMATS, meta_for, render
from connections.models import DeployToken, Phase
from dashboard.http import client_address

# A deployment report is ``{"version": N}``: anything longer than this is not one.
MAX_BODY_BYTES = 1024

# Unknown tokens an address may send in a window before it is answered 429 until the window ends.
TOKEN_FAILURES_ALLOWED = 20
TOKEN_FAILURE_WINDOW = 15 * 60  # seconds


class TooManyFailures(Exception):
    """This address sent too many unknown tokens recently."""


def _unauthorised() -> JsonResponse:
    response = JsonResponse({"error": "A valid deploy token is required."}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="deploy"'
    return response


def _throttled() -> JsonResponse:
    response = JsonResponse(
        {"error": "Too many requests with an unknown token from this address. Try again later."},
        status=429,
    )
    response["Retry-After"] = str(TOKEN_FAILURE_WINDOW)
    return response


def _failures_key(request: HttpRequest) -> str:
    return f"api-token-failures:{client_address(request)}"


def _application_for_token(request: HttpRequest, team: str, app: str) -> DeployToken | None:
    """The token the request carries, None for none or an unknown one; an address over its
    allowance of unknown tokens raises :class:`TooManyFailures` before the token is looked up."""
    key = _failures_key(request)
    if cache.get(key, 0) >= TOKEN_FAILURES_ALLOWED:
        raise TooManyFailures
    token = tokens.authenticate(request.headers.get("Authorization", ""))
    if token is None:
        # The window starts at the first failure; later ones do not extend it.
        try:
            cache.incr(key)
        except ValueError:  # the first failure, or the window just ended
            cache.set(key, 1, TOKEN_FAILURE_WINDOW)
        return None
    application = token.application
    if application.team.slug != team or application.slug != app:
        raise Http404("No such application.")
    return token


@require_GET
def environment(request: HttpRequest, team: str, app: str) -> HttpResponse:
    """``GET …/environment?phase=runtime&format=json|dotenv|shell``: the resolved environment."""
    try:
        token = _application_for_token(request, team, app)
    except TooManyFailures:
        return _throttled()
    if token is None:
        return _unauthorised()
    application = token.application
    phase = request.GET.get("phase", Phase.RUNTIME)
    fmt = request.GET.get("format", "json")
    if phase not in Phase.values or fmt not in FORMATS:
        message = f"phase is one of {', '.join(Phase.values)}; format one of {', '.join(FORMATS)}."
        return JsonResponse({"error": message}, status=400)
    # The version names what the environment resolves to: a client that has it already is
    # answered before anything is read or decrypted.
    version = application.environment_version
    etag = f'"{version}-{phase}-{fmt}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponse(status=304, headers={"ETag": etag})
    try:
        variables = cached_environment(application, phase)
    except UnresolvedEnvironment as error:
        return JsonResponse({"error": str(error)}, status=409)
    body = render(variables, fmt, meta=meta_for(application, phase))
    return HttpResponse(
        body,
        content_type=CONTENT_TYPES[fmt],
        headers={"ETag": etag, "X-Environment-Version": str(version), "Cache-Control": "no-store"},
    )


def _version(body: bytes) -> object:
    """The ``version`` of a JSON object, or None for anything else (deep nesting included)."""
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        return None
    return data.get("version") if isinstance(data, dict) else None


@csrf_exempt  # token-authorised, no cookies: CSRF does not apply
@require_POST
def deployments(request: HttpRequest, team: str, app: str) -> JsonResponse:
    """``POST …/deployments`` with ``{"version": N}``: the pipeline deployed version N."""
    try:
        token = _application_for_token(request, team, app)
    except TooManyFailures:
        return _throttled()
    if token is None:
        return _unauthorised()
    # Bounded before anything is read or parsed: the length announced, then the length read.
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    if announced > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
        message = f'The body is at most {MAX_BODY_BYTES} bytes: send JSON like {{"version": 3}}.'
        return JsonResponse({"error": message}, status=413)
    version = _version(request.body)
    # Whole numbers only: no 2.5, no true, no 1e400 (which JSON reads as infinity).
    if type(version) is not int:
        return JsonResponse({"error": 'Send JSON like {"version": 3}.'}, status=400)
    try:
        application = applications.record_deployment(token, version)
    except Refused as refusal:
        return JsonResponse({"error": str(refusal)}, status=400)
    return JsonResponse(
        {
            "deployed_version": version,
            "current_version": application.environment_version,
            "restart_needed": application.needs_restart,
        }
    )
