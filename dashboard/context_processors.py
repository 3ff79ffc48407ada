"""Template context every page needs."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from dashboard.access import memberships_of


def memberships(request: HttpRequest) -> dict[str, object]:
    """The signed-in user's teams, for the team switcher; shares the access helper's query."""
    if not request.user.is_authenticated:
        return {"memberships": []}
    return {"memberships": SimpleLazyObject(lambda: memberships_of(request))}
