"""The database's Network tab: the page and its fragments, the reachability form, the Force TLS
and Internet access modals, and adding and removing firewall rules."""

import json

import pytest
from django.urls import reverse

from connections.models import Activity, Connection, Database, FirewallRule, RegionRange
from connections.network import (
    Decider,
    add_cidr_rule,
    add_region_rule,
    reachability_for_application,
    set_force_tls,
    set_internet_access,
)


@pytest.fixture
def ranges(region, other_region):
    RegionRange.objects.create(region=region, network="10.20.0.0/16")
    RegionRange.objects.create(region=other_region, network="10.30.0.0/16")


@pytest.fixture
def shared(make_database):
    return make_database(name="Shop DB", slug="shop-db")


@pytest.fixture
def dedicated(make_database, ranges):
    return make_database(name="Ledger", slug="ledger", resource_model="dedicated")


def url(name, database, *args):
    return reverse(name, args=["acme", database.slug, *args])


def _reload(database):
    return Database.objects.select_related("region", "team").get(pk=database.pk)


def _events(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])


# The tab -------------------------------------------------------------------------------------


def test_shared_tab_shows_the_model_defaults(team_admin_client, shared):
    content = team_admin_client.get(url("database_network", shared)).content.decode()
    assert "Shared resources have no firewall" in content
    assert "Turn on Internet access" in content
    assert "Turn on Force TLS" in content


def test_dedicated_tab_shows_an_empty_allowlist_and_how_to_start(team_admin_client, dedicated):
    content = team_admin_client.get(url("database_network", dedicated)).content.decode()
    # Not provisioned: no server enforces it, so the page may not say "nothing can reach".
    assert "No rules yet, so the settings admit nothing to Ledger" in content
    assert "Nothing is enforced yet" in content
    assert "Allow Frankfurt" in content
    assert "Turn on Internet access" not in content  # the rules decide, not a switch


def test_viewer_sees_the_tab_without_buttons(viewer_client, dedicated):
    add_cidr_rule(None, dedicated, "203.0.113.0/24", "Office")
    response = viewer_client.get(url("database_network", dedicated))
    assert response.status_code == 200
    assert b"Office" in response.content
    assert b"Add rule" not in response.content
    assert b"Turn off Force TLS" not in response.content


def test_htmx_refresh_answers_the_exposure_fragment(admin_htmx_client, dedicated):
    response = admin_htmx_client.get(
        url("database_network", dedicated), headers={"HX-Target": "exposure"}
    )
    content = response.content.decode()
    assert content.strip().startswith('<div id="exposure"')
    assert 'hx-trigger="networkChanged from:body"' in content
    assert "<html" not in content


def test_rules_show_their_reach_and_redundancy(team_admin_client, dedicated, region):
    add_region_rule(None, dedicated, region)
    add_cidr_rule(None, dedicated, "203.0.0.0/16", "Provider")
    FirewallRule.objects.create(database=dedicated, network="203.0.113.0/24", label="Office")
    content = team_admin_client.get(url("database_network", dedicated)).content.decode()
    assert "10.20.0.0/16" in content  # the managed rule's ranges
    assert "65,536 IPv4 addresses" in content
    assert "Redundant: “Provider” already allows all of it." in content


def test_connected_applications_show_whether_they_reach_it(
    team_admin_client, dedicated, make_application
):
    app = make_application(name="Storefront")
    Connection.objects.create(application=app, database=dedicated)
    content = team_admin_client.get(url("database_network", dedicated)).content.decode()
    # Not provisioned, so not enforced: the settings refuse it, no server does (yet).
    assert "Refused by the settings (not enforced)" in content
    assert "Cannot reach it" not in content
    assert "managed/?region=fra1" in content


def test_query_count_does_not_grow_with_rules(
    team_admin_client, page_queries, dedicated, make_application
):
    tab = url("database_network", dedicated)
    app = make_application()
    Connection.objects.create(application=app, database=dedicated)
    add_cidr_rule(None, dedicated, "198.18.0.1", "Rule 0")
    # session, user, memberships, database, rules, ranges, apps, connections
    one = page_queries(team_admin_client, tab, at_most=8)
    for number in range(1, 30):
        add_cidr_rule(None, dedicated, f"198.18.{number}.0/24", f"Rule {number}")
        Connection.objects.create(application=make_application(), database=dedicated)
    assert FirewallRule.objects.count() == 30
    page_queries(team_admin_client, tab, exactly=one)


