"""Each engine against a real server: create, connect, change the password, drop; each user
reaches its own database only; errors never carry the admin URL."""

import secrets

import psycopg
import pymysql
import pytest
import redis

from connections.engines import EngineError, engine_for
from connections.passwords import generate_password
from tests.servers import create_on_server


@pytest.fixture
def provisioned(any_server, make_database):
    """A database really created on each server in turn, dropped afterwards."""
    database = make_database(
        slug=f"t{secrets.token_hex(4)}", engine=any_server.engine, server=any_server, version="x"
    )
    engine = engine_for(any_server)
    create_on_server(database)
    yield database
    engine.drop(database)


def test_the_database_user_connects_with_its_password(provisioned):
    result = engine_for(provisioned.server).probe(provisioned, provisioned.password)
    assert result.ok, result.error
    assert result.version
    assert result.round_trip_ms > 0


def test_a_wrong_password_is_refused_by_the_server(provisioned):
    result = engine_for(provisioned.server).probe(provisioned, "Wrong-passw0rd!")
    assert not result.ok
    assert result.error


def test_a_new_password_authenticates_and_the_old_one_no_longer_does(provisioned):
    engine, old, new = engine_for(provisioned.server), provisioned.password, generate_password()
    engine.set_password(provisioned, new)
    assert engine.probe(provisioned, new).ok
    assert not engine.probe(provisioned, old).ok


def test_dropping_removes_the_user(any_server, make_database):
    database = make_database(
        slug=f"t{secrets.token_hex(4)}", engine=any_server.engine, server=any_server
    )
    engine = engine_for(any_server)
    create_on_server(database)
    engine.drop(database)
    assert not engine.probe(database, database.password).ok


def test_creating_twice_is_refused_without_leaking_the_admin_url(provisioned):
    with pytest.raises(EngineError) as refused:
        engine_for(provisioned.server).create(provisioned, provisioned.password)
    assert provisioned.server.admin_url not in str(refused.value)
    assert "The server refused" in str(refused.value)


def test_an_unreachable_server_is_reported_without_the_admin_password(any_server, make_database):
    scheme = {"postgresql": "postgresql", "mariadb": "mysql", "redis": "redis"}[any_server.engine]
    any_server.admin_url = f"{scheme}://admin:Top-Secret-9@127.0.0.1:1/"
    database = make_database(slug=f"t{secrets.token_hex(4)}", engine=any_server.engine)
    with pytest.raises(EngineError, match="Cannot reach the server") as refused:
        engine_for(any_server).create(database, database.password)
    assert "Top-Secret-9" not in str(refused.value)


class TestIsolation:
    """A database's user reaches its own database only."""

    @pytest.fixture
    def two(self, sql_server, make_database):
        engine = engine_for(sql_server)
        pair = [
            make_database(
                slug=f"t{secrets.token_hex(4)}", engine=sql_server.engine, server=sql_server
            )
            for _ in range(2)
        ]
        for database in pair:
            create_on_server(database)
        yield pair
        for database in pair:
            engine.drop(database)

    def test_a_user_cannot_open_another_database(self, two):
        mine, theirs = two
        server = mine.server
        if server.engine == "postgresql":
            with pytest.raises(psycopg.OperationalError, match="permission denied"):
                psycopg.connect(
                    host=server.internal_host,
                    port=server.internal_port,
                    user=mine.username,
                    password=mine.password,
                    dbname=theirs.database_name,
                )
        else:
            with pytest.raises(pymysql.err.OperationalError, match="Access denied"):
                pymysql.connect(
                    host=server.internal_host,
                    port=server.internal_port,
                    user=mine.username,
                    password=mine.password,
                    database=theirs.database_name,
                )


def test_a_redis_user_is_confined_to_its_key_prefix(redis_endpoint, region, make_database):
    from tests.servers import register

    server = register(redis_endpoint, region)
    database = make_database(slug=f"t{secrets.token_hex(4)}", engine="redis", server=server)
    engine = engine_for(server)
    create_on_server(database)
    client = redis.Redis(
        host=server.internal_host,
        port=server.internal_port,
        username=database.username,
        password=database.password,
    )
    try:
        client.set(f"{database.database_name}:greeting", "hello")
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.set("elsewhere", "no")
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.execute_command("FLUSHALL")
        for command in ("SCAN 0", "RANDOMKEY", "DBSIZE", "SELECT 1"):
            with pytest.raises(redis.exceptions.NoPermissionError):
                client.execute_command(*command.split())
    finally:
        client.close()
        engine.drop(database)


def test_a_create_that_fails_halfway_undoes_only_its_own_steps(sql_server, make_database):
    engine = engine_for(sql_server)

    def new():
        return make_database(
            slug=f"t{secrets.token_hex(4)}", engine=sql_server.engine, server=sql_server
        )

    squatter, clash = new(), new()
    create_on_server(squatter)
    if sql_server.engine == "postgresql":
        clash.database_name = squatter.database_name  # its role is created, its database is not
    else:
        clash.username = squatter.username  # its database is created, its user is not
    try:
        with pytest.raises(EngineError):
            engine.create(clash, clash.password)
        assert engine.probe(squatter, squatter.password).ok  # the other tenant is untouched
        # Retry with the name that was taken replaced; the one the failed attempt created is
        # kept, so a leftover of it would make this fail.
        if sql_server.engine == "postgresql":
            clash.database_name = new().database_name
        else:
            clash.username = new().username
        engine.create(clash, clash.password)
        engine.drop(clash)
    finally:
        engine.drop(squatter)
