"""Adding and removing internal connections, from either side, and the build's way out through
the external details."""

from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from connections import linking, network
from connections.models import Application, Connection, Database, Role
from dashboard.access import get_application_for_user, get_database_for_user
from dashboard.forms.connections import ConnectionForm
from dashboard.htmx import close_modal, modal
from dashboard.http import AuthedRequest, TeamRequest
from dashboard.views.applications import application_page


def _connection_modal(
    request: TeamRequest, application: Application | None, database: Database | None, page: str
) -> HttpResponse:
    context: dict[str, Any] = {"application": application, "database": database, "warning": None}
    if request.method == "GET" or request.POST.get("refresh"):
        # First shown, or the choice, the prefix or a key changed: show the keys, their clashes
        # and (after a change) any warning; validate nothing yet.
        data = request.POST if request.method == "POST" else None
        form = ConnectionForm.preview(data, application=application, database=database)
        pair = form.pair(form.initial["other"]) if data else None
        context["warning"] = _unreachable(*pair) if pair else None
    else:
        form = ConnectionForm(request.POST or None, application=application, database=database)

    def submit() -> HttpResponse | None:
        verdict = network.reachability_for_application(*form.connection())
        if not (verdict.allowed or form.cleaned_data["acknowledged"]):
            context["warning"] = verdict  # warn before saving; the next submit goes ahead
            return None
        events = ["connectionsChanged", "variablesChanged"]
        if _connect(request, form, verdict):
            events.append("networkChanged")
        return close_modal(request, page, *events)

    template = "connections/add_modal.html"
    return modal(request, template, context, back=page, form=form, submit=submit)


def _unreachable(application: Application, database: Database) -> network.Verdict | None:
    verdict = network.reachability_for_application(application, database)
    return None if verdict.allowed else verdict


@transaction.atomic
def _connect(request: AuthedRequest, form: ConnectionForm, verdict: network.Verdict) -> bool:
    """Connect, and add the managed rule the warning offered when the user kept it ticked.

    Returns whether the rule was added."""
    application, database = form.connection()
    keys = form.cleaned_data.get("keys") if form.cleaned_data["add_variables"] else None
    linking.connect(request.user, application, database, keys, read_only=form.read_only)
    if verdict.allowed or not verdict.suggested_region or not form.cleaned_data["add_rule"]:
        return False
    network.add_region_rule(request.user, database, verdict.suggested_region)
    return True


@login_required
@require_http_methods(["GET", "POST"])
def connection_add(request: TeamRequest, team: str, app: str) -> HttpResponse:
    """Application Networking → "Add connection": pick a database."""
    application = get_application_for_user(request, team, app, change=Role.DEVELOPER)
    return _connection_modal(
        request, application, None, application_page(application, "networking")
    )


@login_required
@require_http_methods(["GET", "POST"])
def connection_add_for_database(request: TeamRequest, team: str, db: str) -> HttpResponse:
    """Database Overview → "Add application": pick an application."""
    database = get_database_for_user(request, team, db, change=Role.DEVELOPER)
    return _connection_modal(request, None, database, reverse("database_detail", args=[team, db]))


@login_required
@require_http_methods(["GET", "POST"])
def connection_remove(request: TeamRequest, team: str, app: str, db: str) -> HttpResponse:
    application = get_application_for_user(request, team, app, change=Role.DEVELOPER)
    connection = get_object_or_404(
        Connection.objects.select_related("database"), application=application, database__slug=db
    )
    connection.application = application
    page = application_page(application, "networking")

    def submit() -> HttpResponse:
        linking.disconnect(request.user, connection)
        after = _safe_next(request.POST.get("next") or page, team)
        return close_modal(request, after, "connectionsChanged", "variablesChanged")

    def shown() -> dict[str, Any]:
        return {
            "application": application,
            "connection": connection,
            "keys": sorted(connection.variables.values_list("key", flat=True)),
            "next": request.GET.get("next", ""),
        }

    return modal(request, "connections/remove_modal.html", shown, back=page, submit=submit)


def _safe_next(url: str, team: str) -> str:
    """A page of this team on this site, or the team's applications: never an open redirect."""
    fallback = reverse("application_list", args=[team])
    if not url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return fallback
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return fallback
    return url if match.kwargs.get("team") == team else fallback


@login_required
@require_POST
def external_build_variables(request: TeamRequest, team: str, app: str, db: str) -> HttpResponse:
    """The second way out: build-only variables linked to the database's external details."""
    application = get_application_for_user(request, team, app, change=Role.DEVELOPER)
    connection = get_object_or_404(
        Connection.objects.select_related("database__server", "database__region"),
        application=application,
        database__slug=db,
    )
    connection.application = application
    try:
        linking.add_external_build_variables(request.user, connection)
    except linking.ConnectionRefused as refusal:
        messages.error(request, str(refusal))
    if request.htmx:
        return HttpResponseClientRefresh()
    return redirect(application_page(application, "settings"))
