"""Browser tests drive Debian's Chromium through Playwright against a live server.

Where Chromium is missing they skip and say why; with REQUIRE_BROWSER=1 (as in .ci/run) a
missing browser fails the run instead. Every test can save screenshots into ``screenshots/``
(git-ignored) so that someone looks at the pages, not only at the assertions.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    browser_items = [item for item in items if here in Path(item.fspath).parents]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    if CHROMIUM.exists() or not browser_items:
        return
    reason = f"Chromium not found at {CHROMIUM}: install Debian's `chromium` package."
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"REQUIRE_BROWSER=1 but {reason}")
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture
def shoot(page):
    """Save a full-page screenshot under a readable name."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(name: str) -> None:
        page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar belongs at the top
        # caret="initial": hiding the caret leaves style="" on inputs, which htmx would copy
        # onto swapped-in elements and the strict CSP would then report.
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True, caret="initial")

    return take


class ConsoleErrors(list[str]):
    """What the page reported as a console error, a CSP violation or an uncaught exception."""

    def allow(self, *fragments: str) -> None:
        """Forget the reports a test provoked on purpose (the 403 it asserts on, and htmx's own
        line about it); each fragment must be in one, or the test is not testing what it says."""
        for fragment in fragments:
            assert any(fragment in text for text in self), (
                f"expected a console error containing {fragment!r}, got {self!r}"
            )
            self[:] = [text for text in self if fragment not in text]


@pytest.fixture
def console_errors(page) -> ConsoleErrors:
    """Console errors and CSP violations (Chromium reports those as console errors) the page
    reports; a clean page has none."""
    errors = ConsoleErrors()
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture(autouse=True)
def _clean_console(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every browser test fails on a console error or CSP violation it did not ask for."""
    if "page" not in request.fixturenames:
        yield
        return
    errors = request.getfixturevalue("console_errors")
    yield
    assert errors == [], f"console errors or CSP violations: {errors}"


@pytest.fixture
def log_in(page, live_server):
    def log_in_as(username: str, password: str) -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()

    return log_in_as


@pytest.fixture
def two_team_owner(team, other_team, region, other_region):
    """A user who owns one team and develops in another, to switch between them."""
    from connections.models import Membership, Role

    user = get_user_model().objects.create_user("alice", password="alice-password-1")
    Membership.objects.create(team=team, user=user, role=Role.OWNER)
    Membership.objects.create(team=other_team, user=user, role=Role.DEVELOPER)
    return user
