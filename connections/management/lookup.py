"""Naming an application on the command line (``slug`` or ``team/slug``) and reading its
environment, for the ``env`` and ``runenv`` commands."""

from django.core.management.base import CommandError

from connections.environment import UnresolvedEnvironment, resolve_environment
from connections.models import Application


def find_application(name: str) -> Application:
    """The application called ``name``; a team-qualified name is needed when the slug is shared."""
    team, _, slug = name.rpartition("/")
    candidates = Application.objects.select_related("team").filter(slug=slug)
    if team:
        candidates = candidates.filter(team__slug=team)
    found = list(candidates[:10])
    if not found:
        raise CommandError(f"No application named {name!r}.")
    if len(found) > 1:
        names = ", ".join(f"{app.team.slug}/{app.slug}" for app in found)
        raise CommandError(f"{name!r} is ambiguous; name one of: {names}.")
    return found[0]


def environment_of(name: str, phase: str) -> tuple[Application, dict[str, str]]:
    """The application called ``name`` and its resolved environment for ``phase``."""
    application = find_application(name)
    try:
        return application, resolve_environment(application, phase)
    except UnresolvedEnvironment as error:
        raise CommandError(str(error)) from error
