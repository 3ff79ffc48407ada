"""What every engine shares: the interface, its results and errors, and the admin URL's parts.

Every implementation passes identifiers and passwords safely (``psycopg.sql``, driver
parameters, protocol arguments), never pasted into a statement. Errors come out as
:class:`EngineError`, whose message is safe to show: it never contains the admin URL.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from connections.models import Database, DatabaseServer

type IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class EngineError(Exception):
    """The server refused or could not be reached.

    ``str()`` is safe to show to team members: it never holds the driver's own text, which may
    name the server's admin user. ``detail`` is that text with the admin URL and password
    masked, for operators and logs.
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class Unreachable(EngineError):
    """The server did not answer in time; trying again later may work."""


class CannotEnforce(EngineError):
    """The server cannot hold an exposure setting (no rights, no TLS, an engine limit); the
    message says which, in words for the team."""


def unreachable(error: BaseException, server: DatabaseServer) -> Unreachable:
    return Unreachable("Cannot reach the server.", operator_detail(error, server))


def refused(error: BaseException, server: DatabaseServer, reason: str = "") -> EngineError:
    """The server said no. ``reason`` is a safe sentence for the team, when the cause is known."""
    message = f"The server refused: {reason}" if reason else "The server refused the change."
    return EngineError(message, operator_detail(error, server))


@dataclass(frozen=True)
class Access:
    """Who may connect to one database: its users (with their passwords, which engines that
    keep one account per source need), from which networks, and whether only with TLS. The
    users in ``read_only`` (connection credentials) may read and never write."""

    database_name: str
    users: dict[str, str]
    networks: tuple[IPNetwork, ...]
    force_tls: bool
    read_only: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Login:
    """A connection's own credential on the server: a user of one database only."""

    user: str
    password: str
    read_only: bool


@dataclass(frozen=True)
class ServerReport:
    """What a server says of itself when checked."""

    product: str  # the engine it really is: postgresql, mariadb, mysql or redis
    version: str  # as it reports it, e.g. "15.19" or "10.11.19"
    tls: bool  # whether it accepts TLS connections at all
    can_enforce: bool
    enforce_problem: str = ""  # why not, in words safe to show to teams


@dataclass(frozen=True)
class ProbeResult:
    """What connecting with a database's own credentials found."""

    ok: bool
    version: str = ""
    tls: bool = False
    round_trip_ms: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class AdminURL:
    """The parts of a server's admin URL, decoded."""

    scheme: str
    host: str
    port: int | None
    user: str
    password: str
    path: str

    @classmethod
    def parse(cls, url: str) -> AdminURL:
        parts = urlsplit(url)
        return cls(
            scheme=parts.scheme,
            host=parts.hostname or "127.0.0.1",
            port=parts.port,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            path=parts.path.lstrip("/"),
        )


@dataclass(frozen=True)
class ClientTarget:
    """Where and as whom a client connects: what a ready command line needs."""

    url: str
    host: str
    port: int
    user: str
    password: str
    database_name: str
    tls: bool


@dataclass(frozen=True)
class EngineSpec:
    """Every fact about one engine, in one place, with the class that talks to its servers."""

    internal_port: int  # fixed by the engine: no one can change it
    versions: tuple[str, ...]  # offered, newest first
    url_scheme: str
    # With Force TLS on, the URL itself asks for TLS, so clients that follow it cannot forget.
    tls_url_scheme: str
    tls_url_query: str
    url_path_is_database: bool  # Redis URLs name a logical database number instead
    admin_url_schemes: tuple[str, ...]
    tls_hint: str  # what a client changes to connect with TLS, in its own words
    client_command: Callable[[ClientTarget], str]
    # The part of a version that must match for a database to live on a server (15.19 → 15).
    major: Callable[[str], str]
    # Why the engine cannot admit a source network ("" when it can), said before a rule is added.
    network_problem: Callable[[IPNetwork], str]
    implementation: type[DatabaseEngine]
    # The key each connection detail's variable is proposed under (LinkedField's values: host,
    # port, name, user, password, url), in the words the engine's clients look for.
    variable_keys: Mapping[str, str]


