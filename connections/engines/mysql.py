"""MySQL and MariaDB through PyMySQL: a user granted its own database only, as one account per
source the database admits.

These engines have no pg_hba.conf: an account is a user at a host pattern, and a connection is
admitted only by the most specific account whose pattern matches the client's address. So a
database's exposure is its user's set of accounts: one per allowed network (an IPv4 range as
``address/netmask``, an IPv6 address exactly; an IPv6 range cannot be written and is refused),
each with ``REQUIRE SSL`` when Force TLS is on, and ``%`` only when everyone is admitted.
Accounts change in an order that never widens access: new ones first, then the kept ones'
TLS requirement, then the removed ones; open sessions the new accounts refuse are ended.

Identifiers cannot be bound as parameters in MySQL, so they are quoted with backticks (and
the dashboard only ever creates lower-case identifiers, see ``IDENTIFIER_PATTERN``); user
names, hosts and passwords always go through the driver's parameters.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import shlex
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pymysql
from django.conf import settings

from connections.engines.base import (
    SQL_VARIABLE_KEYS,
    Access,
    AdminURL,
    CannotEnforce,
    ClientTarget,
    EngineError,
    EngineSpec,
    IPNetwork,
    Login,
    ProbeResult,
    ServerReport,
    Timer,
    probe_failure,
    refused,
    unreachable,
)

if TYPE_CHECKING:
    from connections.models import Database, DatabaseServer

EVERYONE = {ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")}
# A zero netmask ("0.0.0.0/0.0.0.0") matches nothing: all of IPv4 is its two halves.
ALL_IPV4 = ["0.0.0.0/128.0.0.0", "128.0.0.0/128.0.0.0"]
DUPLICATE = {1007: "that name is taken.", 1396: "a user of that name already exists."}
REQUIRED_GRANTS = ("CREATE USER", "GRANT OPTION")
# How many objects run with a user's rights whoever invokes them, the user named as definer.
DEFINED_BY = (
    "SELECT COUNT(*) FROM ("
    "SELECT DEFINER FROM information_schema.VIEWS UNION ALL "
    "SELECT DEFINER FROM information_schema.TRIGGERS UNION ALL "
    "SELECT DEFINER FROM information_schema.ROUTINES UNION ALL "
    "SELECT DEFINER FROM information_schema.EVENTS"
    ") AS objects WHERE LEFT(DEFINER, CHAR_LENGTH(%s) + 1) = CONCAT(%s, '@')"
)
# The users with rights on a database whose every account is locked, per product: MariaDB
# keeps an account's lock in mysql.global_priv's JSON, MySQL in mysql.user.
LOCKED_USERS = {
    "mariadb": "SELECT User FROM mysql.global_priv "
    "WHERE User IN (SELECT User FROM mysql.db WHERE Db = %s) GROUP BY User "
    "HAVING SUM(COALESCE(JSON_EXTRACT(Priv, '$.account_locked'), 'false') <> 'true') = 0",
    "mysql": "SELECT User FROM mysql.user "
    "WHERE User IN (SELECT User FROM mysql.db WHERE Db = %s) GROUP BY User "
    "HAVING SUM(account_locked <> 'Y') = 0",
}

logger = logging.getLogger(__name__)


def quote_identifier(name: str) -> str:
    """A backtick-quoted identifier, any backtick inside doubled."""
    return "`" + name.replace("`", "``") + "`"


def unexpressible(network: IPNetwork) -> bool:
    """An IPv6 range: account host patterns take an exact IPv6 address, never a range."""
    return network.version == 6 and 0 < network.prefixlen < 128


def network_problem(network: IPNetwork) -> str:
    """Why an account host cannot admit ``network``: an IPv6 range has no host pattern."""
    if unexpressible(network):
        return (
            f"MySQL and MariaDB cannot admit an IPv6 range ({network}): their accounts take "
            "single IPv6 addresses only. Add each address, or use an IPv4 range."
        )
    return ""


def account_hosts(networks: Sequence[IPNetwork]) -> list[str]:
    """The host patterns that admit exactly ``networks``.

    Raises :class:`CannotEnforce` for an IPv6 range, which no account host can express.
    """
    wanted = set(networks)
    if wanted >= EVERYONE:
        return ["%"]
    if ranges := [str(n) for n in networks if unexpressible(n)]:
        raise CannotEnforce(
            f"MySQL and MariaDB accounts cannot admit an IPv6 range ({', '.join(ranges)}); "
            "only single IPv6 addresses."
        )
    hosts: list[str] = []
    for network in networks:
        if network.version == 6 and network.prefixlen == 0:
            raise CannotEnforce("MySQL and MariaDB accounts cannot admit all of IPv6 alone.")
        if network.version == 4 and network.prefixlen == 0:
            hosts += ALL_IPV4
        elif network.num_addresses == 1:
            hosts.append(str(network.network_address))
        else:
            hosts.append(f"{network.network_address}/{network.netmask}")
    return list(dict.fromkeys(hosts))


def host_network(host: str) -> IPNetwork | None:
    """The network an account host pattern admits, for the ones the dashboard writes."""
    if host == "%":
        return None
    address, _, mask = host.partition("/")
    return ipaddress.ip_network(f"{address}/{mask}" if mask else address)


class MySQLEngine:
    per_server = False

    def __init__(self, server: DatabaseServer) -> None:
        self.server = server

    def _admin(self) -> pymysql.Connection:
        url = AdminURL.parse(self.server.admin_url)
        try:
            return pymysql.connect(
                host=url.host,
                port=url.port or 3306,
                user=url.user,
                password=url.password.encode(),
                connect_timeout=settings.SERVER_TIMEOUT,
                read_timeout=settings.SERVER_TIMEOUT * 4,
                autocommit=True,
            )
        except pymysql.MySQLError as error:
            raise unreachable(error, self.server) from None

    def _query(self, statement: str, parameters: Sequence[Any] = ()) -> list[tuple]:
        connection = self._admin()
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement, parameters)
                return list(cursor.fetchall())
        except pymysql.MySQLError as error:
            raise refused(error, self.server) from None
        finally:
            connection.close()

    def _run(self, *statements: tuple[str, Sequence[Any]]) -> None:
        connection = self._admin()
        try:
            with connection.cursor() as cursor:
                for statement, parameters in statements:
                    cursor.execute(statement, parameters)
        except pymysql.MySQLError as error:
            code = error.args[0] if error.args else 0
            raise refused(error, self.server, DUPLICATE.get(code, "")) from None
        finally:
            connection.close()

    def _accounts(self, user: str) -> dict[str, str]:
        """The user's accounts: host pattern → ssl_type ('' none, 'ANY' REQUIRE SSL)."""
        rows = self._query("SELECT Host, ssl_type FROM mysql.user WHERE User = %s", [user])
        return {host: ssl_type for host, ssl_type in rows}

    def create(self, database: Database, password: str) -> None:
        """Create the database; its user's accounts come with the exposure (apply_access)."""
        if self._accounts(database.username):
            raise EngineError("The server refused: a user of that name already exists.")
        self._run((f"CREATE DATABASE {quote_identifier(database.database_name)}", ()))

    def drop(self, database: Database, logins: Sequence[str] = ()) -> None:
        # Revoked logins kept locked as definers: their objects go with the database.
        kept = self._locked_users(database)
        name = quote_identifier(database.database_name)
        self._run((f"DROP DATABASE IF EXISTS {name}", ()))
        for user in dict.fromkeys((database.username, *logins, *kept)):
            self._drop_user(user)

    def _drop_user(self, user: str) -> None:
        """Every account of ``user``, then its open sessions (a session outlives its account)."""
        accounts = self._accounts(user)
        if accounts:
            self._run(*[("DROP USER IF EXISTS %s@%s", (user, host)) for host in accounts])
        self._kill_sessions(user, lambda host: True)

    # Connection credentials: users with grants on the database's schema only

    def create_login(self, database: Database, access: Access, login: Login) -> None:
        """The login's accounts, one per source ``access`` admits, exactly as for the main
        user, with all rights on the database's schema, or SELECT only."""
        self.apply_access(
            [
                Access(
                    database_name=access.database_name,
                    users={login.user: login.password},
                    networks=access.networks,
                    force_tls=access.force_tls,
                    read_only=frozenset({login.user}) if login.read_only else frozenset(),
                )
            ]
        )

    def drop_login(self, database: Database, user: str) -> None:
        """Lock every account of ``user`` and end its sessions; drop the accounts unless a
        view, trigger, routine or event names the user as its definer.

        Such objects (created by migrations run as this login) fail for everyone once their
        definer is gone, and MySQL 8.0.22+ refuses to drop it. A locked account admits no one
        but its objects keep working, so it stays, with its grants (which its objects run
        with), until the database is dropped.
        """
        accounts = self._accounts(user)
        if accounts:
            self._run(*[("ALTER USER %s@%s ACCOUNT LOCK", (user, host)) for host in accounts])
        self._kill_sessions(user, lambda host: True)
        (defined,), *_ = self._query(DEFINED_BY, [user, user])
        if not defined:
            self._drop_user(user)
        elif accounts:
            logger.info(
                "Revoked %s on %s: its accounts stay locked, %d objects name it as definer.",
                user,
                self.server.name,
                defined,
            )

    def _locked_users(self, database: Database) -> set[str]:
        """Users with rights on ``database`` whose every account is locked: revoked logins
        kept as definers (``drop_login``)."""
        query = LOCKED_USERS["mariadb" if self.server.engine == "mariadb" else "mysql"]
        rows = self._query(query, [database.database_name])
        return {user for (user,) in rows}

    def logins(self, database: Database) -> set[str]:
        """The users with rights on the database, but the locked ones: a revoked login kept
        as a definer admits no one, so it is no credential to compare."""
        rows = self._query(
            "SELECT DISTINCT User FROM mysql.db WHERE Db = %s", [database.database_name]
        )
        found = {user for (user,) in rows} - {database.username}
        return found - self._locked_users(database) if found else found

    def sessions(self, users: Sequence[str]) -> dict[str, int]:
        if not users:
            return {}
        # One placeholder per user: the names themselves go through the driver's parameters.
        marks = ", ".join(["%s"] * len(users))
        query = "SELECT USER, COUNT(*) FROM information_schema.PROCESSLIST WHERE USER IN ({}) "
        rows = self._query(query.format(marks) + "GROUP BY USER", list(users))
        return {user: count for user, count in rows}

    def set_password(self, database: Database, password: str) -> None:
        # A user admitted from nowhere has no account: the new password is the one its
        # accounts get when a rule admits a source (apply_access). Without its database
        # either, the database went behind the dashboard's back.
        accounts = self._accounts(database.username)
        if not accounts and not self._schema_exists(database.database_name):
            raise EngineError("The server refused: the database is missing on the server.")
        if accounts:
            self._run(
                *[
                    ("ALTER USER %s@%s IDENTIFIED BY %s", (database.username, host, password))
                    for host in accounts
                ]
            )

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
                connect_timeout=settings.SERVER_TIMEOUT,
                ssl={"check_hostname": False} if database.force_tls else None,
            )
        except pymysql.MySQLError as error:
            return probe_failure(error, self.server)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT VERSION()")
                found = cursor.fetchone()
                assert found is not None  # SELECT VERSION() always returns its one row
                version = found[0]
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

    # The server and its accounts

    def inspect(self) -> ServerReport:
        (version, have_ssl), *_ = self._query("SELECT VERSION(), @@have_ssl")
        grants = " ".join(row[0] for row in self._query("SHOW GRANTS")).upper()
        can_enforce = "ALL PRIVILEGES ON *.*" in grants and "WITH GRANT OPTION" in grants
        can_enforce = can_enforce or all(grant in grants for grant in REQUIRED_GRANTS)
        problem = (
            ""
            if can_enforce
            else "The server's admin account may not create accounts and grant rights."
        )
        product = "mariadb" if "mariadb" in version.lower() else "mysql"
        return ServerReport(product, version.split("-")[0], have_ssl == "YES", can_enforce, problem)

    def apply_access(self, accesses: Sequence[Access]) -> None:
        for access in accesses:
            hosts = account_hosts(access.networks)
            require = "REQUIRE SSL" if access.force_tls else "REQUIRE NONE"
            wanted_ssl = "ANY" if access.force_tls else ""
            name = quote_identifier(access.database_name)
            for user, password in access.users.items():
                rights = "SELECT" if user in access.read_only else "ALL PRIVILEGES"
                have = self._accounts(user)
                steps: list[tuple[str, Sequence[Any]]] = []
                for host in hosts:
                    if host not in have:
                        steps.append(
                            (
                                f"CREATE USER %s@%s IDENTIFIED BY %s {require}",
                                (user, host, password),
                            )
                        )
                    elif have[host] != wanted_ssl:
                        steps.append((f"ALTER USER %s@%s {require}", (user, host)))
                    # Every time, not only with CREATE USER: an account whose GRANT failed
                    # after it was created gets its rights on the next run (GRANT repeats).
                    steps.append((f"GRANT {rights} ON {name}.* TO %s@%s", (user, host)))
                steps += [("DROP USER %s@%s", (user, host)) for host in have if host not in hosts]
                if steps:
                    self._run(*steps)
                admitted = [host_network(host) for host in hosts]

                def refuses(address: str, admitted: list[IPNetwork | None] = admitted) -> bool:
                    ip = ipaddress.ip_address(address)
                    return not any(n is None or (ip in n) for n in admitted)

                # Open sessions outlive their account: end those the accounts no longer admit,
                # and, when TLS is required, every session over the network (the process list
                # does not say which use TLS; those that do reconnect at once).
                self._kill_sessions(user, (lambda address: True) if access.force_tls else refuses)

    def _kill_sessions(self, user: str, ends: Callable[[str], bool]) -> None:
        rows = self._query(
            "SELECT ID, HOST FROM information_schema.PROCESSLIST "
            "WHERE USER = %s AND ID <> CONNECTION_ID()",
            [user],
        )
        for session, host in rows:
            address = host.rpartition(":")[0].strip("[]") if ":" in host else ""
            if not address:
                continue  # a local socket: not governed by host patterns
            if ends(address):
                with contextlib.suppress(EngineError):  # it may have ended on its own meanwhile
                    self._run(("KILL CONNECTION %s", (session,)))

    def access_drift(self, accesses: Sequence[Access]) -> list[str]:
        differences = []
        for access in accesses:
            hosts = account_hosts(access.networks)
            wanted_ssl = "ANY" if access.force_tls else ""
            for user in access.users:
                have = self._accounts(user)
                differences += [f"{user} has no account at {h}." for h in hosts if h not in have]
                differences += [
                    f"{user} has an extra account at {host}." for host in have if host not in hosts
                ]
                differences += [
                    f"{user}@{host} {'lacks' if access.force_tls else 'has'} REQUIRE SSL."
                    for host in hosts
                    if host in have and have[host] != wanted_ssl
                ]
        return differences

    def _schema_exists(self, name: str) -> bool:
        return bool(
            self._query(
                "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                [name],
            )
        )

    def missing(self, database: Database) -> list[str]:
        # A user admitted from nowhere has no account, so only the database can be missing.
        exists = self._schema_exists(database.database_name)
        return [] if exists else [f"database {database.database_name}"]


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


def major(version: str) -> str:
    """MySQL and MariaDB releases are major.minor series (10.11.19 → 10.11)."""
    return ".".join(version.split(".")[:2])


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
    major=major,
    network_problem=network_problem,
    implementation=MySQLEngine,
    variable_keys=SQL_VARIABLE_KEYS,
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
    major=major,
    network_problem=network_problem,
    implementation=MySQLEngine,
    variable_keys=SQL_VARIABLE_KEYS,
)
