"""Renaming applications and databases (slugs stay), deleting an application by its slug, and
the references a deletion would break, listed before it proceeds."""

import pytest
from django.urls import reverse

from connections.models import Activity, Application, Connection, DeployToken, Variable

HTMX = {"HX-Request": "true"}


@pytest.fixture
def web(make_application):
    return make_application(slug="web", name="Web")


@pytest.fixture
def main(make_database):
    return make_database(slug="main", name="Main")


@pytest.fixture
def referrer(make_application):
    """Another application whose environment names web and main."""
    worker = make_application(slug="worker", name="Worker")
    Variable.objects.create(application=worker, key="API_KEY", value="{{ web.SECRET_KEY }}")
    Variable.objects.create(application=worker, key="DB", value="x{{ main.DATABASE_URL }}")
    return worker


def test_renaming_an_application_keeps_its_slug_and_is_recorded(developer_client, web):
    url = reverse("application_rename", args=["acme", "web"])
    modal = developer_client.get(url, headers=HTMX).content.decode()
    assert 'data-testid="slug-stays"' in modal
    assert "<code>web</code> stays" in modal
    response = developer_client.post(url, {"name": "Storefront"}, headers=HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == reverse("application_detail", args=["acme", "web"])
    web.refresh_from_db()
    assert (web.name, web.slug) == ("Storefront", "web")
    entry = Activity.objects.get(verb="renamed application")
    assert entry.changes == {"old": "Web", "new": "Storefront"}


def test_an_empty_name_is_refused_next_to_the_field(developer_client, web):
    url = reverse("application_rename", args=["acme", "web"])
    response = developer_client.post(url, {"name": "  "}, headers=HTMX)
    assert "This field is required" in response.content.decode()
    assert Application.objects.get(slug="web").name == "Web"


def test_renaming_a_database_keeps_its_slug(team_admin_client, main):
    url = reverse("database_rename", args=["acme", "main"])
    team_admin_client.post(url, {"name": "Orders"})
    main.refresh_from_db()
    assert (main.name, main.slug) == ("Orders", "main")
    assert Activity.objects.filter(verb="renamed database").exists()


def test_deleting_an_application_lists_the_references_to_it_first(team_admin_client, web, referrer):
    url = reverse("application_delete", args=["acme", "web"])
    content = team_admin_client.get(url, headers=HTMX).content.decode()
    assert 'data-testid="breaking-references"' in content
    assert "API_KEY" in content
    assert "{{ web.SECRET_KEY }}" in content
    assert "main.DATABASE_URL" not in content


def test_deleting_an_application_needs_its_slug(team_admin_client, web):
    url = reverse("application_delete", args=["acme", "web"])
    response = team_admin_client.post(url, {"confirm": "Web"}, headers=HTMX)
    assert "Type web exactly" in response.content.decode()
    assert Application.objects.filter(slug="web").exists()


def test_deleting_an_application_takes_its_connections_variables_and_tokens(
    team_admin_client, web, main, referrer
):
    Connection.objects.create(application=web, database=main)
    Variable.objects.create(application=web, key="DEBUG", value="1")
    DeployToken.objects.create(application=web, name="ci", prefix="hbr_x", digest="0" * 64)
    version = referrer.environment_version
    url = reverse("application_delete", args=["acme", "web"])
    response = team_admin_client.post(url, {"confirm": "web"}, headers=HTMX)
    assert response.headers["HX-Redirect"] == reverse("application_list", args=["acme"])
    assert not Application.objects.filter(slug="web").exists()
    assert not Connection.objects.exists()
    assert not DeployToken.objects.exists()
    assert not Variable.objects.filter(key="DEBUG").exists()
    referrer.refresh_from_db()
    assert referrer.environment_version > version
    entry = Activity.objects.get(verb="deleted application")
    assert entry.changes == {"references": ["{{ web.SECRET_KEY }}"]}
    assert Activity.objects.filter(verb="disconnected").exists()


def test_a_developer_may_rename_but_not_delete(developer_client, web):
    content = developer_client.get(reverse("application_detail", args=["acme", "web"])).content
    assert reverse("application_rename", args=["acme", "web"]).encode() in content
    assert reverse("application_delete", args=["acme", "web"]).encode() not in content


def test_deleting_a_database_lists_the_references_that_would_break(
    team_admin_client, main, referrer
):
    url = reverse("database_delete", args=["acme", "main"])
    content = team_admin_client.get(url, headers=HTMX).content.decode()
    assert 'data-testid="breaking-references"' in content
    assert "{{ main.DATABASE_URL }}" in content
    assert "Worker" in content
