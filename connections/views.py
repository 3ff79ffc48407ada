"""Pages and modals for how resources reach each other. Views parse, authorise, call the domain
and render; modals answer htmx with a fragment and, on success, an ``HX-Trigger`` event."""

import json
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from connections import changes, credentials, exposure, linking, tokens
from connections.buildcheck import database_steps, plan_move_to_start
from connections.environment import (
    TeamEnvironments,
    UnresolvedEnvironment,
    connection_url,
)
from connections.forms import (
    ChangePasswordForm,
    ConnectionForm,
    DeleteDatabaseForm,
    DeployTokenForm,
    PortForm,
    VariableForm,
)
from connections.models import Connection, Phase, Variable
from dashboard import activity
from dashboard.access import get_application_for_user, get_database_for_user
from dashboard.engines import EngineError, engine_for
from dashboard.htmx import close_modal, go_to, render_modal, render_page
from dashboard.masking import MASK
from dashboard.models import Application, Database

# Fragments any application page can refresh on its own, by the id htmx targets.
SHARED_FRAGMENTS = {"build-check": "connections/build_check.html"}


def _app_context(application: Application, role: object, tab: str) -> dict:
    environments = TeamEnvironments(application.team)
    connections = list(
        application.connections.select_related("database__region", "database__server").order_by(
            "database__name"
        )
    )
    linked = [v for v in environments.variables_of(application) if v.is_linked]
    for connection in connections:
        connection.database.team = application.team
        mine = [v for v in linked if v.connection_id == connection.pk]
        connection.keys = [v.key for v in mine if not v.external]
        connection.build_keys = [v.key for v in mine if v.external]
    # The internal network is not live during a build: only a connection the build cannot use
    # (no build variables linked to the external details) makes a database step fail.
    unserved = [c for c in connections if not c.build_keys]
    return {
        "team": application.team,
        "role": role,
        "application": application,
        "tab": tab,
        "connections": connections,
        "unserved_connections": unserved,
        "build_steps": database_steps(application.build_command) if unserved else [],
        "build_plan": plan_move_to_start(application.build_command, application.start_command),
        "environments": environments,
    }


# Application pages ---------------------------------------------------------------------------


@login_required
def application_detail(request: HttpRequest, team: str, app: str) -> HttpResponse:
    application, role = get_application_for_user(request, team, app)
    context = _app_context(application, role, "overview")
    return render_page(
        request, "connections/application_overview.html", (), context, SHARED_FRAGMENTS
    )


@login_required
def application_networking(request: HttpRequest, team: str, app: str) -> HttpResponse:
    application, role = get_application_for_user(request, team, app)
    context = _app_context(application, role, "networking")
    return render_page(
        request,
        "connections/application_networking.html",
        ("networking",),
        context,
        SHARED_FRAGMENTS,
    )


@login_required
def application_settings(request: HttpRequest, team: str, app: str) -> HttpResponse:
    application, role = get_application_for_user(request, team, app)
    context = _app_context(application, role, "settings")
    environments = context["environments"]
    context["phases"] = [
        (phase, _rows(environments, application, phase)) for phase in (Phase.RUNTIME, Phase.BUILD)
    ]
    context["tokens"] = application.deploy_tokens.all()
    return render_page(
        request,
        "connections/application_settings.html",
        ("variables", "tokens"),
        context,
        SHARED_FRAGMENTS,
    )


def _rows(environments: TeamEnvironments, application: Application, phase: str) -> list[dict]:
    """One row per key of the phase: its variable, and the error if it does not resolve."""
    rows = []
    if phase == Phase.RUNTIME:
        rows.append({"key": "PORT", "variable": None, "value": str(application.internal_port)})
    for variable in environments.variables_of(application, phase):
        row = {"key": variable.key, "variable": variable, "error": None}
        try:
            environments.value_of(application, phase, variable)
        except UnresolvedEnvironment as error:
            row["error"] = str(error)
        rows.append(row)
    return rows


# Database overview ---------------------------------------------------------------------------


@login_required
def database_detail(request: HttpRequest, team: str, db: str) -> HttpResponse:
    database, role = get_database_for_user(request, team, db)
    connections = exposure.connection_verdicts(database)
    context = {
        "team": database.team,
        "role": role,
        "database": database,
        "tab": "overview",
        "connections": connections,
        "mask": MASK,
        "external": credentials.external_details_available(database),
        "unreachable": sum(not verdict.allowed for _, verdict in connections),
        "dedicated": exposure.is_dedicated(database),
    }
    fragments = ("applications", "external-connection")
    return render_page(request, "connections/database_overview.html", fragments, context)


# Connections ---------------------------------------------------------------------------------


