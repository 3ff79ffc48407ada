"""Compare every database server with the dashboard: ``manage.py check_servers [--repair]``."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connections.models import DatabaseServer, ServerHealth
from connections.servers import check_server, check_servers_periodically


class Command(BaseCommand):
    help = (
        "Compare each server's real state (engine, version, databases, users, access rules) "
        "with the dashboard; print every difference and exit non-zero on drift."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--repair", action="store_true", help="apply the dashboard's state where it drifted"
        )
        parser.add_argument("--server", help="check only the server of this name")
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="also queue the periodic check, which the task worker runs every 15 minutes",
        )

    def handle(
        self, *args: str, repair: bool, server: str | None, schedule: bool, **options: Any
    ) -> None:
        servers = DatabaseServer.objects.order_by("name")
        if server:
            servers = servers.filter(name=server)
            if not servers:
                raise CommandError(f"No server named {server!r}.")
        failing = []
        for each in servers:
            check = check_server(each, repair=repair)
            self.stdout.write(f"{each.name} ({each.get_engine_display()}): {check.health.label}")
            for difference in check.differences:
                self.stdout.write(f"  - {difference}")
            if check.repaired:
                self.stdout.write("  repaired: the dashboard's state was applied again")
            if check.health != ServerHealth.OK:
                failing.append(each.name)
        if schedule:
            check_servers_periodically.enqueue()
            self.stdout.write("The periodic check is queued for the task worker.")
        if failing:
            raise CommandError(f"Drift or unreachable: {', '.join(failing)}.")
