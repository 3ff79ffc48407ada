"""Run a command with an application's environment: ``manage.py runenv APP -- COMMAND ...``.

The command gets exactly that environment and nothing from the calling shell (not even PATH;
the system's default search path applies), so what runs here is what runs on the platform.
"""

import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connections.management.lookup import environment_of
from connections.models import Phase


class Command(BaseCommand):
    help = "Run COMMAND with exactly the application's environment; exit with its exit code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("application", help="slug, or team/slug when the slug is shared")
        parser.add_argument("--phase", choices=Phase.values, default=Phase.RUNTIME)
        parser.add_argument("command", nargs="+", help="the command and its arguments, after --")

    def handle(
        self, *args: str, application: str, phase: str, command: list[str], **options: Any
    ) -> None:
        _, environment = environment_of(application, phase)
        try:
            completed = subprocess.run(command, env=environment, check=False)  # noqa: S603
        except FileNotFoundError as error:
            raise CommandError(f"{command[0]}: command not found.") from error
        sys.exit(completed.returncode)
