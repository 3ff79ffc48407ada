"""Client sessions on real servers, opened the way an application opens them: to check what a
credential may do there, and whether the server still lets it in."""

from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import psycopg
import pymysql
import redis

from connections.models import Database


class Refused(Exception):
    """The server turned the client (or its command) away."""


@dataclass
class Session:
    """One client session on a real server, opened as a given user."""

    engine: str
    handle: Any
    prefix: str

    def write(self) -> None:
        try:
            if self.engine == "redis":
                self.handle.set(f"{self.prefix}:k", "v")
            elif self.engine == "postgresql":
                self.handle.execute("CREATE TABLE IF NOT EXISTS notes (body text)")
                self.handle.execute("INSERT INTO notes VALUES ('x')")
            else:
                with self.handle.cursor() as cursor:
                    cursor.execute("CREATE TABLE IF NOT EXISTS notes (body text)")
                    cursor.execute("INSERT INTO notes VALUES ('x')")
        except (psycopg.Error, pymysql.MySQLError, redis.RedisError) as error:
            raise Refused(str(error)) from error

    def read(self) -> int:
        try:
            if self.engine == "redis":
                return 1 if self.handle.get(f"{self.prefix}:k") else 0
            if self.engine == "postgresql":
                row = self.handle.execute("SELECT count(*) FROM notes").fetchone()
                return row[0]
            with self.handle.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM notes")
                return cursor.fetchone()[0]
        except (psycopg.Error, pymysql.MySQLError, redis.RedisError) as error:
            raise Refused(str(error)) from error

    def alive(self) -> bool:
        try:
            if self.engine == "redis":
                self.handle.ping()
            elif self.engine == "postgresql":
                self.handle.execute("SELECT 1")
            else:
                with self.handle.cursor() as cursor:
                    cursor.execute("SELECT 1")
        except (psycopg.Error, pymysql.MySQLError, redis.RedisError):
            return False
        return True

    def close(self) -> None:
        with suppress(psycopg.Error, pymysql.MySQLError, redis.RedisError):
            self.handle.close()


def open_session(database: Database, user: str, password: str, name: str = "") -> Session:
    """Connect to ``database``'s server as ``user``, to the database ``name`` (its own by
    default; a Redis database is a key prefix)."""
    server = database.server
    name = name or database.database_name
    try:
        if database.engine == "redis":
            handle = redis.Redis(
                host=server.internal_host,
                port=server.internal_port,
                username=user,
                password=password,
                socket_timeout=5,
            )
            handle.ping()
        elif database.engine == "postgresql":
            handle = psycopg.connect(
                host=server.internal_host,
                port=server.internal_port,
                user=user,
                password=password,
                dbname=name,
                connect_timeout=5,
                autocommit=True,
            )
        else:
            handle = pymysql.connect(
                host=server.internal_host,
                port=server.internal_port,
                user=user,
                password=password.encode(),
                database=name,
                connect_timeout=5,
                autocommit=True,
            )
    except (psycopg.Error, pymysql.MySQLError, redis.RedisError) as error:
        raise Refused(str(error)) from error
    return Session(database.engine, handle, name)


def authenticates(database: Database, user: str, password: str) -> bool:
    try:
        open_session(database, user, password).close()
    except Refused:
        return False
    return True
