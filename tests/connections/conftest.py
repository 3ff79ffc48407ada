"""Fixtures for the connections tests: an application and a database of the same team and region,
and a database really provisioned on each SQL server."""

import secrets

import pytest

from connections.engines import engine_for
from tests.servers import create_on_server


@pytest.fixture
def app(make_application):
    return make_application(name="Storefront", slug="storefront")


@pytest.fixture
def database(make_database):
    return make_database(name="Shop DB", slug="shop-db")


@pytest.fixture
def live(sql_server, make_database):
    """A database really provisioned on PostgreSQL, then on MariaDB, and dropped after."""
    database = make_database(
        slug=f"t{secrets.token_hex(4)}", engine=sql_server.engine, server=sql_server
    )
    create_on_server(database, database.password)
    yield database
    engine_for(sql_server).drop(database)
