"""Redis through redis-py: an ACL user confined to its own key prefix.

A Redis "database" here is a key prefix (``<database_name>:``); its user may touch keys under
that prefix only and none of the administrative commands.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

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
ENUMERATING_COMMANDS = ("-scan", "-randomkey", "-dbsize", "-select", "-swapdb", "-move")


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
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=CONNECT_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )


class RedisEngine:
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

    def _call(self, action: str, *args: object) -> object:
        client = self._admin()
        try:
            return client.execute_command(action, *args)
        except redis.ConnectionError as error:
            raise EngineError(
                f"Cannot reach the server: {safe_message(error, self.server)}"
            ) from None
        except redis.RedisError as error:
            raise EngineError(f"The server refused: {safe_message(error, self.server)}") from None
        finally:
            client.close()

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
            "+@all",
            "-@admin",
            "-@dangerous",
            # Key patterns do not cover commands that walk the whole keyspace: without these a
            # user could list (not read) other tenants' key names, or switch databases.
            *ENUMERATING_COMMANDS,
        )

    def drop(self, database: Database) -> None:
        self._call("ACL", "DELUSER", database.username)
        client = self._admin()
        try:
            for key in client.scan_iter(match=key_pattern(database), count=500):
                client.delete(key)
        except redis.RedisError as error:
            raise EngineError(f"The server refused: {safe_message(error, self.server)}") from None
        finally:
            client.close()

    def set_password(self, database: Database, password: str) -> None:
        self._call("ACL", "SETUSER", database.username, "resetpass", f">{password}")

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
            return ProbeResult(ok=False, error=" ".join(str(error).split()))
        finally:
            client.close()
        return ProbeResult(
            ok=True, version=f"Redis {version}", tls=False, round_trip_ms=timer.elapsed_ms
        )


def client_command(target: ClientTarget) -> str:
    """redis-cli, with the password as an argument and its warning about that silenced."""
    args = ["redis-cli", "-h", target.host, "-p", str(target.port), "--user", target.user]
    args += ["--pass", target.password, "--no-auth-warning", *(["--tls"] if target.tls else [])]
    return shlex.join(args)


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
    implementation=RedisEngine,
)
