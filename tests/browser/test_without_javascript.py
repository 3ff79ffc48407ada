"""With JavaScript off, the dashboard still works: a modal is a page of its own, and Reveal
answers with a whole page that shows the value and leads back."""

import pytest
from playwright.sync_api import expect

from connections.models import Variable
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_reveal_and_a_modal_without_javascript(browser, live_server, developer, app):
    Variable.objects.create(application=app, key="API_SECRET", value="s3cr3t-value")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    plain = context.new_page()
    plain.goto(f"{live_server.url}/login/")
    plain.get_by_label("Username").fill("developer")
    plain.get_by_label("Password").fill(PASSWORD)
    plain.get_by_role("button", name="Log in").click()

    settings = f"{live_server.url}/t/acme/apps/{app.slug}/settings/"
    plain.goto(settings)
    row = plain.get_by_test_id("variables-runtime").locator("tr", has_text="API_SECRET")
    row.get_by_role("button", name="Reveal").click()
    expect(
        plain.get_by_role("heading", name="API_SECRET of Storefront, at runtime")
    ).to_be_visible()
    expect(plain.get_by_test_id("revealed-value")).to_have_text("s3cr3t-value")
    expect(plain.get_by_role("navigation", name="Sections")).to_be_visible()
    plain.screenshot(path=SCREENSHOTS / "80-no-js-reveal.png", full_page=True)
    plain.get_by_role("link", name="Back").click()
    expect(plain).to_have_url(settings)

    plain.get_by_role("link", name="Add variable").click()
    plain.get_by_label("Key").fill("NEW_KEY")
    plain.get_by_label("Value").fill("1")
    plain.get_by_role("button", name="Add variable").click()
    expect(plain).to_have_url(settings)
    expect(plain.get_by_test_id("variables-runtime")).to_contain_text("NEW_KEY")
    context.close()
