"""Prepare a demo dashboard on an embedded SQLite store and serve it.

Safe to run again: every object is looked up by its natural key before it is created, and the
demo users' passwords are reset to the printed ones.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from connections import linking
from connections.applications import create_application
from connections.models import (
    Application,
    Database,
    Engine,
    Membership,
    Region,
    RegionRange,
    ResourceModel,
    Role,
    Team,
    Variable,
)
from connections.network import add_region_rule
from connections.provisioning import create_database
from connections.variables import save_variable

REGIONS = [("fra1", "Frankfurt"), ("ams1", "Amsterdam"), ("nyc1", "New York")]

# The platform's address ranges per region, which managed firewall rules allow.
REGION_RANGES = {
    "fra1": ["10.10.0.0/16", "fd00:10::/32"],
    "ams1": ["10.20.0.0/16", "fd00:20::/32"],
    "nyc1": ["10.30.0.0/16", "fd00:30::/32"],
}

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
    # slug, name, engine, version, region, resource model
    ("shop-postgres", "Shop PostgreSQL", Engine.POSTGRESQL, "16", "fra1", ResourceModel.SHARED),
    ("sessions-redis", "Sessions cache", Engine.REDIS, "7.4", "fra1", ResourceModel.SHARED),
    ("analytics", "Analytics", Engine.MARIADB, "11.4", "nyc1", ResourceModel.DEDICATED),
]

CONNECTIONS = [
    # application, database, key prefix of the injected variables
    ("storefront", "shop-postgres", ""),
    ("storefront", "sessions-redis", "REDIS_"),
    ("orders-api", "shop-postgres", ""),
    ("reports", "analytics", "ANALYTICS_"),
]

VARIABLES = [
    ("storefront", "NODE_ENV", "production"),
    ("storefront", "ORDERS_API_PORT", "{{ orders-api.PORT }}"),
    ("mailer", "ORDERS_DATABASE_URL", "{{ shop-postgres.DATABASE_URL }}"),
]


class Command(BaseCommand):
    help = "Migrate, fill a demo team with realistic resources, print the logins and serve."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-serve", action="store_true", help="Only prepare the data; do not serve."
        )
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="Where to serve.")

    def handle(self, *args: object, no_serve: bool, addrport: str, **options: object) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self._prepare()
        self.stdout.write(self.style.SUCCESS("Demo ready. Log in with one of:"))
        for username, password, role, staff in USERS:
            extra = ", also the operators' admin at /admin/" if staff else ""
            self.stdout.write(f"  {username:<8} {password:<18} {role.label}{extra}")
        if not no_serve:
            self.stdout.write(f"Serving on http://{addrport}/  (Ctrl+C to stop)")
            call_command("runserver", addrport, use_reloader=False)

    @transaction.atomic
    def _prepare(self) -> None:
        regions = {
            slug: Region.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in REGIONS
        }
        for slug, networks in REGION_RANGES.items():
            for network in networks:
                RegionRange.objects.get_or_create(
                    region=regions[slug], network=network, defaults={"label": f"{slug} platform"}
                )
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
                version=version,
                region=regions[region],
                resource_model=model,
            )
            database.derive_identifiers()
            create_database(owner, database)

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

    def _connect(self, owner: AbstractBaseUser, team: Team) -> None:
        apps = {app.slug: app for app in team.applications.all()}
        databases = {db.slug: db for db in team.databases.all()}
        for app, db, prefix in CONNECTIONS:
            application, database = apps[app], databases[db]
            if linking.refusal(application, database) is None:
                linking.connect(owner, application, database, linking.proposed_keys(prefix))
        analytics = databases["analytics"]  # dedicated: only its region's apps, by a managed rule
        if not analytics.firewall_rules.exists():
            add_region_rule(owner, analytics, analytics.region)
        for app, key, value in VARIABLES:
            if not Variable.objects.filter(application=apps[app], key=key).exists():
                variable = Variable(application=apps[app], key=key, value=value, runtime=True)
                save_variable(owner, variable)
