"""Database pages: the list, creating one, its Overview and Activity, its credentials (reveal,
change password, test connection) and deleting it."""

from functools import cache

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from connections import credentials, lifecycle, network, provisioning, rotation, variables
from connections.engines import engine_for
from connections.errors import Refused
from connections.masking import MASK
from connections.models import Role, Variable
from dashboard.access import get_database_for_user, get_team_for_user
from dashboard.forms.connections import ChangePasswordForm
from dashboard.forms.resources import DatabaseForm, DeleteForm, RenameForm
from dashboard.htmx import go_to, modal, render_fragment, render_page, show_result
from dashboard.http import TeamRequest
from dashboard.views.teams import activity_page


@login_required
def database_list(request: TeamRequest, team: str) -> HttpResponse:
    databases = get_team_for_user(request, team).databases.select_related("region", "server")
    return render(request, "databases/list.html", {"databases": databases})


@login_required
@require_http_methods(["GET", "POST"])
def database_create(request: TeamRequest, team: str) -> HttpResponse:
    team_obj = get_team_for_user(request, team, change=Role.ADMIN)
    form = DatabaseForm(request.POST or None, team=team_obj)
    if request.method == "POST" and form.is_valid():
        try:
            database = provisioning.create_database(request.user, form.save(commit=False))
        except Refused as refusal:
            form.add_error(refusal.field, str(refusal))
        else:
            return redirect("database_detail", team=team, db=database.slug)
    return render(request, "databases/form.html", {"form": form})


@login_required
def database_detail(request: TeamRequest, team: str, db: str) -> HttpResponse:
    database = get_database_for_user(request, team, db)
    connections = network.connection_verdicts(database)
    sessions = request.GET.get("sessions") == "1"
    context = {
        "database": database,
        "tab": "overview",
        "connections": connections,
        "mask": MASK,
        "external": credentials.external_details_available(database),
        "unreachable": sum(not verdict.allowed for _, verdict in connections),
        "dedicated": network.is_dedicated(database),
        # Read only when the page shows them. The live sessions are a server call that may
        # take up to SERVER_TIMEOUT: the page asks for them once shown (?sessions=1).
        "credentials": cache(lambda: rotation.overview(database, sessions=sessions)),
    }
    if database.server is None:
        context["missing_server"] = provisioning.missing_server(database)  # "": provisionable
    fragments = ("applications", "external-connection", "credentials")
    return render_page(request, "databases/overview.html", fragments, context)


@login_required
@require_POST
def database_provision(request: TeamRequest, team: str, db: str) -> HttpResponse:
    """Provision now: create on a server registered since a database that has none."""
    database = get_database_for_user(request, team, db, change=Role.ADMIN)
    try:
        provisioning.provision(request.user, database)
    except Refused as refusal:
        messages.error(request, f"Not provisioned. {refusal}")
    return go_to(request, reverse("database_detail", args=[team, database.slug]))


@login_required
def database_activity(request: TeamRequest, team: str, db: str) -> HttpResponse:
    database = get_database_for_user(request, team, db)
    context = {"database": database, "tab": "activity"}
    return activity_page(request, "databases/activity.html", context, resource=database)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def password_change(request: TeamRequest, team: str, db: str) -> HttpResponse:
    """Change the database's password: applied on the server first, then stored."""
    database = get_database_for_user(request, team, db, change=Role.ADMIN)
    page = reverse("database_detail", args=[team, db])
    form = ChangePasswordForm(request.POST or None)
    template = "databases/password_modal.html"

    def submit() -> HttpResponse:
        change = credentials.change_password(request.user, database, form.cleaned_data["password"])
        copies = [(copy, _copy_token(copy)) for copy in change.copies]
        done = {"database": database, "change": change, "copies": copies}
        return show_result(request, template, done, back=page, event="connectionsChanged")

    context = {"database": database}
    return modal(request, template, context, back=page, form=form, submit=submit)