# The reachability form -------------------------------------------------------------------------


def test_checking_an_allowed_address_names_the_rule(admin_htmx_client, dedicated):
    add_cidr_rule(None, dedicated, "203.0.113.0/24", "Office")
    response = admin_htmx_client.get(
        url("database_network", dedicated),
        {"source": "", "address": "203.0.113.9", "tls": "on"},
        headers={"HX-Target": "reachability"},
    )
    content = response.content.decode()
    assert content.strip().startswith('<section class="card" id="reachability"')
    assert response.context["verdict"].allowed
    assert "Reachable" in content
    assert "Office" in content


def test_checking_without_tls_says_force_tls_decided(team_admin_client, dedicated):
    add_cidr_rule(None, dedicated, "203.0.113.0/24", "Office")
    response = team_admin_client.get(
        url("database_network", dedicated), {"source": "", "address": "203.0.113.9"}
    )
    assert response.context["verdict"].decided_by is Decider.FORCE_TLS


def test_checking_an_application(team_admin_client, dedicated, make_application):
    app = make_application(name="Storefront", slug="storefront")
    response = team_admin_client.get(url("database_network", dedicated), {"source": "storefront"})
    verdict = response.context["verdict"]
    assert not verdict.allowed
    assert verdict.reason.startswith("Storefront runs in Frankfurt.")
    assert app.region == verdict.suggested_region


