"""Talking to real database servers: one small interface, one implementation per engine.

Every implementation passes identifiers and passwords safely (``psycopg.sql``, driver
parameters, protocol arguments), never pasted into a statement. Errors come out as
:class:`EngineError`, whose message is safe to show: it never contains the admin URL.
"""

import time
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote, urlsplit

from connections.models import Database, DatabaseServer, Engine


class EngineError(Exception):
    """The server refused or could not be reached; the message is safe to show to users."""


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
    def parse(cls, url: str) -> "AdminURL":
        parts = urlsplit(url)
        return cls(
            scheme=parts.scheme,
            host=parts.hostname or "127.0.0.1",
            port=parts.port,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            path=parts.path.lstrip("/"),
        )


ADMIN_URL_SCHEMES = {
    Engine.POSTGRESQL: ("postgresql", "postgres"),
    Engine.MYSQL: ("mysql", "mariadb"),
    Engine.MARIADB: ("mysql", "mariadb"),
    Engine.REDIS: ("redis", "rediss"),
}


def admin_url_problem(url: str, engine: str) -> str | None:
    """What is wrong with ``url`` as the admin URL of a server of ``engine``, or None."""
    schemes = ADMIN_URL_SCHEMES[Engine(engine)]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (parsing the port is the check)
    except ValueError:
        return "This is not a URL with a valid port."
    if parts.scheme not in schemes:
        starts = " or ".join(f"{scheme}://" for scheme in schemes)
        return f"A {Engine(engine).label} admin URL starts with {starts}."
    if not parts.hostname:
        return "The URL needs a host."
    if "password" in parts.query.lower():
        return "Put the password in the URL's user part (user:password@host), not in its query."
    return None


class DatabaseEngine(Protocol):
    """What the dashboard asks of a server. ``database`` carries the names; passwords are
    passed explicitly so a change can be applied before it is stored."""

    def create(self, database: Database, password: str) -> None: ...

    def drop(self, database: Database) -> None: ...

    def set_password(self, database: Database, password: str) -> None: ...

    def probe(self, database: Database, password: str) -> ProbeResult: ...


def engine_for(server: DatabaseServer) -> DatabaseEngine:
    """The implementation that speaks to ``server``."""
    from connections.engines import mysql, postgresql, redis

    match Engine(server.engine):
        case Engine.POSTGRESQL:
            return postgresql.PostgreSQLEngine(server)
        case Engine.MYSQL | Engine.MARIADB:
            return mysql.MySQLEngine(server)
        case Engine.REDIS:
            return redis.RedisEngine(server)


def safe_message(error: BaseException, server: DatabaseServer) -> str:
    """A driver's error text without anything of the admin URL's secret in it."""
    text = " ".join(str(error).split()) or type(error).__name__
    secret = AdminURL.parse(server.admin_url).password
    if secret:
        text = text.replace(secret, "••••")
    return text.replace(server.admin_url, "the admin URL")


class Timer:
    """Milliseconds since creation, for round-trip times."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def elapsed_ms(self) -> float:
        return round((time.perf_counter() - self.start) * 1000, 1)
