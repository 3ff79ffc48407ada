"""Every page and every modal of the dashboard, walked in Chromium on a phone (390 px) and on a
laptop (1366 px): nothing scrolls sideways, every modal fits the screen, and each is saved as a
screenshot (``w390-<route>.png``, ``w1366-<route>-modal.png``) for someone to look at.

The walk takes the URL contract's routes and world, so a new page is walked as soon as it has
its row there. A modal is walked twice: as the page it is without JavaScript, and opened by htmx
over the page beneath it (its Close link's target)."""

from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.dashboard import test_contract
from tests.dashboard.test_contract import ROUTES, Access

pytestmark = pytest.mark.django_db(transaction=True)

world = test_contract.world
PHONE, LAPTOP = 390, 1366


def _url(name: str, world: test_contract.World) -> str:
    route = ROUTES[name]
    query = urlencode(route.data(world))
    return reverse(name, kwargs=route.kwargs(world)) + (f"?{query}" if query else "")


def _walked(access: Access) -> list[str]:
    return [
        name
        for name, route in ROUTES.items()
        if "GET" in route.methods and route.access is access and name != "home"
    ]


# The elements that stick out past the window, outside any container that scrolls them itself.
STICKING_OUT = """() => {
  const width = window.innerWidth;
  const clipped = (element) => {
    for (let up = element.parentElement; up; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const out = (element) => element.getBoundingClientRect().right > width + 0.5;
  return [...document.body.querySelectorAll("*")]
    .filter((element) => out(element) && !clipped(element) && ![...element.children].some(out))
    .slice(0, 3)
    .map((element) => [element.tagName.toLowerCase(), ...element.classList].join("."));
}"""


def _overflow(page) -> str | None:
    """How far the document is wider than the window, and what sticks out; None if it fits."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow <= 0:
        return None
    return f"{overflow} px: {', '.join(page.evaluate(STICKING_OUT))}"


@pytest.fixture(params=[PHONE, LAPTOP], ids=lambda width: f"{width}px")
def look(request, page, shoot):
    """At each width: ``look(name)`` saves the page as ``w<width>-<name>`` and notes whether it
    is wider than the window; the test fails at the end on every page that was."""
    width = request.param
    page.set_viewport_size({"width": width, "height": 844 if width == PHONE else 900})
    too_wide: dict[str, str] = {}

    def look_at(name: str) -> None:
        shoot(f"w{width}-{name}")
        if overflow := _overflow(page):
            too_wide[name] = overflow
        dialog = page.locator("dialog#modal[open]")
        if not dialog.count():
            return
        box = dialog.bounding_box()
        assert box is not None
        if box["x"] < 0 or box["x"] + box["width"] > width:
            too_wide[name] = f"the dialog spans {box['x']}..{box['x'] + box['width']} px"
        if inside := dialog.evaluate("dialog => dialog.scrollWidth - dialog.clientWidth"):
            too_wide[name] = f"the dialog scrolls sideways by {inside} px"

    yield look_at
    assert too_wide == {}, f"wider than {width} px (what sticks out): {too_wide}"


def test_every_page_and_modal_fits_the_screen(page, live_server, log_in, world, look):
    for name in _walked(Access.PUBLIC):
        page.goto(live_server.url + _url(name, world))
        look(name)

    log_in("owner", PASSWORD)
    modal = page.locator("dialog#modal")
    for name in _walked(Access.MEMBER) + _walked(Access.CHANGER):
        url = _url(name, world)
        response = page.goto(live_server.url + url)
        assert response is not None
        assert response.ok, name
        look(name)
        close = page.locator("main .modal-head a.close")
        if not close.count():
            continue
        page.goto(live_server.url + close.get_attribute("href"))
        page.evaluate("url => htmx.ajax('GET', url, '#modal')", url)
        expect(modal).to_be_visible()
        look(f"{name}-modal")
        page.keyboard.press("Escape")
        expect(modal).to_be_hidden()


def test_a_viewer_reads_every_page_and_the_error_pages_fit(
    page, live_server, log_in, world, console_errors, look
):
    log_in("viewer", PASSWORD)
    for name in _walked(Access.MEMBER):
        page.goto(live_server.url + _url(name, world))
        if name != "team_leave":  # a modal, not a page of the team
            expect(page.get_by_test_id("read-only-note")).to_be_visible()
        look(f"viewer-{name}")

    for status, url in (
        (403, _url("variable_add", world)),
        (404, "/t/acme/apps/no-such-application/"),
    ):
        response = page.goto(live_server.url + url)
        assert response is not None
        assert response.status == status
        expect(page.get_by_test_id("error-page")).to_be_visible()
        look(f"error-{status}")
        console_errors.allow(f"status of {status}")


def test_the_operators_admin_has_a_clean_console(page, live_server, world, shoot):
    """Every model of the admin: its list and its first object, with no console error."""
    get_user_model().objects.create_superuser("operator", password="op-password-1")
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("operator")
    page.get_by_label("Password").fill("op-password-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    for model in apps.get_models():
        if not admin.site.is_registered(model):
            continue
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        page.goto(live_server.url + reverse(f"{name}_changelist"))
        shoot(f"w{LAPTOP}-{name.replace(':', '-')}")
        if first := model._default_manager.first():
            response = page.goto(live_server.url + reverse(f"{name}_change", args=[first.pk]))
            assert response is not None
            assert response.ok, name


def test_what_a_modal_answers_fits_the_screen(page, live_server, log_in, world, look):
    """A new token and an invitation link: long strings that must wrap, not widen the modal."""
    log_in("owner", PASSWORD)
    modal = page.locator("dialog#modal")
    page.goto(live_server.url + _url("application_settings", world))
    page.get_by_role("link", name="Create token").click()
    modal.get_by_label("Name").fill("GitHub Actions")
    modal.get_by_role("button", name="Create token").click()
    expect(modal.get_by_test_id("token-secret")).to_be_visible()
    look("token_create-answer")

    page.goto(live_server.url + _url("team_members", world))
    page.get_by_role("link", name="Invite someone").click()
    modal.get_by_role("button", name="Create link").click()
    expect(modal.get_by_test_id("invitation-link")).to_be_visible()
    look("invitation_create-answer")