def _connection_modal(
    request: HttpRequest,
    application: Application | None,
    database: Database | None,
    role: object,
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
    fixed = application or database
    return render_modal(
        request,
        "connections/connection_add_modal.html",
        {
            "team": fixed.team,
            "role": role,
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
def _connect(request: HttpRequest, form: ConnectionForm, verdict: exposure.Verdict) -> bool:
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
def connection_add(request: HttpRequest, team: str, app: str) -> HttpResponse:
    """Application Networking → "Add connection": pick a database."""
    application, role = get_application_for_user(request, team, app, change=True)
    page = application_page(application, "networking")
    return _connection_modal(request, application, None, role, request.path, page)


@login_required
@require_http_methods(["GET", "POST"])
def connection_add_for_database(request: HttpRequest, team: str, db: str) -> HttpResponse:
    """Database Overview → "Add application": pick an application."""
    database, role = get_database_for_user(request, team, db, change=True)
    page = reverse("database_detail", args=[team, database.slug])
    return _connection_modal(request, None, database, role, request.path, page)


@login_required
@require_http_methods(["GET", "POST"])
def connection_remove(request: HttpRequest, team: str, app: str, db: str) -> HttpResponse:
    application, role = get_application_for_user(request, team, app, change=True)
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
        "connections/connection_remove_modal.html",
        {
            "team": application.team,
            "role": role,
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


def application_page(application: Application, tab: str) -> str:
    name = "application_detail" if tab == "overview" else f"application_{tab}"
    return reverse(name, args=[application.team.slug, application.slug])


# Port ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def port_edit(request: HttpRequest, team: str, app: str) -> HttpResponse:
    application, role = get_application_for_user(request, team, app, change=True)
    form = PortForm(request.POST or None, instance=application)
    if request.method == "POST" and form.is_valid():
        changes.change_port(request.user, application, form.cleaned_data["internal_port"])
        return close_modal(
            request, application_page(application, "networking"), "connectionsChanged"
        )
    return render_modal(
        request,
        "connections/port_modal.html",
        {"team": application.team, "role": role, "application": application, "form": form},
    )


# Variables -----------------------------------------------------------------------------------


def _variable(application: Application, public_id: str) -> Variable:
    return get_object_or_404(
        Variable.objects.select_related("connection__database"),
        application=application,
        public_id=public_id,
    )


@login_required
@require_http_methods(["GET", "POST"])
def variable_add(request: HttpRequest, team: str, app: str) -> HttpResponse:
    application, role = get_application_for_user(request, team, app, change=True)
    return _variable_modal(request, application, role, Variable())


@login_required
@require_http_methods(["GET", "POST"])
def variable_edit(request: HttpRequest, team: str, app: str, variable: str) -> HttpResponse:
    application, role = get_application_for_user(request, team, app, change=True)
    return _variable_modal(request, application, role, _variable(application, variable))


def _variable_modal(
    request: HttpRequest, application: Application, role: object, variable: Variable
) -> HttpResponse:
    creating = variable.pk is None
    form = VariableForm(request.POST or None, instance=variable, application=application)
    if request.method == "POST" and form.is_valid():
        changes.save_variable(request.user, form.save(commit=False))
        return close_modal(request, application_page(application, "settings"), "variablesChanged")
    return render_modal(
        request,
        "connections/variable_modal.html",
        {
            "team": application.team,
            "role": role,
            "application": application,
            "form": form,
            "variable": variable,
            "creating": creating,
        },
    )


@login_required
@require_POST
def variable_delete(request: HttpRequest, team: str, app: str, variable: str) -> HttpResponse:
    application, _ = get_application_for_user(request, team, app, change=True)
    changes.delete_variable(request.user, _variable(application, variable))
    return close_modal(request, application_page(application, "settings"), "variablesChanged")


@login_required
@require_POST
def variable_reveal(request: HttpRequest, team: str, app: str) -> HttpResponse:
    """Show one resolved value; revealing is recorded, and viewers may not."""
    application, _ = get_application_for_user(request, team, app, change=True)
    phase, key = request.POST.get("phase", ""), request.POST.get("key", "")
    if phase not in Phase.values:
        raise Http404("No such phase.")
    try:
        environment = TeamEnvironments(application.team).resolve(application, phase)
        value, error = environment.get(key), None
    except UnresolvedEnvironment as exc:
        value, error = None, str(exc)
    if value is None and error is None:
        raise Http404("No such variable.")
    activity.record(
        request.user, application.team, "revealed variable", application, key=key, phase=phase
    )
    return render(
        request,
        "connections/application_settings.html#revealed",
        {"value": value, "error": error},
    )


# Build check ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def build_fix(request: HttpRequest, team: str, app: str) -> HttpResponse:
    """Preview, then apply, moving the database steps from the build to the start command."""
    application, role = get_application_for_user(request, team, app, change=True)
    plan = plan_move_to_start(application.build_command, application.start_command)
    overview = application_page(application, "overview")
    if plan is None:
        return close_modal(request, overview)
    if request.method == "POST":
        changes.move_steps_to_start(request.user, application, plan)
        return go_to(request, overview)  # both commands changed: the whole page is out of date
    return render_modal(
        request,
        "connections/build_fix_modal.html",
        {"team": application.team, "role": role, "application": application, "plan": plan},
    )


@login_required
@require_POST
def external_build_variables(request: HttpRequest, team: str, app: str, db: str) -> HttpResponse:
    """The second way out: build-only variables linked to the database's external details."""
    application, _ = get_application_for_user(request, team, app, change=True)
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
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    return redirect(application_page(application, "settings"))


# Deploy tokens -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def token_create(request: HttpRequest, team: str, app: str) -> HttpResponse:
    application, role = get_application_for_user(request, team, app, change=True)
    form = DeployTokenForm(request.POST or None)
    context = {"team": application.team, "role": role, "application": application, "form": form}
    if request.method == "POST" and form.is_valid():
        token, secret = tokens.create_token(request.user, application, form.cleaned_data["name"])
        context.update(token=token, secret=secret)
        response = render_modal(request, "connections/token_modal.html", context)
        response["HX-Trigger"] = json.dumps({"tokensChanged": True})
        return response
    return render_modal(request, "connections/token_modal.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, team: str, app: str, token: str) -> HttpResponse:
    application, _ = get_application_for_user(request, team, app, change=True)
    token = get_object_or_404(application.deploy_tokens, public_id=token)
    token.application = application
    tokens.revoke_token(request.user, token)
    return close_modal(request, application_page(application, "settings"), "tokensChanged")


# Credentials ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest, team: str, db: str) -> HttpResponse:
    """Change the database's password: applied on the server first, then stored."""
    database, role = get_database_for_user(request, team, db, change=True)
    form = ChangePasswordForm(request.POST or None)
    context = {"team": database.team, "role": role, "database": database, "form": form}
    if request.method == "POST" and form.is_valid():
        try:
            change = credentials.change_password(
                request.user, database, form.cleaned_data["password"]
            )
        except credentials.PasswordChangeFailed as failure:
            form.add_error(None, str(failure))
        else:
            context["change"] = change
            context["copies"] = [
                (
                    copy,
                    signing.dumps(
                        [
                            str(copy.variable.public_id),
                            copy.replacement,
                            changes.fingerprint(copy.variable.value),
                        ],
                        salt=COPY_SALT,
                    ),
                )
                for copy in change.copies
            ]
            response = render_modal(request, "connections/password_modal.html", context)
            response["HX-Trigger"] = json.dumps({"connectionsChanged": True})
            return response
    return render_modal(request, "connections/password_modal.html", context)


COPY_SALT = "connections.replace-copied-password"


@login_required
@require_POST
def copy_replace(request: HttpRequest, team: str, db: str) -> HttpResponse:
    """Replace a copied old password with a reference that follows the database."""
    database, _ = get_database_for_user(request, team, db, change=True)
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
        changes.replace_copy(request.user, variable, replacement, seen, database)
    except changes.StaleCopy as stale:
        context = {"variable": variable, "stale": str(stale)}
    else:
        context = {"variable": variable}
    return render(request, "connections/password_modal.html#replaced", context)


@login_required
@require_POST
def database_probe(request: HttpRequest, team: str, db: str) -> HttpResponse:
    """Test connection: connect with the database's own credentials and say what happened."""
    database, _ = get_database_for_user(request, team, db)
    result = (
        engine_for(database.server).probe(database, database.password) if database.server else None
    )
    return render(
        request,
        "connections/database_overview.html#probe",
        {"database": database, "result": result},
    )


@login_required
@require_POST
def credentials_reveal(request: HttpRequest, team: str, db: str) -> HttpResponse:
    """Show the password, the URL and the client command; recorded, and not for viewers."""
    database, _ = get_database_for_user(request, team, db, change=True)
    external = request.POST.get("endpoint") == "external"
    if external and not credentials.external_details_available(database):
        raise Http404("External connections are off.")
    activity.record(
        request.user,
        database.team,
        "revealed the credentials of",
        database,
        endpoint="external" if external else "internal",
    )
    context = {
        "database": database,
        "secret": database.password,
        "url": connection_url(database, external=external),
        "command": credentials.cli_command(database, external=external),
    }
    return render(request, "connections/database_overview.html#revealed", context)


@login_required
@require_http_methods(["GET", "POST"])
def database_delete(request: HttpRequest, team: str, db: str) -> HttpResponse:
    """Delete a database after its slug is typed: dropped on its server, then forgotten."""
    database, role = get_database_for_user(request, team, db, change=True)
    form = DeleteDatabaseForm(request.POST or None, database=database)
    if request.method == "POST" and form.is_valid():
        try:
            changes.delete_database(request.user, database)
        except EngineError as error:
            form.add_error(None, f"Nothing was deleted. {error}")
        else:
            return go_to(request, reverse("database_list", args=[team]))
    context = {"team": database.team, "role": role, "database": database, "form": form}
    context["connections"] = database.connections.select_related("application")
    return render_modal(request, "connections/database_delete_modal.html", context)
