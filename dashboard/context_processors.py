"""Template context every page needs."""

from typing import Any, cast

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from dashboard.access import memberships_of
from dashboard.http import AuthedRequest, TeamRequest


def memberships(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's teams, for the team switcher; shares the access helper's query."""
    if not request.user.is_authenticated:
        return {"memberships": []}
    authed = cast(AuthedRequest, request)
    return {"memberships": SimpleLazyObject(lambda: memberships_of(authed))}


def team(request: HttpRequest) -> dict[str, Any]:
    """The team and role the access helper let the person into, for every page of the team."""
    if not hasattr(request, "team"):
        return {}
    granted = cast(TeamRequest, request)
    return {"team": granted.team, "role": granted.role}
