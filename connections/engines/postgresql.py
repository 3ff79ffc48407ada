"""PostgreSQL through psycopg: a role and a database it owns, closed to everyone else."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from connections.engines.base import (
    ClientTarget,
    EngineError,
    EngineSpec,
    ProbeResult,
    Timer,
    safe_message,
)

if TYPE_CHECKING:
    from connections.models import Database, DatabaseServer

CONNECT_TIMEOUT = 5


class PostgreSQLEngine:
    def __init__(self, server: DatabaseServer) -> None:
        self.server = server

    def _admin(self) -> psycopg.Connection:
        try:
            return psycopg.connect(
                self.server.admin_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT
            )
        except psycopg.Error as error:
            raise EngineError(
                f"Cannot reach the server: {safe_message(error, self.server)}"
            ) from None

    def _run(self, *statements: sql.Composable) -> None:
        with self._admin() as connection:
            try:
                for statement in statements:
                    connection.execute(statement)
            except psycopg.Error as error:
                raise EngineError(
                    f"The server refused: {safe_message(error, self.server)}"
                ) from None

    def create(self, database: Database, password: str) -> None:
        role, name = sql.Identifier(database.username), sql.Identifier(database.database_name)
        drop_role = sql.SQL("DROP ROLE {}").format(role)
        drop_database = sql.SQL("DROP DATABASE {} WITH (FORCE)").format(name)
        # Each step is undone if a later one fails, and only what this call created is undone:
        # a name that already existed belongs to someone else.
        self._run(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(password)))
        self._undoing(drop_role, sql.SQL("CREATE DATABASE {} OWNER {}").format(name, role))
        # Nobody but its owner may connect; other roles of the server get nothing.
        revoke = sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(name)
        self._undoing(drop_database, revoke, then=drop_role)

    def _undoing(
        self, undo: sql.Composable, step: sql.Composable, then: sql.Composable | None = None
    ) -> None:
        try:
            self._run(step)
        except EngineError:
            self._run(undo, *([then] if then else []))
            raise

    def drop(self, database: Database) -> None:
        self._run(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(database.database_name)
            ),
            sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(database.username)),
        )

    def set_password(self, database: Database, password: str) -> None:
        self._run(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(database.username), sql.Literal(password)
            )
        )

    def probe(self, database: Database, password: str) -> ProbeResult:
        timer = Timer()
        try:
            with psycopg.connect(
                host=self.server.internal_host,
                port=self.server.internal_port,
                user=database.username,
                password=password,
                dbname=database.database_name,
                connect_timeout=CONNECT_TIMEOUT,
            ) as connection:
                version = connection.execute("SHOW server_version").fetchone()[0]
                tls = bool(connection.info.pgconn.ssl_in_use)
        except psycopg.Error as error:
            return ProbeResult(ok=False, error=" ".join(str(error).split()))
        return ProbeResult(
            ok=True, version=f"PostgreSQL {version}", tls=tls, round_trip_ms=timer.elapsed_ms
        )


def client_command(target: ClientTarget) -> str:
    """psql takes the whole URL, TLS included."""
    return f"psql {shlex.quote(target.url)}"


SPEC = EngineSpec(
    internal_port=5432,
    versions=("17", "16", "15"),
    url_scheme="postgresql",
    tls_url_scheme="postgresql",
    tls_url_query="?sslmode=require",
    url_path_is_database=True,
    admin_url_schemes=("postgresql", "postgres"),
    tls_hint="add sslmode=require to the connection URL",
    client_command=client_command,
    implementation=PostgreSQLEngine,
)
