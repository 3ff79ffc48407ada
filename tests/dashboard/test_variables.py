"""The Settings page's variables: add, edit, delete, reveal; linked variables stay runtime-only."""

import json

import pytest
from django.urls import reverse

from connections import linking
from connections.models import Activity, Variable


def add_url(app):
    return reverse("variable_add", args=["acme", app.slug])


def edit_url(variable):
    return reverse("variable_edit", args=["acme", variable.application.slug, variable.public_id])


def delete_url(variable):
    return reverse("variable_delete", args=["acme", variable.application.slug, variable.public_id])


def reveal_url(app):
    return reverse("variable_reveal", args=["acme", app.slug])


@pytest.fixture
def secret(app):
    return Variable.objects.create(application=app, key="API_SECRET", value="s3cr3t-value")


def test_add_saves_encrypted_bumps_and_records_without_the_value(htmx_client, app):
    response = htmx_client.post(
        add_url(app),
        {"key": "API_KEY", "value": "abc$`'\"", "build": "on", "runtime": "on"},
    )
    variable = Variable.objects.get()
    app.refresh_from_db()
    entry = Activity.objects.get()
    assert json.loads(response.headers["HX-Trigger"]) == {"closeModal": {}, "variablesChanged": {}}
    assert (variable.value, variable.build, variable.runtime) == ("abc$`'\"", True, True)
    assert app.environment_version == 2
    assert entry.changes == {"key": "API_KEY", "phases": ["build", "runtime"]}
    assert "abc" not in json.dumps(entry.changes)


