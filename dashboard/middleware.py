"""Remembering the team a person last looked at: the one place that writes it.

The access helpers only read; once one of them has let a member into a team (``request.team``),
this middleware keeps that team in the session, and the home page sends the person back to it.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

LAST_TEAM = "team"  # the session key


Handler = Callable[[HttpRequest], HttpResponse]


def remember_team(get_response: Handler) -> Handler:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        team = getattr(request, "team", None)
        if team is not None and request.session.get(LAST_TEAM) != team.slug:
            request.session[LAST_TEAM] = team.slug
        return response

    return middleware


def last_team(request: HttpRequest) -> str | None:
    """The slug of the team the person last looked at, if any."""
    return request.session.get(LAST_TEAM)
