"""The cast every test draws on: a team with an owner, an admin, a developer and a viewer; an
outsider who belongs to another team; regions; and factories for applications and databases."""

import itertools
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from connections.models import (
    Application,
    Database,
    DatabaseServer,
    Engine,
    Membership,
    Region,
    Role,
    Team,
)

pytest_plugins = ["tests.servers"]

PASSWORD = "correct-horse-battery"
_numbers = itertools.count(1)


@pytest.fixture
def region(db) -> Region:
    return Region.objects.create(slug="fra1", name="Frankfurt")


@pytest.fixture
def other_region(db) -> Region:
    return Region.objects.create(slug="nyc1", name="New York")


@pytest.fixture
def team(db) -> Team:
    return Team.objects.create(slug="acme", name="Acme")


@pytest.fixture
def other_team(db) -> Team:
    return Team.objects.create(slug="globex", name="Globex")


def _member(team: Team, username: str, role: Role):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    Membership.objects.create(team=team, user=user, role=role)
    return user


@pytest.fixture
def owner(team):
    return _member(team, "owner", Role.OWNER)


@pytest.fixture
def team_admin(team):
    """The team's admin (not ``admin_user``: that is pytest-django's superuser)."""
    return _member(team, "admin", Role.ADMIN)


@pytest.fixture
def developer(team):
    return _member(team, "developer", Role.DEVELOPER)


@pytest.fixture
def viewer(team):
    return _member(team, "viewer", Role.VIEWER)


@pytest.fixture
def outsider(other_team):
    return _member(other_team, "outsider", Role.OWNER)


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner) -> Client:
    return _client_for(owner)


@pytest.fixture
def team_admin_client(team_admin) -> Client:
    return _client_for(team_admin)


@pytest.fixture
def developer_client(developer) -> Client:
    return _client_for(developer)


@pytest.fixture
def viewer_client(viewer) -> Client:
    return _client_for(viewer)


@pytest.fixture
def outsider_client(outsider) -> Client:
    return _client_for(outsider)


@pytest.fixture
def make_application(team, region) -> Callable[..., Application]:
    def make(**fields) -> Application:
        number = next(_numbers)
        fields = {
            "team": team,
            "region": region,
            "name": f"App {number}",
            "slug": f"app-{number}",
            **fields,
        }
        return Application.objects.create(**fields)

    return make


@pytest.fixture
def make_database(team, region) -> Callable[..., Database]:
    def make(**fields) -> Database:
        number = next(_numbers)
        database = Database(
            **{
                "team": team,
                "region": region,
                "name": f"Database {number}",
                "slug": f"db-{number}",
                "engine": Engine.POSTGRESQL,
                "version": "16",
                **fields,
            }
        )
        database.derive_identifiers()
        database.save()
        return database

    return make


@pytest.fixture
def make_server(region) -> Callable[..., DatabaseServer]:
    """A registered server that is never contacted (its addresses are documentation ones)."""

    def make(**fields) -> DatabaseServer:
        number = next(_numbers)
        return DatabaseServer.objects.create(
            **{
                "name": f"pg-{number}",
                "engine": Engine.POSTGRESQL,
                "region": region,
                "admin_url": "postgresql://admin:Adm1n-pw@10.0.0.5:5432/postgres",
                "internal_host": "pg.fra1.internal",
                "internal_port": 5432,
                "public_host": "pg.fra1.example.net",
                "public_port": 25432,
                **fields,
            }
        )

    return make
