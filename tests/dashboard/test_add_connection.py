"""Adding an internal connection, from the application's Networking page and from the database's
Overview: same result, same refusals, variables previewed with editable keys."""

import json
import re

import pytest
from django.urls import reverse

from connections.models import Activity, Application, Connection, Variable

KEYS = {
    "key_host": "DB_HOST",
    "key_port": "DB_PORT",
    "key_name": "DB_NAME",
    "key_user": "DB_USER",
    "key_password": "DB_PASSWORD",
    "key_url": "DATABASE_URL",
}


def from_app(app):
    return reverse("connection_add", args=["acme", app.slug])


def from_db(database):
    return reverse("connection_add_for_database", args=["acme", database.slug])


def _post(client, app, database, side="app", **data):
    url = from_app(app) if side == "app" else from_db(database)
    other = database.slug if side == "app" else app.slug
    return client.post(url, {"other": other, "add_variables": "on", **KEYS, **data})


def test_modal_offers_only_same_team_same_region(
    htmx_client, app, database, make_database, other_region, other_team
):
    make_database(name="Far away", slug="far", region=other_region)
    make_database(name="Not ours", slug="not-ours", team=other_team)
    response = htmx_client.get(from_app(app))
    assert list(response.context["form"].fields["other"].widget.choices) == [("shop-db", "Shop DB")]
    assert b"<html" not in response.content  # a fragment for the modal


def test_modal_previews_the_default_keys(htmx_client, app, database):
    content = htmx_client.get(from_app(app)).content.decode()
    for key in KEYS.values():
        assert f'value="{key}"' in content


def test_prefix_refresh_shows_prefixed_keys_without_saving(htmx_client, app, database):
    response = htmx_client.post(
        from_app(app),
        {"other": database.slug, "add_variables": "on", "prefix": "SHOP_", "refresh": "prefix"},
    )
    assert 'value="SHOP_DATABASE_URL"' in response.content.decode()
    assert not Connection.objects.exists()


@pytest.mark.parametrize("side", ["app", "db"])
def test_both_sides_create_the_same_connection_and_variables(htmx_client, app, database, side):
    response = _post(htmx_client, app, database, side=side, key_url="SHOP_URL")
    assert response.status_code == 204
    assert Connection.objects.filter(application=app, database=database).exists()
    variables = Variable.objects.filter(application=app)
    assert sorted(v.key for v in variables) == sorted([*list(KEYS.values())[:5], "SHOP_URL"])
    assert all(v.runtime and not v.build and v.is_linked for v in variables)


def test_success_closes_the_modal_and_refreshes_lists(htmx_client, app, database):
    trigger = json.loads(_post(htmx_client, app, database).headers["HX-Trigger"])
    assert trigger == {"closeModal": {}, "connectionsChanged": {}, "variablesChanged": {}}


def test_without_javascript_success_redirects_to_the_page(developer_client, app, database):
    response = developer_client.post(from_app(app), {"other": database.slug})
    assert response.url == reverse("application_networking", args=["acme", app.slug])


def test_unticked_checkbox_adds_no_variables(htmx_client, app, database):
    htmx_client.post(from_app(app), {"other": database.slug, **KEYS})
    assert Connection.objects.exists()
    assert not Variable.objects.exists()


def test_connection_bumps_the_environment_and_is_recorded(htmx_client, developer, app, database):
    _post(htmx_client, app, database)
    app.refresh_from_db()
    entry = Activity.objects.get(verb="connected")
    assert app.environment_version == 2
    assert (entry.actor, entry.target_label, entry.changes["application"]) == (
        developer,
        "Shop DB",
        "storefront",
    )


def test_duplicate_connection_is_refused_in_the_modal(htmx_client, app, database):
    _post(htmx_client, app, database)
    response = _post(htmx_client, app, database, key_url="OTHER_URL")
    assert response.status_code == 200
    assert "already connected" in response.context["form"].errors["other"][0]
    assert Connection.objects.count() == 1


def test_cross_region_is_refused_with_the_reason(htmx_client, app, make_database, other_region):
    far = make_database(name="Far", slug="far", region=other_region)
    response = htmx_client.post(from_app(app), {"other": far.slug, **KEYS, "add_variables": "on"})
    assert "Frankfurt" in response.context["form"].errors["other"][0]
    assert not Connection.objects.exists()


def test_cross_region_explains_itself_from_the_database_side(
    htmx_client, database, make_application, other_region
):
    far = make_application(name="Far app", slug="far-app", region=other_region)
    response = htmx_client.post(from_db(database), {"other": far.slug})
    assert "one region" in response.context["form"].errors["other"][0]


