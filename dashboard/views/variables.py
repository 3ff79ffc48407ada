"""An application's variables: add, edit, delete, and reveal a resolved value."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods, require_POST

from connections import activity, changes
from connections.environment import TeamEnvironments, UnresolvedEnvironment
from connections.models import Application, Phase, Variable
from dashboard.access import (
    get_application_for_user,
)
from dashboard.forms.connections import (
    VariableForm,
)
from dashboard.htmx import close_modal, render_modal
from dashboard.views.applications import application_page


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
        "variables/modal.html",
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
        "applications/settings.html#revealed",
        {"value": value, "error": error},
    )
