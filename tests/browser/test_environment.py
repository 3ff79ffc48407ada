"""The Settings page's resolved environment in a real Chromium: masked until revealed, switched
between phases and formats with htmx, copied to the clipboard exactly as shown (masks while
masked); long keys wrap instead of widening the page; and the Add-connection modal shows key
clashes and connections already made while choosing, before anything is submitted."""

import json

import pytest
from playwright.sync_api import expect

from connections import linking
from connections.masking import MASK
from connections.models import Variable
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "s3cr3t 'quoted' \"double\" $HOME ünï"
LONG_KEY = "K" * 255


@pytest.fixture
def shop(owner, make_application, make_database):
    app = make_application(name="Storefront", slug="storefront")
    database = make_database(name="Shop DB", slug="shop-db")
    make_database(name="Analytics", slug="analytics")
    linking.connect(owner, app, database, linking.proposed_keys())
    Variable.objects.create(application=app, key="API_SECRET", value=SECRET, build=True)
    Variable.objects.create(application=app, key=LONG_KEY, value="v" * 300)
    return app, database


def _clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def _no_sideways_scroll(page) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths


def test_environment_view_masks_reveals_and_copies(
    page, live_server, log_in, shop, shoot, console_errors
):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in("owner", PASSWORD)
    page.goto(f"{live_server.url}/t/acme/apps/storefront/settings/")
    view = page.get_by_test_id("environment")
    text = page.get_by_test_id("environment-text")
    expect(text).to_contain_text(f"API_SECRET='{MASK}'")
    expect(text).to_contain_text("PORT='8080'")
    expect(text).not_to_contain_text("s3cr3t")
    _no_sideways_scroll(page)
    expect(page.get_by_test_id("source-runtime-only").first).to_be_visible()
    shoot("60-settings-environment-masked")

    # A 255-character key wraps in its edit modal too.
    page.get_by_test_id("variables-runtime").locator("tr", has_text="KKKK").get_by_role(
        "link", name="Edit"
    ).click()
    modal = page.locator("dialog#modal")
    expect(modal).to_contain_text("Edit KKKK")
    assert modal.evaluate("dialog => dialog.scrollWidth <= dialog.clientWidth")
    shoot("60b-settings-long-key-modal")
    modal.get_by_role("link", name="Cancel").click()
    expect(modal).to_be_hidden()

    view.get_by_role("button", name="Copy masked").click()
    expect(view.get_by_role("button", name="Copied")).to_be_visible()
    copied = _clipboard(page)
    assert copied == text.text_content()
    assert MASK in copied
    assert "s3cr3t" not in copied

    view.get_by_role("link", name="JSON").click()
    expect(text).to_contain_text('"phase": "runtime"')
    view.get_by_role("button", name="Reveal values").click()
    expect(view.get_by_role("button", name="Copy", exact=True)).to_be_visible()
    expect(text).to_contain_text("s3cr3t")
    shoot("61-settings-environment-revealed-json")
    view.get_by_role("button", name="Copy", exact=True).click()
    expect(view.get_by_role("button", name="Copied")).to_be_visible()
    body = json.loads(_clipboard(page))
    assert body["variables"]["API_SECRET"] == SECRET
    assert body["variables"]["DATABASE_URL"].startswith("postgresql://")
    assert body["variables"][LONG_KEY] == "v" * 300

    view.get_by_role("link", name="During the build").click()
    expect(text).to_contain_text('"phase": "build"')
    expect(text).not_to_contain_text("s3cr3t")  # switching masks it again
    view.get_by_role("link", name="shell").click()
    expect(text).to_contain_text(f"export API_SECRET='{MASK}'")
    _no_sideways_scroll(page)
    shoot("62-settings-environment-build-shell")

    # The reveal is in the activity, which filters by person and by resource.
    page.goto(f"{live_server.url}/t/acme/activity/")
    feed = page.get_by_test_id("activity")
    page.get_by_label("Resource").select_option("application:storefront")
    expect(page).to_have_url(
        f"{live_server.url}/t/acme/activity/?resource=application%3Astorefront&person="
    )
    expect(feed).to_contain_text("revealed the environment of Storefront")
    expect(feed).to_contain_text("connected Shop DB")
    page.get_by_label("Person").select_option("owner")
    expect(feed.get_by_test_id("activity-feed").locator("li")).to_have_count(2)
    _no_sideways_scroll(page)
    shoot("66-activity-filtered")
    assert console_errors == []


def test_a_viewer_copies_masks_only(page, live_server, log_in, viewer, shop, shoot, console_errors):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in("viewer", PASSWORD)
    page.goto(f"{live_server.url}/t/acme/apps/storefront/settings/")
    view = page.get_by_test_id("environment")
    expect(view.get_by_role("button", name="Reveal values")).to_have_count(0)
    expect(view).to_contain_text("Viewers cannot reveal values")
    view.get_by_role("button", name="Copy masked").click()
    expect(view.get_by_role("button", name="Copied")).to_be_visible()
    assert "s3cr3t" not in _clipboard(page)
    shoot("63-settings-environment-viewer")
    assert console_errors == []


def test_add_connection_shows_clashes_and_connections_while_choosing(
    page, live_server, log_in, shop, shoot, console_errors
):
    log_in("owner", PASSWORD)
    page.goto(f"{live_server.url}/t/acme/apps/storefront/networking/")
    page.get_by_role("link", name="Add connection").click()
    modal = page.locator("dialog#modal")
    expect(modal).to_be_visible()
    expect(modal.get_by_test_id("already-connected")).to_contain_text("Shop DB")
    expect(modal.locator("option[value=shop-db]")).to_be_disabled()
    expect(modal.get_by_label("Database", exact=True)).to_have_value("analytics")
    # Storefront already has every default key from Shop DB: the clashes show at once.
    expect(modal.get_by_test_id("key-clash")).to_have_count(6)
    shoot("64-add-connection-clashes")
    modal.get_by_label("Key prefix").fill("ANALYTICS_")
    expect(modal.get_by_test_id("key-clash")).to_have_count(0)
    expect(modal.get_by_label("Key for Connection URL")).to_have_value("ANALYTICS_DATABASE_URL")
    modal.get_by_label("Key for Host").fill("DB_HOST")
    modal.get_by_label("Key for Port").focus()  # leaving the field checks it
    expect(modal.get_by_test_id("key-clash")).to_have_count(1)
    expect(modal.get_by_test_id("key-clash")).to_contain_text("already has DB_HOST at runtime")
    shoot("65-add-connection-typed-clash")
    modal.get_by_label("Key for Host").fill("ANALYTICS_DB_HOST")
    modal.get_by_role("button", name="Add connection").click()
    expect(modal).to_be_hidden()
    expect(page.get_by_test_id("connection-list")).to_contain_text("Analytics")
    assert console_errors == []
