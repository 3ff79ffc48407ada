"""Pages for the team's resources. Views parse, authorise, call the domain and render."""

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from dashboard import activity, provisioning
from dashboard.access import (
    get_application_for_user,
    get_database_for_user,
    get_team_for_user,
    memberships_of,
)
from dashboard.engines import EngineError
from dashboard.forms import ApplicationForm, CommandsForm, DatabaseForm
from dashboard.htmx import go_to, render_modal

ACTIVITY_PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to the team they last looked at, or their first team."""
    slugs = [membership.team.slug for membership in memberships_of(request)]
    if not slugs:
        return render(request, "dashboard/no_team.html")
    last = request.session.get("team")
    return redirect("application_list", team=last if last in slugs else slugs[0])


@login_required
def application_list(request: HttpRequest, team: str) -> HttpResponse:
    team_obj, role = get_team_for_user(request, team)
    applications = team_obj.applications.select_related("region")
    return render(
        request,
        "dashboard/application_list.html",
        {"team": team_obj, "role": role, "applications": applications},
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_create(request: HttpRequest, team: str) -> HttpResponse:
    team_obj, role = get_team_for_user(request, team, change=True)
    form = ApplicationForm(request.POST or None, team=team_obj)
    if request.method == "POST" and form.is_valid():
        application = form.save()
        activity.record(
            request.user,
            team_obj,
            "created application",
            application,
            region=application.region.slug,
            internal_port=application.internal_port,
        )
        return redirect("application_detail", team=team, app=application.slug)
    return render(
        request, "dashboard/application_form.html", {"team": team_obj, "role": role, "form": form}
    )


@login_required
def database_list(request: HttpRequest, team: str) -> HttpResponse:
    team_obj, role = get_team_for_user(request, team)
    databases = team_obj.databases.select_related("region", "server")
    return render(
        request,
        "dashboard/database_list.html",
        {"team": team_obj, "role": role, "databases": databases},
    )


@login_required
@require_http_methods(["GET", "POST"])
def database_create(request: HttpRequest, team: str) -> HttpResponse:
    team_obj, role = get_team_for_user(request, team, change=True)
    form = DatabaseForm(request.POST or None, team=team_obj)
    if request.method == "POST" and form.is_valid():
        try:
            database = provisioning.create(form.save(commit=False))
        except EngineError as error:
            form.add_error(None, f"The database was not created. {error}")
        else:
            activity.record(
                request.user,
                team_obj,
                "created database",
                database,
                engine=database.engine,
                version=database.version,
                region=database.region.slug,
                resource_model=database.resource_model,
                server=database.server.name if database.server else "not provisioned",
            )
            return redirect("database_detail", team=team, db=database.slug)
    return render(
        request, "dashboard/database_form.html", {"team": team_obj, "role": role, "form": form}
    )


@login_required
def database_activity(request: HttpRequest, team: str, db: str) -> HttpResponse:
    database, role = get_database_for_user(request, team, db)
    entries = activity.for_target(database)[:ACTIVITY_PAGE_SIZE]
    context = {"team": database.team, "role": role, "database": database, "tab": "activity"}
    return render(request, "dashboard/database_activity.html", {**context, "entries": entries})


@login_required
def team_activity(request: HttpRequest, team: str) -> HttpResponse:
    team_obj, role = get_team_for_user(request, team)
    entries = team_obj.activities.all()[:ACTIVITY_PAGE_SIZE]
    return render(
        request,
        "dashboard/team_activity.html",
        {"team": team_obj, "role": role, "entries": entries},
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_commands(request: HttpRequest, team: str, app: str) -> HttpResponse:
    application, role = get_application_for_user(request, team, app, change=True)
    form = CommandsForm(request.POST or None, instance=application)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            activity.record(
                request.user,
                application.team,
                "changed the commands of",
                application,
                changed=sorted(form.changed_data),
            )
        return go_to(request, reverse("application_detail", args=[team, application.slug]))
    context = {"team": application.team, "role": role, "application": application, "form": form}
    return render_modal(request, "dashboard/commands_modal.html", context)
