"""Application pages: the list, creating one, its Overview, Networking and Settings tabs, its
commands, its port and the build check's fix."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models.functions import Lower
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from connections import formats, lifecycle, variables
from connections.applications import (
    change_commands,
    change_port,
    create_application,
    mark_restarted,
    move_steps_to_start,
)
from connections.buildcheck import database_steps, plan_move_to_start
from connections.environment import TeamEnvironments, UnresolvedEnvironment
from connections.masking import mask_environment
from connections.models import Application, Database, Phase, Role
from dashboard.access import get_application_for_user, get_team_for_user
from dashboard.forms.connections import PortForm
from dashboard.forms.resources import ApplicationForm, CommandsForm, DeleteForm, RenameForm
from dashboard.htmx import close_modal, go_to, modal, render_page
from dashboard.http import TeamRequest

SHARED_FRAGMENTS = {
    "build-check": "applications/build_check.html",
    "restart-state": "applications/restart_header.html",
}


def application_page(application: Application, tab: str) -> str:
    name = "application_detail" if tab == "overview" else f"application_{tab}"
    return reverse(name, args=[application.team.slug, application.slug])


@dataclass(frozen=True)
class _ConnectionRow:
    """A connected database with the keys of the variables linked to it."""

    database: Database
    keys: list[str]  # runtime, from the internal details
    build_keys: list[str]  # build-only, from the external details


def _app_context(application: Application, tab: str) -> dict[str, Any]:
    environments = TeamEnvironments(application.team)
    linked = [v for v in environments.variables_of(application) if v.is_linked]
    connections = []
    for connection in application.connections.select_related(
        "database__region", "database__server"
    ).order_by(Lower("database__name"), "database__name"):
        connection.database.team = application.team
        mine = [v for v in linked if v.connection_id == connection.pk]
        connections.append(
            _ConnectionRow(
                database=connection.database,
                keys=[v.key for v in mine if not v.external],
                build_keys=[v.key for v in mine if v.external],
            )
        )
    # The internal network is not live during a build: only a connection the build cannot use
    # (no build variables linked to the external details) makes a database step fail.
    unserved = [c for c in connections if not c.build_keys]
    return {
        "application": application,
        "tab": tab,
        "connections": connections,
        "unserved_connections": unserved,
        "build_steps": database_steps(application.build_command) if unserved else [],
        "build_plan": plan_move_to_start(application.build_command, application.start_command),
        "environments": environments,
    }


@login_required
def application_list(request: TeamRequest, team: str) -> HttpResponse:
    team_obj = get_team_for_user(request, team)
    applications = team_obj.applications.select_related("region")
    return render(request, "applications/list.html", {"applications": applications})


@login_required
@require_http_methods(["GET", "POST"])
def application_create(request: TeamRequest, team: str) -> HttpResponse:
    team_obj = get_team_for_user(request, team, change=Role.DEVELOPER)
    form = ApplicationForm(request.POST or None, team=team_obj)
    if request.method == "POST" and form.is_valid():
        application = create_application(request.user, form.save(commit=False))
        return redirect("application_detail", team=team, app=application.slug)
    return render(request, "applications/form.html", {"form": form})


@login_required
def application_detail(request: TeamRequest, team: str, app: str) -> HttpResponse:
    application = get_application_for_user(request, team, app)
    context = _app_context(application, "overview")
    return render_page(request, "applications/overview.html", (), context, SHARED_FRAGMENTS)


@login_required
def application_networking(request: TeamRequest, team: str, app: str) -> HttpResponse:
    application = get_application_for_user(request, team, app)
    context = _app_context(application, "networking")
    return render_page(
        request,
        "applications/networking.html",
        ("networking",),
        context,
        SHARED_FRAGMENTS,
    )


@login_required
def application_settings(request: TeamRequest, team: str, app: str) -> HttpResponse:
    application = get_application_for_user(request, team, app)
    return _settings_page(request, application, request.GET, ("variables", "tokens", "environment"))


@login_required
@never_cache
@require_POST
def environment_reveal(request: TeamRequest, team: str, app: str) -> HttpResponse:
    """The Settings page's environment view, revealed: recorded, and viewers may not. htmx gets
    the view alone; without JavaScript, the whole Settings page with it revealed."""
    application = get_application_for_user(request, team, app, change=Role.DEVELOPER)
    phase, _ = _environment_choice(request.POST)
    try:
        revealed = variables.reveal_environment(request.user, application, phase)
    except UnresolvedEnvironment:
        revealed = None  # the page says why, as it does masked
    return _settings_page(request, application, request.POST, ("environment",), revealed=revealed)


def _settings_page(
    request: TeamRequest,
    application: Application,
    choice: QueryDict,
    fragments: tuple[str, ...],
    revealed: dict[str, str] | None = None,
) -> HttpResponse:
    """The Settings page, or for htmx the fragment it targets among ``fragments`` (else the
    first); the environment view in the phase and format ``choice`` names."""
    context = _app_context(application, "settings")
    environments = context["environments"]
    context["phases"] = [
        (phase, _rows(environments, application, phase)) for phase in (Phase.RUNTIME, Phase.BUILD)
    ]
    context["tokens"] = application.deploy_tokens.all()
    phase, fmt = _environment_choice(choice)
    context["environment"] = _environment_view(environments, application, phase, fmt, revealed)
    return render_page(
        request,
        "applications/settings.html",
        fragments,
        context,
        SHARED_FRAGMENTS,
    )


@dataclass(frozen=True)
class EnvironmentView:
    """One phase's resolved environment in one format, as the Settings page shows it: masked
    unless revealed (a recorded act), or why it does not resolve."""

    phase: str
    format: str
    text: str
    error: str
    revealed: bool

    phases = ((Phase.RUNTIME.value, "At runtime"), (Phase.BUILD.value, "During the build"))
    formats = (("dotenv", "dotenv"), ("shell", "shell"), ("json", "JSON"))


def _environment_choice(data: QueryDict) -> tuple[str, str]:
    """The phase and format asked for, runtime and dotenv unless one is named."""
    phase = data.get("phase", "")
    fmt = data.get("format", "")
    return (
        phase if phase in Phase.values else Phase.RUNTIME,
        fmt if fmt in formats.FORMATS else "dotenv",
    )


def _environment_view(
    environments: TeamEnvironments,
    application: Application,
    phase: str,
    fmt: str,
    revealed: dict[str, str] | None,
) -> EnvironmentView:
    shown = revealed
    if shown is None:
        try:
            shown = mask_environment(environments.resolve(application, phase))
        except UnresolvedEnvironment as error:
            return EnvironmentView(phase, fmt, "", str(error), revealed=False)
    text = formats.render(shown, fmt, meta=formats.meta_for(application, phase))
    return EnvironmentView(phase, fmt, text, "", revealed=revealed is not None)


def _rows(
    environments: TeamEnvironments, application: Application, phase: str
) -> list[dict[str, Any]]:
    """One row per key of the phase: its variable, and the error if it does not resolve."""
    rows: list[dict[str, Any]] = []
    if phase == Phase.RUNTIME:
        rows.append({"key": "PORT", "variable": None, "value": str(application.internal_port)})
    for variable in environments.variables_of(application, phase):
        row: dict[str, Any] = {"key": variable.key, "variable": variable, "error": None}
        try:
            environments.value_of(application, phase, variable)
        except UnresolvedEnvironment as error:
            row["error"] = str(error)
        rows.append(row)
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def application_commands(request: TeamRequest, team: str, app: str) -> HttpResponse:
    application = get_application_for_user(request, team, app, change=Role.DEVELOPER)
    page = application_page(application, "overview")
    form = CommandsForm(request.POST or None, instance=application)

    def submit() -> HttpResponse:
        data = form.cleaned_data
        change_commands(request.user, application, data["build_command"], data["start_command"])
        return go_to(request, page)

    context = {"application": application}
    template = "applications/commands_modal.html"
    return modal(request, template, context, back=page, form=form, submit=submit)


@login_required
@require_http_methods(["GET", "POST"])
def port_edit(request: TeamRequest, team: str, app: str) -> HttpResponse:
    application = get_application_for_user(request, team, app, change=Role.DEVELOPER)
    page = application_page(application, "networking")
    form = PortForm(request.POST or None, instance=application)

    def submit() -> HttpResponse:
        change_port(request.user, application, form.cleaned_data["internal_port"])
        return close_modal(request, page, "connectionsChanged")

    context = {"application": application}
    template = "applications/port_modal.html"
    return modal(request, template, context, back=page, form=form, submit=submit)


@login_required
@require_http_methods(["GET", "POST"])
def build_fix(request: TeamRequest, team: str, app: str) -> HttpResponse:
    """Preview, then apply, moving the database steps from the build to the start command."""
    application = get_application_for_user(request, team, app, change=Role.DEVELOPER)
    plan = plan_move_to_start(application.build_command, application.start_command)
    page = application_page(application, "overview")
    if plan is None:
        return close_modal(request, page)

    def submit() -> HttpResponse:
        move_steps_to_start(request.user, application, plan)
        return go_to(request, page)  # both commands changed: the whole page is out of date

    context = {"application": application, "plan": plan}
    return modal(request, "applications/build_fix_modal.html", context, back=page, submit=submit)


@login_required
@require_http_methods(["GET", "POST"])
def application_rename(request: TeamRequest, team: str, app: str) -> HttpResponse:
    """A new name; the slug, and so every URL, reference and deploy token, stays."""
    application = get_application_for_user(request, team, app, change=Role.DEVELOPER)
    page = application_page(application, "overview")
    form = RenameForm(request.POST or None, initial={"name": application.name})

    def submit() -> HttpResponse:
        lifecycle.rename(request.user, application, form.cleaned_data["name"])
        return go_to(request, page)

    context = {"resource": application, "noun": "application"}
    return modal(
        request, "includes/rename_modal.html", context, back=page, form=form, submit=submit
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_delete(request: TeamRequest, team: str, app: str) -> HttpResponse:
    """Delete an application once its slug is typed, after listing what it takes with it and
    the references to it that will stop resolving."""
    application = get_application_for_user(request, team, app, change=Role.ADMIN)
    page = application_page(application, "overview")
    form = DeleteForm(request.POST or None, slug=application.slug, noun="application")

    def submit() -> HttpResponse:
        lifecycle.delete_application(request.user, application)
        return go_to(request, reverse("application_list", args=[team]))

    context = {
        "application": application,
        "connections": application.connections.select_related("database"),
        "references": lifecycle.references_to(application),
    }
    template = "applications/delete_modal.html"
    return modal(request, template, context, back=page, form=form, submit=submit)


@login_required
@require_POST
def application_restart(request: TeamRequest, team: str, app: str) -> HttpResponse:
    """Mark restarted: the application runs its current environment. Every place on the page
    that says so is refreshed at once (out of band), and lists listening hear restartsChanged."""
    application = get_application_for_user(request, team, app, change=Role.DEVELOPER)
    mark_restarted(request.user, application)
    if not request.htmx:
        return redirect(application_page(application, "overview"))
    response = render(request, "applications/restarted.html", {"application": application})
    return trigger_client_event(response, "restartsChanged")
