"""A newcomer logs in, switches team, creates an application and a database."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_log_in_switch_team_create_application_and_database(
    page, live_server, log_in, two_team_owner, shoot
):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_title("Log in · Harbor")
    shoot("01-login")

    log_in("alice", "alice-password-1")
    expect(page.get_by_role("heading", name="Applications", exact=True)).to_be_visible()
    expect(page.get_by_text("No applications yet")).to_be_visible()
    shoot("02-applications-empty")

    page.get_by_test_id("team-switcher").locator("summary").click()
    shoot("03-team-switcher-open")
    page.get_by_role("link", name="Globex").click()
    expect(page.get_by_test_id("team-switcher")).to_contain_text("Globex")
    page.get_by_test_id("team-switcher").locator("summary").click()
    page.get_by_role("link", name="Acme").click()
    expect(page.get_by_test_id("team-switcher")).to_contain_text("Acme")

    page.get_by_role("link", name="Create your first application").click()
    page.get_by_label("Name").fill("Orders API")
    page.get_by_label("Internal port").fill("99999")
    page.get_by_role("button", name="Create application").click()
    expect(page.get_by_text("A port is a number from 1 to 65535.")).to_be_visible()
    shoot("04-application-form-error")

    page.get_by_label("Internal port").fill("8000")
    page.get_by_label("Build command").fill("pip install -r requirements.txt")
    page.get_by_label("Start command").fill("gunicorn orders.wsgi")
    page.get_by_role("button", name="Create application").click()
    expect(page.get_by_role("heading", name="Orders API", exact=True)).to_be_visible()
    shoot("05-application-overview")
    page.get_by_role("navigation", name="Application").get_by_role(
        "link", name="Networking"
    ).click()
    shoot("06-application-networking")
    page.get_by_role("navigation", name="Application").get_by_role("link", name="Settings").click()
    shoot("07-application-settings")
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Applications").click()
    expect(page.get_by_test_id("application-list")).to_contain_text("Orders API")
    shoot("08-applications-list")

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Databases").click()
    shoot("09-databases-empty")
    page.get_by_role("link", name="Create your first database").click()
    page.get_by_label("Name").fill("Shop PostgreSQL")
    page.get_by_label("Engine").select_option("postgresql")
    page.get_by_label("Version").select_option("16")
    page.get_by_text("Dedicated", exact=True).click()
    shoot("10-database-form")
    page.get_by_role("button", name="Create database").click()
    expect(page.get_by_role("heading", name="Shop PostgreSQL", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^shop_postgresql_[0-9a-f]{6}_user$"))).to_be_visible()
    shoot("11-database-overview")
    page.get_by_role("navigation", name="Database").get_by_role("link", name="Network").click()
    shoot("12-database-network")
    page.get_by_role("navigation", name="Database").get_by_role("link", name="Activity").click()
    shoot("13-database-activity")

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Databases").click()
    expect(page.get_by_test_id("database-list")).to_contain_text("PostgreSQL 16")
    shoot("14-databases-list")
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Activity").click()
    expect(page.get_by_test_id("activity-feed")).to_contain_text("created database")
    shoot("15-team-activity")
