"""Feedback while the server works and when it fails: a submit that waits disables its form and
shows progress, a second submit is not sent, and a refused, failed or unreachable request says
so in the modal it came from, with what was typed still there."""

import re

import pytest
from django.template.loader import render_to_string
from playwright.sync_api import expect

from connections.models import Activity, Application, Membership, Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def port_modal(page, live_server, log_in, developer, make_application):
    """The developer's Edit port modal over Storefront's Networking page, 9000 typed in."""
    make_application(name="Storefront", slug="storefront", internal_port=8080)
    log_in("developer", PASSWORD)
    page.goto(f"{live_server.url}/t/acme/apps/storefront/networking/")
    page.get_by_role("link", name="Edit port").click()
    modal = page.locator("dialog#modal")
    modal.get_by_label("Internal port").fill("9000")
    return modal


PORT = "**/apps/storefront/port/"


def _on_post(handle):
    """A route handler that hands the modal's POST to ``handle``; anything else goes through."""

    def route(route):
        if route.request.method == "POST":
            handle(route)
        else:
            route.continue_()

    return route


def test_a_slow_submit_disables_the_form_and_is_sent_once(page, port_modal, shoot):
    held = []
    page.route(PORT, _on_post(held.append))
    save = port_modal.get_by_role("button", name="Save port")
    save.click()
    expect(port_modal.locator("fieldset.modal-fields")).to_have_attribute("disabled", "")
    expect(port_modal.get_by_label("Internal port")).to_be_disabled()
    expect(save).to_be_disabled()
    expect(save).to_have_class(re.compile(r"\bis-busy\b"))
    shoot("71-modal-waiting")
    # A second submit (Enter in the field, a script) while the first waits is dropped.
    port_modal.locator("form").evaluate("form => form.requestSubmit()")
    page.wait_for_timeout(300)
    assert len(held) == 1

    held[0].continue_()
    expect(port_modal).to_be_hidden()
    page.wait_for_timeout(300)
    assert len(held) == 1  # not queued either, to be sent once the first is answered
    assert Application.objects.get(slug="storefront").internal_port == 9000
    assert Activity.objects.count() == 1


def test_a_refusal_keeps_what_was_typed_and_says_why(page, port_modal, developer, console_errors):
    # Meanwhile an admin made the developer a viewer: the server answers 403.
    Membership.objects.filter(user=developer).update(role=Role.VIEWER)
    port_modal.get_by_role("button", name="Save port").click()
    error = port_modal.get_by_test_id("request-error")
    expect(error).to_contain_text("Not allowed")
    expect(error).to_contain_text("Your role in this team does not allow this")
    expect(port_modal.get_by_label("Internal port")).to_have_value("9000")
    expect(port_modal.get_by_role("button", name="Save port")).to_be_enabled()
    console_errors.allow("403")
    assert Application.objects.get(slug="storefront").internal_port == 8080


def test_a_server_error_keeps_what_was_typed_and_a_retry_works(
    page, port_modal, shoot, console_errors
):
    failed = render_to_string("500.html")
    page.route(PORT, _on_post(lambda route: route.fulfill(status=500, body=failed)))
    port_modal.get_by_role("button", name="Save port").click()
    error = port_modal.get_by_test_id("request-error")
    expect(error).to_contain_text("Something went wrong")
    expect(error).to_contain_text("What you typed is still here.")
    expect(port_modal.get_by_label("Internal port")).to_have_value("9000")
    shoot("70-modal-server-error")
    console_errors.allow("500")

    page.unroute(PORT)
    port_modal.get_by_role("button", name="Save port").click()
    expect(port_modal).to_be_hidden()
    assert Application.objects.get(slug="storefront").internal_port == 9000


def test_an_unreachable_server_is_said_in_the_modal(page, port_modal, console_errors):
    page.route(PORT, _on_post(lambda route: route.abort("connectionrefused")))
    port_modal.get_by_role("button", name="Save port").click()
    expect(port_modal.get_by_test_id("request-error")).to_contain_text(
        "The server could not be reached"
    )
    expect(port_modal.get_by_label("Internal port")).to_have_value("9000")
    console_errors.allow("ERR_CONNECTION_REFUSED", "htmx:sendError", "htmx:afterRequest")


def test_a_refusal_outside_a_modal_is_said_on_the_page(
    page, live_server, log_in, developer, make_database, console_errors
):
    make_database(name="Shop DB", slug="shop-db")
    log_in("developer", PASSWORD)
    page.goto(f"{live_server.url}/t/acme/databases/shop-db/")
    Membership.objects.filter(user=developer).update(role=Role.VIEWER)
    page.get_by_test_id("internal-connection").get_by_role("button", name="Reveal").click()
    expect(page.locator("main").get_by_test_id("request-error")).to_contain_text("Not allowed")
    console_errors.allow("403")


def test_a_double_click_on_a_plain_form_creates_one_application(
    page, live_server, log_in, developer, region
):
    log_in("developer", PASSWORD)
    page.goto(f"{live_server.url}/t/acme/apps/new/")
    page.get_by_label("Name").fill("Orders API")
    page.get_by_label("Internal port").fill("8000")
    posts = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    page.get_by_role("button", name="Create application").dblclick()
    expect(page.get_by_role("heading", name="Orders API", exact=True)).to_be_visible()
    assert len(posts) == 1
    assert Application.objects.count() == 1


def test_a_modal_closed_while_it_waits_stays_closed(page, port_modal):
    held = []
    page.route(PORT, _on_post(held.append))
    port_modal.get_by_label("Internal port").fill("-1")
    port_modal.get_by_role("button", name="Save port").click()
    expect(port_modal.get_by_role("button", name="Save port")).to_be_disabled()
    port_modal.get_by_role("link", name="Cancel").click()
    expect(port_modal).to_be_hidden()
    held[0].continue_()  # the answer: the form again, with the error
    page.wait_for_timeout(300)
    expect(port_modal).to_be_hidden()
