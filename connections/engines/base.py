"""What every engine shares: the interface, its results and errors, and the admin URL's parts.

Every implementation passes identifiers and passwords safely (``psycopg.sql``, driver
parameters, protocol arguments), never pasted into a statement. Errors come out as
:class:`EngineError`, whose message is safe to show: it never contains the admin URL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from connections.models import Database, DatabaseServer


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
    implementation: type[DatabaseEngine]


class DatabaseEngine(Protocol):
    """What the dashboard asks of a server. ``database`` carries the names; passwords are
    passed explicitly so a change can be applied before it is stored."""

    def __init__(self, server: DatabaseServer) -> None: ...

    def create(self, database: Database, password: str) -> None: ...

    def drop(self, database: Database) -> None: ...

    def set_password(self, database: Database, password: str) -> None: ...

    def probe(self, database: Database, password: str) -> ProbeResult: ...


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
