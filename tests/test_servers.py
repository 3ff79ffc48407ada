"""The servers the suite starts, checked with real clients: TLS and plain connections from
127.0.0.1 and ::1, passwords checked, clients in the test network seen by their own address,
and a server that can be stopped and brought back."""

import secrets
from collections.abc import Iterator

import psycopg
import pymysql
import pytest
from psycopg import sql

from tests.servers import (
    LOOPBACK_V4,
    LOOPBACK_V6,
    Attempt,
    Endpoint,
    Source,
    connect_all,
    require_own_server,
)

pytestmark = pytest.mark.servers


@pytest.fixture(params=["postgresql", "mariadb"])
def endpoint(request) -> Endpoint:
    endpoint = request.getfixturevalue(f"{request.param}_endpoint")
    require_own_server(endpoint)
    return endpoint


@pytest.fixture
def visitor(endpoint) -> Iterator[tuple[str, str]]:
    """A user with a password that every address may use, like the dashboard's before it
    narrows them (the admin itself is kept to loopback on MariaDB)."""
    user, password = f"visitor_{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    if endpoint.engine == "postgresql":
        with psycopg.connect(endpoint.admin_url, autocommit=True) as connection:
            role = sql.Identifier(user)
            connection.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(role, password))
            yield user, password
            connection.execute(sql.SQL("DROP ROLE {}").format(role))
        return
    connection = pymysql.connect(
        host=endpoint.host,
        port=endpoint.port,
        user=endpoint.admin_user,
        password=endpoint.admin_password,
        autocommit=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (user, password))
        yield user, password
        cursor.execute("DROP USER %s@'%%'", (user,))
    connection.close()


def _attempt(endpoint: Endpoint, user: str, password: str, *, tls: bool) -> Attempt:
    # PostgreSQL's users here have no database of their own name; MariaDB needs none.
    database = "postgres" if endpoint.engine == "postgresql" else ""
    return endpoint.attempt(user, password, database=database, tls=tls)


def _admitted(endpoint: Endpoint, sources: list[Source], user: str, password: str) -> None:
    """Plain and TLS connections from every source are let in, seen from the source's address."""
    table = [
        (source, _attempt(endpoint, user, password, tls=tls))
        for source in sources
        for tls in (False, True)
    ]
    for (source, attempt), outcome in zip(table, connect_all(table), strict=True):
        assert outcome.ok, outcome.error
        assert outcome.tls == attempt.tls
        assert outcome.peer == source.address


def test_the_admin_connects_with_and_without_tls_from_both_loopbacks(endpoint):
    # With TLS the client verifies the server against the suite's CA (verify-full on
    # PostgreSQL: the certificate names every address the server listens on).
    sources = [LOOPBACK_V4, LOOPBACK_V6]
    _admitted(endpoint, sources, endpoint.admin_user, endpoint.admin_password)


def test_a_wrong_password_is_denied_by_the_server(endpoint):
    (outcome,) = LOOPBACK_V4.connect(
        _attempt(endpoint, endpoint.admin_user, "Not-the-one-1", tls=True)
    )
    assert not outcome.ok
    assert outcome.denied, outcome.error


def test_a_client_in_the_test_network_is_seen_by_its_own_address(endpoint, source_host, visitor):
    _admitted(endpoint, [source_host.ipv4, source_host.ipv6], *visitor)


def test_a_stopped_server_does_not_answer_then_comes_back(endpoint):
    admin = _attempt(endpoint, endpoint.admin_user, endpoint.admin_password, tls=False)
    assert endpoint.server is not None
    with endpoint.server.stopped():
        (outcome,) = LOOPBACK_V4.connect(admin)
        assert not outcome.ok
        assert not outcome.denied  # nobody answered, which is not a refusal
    (outcome,) = LOOPBACK_V4.connect(admin)
    assert outcome.ok, outcome.error