def test_same_key_may_hold_one_value_for_build_and_another_at_runtime(htmx_client, app):
    htmx_client.post(add_url(app), {"key": "MODE", "value": "build", "build": "on"})
    response = htmx_client.post(add_url(app), {"key": "MODE", "value": "run", "runtime": "on"})
    assert response.status_code == 204
    assert Variable.objects.filter(key="MODE").count() == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"key": "PORT", "value": "1", "runtime": "on"}, "key", "set by the platform"),
        (
            {"key": "my-key", "value": "1", "runtime": "on"},
            "key",
            "letters, digits and underscores",
        ),
        ({"key": "API_SECRET", "value": "1", "runtime": "on"}, "key", "already defined at runtime"),
        ({"key": "NEW", "value": "1"}, "runtime", "during the build, at runtime, or both"),
        (
            {"key": "REF", "value": "{{ nowhere.KEY }}", "runtime": "on"},
            "value",
            "no application or database named 'nowhere'",
        ),
    ],
)
def test_bad_input_is_explained_next_to_the_field(htmx_client, app, secret, data, field, message):
    response = htmx_client.post(add_url(app), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert Variable.objects.count() == 1


def test_a_reference_cycle_is_refused_at_save(htmx_client, app, make_application):
    other = make_application(slug="other")
    Variable.objects.create(application=other, key="B", value="{{ storefront.A }}")
    response = htmx_client.post(
        add_url(app), {"key": "A", "value": "{{ other.B }}", "runtime": "on"}
    )
    assert "circle" in response.context["form"].errors["value"][0]


def test_edit_changes_the_value_and_is_recorded(htmx_client, secret):
    response = htmx_client.post(
        edit_url(secret), {"key": "API_SECRET", "value": "new", "runtime": "on"}
    )
    secret.refresh_from_db()
    assert response.status_code == 204
    assert secret.value == "new"
    assert Activity.objects.get().verb == "edited variable"


def test_delete_removes_and_records(htmx_client, secret):
    response = htmx_client.post(delete_url(secret))
    assert response.status_code == 204
    assert not Variable.objects.exists()
    assert Activity.objects.get().changes == {"key": "API_SECRET"}


def test_unknown_variable_is_404(developer_client, app):
    bogus = reverse(
        "variable_edit", args=["acme", app.slug, "00000000-0000-0000-0000-000000000000"]
    )
    assert developer_client.get(bogus).status_code == 404


def test_another_apps_variable_is_404_through_this_app(developer_client, app, make_application):
    theirs = Variable.objects.create(application=make_application(slug="x"), key="K", value="v")
    url = reverse("variable_edit", args=["acme", app.slug, theirs.public_id])
    assert developer_client.get(url).status_code == 404


class TestLinked:
    @pytest.fixture
    def linked(self, owner, app, database):
        linking.connect(owner, app, database, linking.proposed_keys())
        return Variable.objects.get(key="DB_PASSWORD")

    def test_key_can_be_renamed_and_stays_linked(self, htmx_client, linked):
        htmx_client.post(edit_url(linked), {"key": "PGPASSWORD", "runtime": "on"})
        linked.refresh_from_db()
        assert (linked.key, linked.is_linked) == ("PGPASSWORD", True)

    def test_build_availability_is_refused_with_the_two_ways_out(self, htmx_client, linked):
        response = htmx_client.post(
            edit_url(linked), {"key": "DB_PASSWORD", "build": "on", "runtime": "on"}
        )
        message = response.context["form"].errors["build"][0]
        assert "not live during a build" in message
        assert "start command" in message
        assert "external connection" in message
        linked.refresh_from_db()
        assert not linked.build

    def test_posted_value_is_ignored(self, htmx_client, linked, database):
        htmx_client.post(
            edit_url(linked),
            {"key": "DB_PASSWORD", "value": "pasted", "runtime": "on"},
        )
        linked.refresh_from_db()
        assert (linked.value, linked.is_linked) == ("", True)


class TestReveal:
    def test_page_masks_values(self, developer_client, app, secret):
        page = developer_client.get(reverse("application_settings", args=["acme", app.slug]))
        assert b"s3cr3t-value" not in page.content
        assert b"API_SECRET" in page.content

    def test_reveal_shows_the_resolved_value_and_is_recorded(self, htmx_client, app, database):
        Variable.objects.create(application=app, key="URL", value="{{ shop-db.DB_NAME }}")
        response = htmx_client.post(reveal_url(app), {"phase": "runtime", "key": "URL"})
        assert response.content.decode().count(database.database_name) == 1
        entry = Activity.objects.get(verb="revealed variable")
        assert entry.changes == {"key": "URL", "phase": "runtime"}

    def test_reveal_of_an_unknown_key_is_404(self, developer_client, app):
        response = developer_client.post(reveal_url(app), {"phase": "runtime", "key": "NOPE"})
        assert response.status_code == 404

    @pytest.mark.parametrize("key", ["NO PE", "%zz%00\x00"])
    def test_reveal_in_a_broken_environment_of_a_key_no_variable_can_have_is_404(
        self, developer_client, app, key
    ):
        """A broken environment answers a key with its error; a key no variable can have (even
        one PostgreSQL cannot store) is not found, and nothing is recorded."""
        Variable.objects.create(application=app, key="BROKEN", value="{{ gone.KEY }}")
        response = developer_client.post(reveal_url(app), {"phase": "runtime", "key": key})
        assert response.status_code == 404
        assert not Activity.objects.filter(verb="revealed variable").exists()

    def test_reveal_of_a_bad_phase_is_404(self, developer_client, app, secret):
        response = developer_client.post(reveal_url(app), {"phase": "deploy", "key": "API_SECRET"})
        assert response.status_code == 404

    def test_a_broken_reference_shows_its_error_on_the_page(self, developer_client, app):
        Variable.objects.create(application=app, key="BROKEN", value="{{ gone.KEY }}")
        page = developer_client.get(reverse("application_settings", args=["acme", app.slug]))
        assert b"no application or database named &#x27;gone&#x27;" in page.content

    def test_htmx_refresh_answers_the_fragment_it_targets(self, htmx_client, app, secret):
        url = reverse("application_settings", args=["acme", app.slug])
        variables = htmx_client.get(url, headers={"HX-Target": "variables"})
        tokens = htmx_client.get(url, headers={"HX-Target": "tokens"})
        assert b'id="variables"' in variables.content
        assert b"<html" not in variables.content
        assert b'id="tokens"' in tokens.content
        assert b'id="variables"' not in tokens.content
