"""The team's own pages: where a person lands, and what the team did."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from dashboard.access import get_team_for_user, memberships_of
from dashboard.http import AuthedRequest, TeamRequest
from dashboard.middleware import last_team

ACTIVITY_PAGE_SIZE = 50


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """Send the user to the team they last looked at, or their first team."""
    slugs = [membership.team.slug for membership in memberships_of(request)]
    if not slugs:
        return render(request, "teams/no_team.html")
    last = last_team(request)
    return redirect("application_list", team=last if last in slugs else slugs[0])


@login_required
def team_activity(request: TeamRequest, team: str) -> HttpResponse:
    entries = get_team_for_user(request, team).activities.all()[:ACTIVITY_PAGE_SIZE]
    return render(request, "teams/activity.html", {"entries": entries})
