"""One name for one thing: the switch that lets a database be reached from outside its region is
"Internet access" in every page, modal, message, activity record and the README."""

import re
from pathlib import Path

from connections.models import ActivityKind

PROJECT = Path(__file__).resolve().parents[2]
# "External connection" names the details (host, port, URL) for tools outside; the switch that
# makes them usable is Internet access, never "external connections on/off".
SWITCH_UNDER_ANOTHER_NAME = re.compile(
    r"external connections (?:are |is )?(?:on|off)|turn(?:ed)? (?:on|off) external connections"
    r"|external (?:access|connections) (?:switch|toggle)",
    re.IGNORECASE,
)


def _texts():
    for folder, pattern in (
        ("templates", "*.html"),
        ("connections", "*.py"),
        ("dashboard", "*.py"),
    ):
        for path in (PROJECT / folder).rglob(pattern):
            yield path, path.read_text(encoding="utf-8")
    yield PROJECT / "README.md", (PROJECT / "README.md").read_text(encoding="utf-8")


def test_the_internet_switch_is_never_called_external_connections():
    found = [
        f"{path.relative_to(PROJECT)}: {match.group(0)!r}"
        for path, text in _texts()
        for match in SWITCH_UNDER_ANOTHER_NAME.finditer(" ".join(text.split()))
    ]
    assert found == []


def test_the_activity_log_names_the_switch_internet_access():
    assert ActivityKind.TURNED_ON_INTERNET_ACCESS == "turned on Internet access for"
    assert ActivityKind.TURNED_OFF_INTERNET_ACCESS == "turned off Internet access for"
    assert not any("external connection" in kind.value for kind in ActivityKind)
