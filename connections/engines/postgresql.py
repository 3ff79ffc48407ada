"""PostgreSQL through psycopg: a role and a database it owns, closed to everyone else, and the
server's ``pg_hba.conf`` kept in step with each database's exposure.

The dashboard owns one delimited block of ``pg_hba.conf``, at the top of the file so that no
operator line can match its databases first. Every line in it names one database and one user
(both quoted, so ``all``, ``+group`` or ``@file`` keep no special meaning), so the block can
never cut off the admin, which is never a managed user. Lines outside the block, the
operator's, are kept byte for byte. Everything goes through the admin's SQL connection, with
no agent on the server: the file is read with ``pg_read_file``, written as exact bytes through a
large object that is never committed, validated with the ``pg_hba_file_rules`` view (which
parses the file on disk), and only then loaded with ``pg_reload_conf()``. A file that does not
validate is put back at once and never loaded.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import psycopg
from django.conf import settings
from psycopg import sql

from connections.engines.base import (
    SQL_VARIABLE_KEYS,
    Access,
    CannotEnforce,
    ClientTarget,
    EngineError,
    EngineSpec,
    Login,
    ProbeResult,
    ServerReport,
    Timer,
    any_network,
    probe_failure,
    refused,
    unreachable,
)

if TYPE_CHECKING:
    from connections.models import Database, DatabaseServer

BEGIN = "# BEGIN harbor (managed by the dashboard; do not edit)"
END = "# END harbor"
DUPLICATE = {"42710": "a user of that name already exists.", "42P04": "that name is taken."}
# The functions that make a large object (lo_import runs as the server, for superusers only).
LARGE_OBJECT_MAKERS = ("lo_creat(integer)", "lo_create(oid)", "lo_from_bytea(oid, bytea)")
RELOAD_WAIT = 5.0  # seconds for the postmaster to load a new pg_hba.conf
# The statements the admin connection runs, as psycopg types execute().
type Statement = sql.SQL | sql.Composed


def quote_name(name: str) -> str:
    """A pg_hba.conf name token. Always quoted; the format has no escape for ``"``."""
    if not name or any(character in name for character in '"\n\r\0'):
        raise CannotEnforce(f"The name {name!r} cannot be written in pg_hba.conf.")
    return f'"{name}"'


def hba_lines(access: Access) -> list[str]:
    """A database's lines, in order (the first matching line wins): without TLS refused first
    when Force TLS is on, then one line per allowed network, then a refusal for the rest."""
    lines = []
    for user in access.users:
        who = f"{quote_name(access.database_name)} {quote_name(user)}"
        if access.force_tls:
            lines.append(f"hostnossl {who} all reject")
        kind = "hostssl" if access.force_tls else "host"
        lines += [f"{kind} {who} {network} scram-sha-256" for network in access.networks]
        lines.append(f"host {who} all reject")
    return lines


def managed_block(text: str) -> list[str] | None:
    """The lines of the dashboard's block as they stand in ``text``; None without a block."""
    lines = [line.strip() for line in text.split("\n")]
    if BEGIN not in lines or END not in lines:
        return None
    return lines[lines.index(BEGIN) + 1 : lines.index(END)]


def splice(text: str, block: Sequence[str]) -> str:
    """``text`` with the dashboard's block replaced by ``block`` (inserted first if absent)."""
    lines = text.split("\n")
    stripped = [line.strip() for line in lines]
    new = [BEGIN, *block, END]
    if BEGIN not in stripped and END not in stripped:
        return "\n".join(new + lines)
    if stripped.count(BEGIN) != 1 or stripped.count(END) != 1:
        raise CannotEnforce("The server's pg_hba.conf has broken dashboard markers.")
    start, end = stripped.index(BEGIN), stripped.index(END)
    if end < start:
        raise CannotEnforce("The server's pg_hba.conf has broken dashboard markers.")
    return "\n".join(lines[:start] + new + lines[end + 1 :])


def group_names(database: Database) -> dict[str, str]:
    """The database's group roles, read-write and read-only, that its logins are members of."""
    return {kind: f"{database.database_name}_{kind}" for kind in ("rw", "ro")}


def _role_exists(connection: psycopg.Connection, name: str) -> bool:
    row = connection.execute("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = %s)", [name])
    found = row.fetchone()
    return bool(found and found[0])


