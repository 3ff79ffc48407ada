"""The HTTP API for deploy pipelines, authorised by an application's deploy token.

No token (or an unknown one) is 401; a valid token for another application is 404, so a token
never learns what else exists.
"""

import json

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from connections import applications, tokens
from connections.environment import TeamEnvironments, UnresolvedEnvironment
from connections.errors import Refused
from connections.formats import CONTENT_TYPES, FORMATS, render
from connections.models import DeployToken, Phase


def _unauthorised() -> JsonResponse:
    response = JsonResponse({"error": "A valid deploy token is required."}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="deploy"'
    return response


def _application_for_token(request: HttpRequest, team: str, app: str) -> DeployToken | None:
    token = tokens.authenticate(request.headers.get("Authorization", ""))
    if token is None:
        return None
    application = token.application
    if application.team.slug != team or application.slug != app:
        raise Http404("No such application.")
    return token


@require_GET
def environment(request: HttpRequest, team: str, app: str) -> HttpResponse:
    """``GET …/environment?phase=runtime&format=json|dotenv|shell``: the resolved environment."""
    token = _application_for_token(request, team, app)
    if token is None:
        return _unauthorised()
    application = token.application
    phase = request.GET.get("phase", Phase.RUNTIME)
    fmt = request.GET.get("format", "json")
    if phase not in Phase.values or fmt not in FORMATS:
        message = f"phase is one of {', '.join(Phase.values)}; format one of {', '.join(FORMATS)}."
        return JsonResponse({"error": message}, status=400)
    try:
        variables = TeamEnvironments(application.team).resolve(application, phase)
    except UnresolvedEnvironment as error:
        return JsonResponse({"error": str(error)}, status=409)
    version = application.environment_version
    etag = f'"{version}-{phase}-{fmt}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponse(status=304, headers={"ETag": etag})
    meta = {"application": f"{team}/{app}", "phase": phase, "version": version}
    body = render(variables, fmt, meta=meta)
    return HttpResponse(
        body,
        content_type=CONTENT_TYPES[fmt],
        headers={"ETag": etag, "X-Environment-Version": str(version), "Cache-Control": "no-store"},
    )


@csrf_exempt  # token-authorised, no cookies: CSRF does not apply
@require_POST
def deployments(request: HttpRequest, team: str, app: str) -> JsonResponse:
    """``POST …/deployments`` with ``{"version": N}``: the pipeline deployed version N."""
    token = _application_for_token(request, team, app)
    if token is None:
        return _unauthorised()
    try:
        version = json.loads(request.body or b"{}")["version"]
    except (ValueError, KeyError, TypeError):
        version = None
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
