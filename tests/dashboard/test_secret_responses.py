"""No response that carries a secret may be cached, and no page shows one until it is revealed:
the variable edit modal starts masked, revealing there is recorded, and saving without revealing
keeps the value."""

from html import escape

import pytest
from django.urls import reverse

from connections.models import Activity, Variable

HTMX = {"HX-Request": "true"}
VALUE = "s3cr3t-variable-value"


@pytest.fixture
def app(make_application):
    return make_application(name="Shop", slug="shop")


@pytest.fixture
def database(make_database):
    return make_database(name="Shop DB", slug="shop-db")


@pytest.fixture
def variable(app):
    return Variable.objects.create(application=app, key="API_SECRET", value=VALUE)


def edit_url(variable):
    return reverse("variable_edit", args=["acme", variable.application.slug, variable.public_id])


def _not_cacheable(response):
    return "no-store" in response.get("Cache-Control", "")


# The variable edit modal


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_edit_modal_does_not_show_the_value_until_revealed(developer_client, variable, headers):
    response = developer_client.get(edit_url(variable), headers=headers)
    assert response.status_code == 200
    assert VALUE not in response.content.decode()
    assert 'data-testid="variable-edit-reveal"' in response.content.decode()


def test_reveal_in_the_edit_modal_shows_the_value_and_is_recorded(
    developer_client, developer, variable
):
    response = developer_client.post(edit_url(variable), {"reveal": "1"}, headers=HTMX)
    assert response.status_code == 200
    assert VALUE in response.content.decode()
    assert _not_cacheable(response)
    entry = Activity.objects.get(verb="revealed variable")
    assert (entry.actor, entry.changes) == (developer, {"key": "API_SECRET"})
    assert VALUE not in str(entry.changes)
    variable.refresh_from_db()
    assert variable.value == VALUE  # revealing saves nothing


def test_viewer_cannot_reveal_in_the_edit_modal(viewer_client, variable):
    response = viewer_client.post(edit_url(variable), {"reveal": "1"})
    assert response.status_code == 403
    assert not Activity.objects.filter(verb="revealed variable").exists()


def test_saving_without_revealing_keeps_the_value(developer_client, variable):
    data = {"key": "API_TOKEN", "value": "", "runtime": "on"}
    response = developer_client.post(edit_url(variable), data, headers=HTMX)
    assert response.status_code == 204
    variable.refresh_from_db()
    assert (variable.key, variable.value) == ("API_TOKEN", VALUE)


def test_a_value_typed_without_revealing_replaces_it(developer_client, variable):
    data = {"key": "API_SECRET", "value": "new-value", "runtime": "on"}
    assert developer_client.post(edit_url(variable), data, headers=HTMX).status_code == 204
    variable.refresh_from_db()
    assert variable.value == "new-value"


def test_a_revealed_value_cleared_saves_it_empty(developer_client, variable):
    data = {"key": "API_SECRET", "value": "", "revealed": "1", "runtime": "on"}
    assert developer_client.post(edit_url(variable), data, headers=HTMX).status_code == 204
    variable.refresh_from_db()
    assert variable.value == ""


# Every response of the walk that carries a secret is not cacheable


def test_no_response_carrying_a_secret_is_cacheable(developer_client, app, database, variable):
    client = developer_client
    team = ("acme",)
    pages = [
        reverse("home"),
        reverse("application_list", args=team),
        reverse("database_list", args=team),
        reverse("team_activity", args=team),
        *(
            reverse(name, args=["acme", app.slug])
            for name in (
                "application_detail",
                "application_networking",
                "application_settings",
                "application_commands",
                "variable_add",
                "token_create",
                "port_edit",
                "connection_add",
            )
        ),
        edit_url(variable),
        *(
            reverse("application_settings", args=["acme", app.slug]) + f"?format={fmt}"
            for fmt in ("json", "dotenv", "shell")
        ),
        *(
            reverse(name, args=["acme", database.slug])
            for name in (
                "database_detail",
                "database_activity",
                "database_network",
                "password_change",
                "database_delete",
                "connection_add_for_database",
            )
        ),
    ]
    responses = [client.get(url) for url in pages] + [
        client.get(url, headers=HTMX) for url in pages
    ]
    reveal = reverse("credentials_reveal", args=["acme", database.slug])
    posts = [
        (edit_url(variable), {"reveal": "1"}),
        (
            reverse("variable_reveal", args=["acme", app.slug]),
            {"phase": "runtime", "key": "API_SECRET"},
        ),
        (reveal, {"endpoint": "internal"}),
        (reverse("token_create", args=["acme", app.slug]), {"name": "CI"}),
        (
            reverse("environment_reveal", args=["acme", app.slug]),
            {"phase": "runtime", "format": "json"},
        ),
    ]
    responses += [client.post(url, data, headers=HTMX) for url, data in posts]
    responses += [client.post(url, data) for url, data in posts]
    database.refresh_from_db()
    secrets = [VALUE, escape(database.password), *(t.prefix for t in app.deploy_tokens.all())]
    carrying = [r for r in responses if any(s in r.content.decode() for s in secrets)]
    # Each reveal and the token's creation, with and without htmx, and nothing else.
    assert len(carrying) == 2 * len(posts)
    assert [r.request["PATH_INFO"] for r in carrying if not _not_cacheable(r)] == []
