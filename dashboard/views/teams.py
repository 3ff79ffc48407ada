"""The team's own pages: where a person lands, and what the team did."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render

from connections.models import Team
from dashboard.access import get_team_for_user, memberships_of
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


@login_required
def team_activity(request: TeamRequest, team: str) -> HttpResponse:
    entries = get_team_for_user(request, team).activities.all()[:ACTIVITY_PAGE_SIZE]
    return render(request, "teams/activity.html", {"entries": entries})
