"""Deploy tokens: created (shown once) and revoked on the application's Settings page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from connections import tokens
from dashboard.access import (
    get_application_for_user,
)
from dashboard.forms.connections import (
    DeployTokenForm,
)
from dashboard.htmx import close_modal, render_modal
from dashboard.http import TeamRequest
from dashboard.views.applications import application_page


@login_required
@require_http_methods(["GET", "POST"])
def token_create(request: TeamRequest, team: str, app: str) -> HttpResponse:
    application = get_application_for_user(request, team, app, change=True)
    form = DeployTokenForm(request.POST or None)
    context = {"application": application, "form": form}
    if request.method == "POST" and form.is_valid():
        token, secret = tokens.create_token(request.user, application, form.cleaned_data["name"])
        context.update(token=token, secret=secret)
        response = render_modal(request, "tokens/create_modal.html", context)
        return trigger_client_event(response, "tokensChanged")
    return render_modal(request, "tokens/create_modal.html", context)


@login_required
@require_POST
def token_revoke(request: TeamRequest, team: str, app: str, token: str) -> HttpResponse:
    application = get_application_for_user(request, team, app, change=True)
    token = get_object_or_404(application.deploy_tokens, public_id=token)
    token.application = application
    tokens.revoke_token(request.user, token)
    return close_modal(request, application_page(application, "settings"), "tokensChanged")
