"""What a view's request carries, for the reader and the type checker.

These classes are never instantiated: Django builds the ``HttpRequest``. A view says which one it
gets, and the middleware or helper named here has put the attributes on it.
"""

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from connections.models import Membership, Role, Team


class AuthedRequest(HttpRequest):
    """A request of a signed-in person: the view is ``login_required``."""

    user: User
    htmx: HtmxDetails  # django-htmx's middleware
    _memberships: list[Membership]  # read once by ``access.memberships_of``


class TeamRequest(AuthedRequest):
    """A request whose team and role the access helper the view calls first has checked."""

    team: Team
    role: Role


def client_address(request: HttpRequest) -> str:
    """The address the request came from: the connection's, or behind a trusted proxy
    (``BEHIND_PROXY``) the last one the proxy appended to ``X-Forwarded-For``, since entries
    before it are whatever the client sent. Login throttling and token guessing count by it."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR", "")
