"""Print an application's resolved environment: ``manage.py env APP --phase runtime``."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from connections.formats import FORMATS, meta_for, render
from connections.management.lookup import environment_of
from connections.models import Phase


class Command(BaseCommand):
    help = "Print an application's environment for a phase as JSON, dotenv or shell exports."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("application", help="slug, or team/slug when the slug is shared")
        parser.add_argument("--phase", choices=Phase.values, default=Phase.RUNTIME)
        parser.add_argument("--format", choices=FORMATS, default="dotenv", dest="fmt")

    def handle(self, *args: str, application: str, phase: str, fmt: str, **options: Any) -> None:
        app, environment = environment_of(application, phase)
        output = render(environment, fmt, meta=meta_for(app, phase))
        self.stdout.write(output, ending="" if fmt != "json" else "\n")
