"""Run a command with an application's environment: ``manage.py runenv APP -- COMMAND ...``.

Like ``heroku run`` and ``doppler run``, the command inherits the calling environment (``PATH``,
``HOME``, the terminal…) with the application's variables laid over it: where both set a key,
the application's value wins. ``--clean`` gives it exactly the application's environment and
nothing else (not even ``PATH``; the system's default search path applies), to check that what
runs here is what runs on the platform.

The dashboard's own settings never reach the command: the project's ``.env`` is read into the
settings only, not into this process's environment, and every variable the settings read
(``SECRET_KEY``, ``FIELD_ENCRYPTION_KEYS``, the dashboard's ``DATABASE_URL``… and their
``_FILE`` forms, ``DJANGO_SETTINGS_MODULE``) is dropped from what the command inherits: an
application without a ``DATABASE_URL`` of its own must not reach the dashboard's database.
"""

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from connections.management.lookup import environment_of
from connections.models import Phase


def calling_environment() -> dict[str, str]:
    """This process's environment without what belongs to the dashboard itself."""
    own = settings.SETTINGS_FROM_ENVIRONMENT
    return {name: value for name, value in os.environ.items() if name not in own}


class Command(BaseCommand):
    help = (
        "Run COMMAND with the calling environment and the application's environment over it "
        "(--clean: exactly the application's); exit with its exit code."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("application", help="slug, or team/slug when the slug is shared")
        parser.add_argument("--phase", choices=Phase.values, default=Phase.RUNTIME)
        parser.add_argument(
            "--clean",
            action="store_true",
            help="give the command exactly the application's environment, nothing inherited",
        )
        parser.add_argument("command", nargs="+", help="the command and its arguments, after --")

    def handle(
        self,
        *args: str,
        application: str,
        phase: str,
        clean: bool,
        command: list[str],
        **options: Any,
    ) -> None:
        _, environment = environment_of(application, phase)
        if not clean:
            environment = {**calling_environment(), **environment}
        try:
            completed = subprocess.run(command, env=environment, check=False)  # noqa: S603
        except FileNotFoundError as error:
            raise CommandError(f"{command[0]}: command not found.") from error
        sys.exit(completed.returncode)
