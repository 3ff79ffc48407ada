"""The cast every test draws on: a team with an owner, an admin, a developer and a viewer; an
outsider who belongs to another team; an operator for the admin; their clients (plain, htmx,
with CSRF checks); regions; and factories for applications, databases and servers."""

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
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
BROWSER_TESTS = Path(__file__).parent / "browser"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse a test outside tests/browser/ that pytest-playwright would run in a browser.

    Naming one of its fixtures (``page``, ``context``, ``browser``), even as a parameter, makes
    a test a browser test: it then needs Chromium and is left out of the fast loop.
    """
    strays = [
        item.nodeid
        for item in items
        if "browser_name" in getattr(getattr(item, "callspec", None), "params", {})
        and BROWSER_TESTS not in item.path.parents
    ]
    if strays:
        raise pytest.UsageError(
            "Only tests/browser/ may name Playwright's fixtures (page, context, browser); "
            f"rename the parameter of: {', '.join(strays)}"
        )


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """On SQLite, the test database is a file, not memory.

    The browser tests' live server answers each request in a thread of its own; with an
    in-memory database Django hands every thread the test's one connection, so two requests at
    once (a modal's refresh beside its submit) share it and SQLite fails one of them. With a
    file, each thread opens its own connection, as a real deployment does.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(
            tmp_path_factory.mktemp("database") / "test.sqlite3"
        )


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Failure counters (unknown deploy tokens) and resolved environments (keyed by row ids, which
    a rolled-back test may hand out again) live in the cache: each test starts from none."""
    cache.clear()
    yield
    cache.clear()


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


def _client_for(user, *, htmx: bool = False, enforce_csrf_checks: bool = False) -> Client:
    """A client signed in as ``user``; ``htmx`` sends ``HX-Request`` with every request, as htmx
    does; ``enforce_csrf_checks`` refuses a POST without the token, as browsers get refused."""
    client = Client(
        enforce_csrf_checks=enforce_csrf_checks, headers={"HX-Request": "true"} if htmx else None
    )
    client.force_login(user)
    return client


@pytest.fixture
def client_for() -> Callable[..., Client]:
    """Build a client for any member: ``client_for(viewer, htmx=True)``."""
    return _client_for


@pytest.fixture
def owner_client(owner) -> Client:
    return _client_for(owner)


@pytest.fixture
def team_admin_client(team_admin) -> Client:
    return _client_for(team_admin)


@pytest.fixture
def admin_htmx_client(team_admin) -> Client:
    """An admin of the team whose requests come from htmx."""
    return _client_for(team_admin, htmx=True)


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
def htmx_client(developer) -> Client:
    """The developer's browser with htmx: every request carries ``HX-Request``."""
    return _client_for(developer, htmx=True)


@pytest.fixture
def csrf_client(developer) -> Client:
    """The developer, with CSRF checks on: a POST without the token is refused."""
    return _client_for(developer, enforce_csrf_checks=True)


@pytest.fixture
def operator_client(db) -> Client:
    """An operator: a superuser of the admin, member of no team."""
    operator = get_user_model().objects.create_superuser("operator", password="op-password-1")
    return _client_for(operator)


@pytest.fixture
def page_queries(django_assert_max_num_queries, django_assert_num_queries) -> Callable[..., int]:
    """Query budgets for pages, through pytest-django's fixtures.

    ``page_queries(client, url, at_most=N)`` gets the page within N queries and returns how
    many it took; ``page_queries(client, url, exactly=n)`` asserts exactly ``n``. The page is
    visited once before counting: the first visit of a team stores it in the session.
    """

    def visit(client: Client, url: str, *, at_most: int = 0, exactly: int | None = None) -> int:
        client.get(url)
        if exactly is None:
            counting = django_assert_max_num_queries(at_most)
        else:
            counting = django_assert_num_queries(exactly)
        with counting as captured:
            assert client.get(url).status_code == 200
            # Counted now: the next request clears the connection's query log.
            return len(captured)

    return visit


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


@pytest.fixture
def app(make_application) -> Application:
    return make_application(name="Storefront", slug="storefront")


@pytest.fixture
def database(make_database) -> Database:
    return make_database(name="Shop DB", slug="shop-db")
