"""Real database servers for the tests: a throwaway PostgreSQL cluster that checks passwords
(scram-sha-256), and the machine's MariaDB and Redis.

Where a server is missing the tests that need it skip with the reason; with REQUIRE_SERVERS=1
(as in .ci/run) a missing server fails them instead.
"""

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from connections import enforcement, servers
from connections.engines import engine_for
from connections.models import DatabaseServer, Engine, RegionRange

LOOPBACK = ("127.0.0.0/8", "::1/128")


@dataclass(frozen=True)
class Endpoint:
    engine: str
    host: str
    port: int
    admin_url: str


def _unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_SERVERS") == "1":
        pytest.fail(f"REQUIRE_SERVERS=1 but {reason}")
    pytest.skip(reason)


def _listening(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@pytest.fixture(scope="session")
def postgresql_endpoint() -> Iterator[Endpoint]:
    """A PostgreSQL cluster of our own, started for the session, with password checks on."""
    bindir = _postgres_bin()
    if bindir is None:
        _unavailable("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin.")
    root = Path(tempfile.mkdtemp(prefix="harbor-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses root: run the cluster as the postgres system user.
        as_postgres = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres", "postgres")
    data, password = root / "data", secrets.token_urlsafe(16)
    pwfile = root / "pw"
    pwfile.write_text(password)
    if as_postgres:
        shutil.chown(pwfile, "postgres", "postgres")
    port = _free_port()
    run = lambda *cmd: subprocess.run([*as_postgres, *cmd], check=True, capture_output=True)  # noqa: E731
    run(
        str(bindir / "initdb"),
        "-D",
        str(data),
        "-U",
        "postgres",
        "--auth=scram-sha-256",
        f"--pwfile={pwfile}",
    )
    options = (
        f"-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} "
        "-c fsync=off"
    )
    run(
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(root / "log"),
        "-w",
        "start",
    )
    try:
        url = f"postgresql://postgres:{quote(password, safe='')}@127.0.0.1:{port}/postgres"
        yield Endpoint(Engine.POSTGRESQL, "127.0.0.1", port, url)
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def mariadb_endpoint() -> Endpoint:
    """The machine's MariaDB on 127.0.0.1:3306, root without a password."""
    host, port = "127.0.0.1", int(os.environ.get("MARIADB_PORT", "3306"))
    if not _listening(host, port):
        _unavailable(f"no MariaDB listening on {host}:{port}.")
    return Endpoint(Engine.MARIADB, host, port, f"mysql://root@{host}:{port}/")


@pytest.fixture(scope="session")
def redis_endpoint() -> Endpoint:
    """The machine's Redis on 127.0.0.1:6379."""
    host, port = "127.0.0.1", int(os.environ.get("REDIS_PORT", "6379"))
    if not _listening(host, port):
        _unavailable(f"no Redis listening on {host}:{port}.")
    return Endpoint(Engine.REDIS, host, port, f"redis://{host}:{port}/0")


def register(endpoint: Endpoint, region, *, public: bool = True) -> DatabaseServer:
    """A DatabaseServer row for ``endpoint`` in ``region`` (public endpoint: the same address),
    checked as the admin checks a server it registers."""
    server = DatabaseServer(
        name=f"{endpoint.engine}-{region.slug}-{secrets.token_hex(3)}",
        engine=endpoint.engine,
        region=region,
        admin_url=endpoint.admin_url,
        internal_host=endpoint.host,
        internal_port=endpoint.port,
        public_host=endpoint.host if public else "",
        public_port=endpoint.port if public else None,
    )
    servers.note_report(server, servers.inspect(server))
    server.save()
    # The test region's network is this machine's loopback, where the tests connect from.
    for network in LOOPBACK:
        RegionRange.objects.get_or_create(
            network=network, defaults={"region": region, "label": "this machine"}
        )
    return server


def offered_version(server: DatabaseServer) -> str:
    """The version a team would choose to land on ``server``: the offered one of its major."""
    spec = Engine(server.engine).spec
    major = spec.major(server.reported_version)
    return next(version for version in spec.versions if spec.major(version) == major)


def create_on_server(database, password: str | None = None) -> None:
    """Create ``database`` (recorded already) on its server as provisioning does: the database
    and its user, then the access its exposure allows."""
    engine_for(database.server).create(database, password or database.password)
    enforcement.enforce(database)


@pytest.fixture(params=["postgresql", "mariadb", "redis"])
def any_server(request, region) -> DatabaseServer:
    """Each real server in turn, registered in the test region."""
    return register(request.getfixturevalue(f"{request.param}_endpoint"), region)


@pytest.fixture(params=["postgresql", "mariadb"])
def sql_server(request, region) -> DatabaseServer:
    return register(request.getfixturevalue(f"{request.param}_endpoint"), region)
