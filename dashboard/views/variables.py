"""An application's variables: add, edit, delete, and reveal a resolved value.

Responses that may carry a value are never cached (``never_cache``: ``Cache-Control: no-store``).
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from connections import variables
from connections.models import Application, Phase, Role, Variable
from dashboard.access import get_application_for_user
from dashboard.forms.connections import VariableForm
from dashboard.htmx import close_modal, modal, render_fragment, render_modal
from dashboard.http import TeamRequest
from dashboard.views.applications import application_page


def _variable(application: Application, public_id: str) -> Variable:
    return get_object_or_404(
        Variable.objects.select_related("connection__database"),
        application=application,
        public_id=public_id,
    )


@login_required
@require_http_methods(["GET", "POST"])
def variable_add(request: TeamRequest, team: str, app: str) -> HttpResponse:
    application = get_application_for_user(request, team, app, change=Role.DEVELOPER)
    return _variable_modal(request, application, Variable())


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def variable_edit(request: TeamRequest, team: str, app: str, variable: str) -> HttpResponse:
    application = get_application_for_user(request, team, app, change=Role.DEVELOPER)
    return _variable_modal(request, application, _variable(application, variable))


def _variable_modal(
    request: TeamRequest, application: Application, variable: Variable
) -> HttpResponse:
    page = application_page(application, "settings")
    creating = variable.pk is None
    context = {"application": application, "variable": variable, "creating": creating}
    if not creating and not variable.is_linked and request.POST.get("reveal"):
        # The modal again with the stored value in its field: shown only on this recorded POST.
        value = variables.reveal_stored_value(request.user, variable)
        form = VariableForm(
            instance=variable, application=application, revealed=True, initial={"value": value}
        )
        return render_modal(request, "variables/modal.html", {**context, "form": form}, back=page)
    revealed = request.POST.get("revealed") == "1"
    form = VariableForm(
        request.POST or None, instance=variable, application=application, revealed=revealed
    )

    def submit() -> HttpResponse:
        variables.save_variable(request.user, form.save(commit=False))
        return close_modal(request, page, "variablesChanged")

    return modal(request, "variables/modal.html", context, back=page, form=form, submit=submit)


@login_required
@require_POST
def variable_delete(request: TeamRequest, team: str, app: str, variable: str) -> HttpResponse:
    application = get_application_for_user(request, team, app, change=Role.DEVELOPER)
    variables.delete_variable(request.user, _variable(application, variable))
    return close_modal(request, application_page(application, "settings"), "variablesChanged")


@login_required
@never_cache
@require_POST
def variable_reveal(request: TeamRequest, team: str, app: str) -> HttpResponse:
    """Show one resolved value; revealing is recorded, and viewers may not."""
    application = get_application_for_user(request, team, app, change=Role.DEVELOPER)
    phase, key = request.POST.get("phase", ""), request.POST.get("key", "")
    if phase not in Phase.values:
        raise Http404("No such phase.")
    value, error = variables.reveal_variable(request.user, application, phase, key)
    if value is None and error is None:
        raise Http404("No such variable.")
    return render_fragment(
        request,
        "applications/settings.html#revealed",
        {"value": value, "error": error},
        title=f"{key} of {application.name}, "
        + ("at runtime" if phase == Phase.RUNTIME else "during the build"),
        back=application_page(application, "settings"),
    )
