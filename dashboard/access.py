"""Who may see and change what.

Every view reaches a resource through one of these helpers. A person who is not a member of the
team gets a 404 whatever they ask for, so they never learn that the resource exists; a member
whose role may look but not touch gets a 403 when the view asks for ``change=True``.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from connections.models import Application, Database, Membership, Role, Team


def memberships_of(request: HttpRequest) -> list[Membership]:
    """The signed-in user's memberships with their teams, read once per request."""
    if not hasattr(request, "_memberships"):
        request._memberships = list(
            Membership.objects.filter(user_id=request.user.pk).select_related("team")
        )
    return request._memberships


def get_team_for_user(
    request: HttpRequest, team_slug: str, *, change: bool = False
) -> tuple[Team, Role]:
    """Return the team and the user's role in it."""
    membership = next((m for m in memberships_of(request) if m.team.slug == team_slug), None)
    if membership is None:
        raise Http404("No such team.")
    role = Role(membership.role)
    if change and not role.can_change:
        raise PermissionDenied("Your role in this team may look but not change.")
    if request.session.get("team") != team_slug:
        request.session["team"] = team_slug
    return membership.team, role


def get_application_for_user(
    request: HttpRequest, team_slug: str, app_slug: str, *, change: bool = False
) -> tuple[Application, Role]:
    """Return the team's application and the user's role; 404 for outsiders, 403 for viewers."""
    team, role = get_team_for_user(request, team_slug, change=change)
    try:
        application = Application.objects.select_related("region").get(team=team, slug=app_slug)
    except Application.DoesNotExist:
        raise Http404("No such application.") from None
    application.team = team
    return application, role


def get_database_for_user(
    request: HttpRequest, team_slug: str, db_slug: str, *, change: bool = False
) -> tuple[Database, Role]:
    """Return the team's database and the user's role; 404 for outsiders, 403 for viewers."""
    team, role = get_team_for_user(request, team_slug, change=change)
    try:
        database = Database.objects.select_related("region", "server").get(team=team, slug=db_slug)
    except Database.DoesNotExist:
        raise Http404("No such database.") from None
    database.team = team
    return database, role
