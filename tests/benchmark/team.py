"""A realistic store for the benchmark, built through the same forms and domain functions the
dashboard's pages call, so rows are encrypted, versioned and logged as in production."""

import secrets
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from connections import applications, credentials, linking, provisioning, tokens, variables
from connections.models import Application, Database, Membership, Region, Role, Team, Variable
from dashboard.forms.resources import ApplicationForm, DatabaseForm

REGION = ("fra1", "Frankfurt")


@dataclass
class BuiltTeam:
    team: Team
    owner: AbstractBaseUser
    database: Database
    spare: Database  # nothing connects to it: what its Overview costs without rows
    # (application slug, deploy token secret), in creation order.
    applications: list[tuple[str, str]] = field(default_factory=list)

    def login_cookie(self) -> str:
        """A ``Cookie`` header value for a signed-in session of the team's owner."""
        client = Client()
        client.force_login(self.owner)
        return f"sessionid={client.cookies['sessionid'].value}"

    def rotate_password(self) -> None:
        """Change the database's password, as after a rotation: every connected app changes."""
        credentials.change_password(
            self.owner, self.database, "Rotated-" + secrets.token_hex(8) + "&"
        )


def _submit(form_class: type, data: dict, team: Team) -> object:
    form = form_class(data, team=team)
    if not form.is_valid():
        raise RuntimeError(f"The benchmark's own data was refused: {form.errors.as_text()}")
    return form.save(commit=False)


def _application_variables(slug: str, neighbours: tuple[str, str], database: str) -> list[dict]:
    """Fourteen typed variables, four of them references (a database, two apps, a shared key)."""
    previous, following = neighbours
    return [
        {"key": "NODE_ENV", "value": "production", "build": True},
        {"key": "LOG_LEVEL", "value": "info"},
        {"key": "SECRET_KEY", "value": secrets.token_urlsafe(40)},
        {"key": "SIGNING_KEY", "value": secrets.token_hex(32)},
        {"key": "SENTRY_DSN", "value": f"https://{secrets.token_hex(16)}@o1.example.com/{slug}"},
        {"key": "PUBLIC_URL", "value": f"https://{slug}.example.com", "build": True},
        {"key": "FEATURE_FLAGS", "value": "checkout-v2,search-beta,new-pricing"},
        {"key": "WEB_CONCURRENCY", "value": "4"},
        {
            "key": "BUILD_CACHE",
            "value": f"s3://build-cache/{slug}",
            "build": True,
            "runtime": False,
        },
        {"key": "SMTP_URL", "value": f"smtp://mailer:{secrets.token_urlsafe(12)}@smtp.example.com"},
        {"key": "REPORTING_DATABASE_URL", "value": f"{{{{ {database}.DATABASE_URL }}}}"},
        {"key": "UPSTREAM_URL", "value": f"http://{previous}.internal:{{{{ {previous}.PORT }}}}"},
        {"key": "CALLBACK_URL", "value": f"{{{{ {following}.PUBLIC_URL }}}}/hooks"},
        {"key": "SHARED_SIGNING_KEY", "value": f"{{{{ {previous}.SIGNING_KEY }}}}"},
    ]


def build_team(slug: str, size: int, *, typed_variables: bool = True) -> BuiltTeam:
    """A team with one PostgreSQL database that ``size`` applications connect to, and a spare
    one that none does.

    Each application gets the six linked variables of its connection, a deploy token and, with
    ``typed_variables``, fourteen typed variables (twenty in all), four of them references.
    """
    region, _ = Region.objects.get_or_create(slug=REGION[0], defaults={"name": REGION[1]})
    team = Team.objects.create(slug=slug, name=slug.replace("-", " ").title())
    owner = get_user_model().objects.create_user(
        username=f"{slug}-owner", password=secrets.token_urlsafe(16)
    )
    Membership.objects.create(team=team, user=owner, role=Role.OWNER)

    def new_database(name: str, slug: str) -> Database:
        fields = {"engine": "postgresql", "version": "16", "resource_model": "shared"}
        data = {"name": name, "slug": slug, "region": region.pk, **fields}
        return provisioning.create_database(owner, _submit(DatabaseForm, data, team))

    built = BuiltTeam(
        team=team,
        owner=owner,
        database=new_database("Main PostgreSQL", "main-db"),
        spare=new_database("Spare PostgreSQL", "spare-db"),
    )
    database = built.database

    members: list[Application] = []
    for number in range(1, size + 1):
        app_slug = f"app-{number:03}"
        application = _submit(
            ApplicationForm,
            {
                "name": f"App {number:03}",
                "slug": app_slug,
                "region": region.pk,
                "internal_port": 8000 + number,
                "build_command": "npm ci && npm run build",
                "start_command": "npm start",
            },
            team,
        )
        applications.create_application(owner, application)
        linking.connect(owner, application, database, linking.proposed_keys())
        members.append(application)

    if typed_variables:
        slugs = [app.slug for app in members]
        for index, application in enumerate(members):
            neighbours = (slugs[index - 1], slugs[(index + 1) % len(slugs)])
            for spec in _application_variables(application.slug, neighbours, database.slug):
                spec = {"build": False, "runtime": True, **spec}
                variables.save_variable(owner, Variable(application=application, **spec))

    for application in members:
        _, secret = tokens.create_token(owner, application, "CI")
        built.applications.append((application.slug, secret))
    return built
