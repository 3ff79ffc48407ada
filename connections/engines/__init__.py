"""Talking to real database servers: one spec per engine (:class:`EngineSpec`), holding every fact
about the engine and the class that speaks to its servers.

Every implementation passes identifiers and passwords safely (``psycopg.sql``, driver
parameters, protocol arguments), never pasted into a statement. Errors come out as
:class:`EngineError`, whose message is safe to show: it never contains the admin URL.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.db import models

from connections.engines import mysql, postgresql, redis
from connections.engines.base import (
    SQL_VARIABLE_KEYS,
    Access,
    AdminURL,
    CannotEnforce,
    ClientTarget,
    DatabaseEngine,
    EngineError,
    EngineSpec,
    Login,
    ProbeResult,
    ServerReport,
    Unreachable,
)

if TYPE_CHECKING:
    from connections.models import DatabaseServer

__all__ = [
    "SQL_VARIABLE_KEYS",
    "Access",
    "AdminURL",
    "CannotEnforce",
    "ClientTarget",
    "DatabaseEngine",
    "Engine",
    "EngineError",
    "EngineSpec",
    "Login",
    "ProbeResult",
    "ServerReport",
    "Unreachable",
    "admin_url_problem",
    "engine_for",
]


class Engine(models.TextChoices):
    POSTGRESQL = "postgresql", "PostgreSQL"
    MYSQL = "mysql", "MySQL"
    MARIADB = "mariadb", "MariaDB"
    REDIS = "redis", "Redis"

    @property
    def spec(self) -> EngineSpec:
        """Every fact about this engine."""
        return SPECS[self]

    @property
    def internal_port(self) -> int:
        """The port is fixed by the engine; no one can change it."""
        return self.spec.internal_port

    @property
    def versions(self) -> tuple[str, ...]:
        """Versions the platform offers, newest first."""
        return self.spec.versions


SPECS = {
    Engine.POSTGRESQL: postgresql.SPEC,
    Engine.MYSQL: mysql.MYSQL_SPEC,
    Engine.MARIADB: mysql.MARIADB_SPEC,
    Engine.REDIS: redis.SPEC,
}


def engine_for(server: DatabaseServer) -> DatabaseEngine:
    """The implementation that speaks to ``server``."""
    return Engine(server.engine).spec.implementation(server)


# A % not followed by two hexadecimal digits: no escape at all, which drivers read differently.
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def admin_url_problem(url: str, engine: str) -> str | None:
    """What is wrong with ``url`` as the admin URL of a server of ``engine``, or None.

    Checked once, when the URL is saved, so that every reader (drivers, masks, the scrubbing of
    driver errors) finds the password where a URL parser puts it."""
    schemes = Engine(engine).spec.admin_url_schemes
    # A /, ? or # in the password ends the user part early: the rest of the password lands in
    # the path, the query or the fragment, where drivers and masks do not look for a secret.
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if "#" in url or parts is None or "@" in parts.path + parts.query:
        return (
            "Percent-encode the user and the password: write / as %2F, ? as %3F, # as %23, "
            "@ as %40, [ as %5B, ] as %5D and % as %25."
        )
    if _BAD_ESCAPE.search(parts.netloc.rpartition("@")[0]):
        return "A % in the user or the password starts an escape: write a literal % as %25."
    try:
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
