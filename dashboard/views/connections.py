"""Adding and removing internal connections, from either side, and the build's way out through
the external details."""

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

from connections import exposure, linking
from connections.models import Application, Connection, Database
from dashboard.access import (
    get_application_for_user,
    get_database_for_user,
)
from dashboard.forms.connections import (
    ConnectionForm,
)
from dashboard.htmx import close_modal, render_modal
from dashboard.http import TeamRequest
from dashboard.views.applications import application_page


def _connection_modal(
    request: TeamRequest,
    application: Application | None,
    database: Database | None,
    post_url: str,
    page: str,
) -> HttpResponse:
    warning = None
    if request.POST.get("refresh"):
        # The choice or the prefix changed: show the keys and any warning, validate nothing yet.
        initial = ConnectionForm.initial_for(request.POST)
        form = ConnectionForm(initial=initial, application=application, database=database)
        pair = form.pair(initial["other"])
        warning = _unreachable(*pair) if pair else None
    else:
        form = ConnectionForm(request.POST or None, application=application, database=database)
    if request.method == "POST" and form.is_bound and form.is_valid():
        verdict = exposure.reachability_for_application(form.application, form.database)
        if verdict.allowed or form.cleaned_data["acknowledged"]:
            try:
                rule_added = _connect(request, form, verdict)
            except exposure.ExposureRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                events = ["connectionsChanged", "variablesChanged"]
                return close_modal(
                    request, page, *events, *(["networkChanged"] if rule_added else [])
                )
        else:
            warning = verdict  # warn before saving; the next submit goes ahead
    return render_modal(
        request,
        "connections/add_modal.html",
        {
            "form": form,
            "application": application,
            "database": database,
            "post_url": post_url,
            "warning": warning,
        },
    )


def _unreachable(application: Application, database: Database) -> exposure.Verdict | None:
    verdict = exposure.reachability_for_application(application, database)
    return None if verdict.allowed else verdict


@transaction.atomic
def _connect(request: TeamRequest, form: ConnectionForm, verdict: exposure.Verdict) -> bool:
    """Connect, and add the managed rule the warning offered when the user kept it ticked.

    Returns whether the rule was added."""
    keys = form.cleaned_data.get("keys") if form.cleaned_data["add_variables"] else None
    linking.connect(request.user, form.application, form.database, keys)
    if verdict.allowed or not verdict.suggested_region or not form.cleaned_data["add_rule"]:
        return False
    exposure.add_region_rule(request.user, form.database, verdict.suggested_region)
    return True


@login_required
@require_http_methods(["GET", "POST"])
def connection_add(request: TeamRequest, team: str, app: str) -> HttpResponse:
    """Application Networking → "Add connection": pick a database."""
    application = get_application_for_user(request, team, app, change=True)
    page = application_page(application, "networking")
    return _connection_modal(request, application, None, request.path, page)


@login_required
@require_http_methods(["GET", "POST"])
def connection_add_for_database(request: TeamRequest, team: str, db: str) -> HttpResponse:
    """Database Overview → "Add application": pick an application."""
    database = get_database_for_user(request, team, db, change=True)
    page = reverse("database_detail", args=[team, database.slug])
    return _connection_modal(request, None, database, request.path, page)


@login_required
@require_http_methods(["GET", "POST"])
def connection_remove(request: TeamRequest, team: str, app: str, db: str) -> HttpResponse:
    application = get_application_for_user(request, team, app, change=True)
    connection = get_object_or_404(
        Connection.objects.select_related("database"), application=application, database__slug=db
    )
    connection.application = application
    if request.method == "POST":
        linking.disconnect(request.user, connection)
        page = request.POST.get("next") or application_page(application, "networking")
        return close_modal(
            request, _safe_next(page, team), "connectionsChanged", "variablesChanged"
        )
    return render_modal(
        request,
        "connections/remove_modal.html",
        {
            "connection": connection,
            "application": application,
            "keys": sorted(connection.variables.values_list("key", flat=True)),
            "next": request.GET.get("next", ""),
        },
    )


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
    application = get_application_for_user(request, team, app, change=True)
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
