"""Deploy tokens: created (shown once) and revoked on the application's Settings page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from connections import tokens
from connections.models import Role
from dashboard.access import get_application_for_user
from dashboard.forms.connections import DeployTokenForm
from dashboard.htmx import close_modal, modal, show_result
from dashboard.http import TeamRequest
from dashboard.views.applications import application_page


@login_required
@never_cache  # the result shows the secret, once
@require_http_methods(["GET", "POST"])
def token_create(request: TeamRequest, team: str, app: str) -> HttpResponse:
    application = get_application_for_user(request, team, app, change=Role.DEVELOPER)
    page = application_page(application, "settings")
    form = DeployTokenForm(request.POST or None)
    template = "tokens/create_modal.html"

    def submit() -> HttpResponse:
        token, secret = tokens.create_token(request.user, application, form.cleaned_data["name"])
        context = {"application": application, "token": token, "secret": secret}
        return show_result(request, template, context, back=page, event="tokensChanged")

    context = {"application": application}
    return modal(request, template, context, back=page, form=form, submit=submit)


@login_required
@require_POST
def token_revoke(request: TeamRequest, team: str, app: str, token: str) -> HttpResponse:
    application = get_application_for_user(request, team, app, change=Role.DEVELOPER)
    revoked = get_object_or_404(application.deploy_tokens, public_id=token)
    revoked.application = application
    tokens.revoke_token(request.user, revoked)
    return close_modal(request, application_page(application, "settings"), "tokensChanged")