def _copy_token(copy: credentials.CopiedPassword) -> str:
    """What the "Replace with a link" button posts: signed, so nobody forges a replacement."""
    return signing.dumps(
        [
            str(copy.variable.public_id),
            copy.replacement,
            variables.fingerprint(copy.variable.value),
        ],
        salt=COPY_SALT,
    )


COPY_SALT = "connections.replace-copied-password"


@login_required
@require_POST
def copy_replace(request: TeamRequest, team: str, db: str) -> HttpResponse:
    """Replace a copied old password with a reference that follows the database."""
    database = get_database_for_user(request, team, db, change=Role.ADMIN)
    try:
        public_id, replacement, seen = signing.loads(
            request.POST.get("copy", ""), salt=COPY_SALT, max_age=24 * 3600
        )
        variable = Variable.objects.select_related("application").get(
            public_id=public_id, application__team=database.team, connection__isnull=True
        )
    except (signing.BadSignature, ValueError, Variable.DoesNotExist):
        raise Http404("No such copy.") from None
    try:
        variables.replace_copy(request.user, variable, replacement, seen, database)
    except variables.StaleCopy as stale:
        context = {"variable": variable, "stale": str(stale)}
    else:
        context = {"variable": variable}
    return render_fragment(
        request,
        "databases/password_modal.html#replaced",
        context,
        title=f"{variable.key} of {variable.application.name}",
        back=reverse("database_detail", args=[team, db]),
    )


@login_required
@require_POST
def database_probe(request: TeamRequest, team: str, db: str) -> HttpResponse:
    """Test connection: connect with the database's own credentials and say what happened."""
    database = get_database_for_user(request, team, db)
    result = (
        engine_for(database.server).probe(database, database.password) if database.server else None
    )
    return render_fragment(
        request,
        "databases/overview.html#probe",
        {"database": database, "result": result},
        title=f"Test connection to {database.name}",
        back=reverse("database_detail", args=[team, db]),
    )


@login_required
@never_cache
@require_POST
def credentials_reveal(request: TeamRequest, team: str, db: str) -> HttpResponse:
    """Show the password, the URL and the client command; recorded, and not for viewers."""
    database = get_database_for_user(request, team, db, change=Role.DEVELOPER)
    external = request.POST.get("endpoint") == "external"
    if external and not credentials.external_details_available(database):
        raise Http404("Internet access is off.")
    revealed = credentials.reveal_credentials(request.user, database, external=external)
    context = {
        "database": database,
        "secret": revealed.password,
        "url": revealed.url,
        "command": revealed.command,
    }
    return render_fragment(
        request,
        "databases/overview.html#revealed",
        context,
        title=f"{database.name}: {'external' if external else 'internal'} connection",
        back=reverse("database_detail", args=[team, db]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def database_delete(request: TeamRequest, team: str, db: str) -> HttpResponse:
    """Delete a database after its slug is typed: dropped on its server, then forgotten."""
    database = get_database_for_user(request, team, db, change=Role.ADMIN)
    page = reverse("database_detail", args=[team, db])
    form = DeleteForm(request.POST or None, slug=database.slug, noun="database")

    def submit() -> HttpResponse:
        provisioning.delete_database(request.user, database)
        return go_to(request, reverse("database_list", args=[team]))

    context = {
        "database": database,
        "connections": database.connections.select_related("application"),
        "references": lifecycle.references_to(database),
    }
    template = "databases/delete_modal.html"
    return modal(request, template, context, back=page, form=form, submit=submit)


@login_required
@require_http_methods(["GET", "POST"])
def database_rename(request: TeamRequest, team: str, db: str) -> HttpResponse:
    """A new name; the slug, and so every URL and reference, stays."""
    database = get_database_for_user(request, team, db, change=Role.ADMIN)
    page = reverse("database_detail", args=[team, db])
    form = RenameForm(request.POST or None, initial={"name": database.name})

    def submit() -> HttpResponse:
        lifecycle.rename(request.user, database, form.cleaned_data["name"])
        return go_to(request, page)

    context = {"resource": database, "noun": "database"}
    return modal(
        request, "includes/rename_modal.html", context, back=page, form=form, submit=submit
    )