# What SQL clients and frameworks read (Heroku's DATABASE_URL and the usual DB_* names).
SQL_VARIABLE_KEYS: Mapping[str, str] = {
    "host": "DB_HOST",
    "port": "DB_PORT",
    "name": "DB_NAME",
    "user": "DB_USER",
    "password": "DB_PASSWORD",
    "url": "DATABASE_URL",
}


def any_network(network: IPNetwork) -> str:
    """For engines that can admit any range, or enforce none."""
    return ""


class DatabaseEngine(Protocol):
    """What the dashboard asks of a server. ``database`` carries the names; passwords are
    passed explicitly so a change can be applied before it is stored."""

    per_server: bool

    def __init__(self, server: DatabaseServer) -> None: ...

    def create(self, database: Database, password: str) -> None: ...

    def drop(self, database: Database, logins: Sequence[str] = ()) -> None:
        """Drop the database, its main user and the connection credentials ``logins``."""
        ...

    def set_password(self, database: Database, password: str) -> None: ...

    def probe(self, database: Database, password: str) -> ProbeResult: ...

    def create_login(self, database: Database, access: Access, login: Login) -> None:
        """Create (or finish creating) a connection credential with rights on ``database``
        only, read-only when it says so; admitted as ``access`` says. Safe to repeat."""
        ...

    def drop_login(self, database: Database, user: str) -> None:
        """Revoke a connection credential: refuse it from now on and end its open sessions.
        Safe to repeat (a user already gone is no error)."""
        ...

    def logins(self, database: Database) -> set[str]:
        """The users the server holds with rights on ``database``, its main user aside: what
        the drift check compares with the connection credentials."""
        ...

    def sessions(self, users: Sequence[str]) -> dict[str, int]:
        """Open sessions per user, for ``users``, read from the server in one round trip."""
        ...

    def inspect(self) -> ServerReport:
        """Connect as the admin: product, version, TLS, and whether exposure can be enforced."""
        ...

    def apply_access(self, accesses: Sequence[Access]) -> None:
        """Make the server admit exactly what ``accesses`` say, ending sessions it no longer
        admits. Engines with one file for the whole server (``per_server``) take every
        database of the server at once; the others take the databases to change."""
        ...

    def access_drift(self, accesses: Sequence[Access]) -> list[str]:
        """How the server's access differs from ``accesses``, one sentence each."""
        ...

    def missing(self, database: Database) -> list[str]:
        """What of ``database`` (its database, its user) the server does not hold."""
        ...


def _admin_secrets(url: str) -> list[str]:
    """The admin URL's password as written and decoded, and its whole user part, longest first.

    Plain string work, not a URL parser: it must find them whatever characters they hold, even
    in a URL saved before admin URLs were validated."""
    userinfo = url.partition("://")[2].rpartition("@")[0]
    password = userinfo.partition(":")[2]
    found = {password, unquote(password), userinfo if password else ""} - {""}
    return sorted(found, key=len, reverse=True)


def operator_detail(error: BaseException, server: DatabaseServer) -> str:
    """A driver's error text without anything of the admin URL's secret in it: for operators."""
    text = " ".join(str(error).split()) or type(error).__name__
    text = text.replace(server.admin_url, "the admin URL")
    for secret in _admin_secrets(server.admin_url):
        text = text.replace(secret, "••••")
    return text


def probe_failure(error: BaseException, server: DatabaseServer) -> ProbeResult:
    """A failed probe. It connects with the database's own credentials, whose driver text the
    team may read; nothing of the admin's (URL, password, user name) may reach it, whatever
    the driver says."""
    text = operator_detail(error, server)
    admin_user = unquote(server.admin_url.partition("://")[2].rpartition("@")[0].partition(":")[0])
    if admin_user:
        text = re.sub(rf"(?<![\w$]){re.escape(admin_user)}(?![\w$])", "the admin user", text)
    return ProbeResult(ok=False, error=text)


class Timer:
    """Milliseconds since creation, for round-trip times."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def elapsed_ms(self) -> float:
        return round((time.perf_counter() - self.start) * 1000, 1)
