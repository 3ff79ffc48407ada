"""The Network tab against a real PostgreSQL server: a rule added is applied on the server and
the tab says so; with the server stopped, a change is saved as Pending; once the server is back
the queued retry applies it."""

import secrets

import pytest
from playwright.sync_api import expect

from connections import enforcement
from connections.engines import engine_for
from connections.models import Database, ExposureState
from connections.servers import offered_version
from tests.conftest import PASSWORD
from tests.servers import create_on_server, register

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rule_is_applied_then_pending_while_the_server_is_down(
    page,
    live_server,
    log_in,
    owner,
    make_database,
    postgresql_endpoint,
    region,
    shoot,
):
    server = register(postgresql_endpoint, region)
    database = make_database(
        name="Ledger",
        slug=f"ledger-{secrets.token_hex(3)}",
        server=server,
        version=offered_version(server),
        resource_model="dedicated",
    )
    create_on_server(database)
    try:
        log_in("owner", PASSWORD)
        page.goto(f"{live_server.url}/t/acme/databases/{database.slug}/network/")
        card = page.get_by_test_id("enforcement")
        expect(card).to_contain_text(f"{server.name} enforces these settings")
        expect(page.get_by_text("No rules yet, so nothing can reach Ledger")).to_be_visible()

        modal = page.locator("dialog#modal")
        page.get_by_role("link", name="Add rule", exact=True).click()
        modal.get_by_label("IP range or address").fill("203.0.113.0/24")
        modal.get_by_label("Label").fill("Office VPN")
        modal.get_by_role("button", name="Add rule").click()
        expect(modal).to_be_hidden()
        expect(page.get_by_test_id("firewall-rules")).to_contain_text("Office VPN")
        expect(card.get_by_test_id("exposure-state")).to_have_text("Network: applied")
        shoot("52-network-applied")

        with postgresql_endpoint.server.stopped():
            page.get_by_role("link", name="Add rule", exact=True).click()
            modal.get_by_label("IP range or address").fill("198.51.100.0/24")
            modal.get_by_label("Label").fill("Partner")
            modal.get_by_role("button", name="Add rule").click()
            expect(modal).to_be_hidden()
            expect(card.get_by_test_id("exposure-state")).to_have_text("Network: pending")
            expect(card).to_contain_text("Not applied yet. Cannot reach the server.")
            header = page.locator("#header-exposure-state")
            expect(header.get_by_test_id("exposure-state")).to_have_text("Network: pending")
            shoot("53-network-pending")

        assert enforcement.retry_exposure.call(database.pk) == ExposureState.APPLIED
        page.reload()
        expect(page.get_by_test_id("enforcement").get_by_test_id("exposure-state")).to_have_text(
            "Network: applied"
        )
    finally:
        fresh = Database.objects.select_related("server").get(pk=database.pk)
        engine_for(fresh.server).drop(fresh)