def test_other_team_database_is_refused_without_naming_it(
    htmx_client, app, make_database, other_team
):
    make_database(name="Secret Globex DB", slug="globex-db", team=other_team)
    response = htmx_client.post(from_app(app), {"other": "globex-db"})
    assert response.context["form"].errors["other"]
    assert b"Secret Globex DB" not in response.content
    assert not Connection.objects.exists()


def test_key_clash_with_an_existing_runtime_variable_is_shown_next_to_the_key(
    htmx_client, app, database
):
    Variable.objects.create(application=app, key="DATABASE_URL", value="x", runtime=True)
    response = _post(htmx_client, app, database)
    assert "already has DATABASE_URL at runtime" in response.context["form"].errors["key_url"][0]
    assert not Connection.objects.exists()


def test_a_build_only_variable_with_the_same_key_is_no_clash(htmx_client, app, database):
    Variable.objects.create(
        application=app, key="DATABASE_URL", value="x", build=True, runtime=False
    )
    assert _post(htmx_client, app, database).status_code == 204


@pytest.mark.parametrize(
    ("field", "key", "message"),
    [
        ("key_port", "PORT", "set by the platform"),
        ("key_host", "1HOST", "letters, digits and underscores"),
        ("key_user", "DB_HOST", "used twice"),
        ("key_name", "", "Give this variable a key"),
    ],
)
def test_bad_keys_are_explained_next_to_the_field(htmx_client, app, database, field, key, message):
    response = _post(htmx_client, app, database, **{field: key})
    assert message.lower() in " ".join(response.context["form"].errors[field]).lower()
    assert not Connection.objects.exists()
    assert not Variable.objects.exists()


def test_bad_prefix_is_refused(htmx_client, app, database):
    response = _post(htmx_client, app, database, prefix="1-bad")
    assert response.context["form"].errors["prefix"]


def test_an_application_in_another_team_cannot_be_linked_through_its_slug(
    htmx_client, database, other_team, region
):
    Application.objects.create(team=other_team, region=region, name="Theirs", slug="theirs")
    response = htmx_client.post(from_db(database), {"other": "theirs"})
    assert response.context["form"].errors["other"]
    assert not Connection.objects.exists()


def test_choosing_another_database_keeps_the_keys_as_typed(htmx_client, app, database):
    response = htmx_client.post(
        from_app(app),
        {
            "other": database.slug,
            "add_variables": "on",
            **KEYS,
            "key_url": "MY_URL",
            "refresh": "choice",
        },
    )
    assert 'value="MY_URL"' in response.content.decode()
    assert not Connection.objects.exists()


# While choosing: clashes, connections already made and the engine's keys show before submit


def test_a_clash_shows_next_to_the_key_when_the_modal_opens(htmx_client, app, database):
    Variable.objects.create(application=app, key="DATABASE_URL", value="x", runtime=True)
    response = htmx_client.get(from_app(app))
    assert response.context["form"].clashes == {
        "key_url": "Storefront already has DATABASE_URL at runtime. Pick another key or a prefix."
    }
    assert b'data-testid="key-clash"' in response.content
    assert not response.context["form"].errors


def test_choosing_an_application_shows_its_clashes_before_submit(
    htmx_client, database, make_application
):
    make_application(name="Plain", slug="plain")
    busy = make_application(name="Busy", slug="busy")
    Variable.objects.create(application=busy, key="DB_HOST", value="x", runtime=True)
    data = {"other": "busy", "add_variables": "on", **KEYS, "refresh": "choice"}
    response = htmx_client.post(from_db(database), data)
    assert list(response.context["form"].clashes) == ["key_host"]
    assert "Busy already has DB_HOST at runtime" in response.content.decode()
    assert not Connection.objects.exists()


def test_typing_a_clashing_key_shows_the_clash_on_change(htmx_client, app, database):
    Variable.objects.create(application=app, key="MY_URL", value="x", runtime=True)
    data = {"other": database.slug, "add_variables": "on", **KEYS, "key_url": "MY_URL"}
    response = htmx_client.post(from_app(app), {**data, "refresh": "keys"})
    assert 'value="MY_URL"' in response.content.decode()
    assert "already has MY_URL at runtime" in response.context["form"].clashes["key_url"]


