"""The team's own pages: where a person lands, what the team did, and who is in it (invitations,
roles, removing members, leaving)."""

from typing import Any

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from connections import teams
from connections.errors import Refused
from connections.models import Application, Database, Membership, Role, Team
from dashboard.access import get_team_for_user, memberships_of
from dashboard.forms.activity import ActivityFilterForm
from dashboard.forms.teams import InvitationForm, RoleForm
from dashboard.htmx import close_modal, go_to, modal, render_page, show_result
from dashboard.http import AuthedRequest, TeamRequest
from dashboard.middleware import last_team

ACTIVITY_PAGE_SIZE = 50


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """Send the user to the team they last looked at; on a first visit, to the one with the
    most applications and databases (the tour's team in the demo)."""
    slugs = [membership.team.slug for membership in memberships_of(request)]
    if not slugs:
        return render(request, "teams/no_team.html")
    last = last_team(request)
    return redirect("application_list", team=last if last in slugs else _busiest(slugs))


def _busiest(slugs: list[str]) -> str:
    """The team with the most resources, the first one listed on a tie."""
    counts = dict(
        Team.objects.filter(slug__in=slugs)
        .annotate(
            resources=Count("applications", distinct=True) + Count("databases", distinct=True)
        )
        .values_list("slug", "resources")
    )
    return max(slugs, key=lambda slug: counts.get(slug, 0))


def activity_page(
    request: TeamRequest,
    template: str,
    context: dict[str, Any],
    resource: Application | Database | None = None,
) -> HttpResponse:
    """A page with the activity feed, paged (``?page=``) and filtered by resource and person
    (``?resource=&person=``); htmx gets the feed alone. The queries do not grow with the rows:
    the filters' choices, the count and the page's rows."""
    filters = ActivityFilterForm(request.GET or None, team=request.team, resource=resource)
    page = Paginator(filters.entries(), ACTIVITY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {**context, "filters": filters, "page": page, "entries": page.object_list}
    return render_page(request, template, (), context, {"activity": "includes/activity_feed.html"})


@login_required
def team_activity(request: TeamRequest, team: str) -> HttpResponse:
    get_team_for_user(request, team)
    return activity_page(request, "teams/activity.html", {})


@login_required
def team_members(request: TeamRequest, team: str) -> HttpResponse:
    """Who is in the team with which role; admins also see the pending invitations."""
    team_obj = get_team_for_user(request, team)
    context = {
        "members": team_obj.memberships.select_related("user").order_by(
            Lower("user__username"), "user__username"
        ),
        "invitations": teams.pending_invitations(team_obj) if request.role.can_administer else [],
    }
    return render_page(request, "teams/members.html", ("members",), context)


def _members_page(team: str) -> str:
    return reverse("team_members", args=[team])


@login_required
@require_http_methods(["GET", "POST"])
def invitation_create(request: TeamRequest, team: str) -> HttpResponse:
    """Invite someone: the link is shown once, in the modal."""
    team_obj = get_team_for_user(request, team, change=Role.ADMIN)
    page = _members_page(team)
    form = InvitationForm(request.POST or None, actor_role=request.role)
    template = "teams/invite_modal.html"

    def submit() -> HttpResponse:
        invitation, secret = teams.invite(
            request.user, team_obj, form.cleaned_data["role"], form.cleaned_data["note"]
        )
        link = request.build_absolute_uri(reverse("invitation_accept", args=[secret]))
        done = {"invitation": invitation, "link": link}
        return show_result(request, template, done, back=page, event="membersChanged")

    return modal(request, template, {}, back=page, form=form, submit=submit)


@login_required
@require_POST
def invitation_revoke(request: TeamRequest, team: str, invitation: str) -> HttpResponse:
    team_obj = get_team_for_user(request, team, change=Role.ADMIN)
    revoked = get_object_or_404(teams.pending_invitations(team_obj), public_id=invitation)
    teams.revoke_invitation(request.user, revoked)
    return close_modal(request, _members_page(team), "membersChanged")


def _membership(request: TeamRequest, team: str, username: str) -> Membership:
    team_obj = get_team_for_user(request, team, change=Role.ADMIN)
    return get_object_or_404(
        Membership.objects.select_related("user", "team"), team=team_obj, user__username=username
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_role(request: TeamRequest, team: str, member: str) -> HttpResponse:
    membership = _membership(request, team, member)
    page = _members_page(team)
    form = RoleForm(
        request.POST or None, actor_role=request.role, initial={"role": membership.role}
    )

    def submit() -> HttpResponse:
        teams.change_role(request.user, membership, form.cleaned_data["role"])
        return close_modal(request, page, "membersChanged")

    context = {"membership": membership}
    return modal(request, "teams/role_modal.html", context, back=page, form=form, submit=submit)


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request: TeamRequest, team: str, member: str) -> HttpResponse:
    membership = _membership(request, team, member)
    page = _members_page(team)

    def submit() -> HttpResponse:
        teams.remove_member(request.user, membership)
        return close_modal(request, page, "membersChanged")

    context = {"membership": membership}
    return modal(request, "teams/remove_modal.html", context, back=page, submit=submit)


@login_required
@require_http_methods(["GET", "POST"])
def team_leave(request: TeamRequest, team: str) -> HttpResponse:
    """Anyone may leave a team; its last owner must hand it over first."""
    team_obj = get_team_for_user(request, team, change=Role.VIEWER)
    page = _members_page(team)

    def submit() -> HttpResponse:
        teams.leave_team(request.user, team_obj)
        return go_to(request, reverse("home"))

    return modal(request, "teams/leave_modal.html", {}, back=page, submit=submit)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, secret: str) -> HttpResponse:
    """Where an invitation link leads: join with the account you are signed in with, or create
    one. A used, revoked or expired link is a 404 that names no team."""
    invitation = teams.find_invitation(secret)
    if invitation is None:
        raise Http404("This invitation has been used, revoked or has expired.")
    user = request.user if isinstance(request.user, User) else None
    form: UserCreationForm[User] | None = (
        None if user is not None else UserCreationForm(request.POST or None)
    )
    refusal = None
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            if user is not None:
                teams.accept_invitation(user, invitation)
            elif form is not None:
                membership = teams.join_with_new_account(
                    invitation, form.cleaned_data["username"], form.cleaned_data["password1"]
                )
                # Signed in as just created: no password was checked, so no throttling applies.
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        except Refused as error:
            refusal = error
        else:
            return redirect("application_list", team=invitation.team.slug)
    context = {"invitation": invitation, "form": form, "refusal": refusal}
    return render(request, "teams/invitation.html", context)
