"""Both ways of adding an internal connection with edited keys, then removing it, checking the
Settings page's variables each time, in a real Chromium."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def resources(make_application, make_database):
    app = make_application(
        name="Storefront",
        slug="storefront",
        build_command="npm ci && npx prisma migrate deploy",
        start_command="npm start",
    )
    database = make_database(name="Shop DB", slug="shop-db")
    return app, database


def _variables(page, live_server, phase="runtime"):
    page.goto(f"{live_server.url}/t/acme/apps/storefront/settings/")
    return page.get_by_test_id(f"variables-{phase}")


def test_add_from_the_application_then_remove(page, live_server, log_in, owner, resources, shoot):
    log_in("owner", PASSWORD)
    page.goto(f"{live_server.url}/t/acme/apps/storefront/networking/")
    shoot("20-networking-empty")
    page.get_by_role("link", name="Add connection").click()
    modal = page.locator("dialog#modal")
    expect(modal).to_be_visible()
    expect(modal.get_by_label("Key for Connection URL")).to_have_value("DATABASE_URL")
    modal.get_by_label("Key prefix").fill("SHOP_")
    expect(modal.get_by_label("Key for Connection URL")).to_have_value("SHOP_DATABASE_URL")
    modal.get_by_label("Key for Password").fill("PGPASSWORD")
    shoot("21-add-connection-modal")
    modal.get_by_role("button", name="Add connection").click()
    expect(modal).to_be_hidden()
    connections = page.get_by_test_id("connection-list")
    expect(connections).to_contain_text("Shop DB")
    expect(connections).to_contain_text("PGPASSWORD")
    expect(page.get_by_test_id("build-warning")).to_be_visible()
    shoot("22-networking-connected")

    runtime = _variables(page, live_server)
    for key in ("SHOP_DB_HOST", "SHOP_DATABASE_URL", "PGPASSWORD", "PORT"):
        expect(runtime).to_contain_text(key)
    row = runtime.locator("tr", has_text="SHOP_DB_NAME")
    row.get_by_role("button", name="Reveal").click()
    expect(row.get_by_test_id("revealed-value")).to_have_text(resources[1].database_name)
    shoot("23-settings-variables")

    page.goto(f"{live_server.url}/t/acme/apps/storefront/networking/")
    page.get_by_role("link", name="Remove connection").click()
    expect(modal).to_contain_text("PGPASSWORD")
    shoot("24-remove-connection-modal")
    modal.get_by_role("button", name="Remove connection").click()
    expect(modal).to_be_hidden()
    expect(page.get_by_text("No internal connections yet.")).to_be_visible()
    expect(_variables(page, live_server)).not_to_contain_text("PGPASSWORD")


def test_add_from_the_database_then_remove(page, live_server, log_in, owner, resources, shoot):
    log_in("owner", PASSWORD)
    page.goto(f"{live_server.url}/t/acme/databases/shop-db/")
    page.get_by_role("link", name="Add application").click()
    modal = page.locator("dialog#modal")
    modal.get_by_label("Application").select_option("storefront")
    page.wait_for_load_state("networkidle")  # the choice refreshes the modal (warnings, keys)
    modal.get_by_label("Key for Connection URL").fill("PORT")
    modal.get_by_role("button", name="Add connection").click()
    expect(modal.get_by_text("PORT is set by the platform")).to_be_visible()
    shoot("25-add-application-modal-error")
    modal.get_by_label("Key for Connection URL").fill("SHOP_URL")
    modal.get_by_role("button", name="Add connection").click()
    expect(modal).to_be_hidden()
    expect(page.get_by_test_id("connected-applications")).to_contain_text("Storefront")
    shoot("26-database-overview-connected")

    runtime = _variables(page, live_server)
    expect(runtime).to_contain_text("SHOP_URL")
    expect(runtime).to_contain_text("DB_PASSWORD")
    expect(page.get_by_test_id("variables-build")).to_have_count(0)

    page.goto(f"{live_server.url}/t/acme/databases/shop-db/")
    page.get_by_role("link", name="Remove").click()
    modal.get_by_role("button", name="Remove connection").click()
    expect(modal).to_be_hidden()
    expect(page.get_by_text("No application uses this database yet.")).to_be_visible()
    expect(_variables(page, live_server)).not_to_contain_text("SHOP_URL")
