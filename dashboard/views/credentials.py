"""Connection credentials on the database's Overview: rotating them (for one connection or for
every connection of the database), revoking the old ones at once, and the team's grace period.

Each is a change for admins and owners, who own the database's passwords."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from connections import rotation
from connections.models import Connection, CredentialState, Database, Role
from dashboard.access import get_database_for_user
from dashboard.forms.connections import GraceForm
from dashboard.htmx import close_modal, modal, show_result
from dashboard.http import TeamRequest

EVENT = "credentialsChanged"


def _target(
    request: TeamRequest, team: str, db: str, app: str | None
) -> tuple[Database, Connection | None, str]:
    """The database, the one connection asked for (None: all of them), and the page beneath."""
    database = get_database_for_user(request, team, db, change=Role.ADMIN)
    connection = None
    if app is not None:
        connection = get_object_or_404(
            Connection.objects.select_related("application"),
            database=database,
            application__slug=app,
        )
        connection.database = database
    return database, connection, reverse("database_detail", args=[team, db])


@login_required
@require_http_methods(["GET", "POST"])
def credentials_rotate(
    request: TeamRequest, team: str, db: str, app: str | None = None
) -> HttpResponse:
    """Rotate credentials: a new one beside each old one, switched to at once; the old ones end
    once the applications deploy (or the grace period ends)."""
    database, connection, page = _target(request, team, db, app)
    template = "credentials/rotate_modal.html"

    def submit() -> HttpResponse:
        rotated = rotation.rotate(request.user, connection or database)
        done = {"database": database, "rotated": rotated, "done": True}
        return show_result(request, template, done, back=page, event=EVENT)

    def shown() -> dict[str, Any]:
        connections = (
            [connection]
            if connection is not None
            else list(database.connections.select_related("application", "credential"))
        )
        return {"database": database, "connection": connection, "connections": connections}

    return modal(request, template, shown, back=page, submit=submit)


@login_required
@require_http_methods(["GET", "POST"])
def credentials_revoke_old(
    request: TeamRequest, team: str, db: str, app: str | None = None
) -> HttpResponse:
    """Revoke old now: the retiring credentials end at once, deployed or not."""
    database, connection, page = _target(request, team, db, app)

    def submit() -> HttpResponse:
        rotation.revoke_old_now(request.user, connection or database)
        return close_modal(request, page, EVENT, "connectionsChanged")

    def shown() -> dict[str, Any]:
        rows = [
            row
            for row in rotation.overview(database, sessions=False).rows
            if row.credential.state == CredentialState.RETIRING
            and (connection is None or row.credential.connection_id == connection.pk)
        ]
        return {"database": database, "connection": connection, "rows": rows}

    return modal(request, "credentials/revoke_old_modal.html", shown, back=page, submit=submit)


@login_required
@require_http_methods(["GET", "POST"])
def credential_grace(request: TeamRequest, team: str, db: str) -> HttpResponse:
    """The team's grace period for old connection credentials."""
    database, _, page = _target(request, team, db, None)
    form = GraceForm(request.POST or None, initial={"hours": request.team.credential_grace_hours})

    def submit() -> HttpResponse:
        rotation.set_grace(request.user, request.team, form.cleaned_data["hours"])
        return close_modal(request, page, EVENT)

    context = {"database": database}
    template = "credentials/grace_modal.html"
    return modal(request, template, context, back=page, form=form, submit=submit)