def _ensure_group(name: str) -> Statement:
    """Create the group role ``name`` (no login) unless it exists."""
    return sql.SQL(
        "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) THEN "
        "EXECUTE format('CREATE ROLE %I NOLOGIN', {name}); END IF; END$$"
    ).format(name=sql.Literal(name))


def owner_name(database: Database) -> str:
    """The role, never a login, that owns the database and everything in it. The main user and
    the read-write group are its members and act as it; it is a member of nobody, so no login
    acting as it holds the main user's rights (its password among them)."""
    return f"{database.database_name}_owner"


def _ownership(database: Database) -> list[Statement]:
    """The owner role and its members, as one transaction of the admin connection. Every step
    is re-run on every call (each is idempotent), so a retry completes a half-done one; a
    database made before the owner role gets it the same way."""
    owner, rw = owner_name(database), group_names(database)["rw"]
    main = sql.Identifier(database.username)
    statements: list[Statement] = [
        _ensure_group(owner),
        _ensure_group(rw),
        # Before this role existed, the read-write group was a member of the main user.
        sql.SQL("REVOKE {} FROM {}").format(main, sql.Identifier(rw)),
    ]
    statements += [
        sql.SQL("GRANT {} TO {}").format(sql.Identifier(owner), sql.Identifier(member))
        for member in (database.username, rw)
    ]
    return [
        *statements,
        sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
            sql.Identifier(database.database_name), sql.Identifier(owner)
        ),
        # People's sessions act as the owner too, so what they create stays the applications'.
        sql.SQL("ALTER ROLE {} SET role = {}").format(main, sql.Identifier(owner)),
        # Read-write logins made before this role acted as the main user.
        sql.SQL(
            "DO $$DECLARE m name; BEGIN FOR m IN SELECT r.rolname FROM pg_auth_members a "
            "JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles r ON r.oid = a.member "
            "WHERE g.rolname = {rw} LOOP "
            "EXECUTE format('ALTER ROLE %I SET role = %I', m, {owner}); END LOOP; END$$"
        ).format(owner=sql.Literal(owner), rw=sql.Literal(rw)),
    ]


def _owned_inside(database: Database) -> list[Statement]:
    """Inside the database: what the main user owns goes to the owner role, and so does the
    public schema; nobody else may create in it (PUBLIC's CREATE of databases older than 15)."""
    owner = sql.Identifier(owner_name(database))
    return [
        sql.SQL("REASSIGN OWNED BY {} TO {}").format(sql.Identifier(database.username), owner),
        sql.SQL(
            "DO $$BEGIN IF EXISTS (SELECT FROM pg_namespace WHERE nspname = 'public') THEN "
            "EXECUTE format('ALTER SCHEMA public OWNER TO %I', {owner}); "
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC; END IF; END$$"
        ).format(owner=sql.Literal(owner_name(database))),
    ]


def _read_grants(database: Database, group: str) -> list[Statement]:
    """SELECT on what the owner holds now and creates later, in every schema it owns; no
    large object of its own."""
    owner, reader = sql.Identifier(owner_name(database)), sql.Identifier(group)
    statements: list[Statement] = [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(database.database_name), reader
        ),
        sql.SQL(
            "DO $$DECLARE s name; BEGIN FOR s IN SELECT nspname FROM pg_namespace "
            "WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = {owner}) "
            "OR nspname = 'public' LOOP "
            "EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', s, {reader}); "
            "EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', s, {reader}); "
            "EXECUTE format('GRANT SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', s, {reader}); "
            "END LOOP; END$$"
        ).format(owner=sql.Literal(owner_name(database)), reader=sql.Literal(group)),
    ]
    statements += [
        sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} GRANT {} TO {}").format(
            owner, sql.SQL(what), reader
        )
        for what in ("USAGE ON SCHEMAS", "SELECT ON TABLES", "SELECT ON SEQUENCES")
    ]
    # Anyone may create large objects, read-only transactions or not: in this database only
    # the owner role may (its members keep them; functions' rights are per database).
    creating = sql.SQL(", ").join(sql.SQL(function) for function in LARGE_OBJECT_MAKERS)
    return [
        *statements,
        sql.SQL("REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC").format(creating),
        sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(creating, owner),
    ]


