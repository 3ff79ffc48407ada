"""Redis through redis-py: an ACL user confined to its own key prefix.

A Redis "database" here is a key prefix (``<database_name>:``); its user may touch keys under
that prefix only and none of the administrative commands.

Redis cannot filter connections by source address and has no per-user TLS requirement: its
exposure settings are never enforced by the server, and the dashboard says so (with the
host-firewall lines that would enforce the rules, for operators to install).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from connections.engines.base import (
    Access,
    AdminURL,
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

NO_SOURCE_FILTER = (
    "Redis cannot filter connections by source address or require TLS per user, so the "
    "server does not enforce these settings."
)
# What ACL SAVE answers on a server started without an ACL file.
NO_ACL_FILE = "not configured to use an ACL file"
ENUMERATING_COMMANDS = ("-scan", "-randomkey", "-dbsize", "-select", "-swapdb", "-move")
# Commands on state the whole server shares, outside any key pattern: the function library
# (FUNCTION FLUSH, DELETE, LOAD, RESTORE...) and the script cache's flush, and a running
# script's end. EVAL, EVALSHA, FCALL and SCRIPT LOAD stay: the keys a script touches are
# checked against the caller's key patterns.
SERVER_WIDE_COMMANDS = ("-function", "-script|flush", "-script|kill")
# Every command but the administrative, dangerous and server-wide ones; for read-only users,
# reading only. The main user and the connection credentials get the same rules.
READ_WRITE = ("+@all", "-@admin", "-@dangerous", *ENUMERATING_COMMANDS, *SERVER_WIDE_COMMANDS)
READ_ONLY = (
    "+@read",
    "+@connection",
    "-@admin",
    "-@dangerous",
    *ENUMERATING_COMMANDS,
    *SERVER_WIDE_COMMANDS,
)


def key_pattern(database: Database) -> str:
    return f"{database.database_name}:*"


def _client(
    host: str, port: int, username: str | None, password: str | None, *, tls: bool = False
) -> redis.Redis:
    # No retries: a refused password or a closed port is an answer, not a hiccup.
    return redis.Redis(
        host=host,
        port=port,
        username=username,
        password=password,
        ssl=tls,
        socket_connect_timeout=settings.SERVER_TIMEOUT,
        socket_timeout=settings.SERVER_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )


class RedisEngine:
    per_server = False

    def __init__(self, server: DatabaseServer) -> None:
        self.server = server

    def _admin(self) -> redis.Redis:
        url = AdminURL.parse(self.server.admin_url)
        return _client(
            url.host,
            url.port or 6379,
            url.user or None,
            url.password or None,
            tls=url.scheme == "rediss",
        )

    def _call(self, action: str, *args: object, unless: str = "") -> object:
        """Run one command as the admin; an error whose text holds ``unless`` answers None."""
        client = self._admin()
        try:
            return client.execute_command(action, *args)
        except redis.ConnectionError as error:
            raise unreachable(error, self.server) from None
        except redis.RedisError as error:
            if unless and unless in str(error):
                return None
            raise refused(error, self.server) from None
        finally:
            client.close()

    def _save_users(self) -> None:
        """Write the users to the server's ACL file, after every change to them, so that they
        outlive a restart. A server started without an ACL file keeps its users in memory
        only: there is nothing to save (the README tells operators to give it one)."""
        self._call("ACL", "SAVE", unless=NO_ACL_FILE)

    def create(self, database: Database, password: str) -> None:
        # SETUSER on an existing user would quietly take it over: refuse like the SQL engines.
        if self._call("ACL", "GETUSER", database.username) is not None:
            raise EngineError(f"The server refused: user {database.username} already exists.")
        self._call(
            "ACL",
            "SETUSER",
            database.username,
            "reset",
            "on",
            f">{password}",
            f"~{key_pattern(database)}",
            # Key patterns do not cover commands that walk the whole keyspace: without
            # ENUMERATING_COMMANDS a user could list (not read) other tenants' key names, or
            # switch databases.
            *READ_WRITE,
        )
        self._save_users()

    def drop(self, database: Database, logins: Sequence[str] = ()) -> None:
        self._call("ACL", "DELUSER", database.username, *logins)
        self._save_users()
        client = self._admin()
        try:
            for key in client.scan_iter(match=key_pattern(database), count=500):
                client.delete(key)
        except redis.RedisError as error:
            raise refused(error, self.server) from None
        finally:
            client.close()

    def set_password(self, database: Database, password: str) -> None:
        self._call("ACL", "SETUSER", database.username, "resetpass", f">{password}")
        self._save_users()

    def probe(self, database: Database, password: str) -> ProbeResult:
        timer = Timer()
        client = _client(
            self.server.internal_host, self.server.internal_port, database.username, password
        )
        try:
            client.ping()
            # HELLO answers as flat name/value pairs and needs no administrative right.
            hello = client.execute_command("HELLO", "2")
            version = dict(zip(hello[::2], hello[1::2], strict=True))[b"version"].decode()
        except redis.RedisError as error:
            return probe_failure(error, self.server)
        finally:
            client.close()
        return ProbeResult(
            ok=True, version=f"Redis {version}", tls=False, round_trip_ms=timer.elapsed_ms
        )

    # Connection credentials: ACL users confined to the database's key prefix

    def create_login(self, database: Database, access: Access, login: Login) -> None:
        """An ACL user on the database's keys, with every ordinary command or reading only.
        ``reset`` first, so a repeated call leaves exactly this user."""
        self._call(
            "ACL",
            "SETUSER",
            login.user,
            "reset",
            "on",
            f">{login.password}",
            f"~{key_pattern(database)}",
            *(READ_ONLY if login.read_only else READ_WRITE),
        )
        self._save_users()

    def drop_login(self, database: Database, user: str) -> None:
        """Deleting an ACL user disconnects every client authenticated as it."""
        self._call("ACL", "DELUSER", user)
        self._save_users()

    def logins(self, database: Database) -> set[str]:
        rules = self._call("ACL", "LIST")
        assert isinstance(rules, list)
        pattern = f"~{key_pattern(database)}"
        found = set()
        for rule in rules:
            words = (rule.decode() if isinstance(rule, bytes) else str(rule)).split()
            if pattern in words:
                found.add(words[1])  # "user <name> on ..."
        return found - {database.username}

    def sessions(self, users: Sequence[str]) -> dict[str, int]:
        clients = self._call("CLIENT", "LIST")
        wanted, counts = set(users), dict.fromkeys(users, 0)
        for line in (clients.decode() if isinstance(clients, bytes) else str(clients)).split("\n"):
            fields = dict(part.partition("=")[::2] for part in line.split())
            if fields.get("user") in wanted:
                counts[fields["user"]] += 1
        return {user: count for user, count in counts.items() if count}

    # The server: what it can say, and what it cannot enforce

    def inspect(self) -> ServerReport:
        info = self._call("INFO", "server")  # redis-py parses it into a dict
        assert isinstance(info, dict)
        version = str(info.get("redis_version", ""))
        tls = str(info.get("tls_port", 0)) not in ("", "0")
        return ServerReport("redis", version, tls, False, NO_SOURCE_FILTER)

    def apply_access(self, accesses: Sequence[Access]) -> None:
        raise CannotEnforce(NO_SOURCE_FILTER)

    def access_drift(self, accesses: Sequence[Access]) -> list[str]:
        return []  # nothing is enforced, so nothing can drift

    def missing(self, database: Database) -> list[str]:
        found = self._call("ACL", "GETUSER", database.username)
        return [] if found is not None else [f"user {database.username}"]


def client_command(target: ClientTarget) -> str:
    """redis-cli, with the password as an argument and its warning about that silenced."""
    args = ["redis-cli", "-h", target.host, "-p", str(target.port), "--user", target.user]
    args += ["--pass", target.password, "--no-auth-warning", *(["--tls"] if target.tls else [])]
    return shlex.join(args)


def major(version: str) -> str:
    """Redis keeps compatibility within a major version (7.0.15 serves 7.4's clients)."""
    return version.split(".")[0]


SPEC = EngineSpec(
    internal_port=6379,
    versions=("7.4", "7.2"),
    url_scheme="redis",
    tls_url_scheme="rediss",
    tls_url_query="",
    url_path_is_database=False,
    admin_url_schemes=("redis", "rediss"),
    tls_hint="use the rediss:// scheme",
    client_command=client_command,
    major=major,
    network_problem=any_network,
    implementation=RedisEngine,
    # What Redis clients, Celery, RQ and the hosts (Heroku, Render, Railway) use: REDIS_URL.
    # A "database" here is a key prefix, so its name is offered as one.
    variable_keys={
        "host": "REDIS_HOST",
        "port": "REDIS_PORT",
        "name": "REDIS_KEY_PREFIX",
        "user": "REDIS_USER",
        "password": "REDIS_PASSWORD",
        "url": "REDIS_URL",
    },
)
