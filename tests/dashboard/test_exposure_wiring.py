"""Network exposure where connections are made and shown: the add-connection modal warns before
saving and offers the managed rule; the Overview names apps that cannot reach the database and
switches Internet access through the same rule as the Network tab."""

import pytest
from django.urls import reverse

from connections.models import Activity, Connection, FirewallRule
from connections.network import reachability_for_application


@pytest.fixture
def dedicated(make_database):
    return make_database(name="Vault", slug="vault", resource_model="dedicated")


def add(client, app, database, **extra):
    url = reverse("connection_add", args=["acme", app.slug])
    return client.post(url, {"other": database.slug, **extra})


def test_a_dedicated_database_without_the_region_rule_warns_before_saving(
    htmx_client, app, dedicated
):
    response = add(htmx_client, app, dedicated)
    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="reachability-warning"' in content
    assert "Frankfurt" in content
    assert not Connection.objects.exists()


def test_going_ahead_with_the_offer_adds_the_connection_and_the_managed_rule(
    htmx_client, app, dedicated
):
    response = add(htmx_client, app, dedicated, acknowledged="1", add_rule="on")
    assert response.status_code == 204
    assert "networkChanged" in response.headers["HX-Trigger"]
    assert Connection.objects.filter(application=app, database=dedicated).exists()
    assert FirewallRule.objects.get(database=dedicated).region == app.region
    assert reachability_for_application(app, dedicated).allowed
    assert Activity.objects.filter(verb="added managed rule to").exists()


def test_going_ahead_without_the_rule_only_connects(htmx_client, app, dedicated):
    response = add(htmx_client, app, dedicated, acknowledged="1")
    assert response.status_code == 204
    assert Connection.objects.exists()
    assert not FirewallRule.objects.exists()


def test_choosing_the_database_shows_the_warning_before_any_submit(htmx_client, app, dedicated):
    response = add(htmx_client, app, dedicated, refresh="1")
    assert b'data-testid="reachability-warning"' in response.content
    assert not Connection.objects.exists()


def test_a_shared_database_of_the_region_needs_no_warning(htmx_client, app, database):
    assert add(htmx_client, app, database).status_code == 204


def test_the_overview_names_connected_apps_that_cannot_reach_it(
    developer_client, htmx_client, app, dedicated
):
    add(htmx_client, app, dedicated, acknowledged="1")
    content = developer_client.get(reverse("database_detail", args=["acme", "vault"])).content
    assert b'data-testid="unreachable-warning"' in content
    assert b'data-testid="unreachable"' in content


def test_the_overview_offers_the_same_internet_switch_as_the_network_tab(
    team_admin_client, database
):
    content = team_admin_client.get(
        reverse("database_detail", args=["acme", database.slug])
    ).content
    switch = reverse("network_internet", args=["acme", database.slug]) + "?state=on"
    assert switch.encode() in content


def test_the_overview_switch_obeys_the_force_tls_rule(admin_htmx_client, database):
    url = reverse("network_internet", args=["acme", database.slug])
    admin_htmx_client.post(url, {"state": "on"})
    database.refresh_from_db()
    assert database.internet_access is False


def test_the_external_card_refreshes_on_its_own(htmx_client, database):
    url = reverse("database_detail", args=["acme", database.slug])
    response = htmx_client.get(url, headers={"HX-Target": "external-connection"})
    assert b'id="external-connection"' in response.content
    assert b'id="applications"' not in response.content


def test_turning_force_tls_on_marks_connected_apps_and_changes_their_url(owner, app, database):
    from connections import linking, network
    from connections.environment import resolve_environment

    linking.connect(owner, app, database, linking.proposed_keys())
    before = type(app).objects.get(pk=app.pk).environment_version
    network.set_force_tls(owner, database, True)
    assert type(app).objects.get(pk=app.pk).environment_version == before + 1
    assert resolve_environment(app, "runtime")["DATABASE_URL"].endswith("?sslmode=require")


def test_the_offered_rule_is_ticked_when_the_warning_first_shows(htmx_client, app, dedicated):
    for extra in ({}, {"refresh": "choice"}):
        content = add(htmx_client, app, dedicated, **extra).content.decode()
        assert 'id="id_add_rule" checked' in content