class PostgreSQLEngine:
    per_server = True

    def __init__(self, server: DatabaseServer) -> None:
        self.server = server

    def _admin(self) -> psycopg.Connection:
        try:
            return psycopg.connect(
                self.server.admin_url, autocommit=True, connect_timeout=settings.SERVER_TIMEOUT
            )
        except psycopg.Error as error:
            raise unreachable(error, self.server) from None

    def _run(self, *statements: Statement) -> None:
        with self._admin() as connection:
            try:
                for statement in statements:
                    connection.execute(statement)
            except psycopg.Error as error:
                reason = DUPLICATE.get(error.sqlstate or "", "")
                raise refused(error, self.server, reason) from None

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
        try:
            self._ensure_ownership(database)
        except EngineError:
            self._run(drop_database, drop_role)
            raise

    def _undoing(
        self,
        undo: Statement,
        step: Statement,
        then: Statement | None = None,
    ) -> None:
        try:
            self._run(step)
        except EngineError:
            self._run(undo, *([then] if then else []))
            raise

    def drop(self, database: Database, logins: Sequence[str] = ()) -> None:
        groups = [*group_names(database).values(), owner_name(database)]
        roles = [*logins, *groups, database.username]
        self._run(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(database.database_name)
            ),
            *[sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)) for role in roles],
        )

    # Connection credentials: login roles that get their rights through a group role

    def create_login(self, database: Database, access: Access, login: Login) -> None:
        """A login role, member of the database's read-write or read-only group.

        The read-write group is a member of the database's owner role (:func:`owner_name`),
        and every session of a read-write login acts as it (``SET role``): what an application
        creates belongs to the owner role, as what people create as the main user does, and
        outlives the login. The read-only group may connect and read (``SELECT``) every table
        and sequence, those created later too. Each of the three steps is one transaction and
        re-runs every grant, so a retry after a failure anywhere completes the rights. The
        login's pg_hba.conf lines come with the exposure
        (:func:`connections.enforcement.enforce`)."""
        groups = group_names(database)
        group_name = groups["ro" if login.read_only else "rw"]
        group, role = sql.Identifier(group_name), sql.Identifier(login.user)
        self._ensure_ownership(database)
        if login.read_only:
            self._in_database(
                database,
                _ensure_group(group_name),
                *_read_grants(database, group_name),
            )
        password = sql.Literal(login.password)
        with self._admin() as connection:
            try:
                with connection.transaction():
                    if _role_exists(connection, login.user):  # a retry of a half-done attempt
                        connection.execute(
                            sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(role, password)
                        )
                    else:
                        connection.execute(
                            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(role, password)
                        )
                    connection.execute(sql.SQL("GRANT {} TO {}").format(group, role))
                    connection.execute(
                        sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(role)
                        if login.read_only
                        else sql.SQL("ALTER ROLE {} SET role = {}").format(
                            role, sql.Identifier(owner_name(database))
                        )
                    )
            except psycopg.Error as error:
                raise refused(error, self.server) from None

    def _ensure_ownership(self, database: Database) -> None:
        """Bring the database to the owner-role model (:func:`_ownership`), then hand the
        objects inside it to that role; both steps are idempotent."""
        with self._admin() as connection:
            try:
                with connection.transaction():
                    for statement in _ownership(database):
                        connection.execute(statement)
            except psycopg.Error as error:
                raise refused(error, self.server) from None
        self._in_database(database, *_owned_inside(database))

    def _in_database(self, database: Database, *statements: Statement) -> None:
        """Run ``statements`` as the admin inside the database itself (grants on its objects),
        as one transaction."""
        try:
            connection = psycopg.connect(
                self.server.admin_url,
                dbname=database.database_name,
                autocommit=True,
                connect_timeout=settings.SERVER_TIMEOUT,
            )
        except psycopg.Error as error:
            raise unreachable(error, self.server) from None
        with connection:
            try:
                with connection.transaction():
                    for statement in statements:
                        connection.execute(statement)
            except psycopg.Error as error:
                raise refused(error, self.server) from None

    def drop_login(self, database: Database, user: str) -> None:
        """Refuse the login first, end its sessions, hand anything it owns to the database's
        owner role, then drop it."""
        role = sql.Identifier(user)
        with self._admin() as connection:
            try:
                if not _role_exists(connection, user):
                    return
                connection.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(role))
                connection.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                    [user],
                )
                # Its sessions act as the owner role, so it usually owns nothing and holds no
                # right of its own; only then is the database itself visited.
                row = connection.execute(
                    """SELECT EXISTS (
                         SELECT FROM pg_shdepend d JOIN pg_roles r ON d.refobjid = r.oid
                          WHERE d.refclassid = 'pg_authid'::regclass AND r.rolname = %s
                            AND d.deptype IN ('o', 'a'))""",
                    [user],
                ).fetchone()
            except psycopg.Error as error:
                raise refused(error, self.server) from None
        if row and row[0]:
            self._in_database(
                database,
                sql.SQL("REASSIGN OWNED BY {} TO {}").format(
                    role, sql.Identifier(owner_name(database))
                ),
                sql.SQL("DROP OWNED BY {}").format(role),
            )
        self._run(sql.SQL("DROP ROLE IF EXISTS {}").format(role))

    def logins(self, database: Database) -> set[str]:
        with self._admin() as connection:
            try:
                rows = connection.execute(
                    """SELECT m.rolname FROM pg_auth_members a
                         JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
                        WHERE g.rolname = ANY(%s)""",
                    [list(group_names(database).values())],
                ).fetchall()
            except psycopg.Error as error:
                raise refused(error, self.server) from None
        return {name for (name,) in rows}

    def sessions(self, users: Sequence[str]) -> dict[str, int]:
        with self._admin() as connection:
            try:
                rows = connection.execute(
                    """SELECT usename, count(*) FROM pg_stat_activity
                        WHERE usename = ANY(%s) GROUP BY usename""",
                    [list(users)],
                ).fetchall()
            except psycopg.Error as error:
                raise refused(error, self.server) from None
        return {user: count for user, count in rows}

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
                connect_timeout=settings.SERVER_TIMEOUT,
                sslmode="require" if database.force_tls else "prefer",
            ) as connection:
                row = connection.execute("SHOW server_version").fetchone()
                tls = bool(connection.info.pgconn.ssl_in_use)
        except psycopg.Error as error:
            return probe_failure(error, self.server)
        version = row[0] if row else "?"
        return ProbeResult(
            ok=True, version=f"PostgreSQL {version}", tls=tls, round_trip_ms=timer.elapsed_ms
        )

    # The server and its pg_hba.conf

    def inspect(self) -> ServerReport:
        with self._admin() as connection:
            try:
                row = connection.execute(
                    """SELECT current_setting('server_version'), current_setting('ssl') = 'on',
                              current_setting('is_superuser') = 'on',
                              has_function_privilege('pg_read_file(text)', 'EXECUTE')
                              AND has_function_privilege('lo_export(oid, text)', 'EXECUTE')
                              AND has_function_privilege('pg_reload_conf()', 'EXECUTE')
                              AND has_table_privilege('pg_hba_file_rules', 'SELECT')
                              AND pg_has_role('pg_read_all_settings', 'USAGE')"""
                ).fetchone()
            except psycopg.Error as error:
                raise refused(error, self.server) from None
        assert row is not None
        version, tls, superuser, granted = row
        can_enforce = bool(superuser or granted)
        problem = (
            ""
            if can_enforce
            else "The server's admin account may not manage pg_hba.conf (it needs superuser, or "
            "the rights to read, write and reload that file)."
        )
        return ServerReport("postgresql", version.split()[0], bool(tls), can_enforce, problem)

    def apply_access(self, accesses: Sequence[Access]) -> None:
        block = [line for access in accesses for line in hba_lines(access)]
        with self._admin() as connection:
            try:
                self._apply_block(connection, block)
                for access in accesses:
                    self._end_refused_sessions(connection, access)
            except psycopg.Error as error:
                raise refused(error, self.server) from None

    def _read(self, connection: psycopg.Connection) -> tuple[str, str]:
        row = connection.execute(
            "SELECT current_setting('hba_file'), pg_read_file(current_setting('hba_file'))"
        ).fetchone()
        assert row is not None
        return row[0], row[1]

    def _write(self, connection: psycopg.Connection, path: str, text: str) -> None:
        # A large object written to the file and never committed: exact bytes, no escaping
        # (COPY's text format would turn tabs and backslashes of operator lines into escapes).
        with connection.transaction(force_rollback=True), connection.cursor() as cursor:
            cursor.execute("SELECT lo_from_bytea(0, %s)", [text.encode()])
            row = cursor.fetchone()
            assert row is not None
            cursor.execute("SELECT lo_export(%s, %s)", [row[0], path])

    def _apply_block(self, connection: psycopg.Connection, block: list[str]) -> None:
        path, old = self._read(connection)
        new = splice(old, block)
        if new == old:
            return
        self._write(connection, path, new)
        errors = connection.execute(
            "SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL"
        ).fetchall()
        if errors or self._read(connection)[1] != new:
            self._write(connection, path, old)  # the server never loaded the bad file
            if any("SSL is disabled" in error for _, error in errors):
                raise CannotEnforce("The server has no TLS, so it cannot enforce Force TLS.")
            raise CannotEnforce(
                "The server would not accept the new pg_hba.conf; nothing was changed.",
                "; ".join(f"line {number}: {error}" for number, error in errors),
            )
        self._reload(connection)

    def _reload(self, connection: psycopg.Connection) -> None:
        """Load the new file and wait until new sessions see it (pg_reload_conf only signals)."""
        before = self._load_time()
        connection.execute("SELECT pg_reload_conf()")
        deadline = time.monotonic() + RELOAD_WAIT
        while self._load_time() <= before:
            if time.monotonic() > deadline:
                raise EngineError("The server did not load its new pg_hba.conf in time.")
            time.sleep(0.01)

    def _load_time(self) -> datetime:
        # A session's pg_conf_load_time() is the postmaster's as it was when the session began.
        with self._admin() as fresh:
            row = fresh.execute("SELECT pg_conf_load_time()").fetchone()
            assert row is not None
            return row[0]

    def _end_refused_sessions(self, connection: psycopg.Connection, access: Access) -> None:
        """Open sessions keep the rules they started under: end those the new rules refuse."""
        connection.execute(
            """SELECT pg_terminate_backend(a.pid)
                 FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
                WHERE a.datname = %s AND a.usename = ANY(%s) AND a.pid <> pg_backend_pid()
                  AND a.client_addr IS NOT NULL
                  AND (NOT a.client_addr <<= ANY(%s::inet[]) OR (%s AND NOT s.ssl))""",
            [
                access.database_name,
                list(access.users),
                [str(network) for network in access.networks],
                access.force_tls,
            ],
        )

    def access_drift(self, accesses: Sequence[Access]) -> list[str]:
        with self._admin() as connection:
            try:
                _, text = self._read(connection)
            except psycopg.Error as error:
                raise refused(error, self.server) from None
        found = managed_block(text)
        if found is None:
            return ["pg_hba.conf has no dashboard block."]
        wanted = [line for access in accesses for line in hba_lines(access)]
        differences = [f"pg_hba.conf lacks: {line}" for line in wanted if line not in found]
        differences += [f"pg_hba.conf has extra: {line}" for line in found if line not in wanted]
        if not differences and found != wanted:
            differences.append("pg_hba.conf holds the dashboard's lines in another order.")
        return differences

    def missing(self, database: Database) -> list[str]:
        with self._admin() as connection:
            row = connection.execute(
                """SELECT EXISTS (SELECT FROM pg_database WHERE datname = %s),
                          EXISTS (SELECT FROM pg_roles WHERE rolname = %s)""",
                [database.database_name, database.username],
            ).fetchone()
        assert row is not None
        return [
            what
            for what, exists in (
                (f"database {database.database_name}", row[0]),
                (f"user {database.username}", row[1]),
            )
            if not exists
        ]


def client_command(target: ClientTarget) -> str:
    """psql takes the whole URL, TLS included."""
    return f"psql {shlex.quote(target.url)}"


def major(version: str) -> str:
    """PostgreSQL's major version is its first number (15.19 → 15)."""
    return version.split(".")[0]


SPEC = EngineSpec(
    internal_port=5432,
    versions=("18", "17", "16", "15"),
    url_scheme="postgresql",
    tls_url_scheme="postgresql",
    tls_url_query="?sslmode=require",
    url_path_is_database=True,
    admin_url_schemes=("postgresql", "postgres"),
    tls_hint="add sslmode=require to the connection URL",
    client_command=client_command,
    major=major,
    network_problem=any_network,
    implementation=PostgreSQLEngine,
    variable_keys=SQL_VARIABLE_KEYS,
)
