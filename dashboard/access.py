"""Who may see and change what.

Every view reaches a resource through one of these helpers. A person who is not a member of the
team gets a 404 whatever they ask for, so they never learn that the resource exists; a member
whose role may look but not touch gets a 403 when the view asks for ``change=True``. Once access
is granted, the team and the role are on the request (``request.team``, ``request.role``), for
the view and its templates. The helpers change nothing else.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from connections.models import Application, Database, Membership, Role, Team
from dashboard.http import AuthedRequest, TeamRequest


def memberships_of(request: AuthedRequest) -> list[Membership]:
    """The signed-in user's memberships with their teams, read once per request."""
    if not hasattr(request, "_memberships"):
        request._memberships = list(
            Membership.objects.filter(user_id=request.user.pk).select_related("team")
        )
    return request._memberships


def get_team_for_user(request: TeamRequest, team_slug: str, *, change: bool = False) -> Team:
    """The team, once the user may see it (or change it); its role goes on the request too."""
    membership = next((m for m in memberships_of(request) if m.team.slug == team_slug), None)
    if membership is None:
        raise Http404("No such team.")
    role = Role(membership.role)
    if change and not role.can_change:
        raise PermissionDenied("Your role in this team may look but not change.")
    request.team, request.role = membership.team, role
    return membership.team


def get_application_for_user(
    request: TeamRequest, team_slug: str, app_slug: str, *, change: bool = False
) -> Application:
    """The team's application; 404 for outsiders, 403 for viewers."""
    team = get_team_for_user(request, team_slug, change=change)
    try:
        application = Application.objects.select_related("region").get(team=team, slug=app_slug)
    except Application.DoesNotExist:
        raise Http404("No such application.") from None
    application.team = team
    return application


def get_database_for_user(
    request: TeamRequest, team_slug: str, db_slug: str, *, change: bool = False
) -> Database:
    """The team's database; 404 for outsiders, 403 for viewers."""
    team = get_team_for_user(request, team_slug, change=change)
    try:
        database = Database.objects.select_related("region", "server").get(team=team, slug=db_slug)
    except Database.DoesNotExist:
        raise Http404("No such database.") from None
    database.team = team
    return database
