"""Who may see and change what.

Every view reaches a resource through one of these helpers. A person who is not a member of the
team gets a 404 whatever they ask for, so they never learn that the resource exists; a member
whose role is below the one the view names for its change (``change=Role.ADMIN``: the role table
of the README) gets a 403. Once access is granted, the team and the role are on the request
(``request.team``, ``request.role``), for the view and its templates.
The helpers change nothing else.
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


def get_team_for_user(request: TeamRequest, team_slug: str, *, change: Role | None = None) -> Team:
    """The team, once the user may see it (or, with ``change``, the least role a change needs,
    make that change); its role goes on the request too."""
    membership = next((m for m in memberships_of(request) if m.team.slug == team_slug), None)
    if membership is None:
        raise Http404("No such team.")
    role = Role(membership.role)
    if change is not None and not role.at_least(change):
        raise PermissionDenied(
            f"This needs the {change.label} role or higher; yours in this team is {role.label}."
        )
    request.team, request.role = membership.team, role
    return membership.team


def get_application_for_user(
    request: TeamRequest, team_slug: str, app_slug: str, *, change: Role | None = None
) -> Application:
    """The team's application; 404 for outsiders, 403 below the role ``change`` names."""
    team = get_team_for_user(request, team_slug, change=change)
    try:
        application = Application.objects.select_related("region").get(team=team, slug=app_slug)
    except Application.DoesNotExist:
        raise Http404("No such application.") from None
    application.team = team
    return application


def get_database_for_user(
    request: TeamRequest, team_slug: str, db_slug: str, *, change: Role | None = None
) -> Database:
    """The team's database; 404 for outsiders, 403 below the role ``change`` names."""
    team = get_team_for_user(request, team_slug, change=change)
    try:
        database = Database.objects.select_related("region", "server").get(team=team, slug=db_slug)
    except Database.DoesNotExist:
        raise Http404("No such database.") from None
    database.team = team
    return database
