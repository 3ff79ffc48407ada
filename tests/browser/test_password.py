"""Changing a database password in a real Chromium against a real PostgreSQL: a weak password
shows the failed rules, a generated one is applied; the connected app, which holds its own
credential, is named as unaffected, and an app that references the main password shows the new
value behind its mask and "restart needed" on its Settings page."""

import secrets

import pytest
from playwright.sync_api import expect

from connections import linking, rotation
from connections.engines import engine_for
from connections.models import Application, Database, Variable
from tests.conftest import PASSWORD
from tests.servers import create_on_server, register

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live(postgresql_endpoint, region, make_database, make_application, owner):
    server = register(postgresql_endpoint, region)
    database = make_database(name="Orders DB", slug=f"orders-{secrets.token_hex(3)}", server=server)
    create_on_server(database, database.password)
    app = make_application(name="Orders API", slug="orders-api")
    linking.connect(owner, app, database, linking.proposed_keys())
    reports = make_application(name="Reports", slug="reports")
    Variable.objects.create(
        application=reports, key="DB_PASSWORD", value=f"{{{{ {database.slug}.DB_PASSWORD }}}}"
    )
    for application in (app, reports):
        application.refresh_from_db()
        Application.objects.filter(pk=application.pk).update(
            deployed_environment_version=application.environment_version
        )
    yield database
    engine_for(server).drop(database, rotation.logins_to_drop(database))


def test_weak_then_generated_password(page, live_server, log_in, owner, live, shoot):
    old = live.password
    log_in("owner", PASSWORD)
    page.goto(f"{live_server.url}/t/acme/databases/{live.slug}/")
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_test_id("probe-result")).to_contain_text("Connected")
    shoot("30-database-overview-provisioned")

    page.get_by_test_id("internal-connection").get_by_role("link", name="Change password").click()
    modal = page.locator("dialog#modal")
    modal.get_by_label("New password").fill("weakpass")
    modal.get_by_role("button", name="Change password").click()
    expect(modal.get_by_text("Needs an uppercase letter.")).to_be_visible()
    expect(modal.get_by_text("Needs a digit.")).to_be_visible()
    shoot("31-password-weak")

    modal.get_by_role("button", name="Generate a new password").click()
    expect(modal.get_by_test_id("password-changed")).to_be_visible()
    expect(modal.get_by_test_id("restart-list")).to_contain_text("Reports")
    expect(modal.get_by_test_id("restart-list")).not_to_contain_text("Orders API")
    expect(modal.get_by_test_id("unaffected-list")).to_contain_text("Orders API")
    shoot("32-password-changed")
    modal.get_by_role("link", name="Done").click()
    expect(modal).to_be_hidden()

    new = Database.objects.get(pk=live.pk).password
    assert new != old
    assert engine_for(live.server).probe(live, new).ok
    assert not engine_for(live.server).probe(live, old).ok

    page.goto(f"{live_server.url}/t/acme/apps/reports/settings/")
    expect(page.get_by_test_id("restart-needed")).to_be_visible()
    row = page.get_by_test_id("variables-runtime").locator("tr", has_text="DB_PASSWORD")
    expect(row).not_to_contain_text(new)
    row.get_by_role("button", name="Reveal").click()
    expect(row.get_by_test_id("revealed-value")).to_have_text(new)
    shoot("33-settings-new-password-revealed")
