"""The Overview's connection details: internal always, external only when it can work; secrets
masked until revealed, revealing recorded and refused to viewers; Test connection."""

import secrets
from html import escape

import pytest
from django.urls import reverse

from connections.credentials import cli_command
from connections.engines import engine_for
from connections.models import Activity
from tests.servers import create_on_server, register


@pytest.fixture
def server(make_server):
    return make_server()


@pytest.fixture
def database(make_database, server):
    return make_database(slug="shop-db", server=server)


def page(client, database):
    return client.get(reverse("database_detail", args=["acme", database.slug])).content.decode()


def reveal(client, database, endpoint):
    url = reverse("credentials_reveal", args=["acme", database.slug])
    return client.post(url, {"endpoint": endpoint})


def test_external_details_are_absent_while_external_connections_are_off(developer_client, database):
    content = page(developer_client, database)
    assert 'data-testid="external-off"' in content
    assert "pg.fra1.example.net" not in content
    assert reverse("database_network", args=["acme", "shop-db"]) in content


def test_external_details_appear_when_on_with_secrets_masked(developer_client, database):
    database.force_tls = database.internet_access = True
    database.save()
    content = page(developer_client, database)
    assert "pg.fra1.example.net" in content
    assert "25432" in content
    assert escape(database.password) not in content


def test_revealing_is_recorded(htmx_client, database):
    response = reveal(htmx_client, database, "internal")
    assert escape(database.password) in response.content.decode()
    assert Activity.objects.get().changes == {"endpoint": "internal"}


def test_viewers_are_not_offered_reveal_or_change(viewer_client, database):
    content = page(viewer_client, database)
    assert "Reveal" not in content
    assert "Change password" not in content


def test_external_reveal_is_404_while_off(htmx_client, database):
    assert reveal(htmx_client, database, "external").status_code == 404


def test_external_reveal_gives_the_public_endpoint_and_a_tls_command(htmx_client, database):
    database.force_tls = database.internet_access = True
    database.save()
    content = reveal(htmx_client, database, "external").content.decode()
    assert "@pg.fra1.example.net:25432/" in content
    assert "sslmode=require" in content


@pytest.mark.parametrize(
    ("engine", "start"),
    [
        ("postgresql", "psql postgresql://"),
        ("mariadb", "mysql --host="),
        ("redis", "redis-cli -h"),
    ],
)
def test_cli_command_fits_the_engine(make_database, server, engine, start):
    database = make_database(engine=engine, server=server)
    # shlex quotes only when needed; a percent-encoded URL needs none.
    assert cli_command(database, external=False).replace("'", "").startswith(start)


class TestProbe:
    def url(self, database):
        return reverse("database_probe", args=["acme", database.slug])

    def test_reports_success_version_tls_and_round_trip(
        self, request, client_for, viewer, any_server, make_database
    ):
        database = make_database(
            slug=f"t{secrets.token_hex(4)}", engine=any_server.engine, server=any_server
        )
        create_on_server(database, database.password)
        try:
            content = client_for(viewer, htmx=True).post(self.url(database)).content.decode()
        finally:
            engine_for(any_server).drop(database)
        assert "Connected" in content
        # The drivers take TLS whenever the server offers it: the suite's own PostgreSQL and
        # MariaDB do (with certificates from its CA), Redis and the machine's MariaDB do not.
        endpoint = request.getfixturevalue(f"{any_server.engine}_endpoint")
        assert ("TLS on" if endpoint.ca_file else "TLS off") in content
        assert " ms" in content

    def test_reports_the_servers_error(
        self, htmx_client, postgresql_endpoint, region, make_database
    ):
        server = register(postgresql_endpoint, region)
        database = make_database(slug=f"t{secrets.token_hex(4)}", server=server)
        content = htmx_client.post(self.url(database)).content.decode()
        assert "Could not connect." in content
        assert "password authentication failed" in content or "does not exist" in content

    def test_a_database_without_server_says_so(self, htmx_client, make_database):
        content = htmx_client.post(self.url(make_database())).content.decode()
        assert "Not provisioned" in content
