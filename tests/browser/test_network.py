"""The Network tab in a real Chromium: Internet access refused until Force TLS is on, a CIDR
rule added and removed, an address checked."""

import pytest
from playwright.sync_api import expect

from connections.models import RegionRange
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ranges(region, other_region):
    RegionRange.objects.create(region=region, network="10.20.0.0/16", label="fra1 v4")
    RegionRange.objects.create(region=region, network="fd00:20::/32", label="fra1 v6")
    RegionRange.objects.create(region=other_region, network="10.30.0.0/16", label="nyc1 v4")


def test_internet_access_needs_force_tls_first(
    page, live_server, log_in, owner, make_database, make_application, ranges, shoot
):
    database = make_database(name="Shop DB", slug="shop-db")
    make_application(name="Storefront", slug="storefront")
    log_in("owner", PASSWORD)
    page.goto(f"{live_server.url}/t/acme/databases/shop-db/network/")
    shoot("40-network-shared")

    page.get_by_role("link", name="Turn on Internet access").click()
    modal = page.locator("dialog#modal")
    expect(modal.get_by_test_id("refusal")).to_contain_text("needs Force TLS on first")
    shoot("41-internet-refused")

    modal.get_by_role("link", name="Turn on Force TLS first").click()
    expect(modal.get_by_role("heading", name="Turn on Force TLS")).to_be_visible()
    shoot("42-force-tls-modal")
    modal.get_by_role("button", name="Turn on Force TLS").click()

    expect(modal.get_by_role("heading", name="Turn on Internet access")).to_be_visible()
    expect(page.get_by_test_id("exposure-tls")).to_contain_text("On")
    shoot("43-internet-modal")
    modal.get_by_role("button", name="Turn on Internet access").click()
    expect(modal).to_be_hidden()
    internet = page.get_by_test_id("exposure-internet")
    expect(internet).to_contain_text("Reachable")
    expect(internet.get_by_role("link", name="Turn off Internet access")).to_be_visible()
    shoot("44-network-shared-open")

    database.refresh_from_db()
    assert database.internet_access
    assert database.force_tls


def test_add_and_remove_a_rule_and_check_an_address(
    page, live_server, log_in, owner, make_database, make_application, ranges, shoot
):
    from connections.models import Connection

    database = make_database(name="Ledger", slug="ledger", resource_model="dedicated")
    app = make_application(name="Storefront", slug="storefront")
    Connection.objects.create(application=app, database=database)
    log_in("owner", PASSWORD)
    page.goto(f"{live_server.url}/t/acme/databases/ledger/network/")
    # Not provisioned: the page may only say what the settings admit, not what a server does.
    expect(
        page.get_by_text("No rules yet, so the settings admit nothing to Ledger")
    ).to_be_visible()
    shoot("45-network-dedicated-empty")

    modal = page.locator("dialog#modal")
    page.get_by_test_id("exposure-region").get_by_role("link", name="Allow Frankfurt").click()
    expect(modal.get_by_role("heading", name="Add a managed rule")).to_be_visible()
    shoot("46-managed-rule-modal")
    modal.get_by_role("button", name="Add managed rule").click()
    expect(modal).to_be_hidden()
    expect(page.get_by_test_id("exposure-region")).to_contain_text("Reachable")

    page.get_by_role("link", name="Add rule", exact=True).click()
    modal.get_by_label("IP range or address").fill("203.0.113.9/24")
    modal.get_by_label("Label").fill("Office VPN")
    modal.get_by_role("button", name="Add rule").click()
    expect(modal.get_by_text("Did you mean the range 203.0.113.0/24?")).to_be_visible()
    shoot("47-rule-modal-error")
    modal.get_by_label("IP range or address").fill("203.0.113.0/24")
    modal.get_by_role("button", name="Add rule").click()
    expect(modal).to_be_hidden()
    rules = page.get_by_test_id("firewall-rules")
    expect(rules).to_contain_text("Office VPN")
    expect(page.get_by_test_id("exposure-internet")).to_contain_text("Reachable")

    reachability = page.get_by_test_id("reachability")
    reachability.get_by_label("Address").fill("203.0.113.77")
    reachability.get_by_role("button", name="Check").click()
    expect(reachability.get_by_test_id("verdict")).to_contain_text("Reachable, over TLS only")
    expect(reachability.get_by_test_id("verdict")).to_contain_text("Office VPN")
    shoot("48-network-dedicated-rules")
    reachability.get_by_label("Address").fill("not an address")
    reachability.get_by_role("button", name="Check").click()
    expect(reachability.get_by_text("Enter one IPv4 or IPv6 address")).to_be_visible()
    reachability.get_by_label("Address").fill("198.51.100.7")
    reachability.get_by_role("button", name="Check").click()
    expect(reachability.get_by_test_id("verdict")).to_contain_text("Refused")
    shoot("49-reachability-refused")

    rules.get_by_role("link", name="Remove Office VPN").click()
    expect(modal).to_contain_text("no longer be reachable from the Internet")
    shoot("50-remove-rule-modal")
    modal.get_by_role("button", name="Remove rule").click()
    expect(modal).to_be_hidden()
    expect(rules).not_to_contain_text("Office VPN")
    expect(page.get_by_test_id("exposure-internet")).to_contain_text("Not reachable")
    shoot("51-network-dedicated-after")
