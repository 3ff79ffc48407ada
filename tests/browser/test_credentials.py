"""Rotating a connection's credential in a real Chromium against a real PostgreSQL: the old
credential stays listed as still used by the application until the application's pipeline
reports the deployment through the API, then it is revoked on the server."""

import json
import secrets
import urllib.request

import pytest
from playwright.sync_api import expect

from connections import linking, rotation, tokens
from connections.engines import engine_for
from connections.models import Application, Credential, CredentialState
from tests.clients import authenticates, open_session
from tests.conftest import PASSWORD
from tests.servers import create_on_server, register

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(postgresql_endpoint, region, make_database, make_application, owner):
    server = register(postgresql_endpoint, region)
    database = make_database(name="Shop DB", slug=f"shop-{secrets.token_hex(3)}", server=server)
    create_on_server(database, database.password)
    app = make_application(name="Storefront", slug="storefront")
    linking.connect(owner, app, database, linking.proposed_keys())
    app.refresh_from_db()
    Application.objects.filter(pk=app.pk).update(
        deployed_environment_version=app.environment_version
    )
    yield database
    engine_for(server).drop(database, rotation.logins_to_drop(database))


def _report_deployment(base_url: str, application: Application, secret: str) -> None:
    """What a deploy pipeline sends once it has deployed the current environment."""
    application.refresh_from_db()
    request = urllib.request.Request(  # noqa: S310 (the live server's own http URL)
        f"{base_url}/api/applications/acme/{application.slug}/deployments",
        data=json.dumps({"version": application.environment_version}).encode(),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 200


def test_rotate_see_the_old_one_in_use_then_revoked_after_the_deployment(
    page, live_server, log_in, owner, shop, shoot, console_errors
):
    old = Credential.objects.get(database=shop)
    storefront = Application.objects.get(slug="storefront")
    _, secret = tokens.create_token(owner, storefront, "ci")
    # The running Storefront, on its current credential.
    running = open_session(shop, old.username, old.password)
    log_in("owner", PASSWORD)
    page.goto(f"{live_server.url}/t/acme/databases/{shop.slug}/")
    section = page.get_by_test_id("credentials")
    row = section.locator(f'[data-user="{old.username}"]')
    expect(row).to_contain_text("In use")
    expect(row.get_by_test_id("sessions")).to_have_text("1 session")
    expect(page.get_by_test_id("connection-credential")).to_contain_text(old.username)
    shoot("90-credentials-in-use")

    section.get_by_test_id("rotate-all").click()
    modal = page.locator("dialog#modal")
    expect(modal).to_contain_text("The old credential keeps working until")
    shoot("91-rotate-modal")
    modal.get_by_test_id("confirm-rotate").click()
    expect(modal.get_by_test_id("rotated-list")).to_contain_text("Storefront")
    shoot("92-rotated")
    modal.get_by_role("link", name="Done").click()
    expect(modal).to_be_hidden()

    new = Credential.objects.get(database=shop, state=CredentialState.ACTIVE)
    expect(row).to_contain_text("Old credential still used by Storefront")
    expect(row.get_by_test_id("sessions")).to_have_text("1 session")
    expect(section.locator(f'[data-user="{new.username}"]')).to_contain_text("In use")
    expect(page.get_by_test_id("restart-needed").first).to_be_visible()
    shoot("93-old-credential-still-used")

    _report_deployment(live_server.url, storefront, secret)
    page.reload()
    row = page.get_by_test_id("credentials").locator(f'[data-user="{old.username}"]')
    expect(row).to_contain_text("Revoked")
    expect(row).to_contain_text("Every application deployed the new credential")
    shoot("94-old-credential-revoked")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot("95-credentials-at-390px")

    # The server refuses the old credential now, and ended the session that held it.
    assert not running.alive()
    assert not authenticates(shop, old.username, old.password)
    assert authenticates(shop, new.username, new.password)
    assert console_errors == []
