"""Members in Chromium: an owner invites, a newcomer joins through the link, the owner changes
their role, then removes them; and the rename and delete of an application, with restarts."""

import pytest
from playwright.sync_api import expect

from connections.models import Application, Membership, Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a-Long-new-passphrase-42"


def test_invite_join_change_role_and_remove(page, live_server, log_in, owner, shoot):
    log_in("owner", PASSWORD)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Members").click()
    expect(page.get_by_test_id("member-owner")).to_contain_text("Owner")
    page.get_by_role("link", name="Invite someone").click()
    modal = page.locator("dialog#modal")
    modal.get_by_label("Role").select_option("viewer")
    modal.get_by_label("Who it is for").fill("Grace")
    modal.get_by_role("button", name="Create link").click()
    link = modal.get_by_test_id("invitation-link").inner_text()
    shoot("60-invitation-link")
    modal.get_by_role("link", name="Done").click()
    expect(page.get_by_test_id("invitations")).to_contain_text("Grace")

    page.get_by_role("button", name="Log out").click()
    page.goto(link)
    expect(page.get_by_role("heading", name="Join Acme")).to_be_visible()
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password confirmation").fill(NEW_PASSWORD)
    shoot("61-invitation-sign-up")
    page.get_by_role("button", name="Create account and join").click()
    expect(page.get_by_role("heading", name="Applications", exact=True)).to_be_visible()
    expect(page.locator(".account")).to_contain_text("grace · Viewer")
    page.get_by_role("button", name="Log out").click()

    log_in("owner", PASSWORD)
    page.goto(f"{live_server.url}/t/acme/members/")
    row = page.get_by_test_id("member-grace")
    row.get_by_role("link", name="Change role").click()
    modal.get_by_label("Role").select_option("developer")
    modal.get_by_role("button", name="Change role").click()
    expect(row.get_by_test_id("member-role")).to_have_text("Developer")
    row.get_by_role("link", name="Remove").click()
    modal.get_by_role("button", name="Remove from team").click()
    expect(page.get_by_test_id("member-grace")).to_have_count(0)
    shoot("62-members")
    assert not Membership.objects.filter(user__username="grace").exists()


def test_the_last_owner_is_told_why_they_cannot_leave(page, live_server, log_in, owner):
    log_in("owner", PASSWORD)
    page.goto(f"{live_server.url}/t/acme/members/")
    page.get_by_role("link", name="Leave team").click()
    modal = page.locator("dialog#modal")
    modal.get_by_role("button", name="Leave team").click()
    expect(modal.get_by_test_id("refusal")).to_contain_text("last owner of Acme")
    assert Membership.objects.get(user=owner).role == Role.OWNER


def test_rename_mark_restarted_and_delete(
    page, live_server, log_in, owner, make_application, shoot
):
    make_application(slug="web", name="Web", deployed_environment_version=1, environment_version=2)
    log_in("owner", PASSWORD)
    page.goto(f"{live_server.url}/t/acme/apps/web/")
    expect(page.get_by_test_id("restart-needed")).to_be_visible()
    page.get_by_test_id("mark-restarted").click()
    expect(page.get_by_test_id("restart-needed")).to_have_count(0)

    page.get_by_role("link", name="Rename").click()
    modal = page.locator("dialog#modal")
    expect(modal.get_by_test_id("slug-stays")).to_contain_text("web")
    modal.get_by_label("Name").fill("Storefront")
    modal.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", name="Storefront", exact=True)).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/t/acme/apps/web/")

    page.get_by_role("link", name="Delete application").click()
    modal.get_by_label("Type the application's slug to confirm").fill("web")
    shoot("63-application-delete")
    modal.get_by_role("button", name="Delete application").click()
    expect(page.get_by_text("No applications yet")).to_be_visible()
    assert not Application.objects.exists()
