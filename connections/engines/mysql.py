"""MySQL and MariaDB through PyMySQL: a user granted its own database only.

Identifiers cannot be bound as parameters in MySQL, so they are quoted with backticks (and
the dashboard only ever creates lower-case identifiers, see ``IDENTIFIER_PATTERN``); user
names, hosts and passwords always go through the driver's parameters.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING

import pymysql

from connections.engines.base import (
    AdminURL,
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
# The account's host part; the exposure rules narrow it when they are enforced on servers.
ANY_HOST = "%"


def quote_identifier(name: str) -> str:
    """A backtick-quoted identifier, any backtick inside doubled."""
    return "`" + name.replace("`", "``") + "`"


class MySQLEngine:
    def __init__(self, server: DatabaseServer) -> None:
        self.server = server

    def _admin(self) -> pymysql.Connection:
        url = AdminURL.parse(self.server.admin_url)
        try:
            return pymysql.connect(
                host=url.host,
                port=url.port or 3306,
                user=url.user,
                password=url.password,
                connect_timeout=CONNECT_TIMEOUT,
                autocommit=True,
            )
        except pymysql.MySQLError as error:
            raise EngineError(
                f"Cannot reach the server: {safe_message(error, self.server)}"
            ) from None

    def _run(self, *statements: tuple[str, tuple]) -> None:
        connection = self._admin()
        try:
            with connection.cursor() as cursor:
                for statement, parameters in statements:
                    cursor.execute(statement, parameters)
        except pymysql.MySQLError as error:
            raise EngineError(f"The server refused: {safe_message(error, self.server)}") from None
        finally:
            connection.close()

    def create(self, database: Database, password: str) -> None:
        name = quote_identifier(database.database_name)
        user = (database.username, ANY_HOST)
        drop_database = (f"DROP DATABASE {name}", ())
        drop_user = ("DROP USER %s@%s", user)
        # Each step is undone if a later one fails, and only what this call created is undone:
        # a name that already existed belongs to someone else.
        self._run((f"CREATE DATABASE {name}", ()))
        undo = [drop_database]
        for step, created in (
            (("CREATE USER %s@%s IDENTIFIED BY %s", (*user, password)), drop_user),
            ((f"GRANT ALL PRIVILEGES ON {name}.* TO %s@%s", user), None),
        ):
            try:
                self._run(step)
            except EngineError:
                self._run(*reversed(undo))
                raise
            if created:
                undo.append(created)

    def drop(self, database: Database) -> None:
        self._run(
            (f"DROP DATABASE IF EXISTS {quote_identifier(database.database_name)}", ()),
            ("DROP USER IF EXISTS %s@%s", (database.username, ANY_HOST)),
        )

    def set_password(self, database: Database, password: str) -> None:
        self._run(("ALTER USER %s@%s IDENTIFIED BY %s", (database.username, ANY_HOST, password)))

    def probe(self, database: Database, password: str) -> ProbeResult:
        timer = Timer()
        try:
            connection = pymysql.connect(
                host=self.server.internal_host,
                port=self.server.internal_port,
                user=database.username,
                # Bytes: PyMySQL would encode a str as latin-1, the server hashed UTF-8.
                password=password.encode(),
                database=database.database_name,
                connect_timeout=CONNECT_TIMEOUT,
            )
        except pymysql.MySQLError as error:
            return ProbeResult(ok=False, error=" ".join(str(error).split()))
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT VERSION()")
                version = cursor.fetchone()[0]
                cursor.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
                row = cursor.fetchone()
        finally:
            connection.close()
        return ProbeResult(
            ok=True,
            version=version,
            tls=bool(row and row[1]),
            round_trip_ms=timer.elapsed_ms,
        )


def _client_command(tls_flag: str) -> Callable[[ClientTarget], str]:
    def client_command(target: ClientTarget) -> str:
        """The mysql client, every value its own argument so any password survives."""
        return shlex.join(
            [
                "mysql",
                f"--host={target.host}",
                f"--port={target.port}",
                f"--user={target.user}",
                f"--password={target.password}",
                *([tls_flag] if target.tls else []),
                target.database_name,
            ]
        )

    return client_command


MYSQL_SPEC = EngineSpec(
    internal_port=3306,
    versions=("8.4", "8.0"),
    url_scheme="mysql",
    tls_url_scheme="mysql",
    tls_url_query="?ssl-mode=REQUIRED",
    url_path_is_database=True,
    admin_url_schemes=("mysql", "mariadb"),
    tls_hint="connect with ssl-mode=REQUIRED",
    client_command=_client_command("--ssl-mode=REQUIRED"),
    implementation=MySQLEngine,
)
MARIADB_SPEC = EngineSpec(
    internal_port=3306,
    versions=("11.4", "10.11"),
    url_scheme="mysql",
    tls_url_scheme="mysql",
    tls_url_query="?ssl-mode=REQUIRED",
    url_path_is_database=True,
    admin_url_schemes=("mysql", "mariadb"),
    tls_hint="connect with --ssl (ssl=true in most drivers)",
    client_command=_client_command("--ssl"),
    implementation=MySQLEngine,
)