@pytest.mark.parametrize(
    "address",
    ["", "banana", "10.0.0.0/8", "1" * 500, "fe80::1%eth0", "999.1.1.1", "<script>", "::g"],
)
def test_garbage_in_the_address_box_is_explained_never_a_500(team_admin_client, dedicated, address):
    response = team_admin_client.get(
        url("database_network", dedicated), {"source": "", "address": address}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["address"]
    assert response.context["verdict"] is None


def test_an_unknown_application_is_an_error_not_a_500(team_admin_client, dedicated):
    response = team_admin_client.get(url("database_network", dedicated), {"source": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors["source"]


# Force TLS -----------------------------------------------------------------------------------


def test_force_tls_modal_says_who_is_affected(admin_htmx_client, shared, make_application):
    Connection.objects.create(application=make_application(name="Storefront"), database=shared)
    response = admin_htmx_client.get(url("network_force_tls", shared))
    content = response.content.decode()
    assert "<html" not in content
    assert "Storefront" in content
    assert "sslmode=require" in content


def test_turning_force_tls_on_closes_the_modal_and_refreshes_the_tab(admin_htmx_client, shared):
    response = admin_htmx_client.post(url("network_force_tls", shared), {"state": "on"})
    assert response.status_code == 204
    assert _events(response) == {"closeModal": {}, "networkChanged": {}}
    assert _reload(shared).force_tls
    assert Activity.objects.get().verb == "turned on Force TLS for"


def test_without_javascript_the_change_redirects_to_the_tab(team_admin_client, shared):
    response = team_admin_client.post(url("network_force_tls", shared), {"state": "on"})
    assert response.status_code == 302
    assert response.url == url("database_network", shared)


def test_force_tls_off_is_refused_while_internet_access_is_on(admin_htmx_client, shared):
    set_force_tls(None, shared, True)
    set_internet_access(None, shared, True)
    modal = admin_htmx_client.get(url("network_force_tls", shared)).content.decode()
    assert "Turn Internet access off first" in modal
    response = admin_htmx_client.post(url("network_force_tls", shared), {"state": "off"})
    assert response.status_code == 200
    assert "HX-Trigger" not in response.headers
    assert b"Turn Internet access off first" in response.content
    assert _reload(shared).force_tls


def test_a_state_that_is_not_on_or_off_is_a_bad_request(team_admin_client, shared):
    assert (
        team_admin_client.post(url("network_force_tls", shared), {"state": "x"}).status_code == 400
    )


def test_force_tls_on_the_way_to_internet_access_opens_that_modal(admin_htmx_client, shared):
    response = admin_htmx_client.post(
        url("network_force_tls", shared), {"state": "on", "then": "internet"}
    )
    assert _events(response) == {"networkChanged": {}}
    assert response.context["on"] is True
    assert b"Turn on Internet access" in response.content
    assert response.context["refusal"] is None


# Internet access -----------------------------------------------------------------------------


def test_internet_modal_refuses_while_force_tls_is_off_and_leads_to_it(admin_htmx_client, shared):
    response = admin_htmx_client.get(url("network_internet", shared))
    content = response.content.decode()
    assert "needs Force TLS on first" in content
    assert "Turn on Force TLS first" in content
    assert url("network_force_tls", shared) + "?state=on&amp;then=internet" in content


def test_internet_access_post_is_refused_while_force_tls_is_off(admin_htmx_client, shared):
    response = admin_htmx_client.post(url("network_internet", shared), {"state": "on"})
    assert response.status_code == 200
    assert b"needs Force TLS on first" in response.content
    assert not _reload(shared).internet_access
    assert not Activity.objects.exists()


def test_internet_access_on_after_force_tls(admin_htmx_client, shared):
    set_force_tls(None, shared, True)
    modal = admin_htmx_client.get(url("network_internet", shared)).content.decode()
    assert "becomes reachable from any address on the Internet" in modal
    response = admin_htmx_client.post(url("network_internet", shared), {"state": "on"})
    assert _events(response) == {"closeModal": {}, "networkChanged": {}}
    assert _reload(shared).internet_access
    assert Activity.objects.first().changes == {"internet_access": True}


def test_a_dedicated_database_explains_that_rules_decide(admin_htmx_client, dedicated):
    response = admin_htmx_client.post(url("network_internet", dedicated), {"state": "on"})
    assert b"follows the firewall rules" in response.content
    assert b"Add a rule" in response.content


# Adding a rule -------------------------------------------------------------------------------


def _add(client, database, **data):
    return client.post(url("network_rule_add", database), {"label": "Office", **data})


def test_adding_a_rule_is_normalised_recorded_and_refreshes_the_tab(admin_htmx_client, dedicated):
    response = _add(admin_htmx_client, dedicated, network=" 203.0.113.7 ")
    assert _events(response) == {"closeModal": {}, "networkChanged": {}}
    assert FirewallRule.objects.get().network == "203.0.113.7/32"
    assert Activity.objects.get().verb == "added firewall rule to"


def test_host_bits_are_refused_next_to_the_field(admin_htmx_client, dedicated):
    response = _add(admin_htmx_client, dedicated, network="10.1.2.3/8")
    assert response.status_code == 200
    assert "Did you mean the range 10.0.0.0/8?" in response.context["form"].errors["network"][0]
    assert b'id="id_network-error"' in response.content
    assert not FirewallRule.objects.exists()
    assert not Activity.objects.exists()


def test_a_duplicate_is_reported_next_to_the_field(admin_htmx_client, dedicated):
    add_cidr_rule(None, dedicated, "203.0.113.0/24", "Office")
    response = _add(admin_htmx_client, dedicated, network="203.0.113.0/24")
    assert "already in the allowlist" in response.context["form"].errors["network"][0]
    assert FirewallRule.objects.count() == 1


def test_a_covered_range_is_reported(admin_htmx_client, dedicated):
    add_cidr_rule(None, dedicated, "203.0.113.0/24", "Office")
    response = _add(admin_htmx_client, dedicated, network="203.0.113.64/26")
    assert "this rule would change nothing" in response.context["form"].errors["network"][0]


def test_everyone_asks_for_a_confirmation_that_says_everyone(admin_htmx_client, dedicated):
    response = _add(admin_htmx_client, dedicated, network="0.0.0.0/0", label="All")
    content = response.content.decode()
    assert "0.0.0.0/0 means everyone" in content
    assert "Yes, allow everyone on the Internet" in content
    assert not FirewallRule.objects.exists()
    confirmed = _add(admin_htmx_client, dedicated, network="::/0", confirm_everyone="on")
    assert confirmed.status_code == 204
    assert FirewallRule.objects.get().network == "::/0"


def test_an_internet_rule_without_force_tls_offers_to_turn_it_on(admin_htmx_client, dedicated):
    set_force_tls(None, dedicated, False)
    response = _add(admin_htmx_client, dedicated, network="198.51.100.0/24")
    assert response.context["refusal"].needs_force_tls
    assert url("network_force_tls", dedicated).encode() in response.content
    assert not FirewallRule.objects.exists()


def test_a_missing_label_is_explained(admin_htmx_client, dedicated):
    response = _add(admin_htmx_client, dedicated, network="203.0.113.0/24", label="  ")
    assert response.context["form"].errors["label"]
    assert not FirewallRule.objects.exists()


@pytest.mark.parametrize("network", ["", "banana", "1.2.3.4/99", "x" * 1000, "::ffff:1.2.3.4/128"])
def test_garbage_network_is_explained_never_a_500(admin_htmx_client, dedicated, network):
    response = _add(admin_htmx_client, dedicated, network=network)
    assert response.status_code == 200
    assert response.context["form"].errors["network"]


def test_a_shared_database_refuses_rules_in_the_modal(admin_htmx_client, shared):
    assert (
        b"Shared resources have no firewall"
        in admin_htmx_client.get(url("network_rule_add", shared)).content
    )
    response = _add(admin_htmx_client, shared, network="203.0.113.0/24")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not FirewallRule.objects.exists()


# Managed rules -------------------------------------------------------------------------------


def test_managed_rule_modal_offers_the_database_region_first(admin_htmx_client, dedicated):
    response = admin_htmx_client.get(url("network_managed_rule_add", dedicated))
    choices = response.context["choices"]
    assert [c["region"].slug for c in choices] == ["fra1", "nyc1"]
    assert choices[0]["checked"]


def test_a_suggested_region_is_preselected(admin_htmx_client, dedicated):
    response = admin_htmx_client.get(url("network_managed_rule_add", dedicated), {"region": "nyc1"})
    assert [c["region"].slug for c in response.context["choices"] if c["checked"]] == ["nyc1"]


def test_adding_a_managed_rule(admin_htmx_client, dedicated, make_application, region):
    response = admin_htmx_client.post(
        url("network_managed_rule_add", dedicated), {"region": "fra1"}
    )
    assert _events(response) == {"closeModal": {}, "networkChanged": {}}
    app = make_application(region=region)
    assert reachability_for_application(app, _reload(dedicated)).allowed
    assert Activity.objects.get().changes == {"region": "fra1"}


def test_a_region_already_allowed_is_not_offered_again(admin_htmx_client, dedicated, region):
    add_region_rule(None, dedicated, region)
    response = admin_htmx_client.post(
        url("network_managed_rule_add", dedicated), {"region": "fra1"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["region"]
    assert FirewallRule.objects.count() == 1


# Removing a rule -----------------------------------------------------------------------------


@pytest.fixture
def managed(dedicated, region):
    return add_region_rule(None, dedicated, region)


def test_remove_modal_names_the_applications_that_lose_access(
    admin_htmx_client, dedicated, managed, make_application
):
    app = make_application(name="Storefront")
    Connection.objects.create(application=app, database=dedicated)
    response = admin_htmx_client.get(url("network_rule_remove", dedicated, managed.public_id))
    assert response.context["losing"] == [app]
    assert b"Storefront" in response.content


def test_remove_modal_warns_when_the_internet_closes(team_admin_client, dedicated):
    rule = add_cidr_rule(None, dedicated, "203.0.113.0/24", "Office")
    response = team_admin_client.get(url("network_rule_remove", _reload(dedicated), rule.public_id))
    assert response.context["closes_internet"]


def test_removing_a_rule(admin_htmx_client, dedicated, managed):
    response = admin_htmx_client.post(url("network_rule_remove", dedicated, managed.public_id))
    assert _events(response) == {"closeModal": {}, "networkChanged": {}}
    assert not FirewallRule.objects.exists()
    assert Activity.objects.first().verb == "removed managed rule from"


def test_a_rule_of_another_database_is_404(team_admin_client, dedicated, managed, make_database):
    other = make_database(slug="other", resource_model="dedicated")
    path = url("network_rule_remove", other, managed.public_id)
    assert team_admin_client.post(path).status_code == 404
    assert FirewallRule.objects.exists()