def test_a_prefix_that_avoids_the_clash_clears_it(htmx_client, app, database):
    Variable.objects.create(application=app, key="DATABASE_URL", value="x", runtime=True)
    data = {"other": database.slug, "add_variables": "on", "prefix": "SHOP_", "refresh": "prefix"}
    assert htmx_client.post(from_app(app), data).context["form"].clashes == {}


def test_no_clash_is_shown_when_no_variables_will_be_added(htmx_client, app, database):
    Variable.objects.create(application=app, key="DATABASE_URL", value="x", runtime=True)
    data = {"other": database.slug, **KEYS, "refresh": "choice"}
    assert htmx_client.post(from_app(app), data).context["form"].clashes == {}


def test_connected_databases_are_listed_but_cannot_be_chosen(htmx_client, app, make_database):
    connected = make_database(name="Alpha", slug="alpha")
    make_database(name="Beta", slug="beta")
    Connection.objects.create(application=app, database=connected)
    response = htmx_client.get(from_app(app))
    content = response.content.decode()
    assert '<option value="alpha" disabled>Alpha (already connected)</option>' in content
    assert '<option value="beta" selected>Beta</option>' in content
    assert "Already connected: Alpha." in content


def test_when_everything_is_connected_the_modal_says_so_and_offers_no_submit(
    htmx_client, app, database
):
    Connection.objects.create(application=app, database=database)
    response = htmx_client.get(from_app(app))
    assert b'data-testid="all-connected"' in response.content
    assert b"Add connection</button>" not in response.content


def test_connected_applications_cannot_be_chosen_from_the_database_side(
    htmx_client, app, database, make_application
):
    make_application(name="Mailer", slug="mailer")
    Connection.objects.create(application=app, database=database)
    content = htmx_client.get(from_db(database)).content.decode()
    assert '<option value="storefront" disabled>Storefront (already connected)</option>' in content
    assert '<option value="mailer" selected>Mailer</option>' in content


def test_a_redis_database_proposes_redis_keys(htmx_client, app, make_database):
    cache = make_database(name="Cache", slug="cache", engine="redis", version="7.4")
    content = htmx_client.get(from_db(cache)).content.decode()
    for key in ("REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "REDIS_URL"):
        assert f'value="{key}"' in content
    assert 'value="DATABASE_URL"' not in content
    assert 'value="DB_HOST"' not in content


def test_choosing_redis_instead_follows_with_its_keys_but_keeps_typed_ones(
    htmx_client, app, database, make_database
):
    make_database(name="Cache", slug="cache", engine="redis", version="7.4")
    data = {"other": "cache", "add_variables": "on", **KEYS, "key_user": "MY_USER"}
    content = htmx_client.post(from_app(app), {**data, "refresh": "choice"}).content.decode()
    assert 'value="REDIS_URL"' in content
    assert 'value="REDIS_HOST"' in content
    assert 'value="MY_USER"' in content
    assert 'value="DATABASE_URL"' not in content


def test_connecting_redis_creates_redis_keys(htmx_client, app, make_database):
    cache = make_database(name="Cache", slug="cache", engine="redis", version="7.4")
    form = htmx_client.get(from_app(app)).context["form"]
    keys = {name: form[name].value() for name in KEYS}
    htmx_client.post(from_app(app), {"other": cache.slug, "add_variables": "on", **keys})
    assert "REDIS_URL" in set(Variable.objects.values_list("key", flat=True))


def test_choosing_refreshes_the_fields_only_one_after_the_other(htmx_client, app, database):
    content = htmx_client.get(from_app(app)).content.decode()
    assert content.count('hx-target="#connection-fields"') == 1 + 1 + 6  # choice, prefix, keys
    assert content.count('hx-sync="#modal:queue last"') == 8
    assert "Choosing refreshes" not in content  # a comment, not text


@pytest.mark.parametrize("side", ["app", "db"])
def test_both_modals_offer_read_only_and_the_connection_keeps_the_choice(
    htmx_client, app, database, side
):
    url = from_app(app) if side == "app" else from_db(database)
    content = htmx_client.get(url).content.decode()
    assert 'name="access" value="read-only"' in content
    assert re.search(r'value="read-write"[^>]*checked', content)
    _post(htmx_client, app, database, side=side, access="read-only")
    connection = Connection.objects.get(application=app, database=database)
    assert connection.read_only
    # Not provisioned: the credential waits for a server, and says so.
    credential = connection.credentials.get()
    assert credential.read_only
    assert credential.pending
    assert "not provisioned" in credential.problem


def test_read_write_is_the_default(htmx_client, app, database):
    _post(htmx_client, app, database)
    assert not Connection.objects.get(application=app, database=database).read_only
