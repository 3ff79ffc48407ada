"""Removing a connection: a confirmation naming what goes, then the connection and its variables
are gone, the application is marked for a restart, and it is recorded."""

import json

import pytest
from django.urls import reverse

from connections import linking
from connections.models import Activity, Connection, Variable


@pytest.fixture
def connection(owner, app, database):
    return linking.connect(owner, app, database, linking.proposed_keys())


def url(app, database):
    return reverse("connection_remove", args=["acme", app.slug, database.slug])


def test_confirmation_names_the_application_the_database_and_the_variables(
    htmx_client, connection, app, database
):
    content = htmx_client.get(url(app, database)).content.decode()
    assert "Storefront" in content
    assert "Shop DB" in content
    assert "DATABASE_URL" in content
    assert "DB_PASSWORD" in content
    assert connection.pk == Connection.objects.get().pk  # nothing removed by looking


def test_unknown_pair_is_404(developer_client, app, make_database):
    other = make_database(slug="unconnected")
    assert developer_client.post(url(app, other)).status_code == 404


def test_confirm_removes_the_connection_and_its_variables(htmx_client, connection, app, database):
    Variable.objects.create(application=app, key="KEEP_ME", value="1")
    response = htmx_client.post(url(app, database))
    assert response.status_code == 204
    assert json.loads(response.headers["HX-Trigger"])["connectionsChanged"] == {}
    assert not Connection.objects.exists()
    assert list(Variable.objects.values_list("key", flat=True)) == ["KEEP_ME"]


def test_removal_bumps_the_environment_and_is_recorded(
    htmx_client, developer, connection, app, database
):
    before = type(app).objects.get(pk=app.pk).environment_version
    htmx_client.post(url(app, database))
    app.refresh_from_db()
    entry = Activity.objects.get(verb="disconnected")
    assert app.environment_version == before + 1
    assert entry.actor == developer
    assert "DATABASE_URL" in entry.changes["removed_variables"]


def test_without_javascript_returns_to_a_page_of_the_team_only(
    developer_client, connection, app, database
):
    response = developer_client.post(url(app, database), {"next": "https://evil.example/"})
    assert response.url == reverse("application_list", args=["acme"])


def test_from_the_database_page_returns_there(developer_client, connection, app, database):
    back = reverse("database_detail", args=["acme", database.slug])
    response = developer_client.post(url(app, database), {"next": back})
    assert response.url == back


@pytest.mark.parametrize("target", ["/t/globex/apps/", "//evil.example/t/acme/apps/", "/nowhere/"])
def test_next_must_be_a_page_of_this_team(developer_client, connection, app, database, target):
    response = developer_client.post(url(app, database), {"next": target})
    assert response.url == reverse("application_list", args=["acme"])
