"""The build check on the application's pages, and moving database steps to the start command."""

import pytest
from django.urls import reverse

from connections import linking
from connections.models import Activity

BUILD = "npm ci && npx prisma migrate deploy && npm run build"


@pytest.fixture
def migrating_app(owner, make_application, database):
    app = make_application(slug="shop", build_command=BUILD, start_command="npm start")
    linking.connect(owner, app, database, None)
    return app


def url(app):
    return reverse("build_fix", args=["acme", app.slug])


@pytest.mark.parametrize(
    "url_name", ["application_detail", "application_networking", "application_settings"]
)
def test_pages_warn_about_a_migration_in_the_build(developer_client, migrating_app, url_name):
    content = developer_client.get(reverse(url_name, args=["acme", "shop"])).content.decode()
    assert 'data-testid="build-warning"' in content
    assert "npx prisma migrate deploy" in content


def test_no_warning_without_an_internal_connection(developer_client, make_application):
    make_application(slug="lonely", build_command=BUILD)
    content = developer_client.get(reverse("application_detail", args=["acme", "lonely"])).content
    assert b"build-warning" not in content


def test_preview_shows_both_commands_without_changing_anything(htmx_client, migrating_app):
    response = htmx_client.get(url(migrating_app))
    assert response.context["plan"].start_command == "npx prisma migrate deploy && npm start"
    migrating_app.refresh_from_db()
    assert migrating_app.build_command == BUILD


def test_apply_moves_the_step_and_is_recorded(htmx_client, migrating_app):
    response = htmx_client.post(url(migrating_app))
    migrating_app.refresh_from_db()
    assert response.headers["HX-Redirect"] == reverse("application_detail", args=["acme", "shop"])
    assert migrating_app.build_command == "npm ci && npm run build"
    assert migrating_app.start_command == "npx prisma migrate deploy && npm start"
    assert Activity.objects.get(verb__startswith="moved").changes == {
        "steps": ["npx prisma migrate deploy"]
    }


def test_nothing_to_move_closes_quietly(htmx_client, app):
    assert htmx_client.post(url(app)).status_code == 204
