"""The Settings page's resolved environment: each phase as dotenv, shell or JSON, masked until a
developer reveals it (recorded; viewers cannot), the same renderings ``manage.py env`` and the
API give; and the source column that tells build-only links from runtime ones."""

import io
import json
import shlex
import subprocess
from html import unescape

import dotenv
import pytest
from django.urls import reverse

from connections import linking
from connections.environment import resolve_environment
from connections.formats import meta_for, render
from connections.masking import MASK
from connections.models import Activity, Variable

SECRET = 'it\'s a "secret" $HOME `id` ünï'
HTMX = {"HX-Request": "true", "HX-Target": "environment"}


@pytest.fixture
def secret(app):
    return Variable.objects.create(
        application=app, key="API_SECRET", value=SECRET, build=True, runtime=True
    )


def settings_url(app, query=""):
    return reverse("application_settings", args=["acme", app.slug]) + query


def reveal_url(app):
    return reverse("environment_reveal", args=["acme", app.slug])


def shown_text(response) -> str:
    """The text of the environment view, as the page shows it (and the copy button copies)."""
    content = response.content.decode()
    start = content.index('data-testid="environment-text"')
    start = content.index(">", start) + 1
    return unescape(content[start : content.index("</pre>", start)])


def test_the_settings_page_shows_the_runtime_environment_masked_as_dotenv(
    developer_client, app, secret
):
    response = developer_client.get(settings_url(app))
    text = shown_text(response)
    assert dotenv.dotenv_values(stream=io.StringIO(text), interpolate=False) == {
        "API_SECRET": MASK,
        "PORT": "8080",
    }
    assert "# application: acme/storefront\n# phase: runtime\n" in text
    assert SECRET not in unescape(response.content.decode())
    assert not Activity.objects.exists()


@pytest.mark.parametrize("phase", ["runtime", "build"])
def test_json_and_shell_are_the_same_renderings_as_the_command_masked(
    developer_client, app, secret, phase
):
    masked = {
        key: MASK if key != "PORT" else value
        for key, value in resolve_environment(app, phase).items()
    }
    for fmt in ("json", "shell"):
        text = shown_text(developer_client.get(settings_url(app, f"?phase={phase}&format={fmt}")))
        assert text == render(masked, fmt, meta=meta_for(app, phase))
    body = json.loads(
        shown_text(developer_client.get(settings_url(app, f"?phase={phase}&format=json")))
    )
    assert body["phase"] == phase


def test_an_unknown_phase_or_format_shows_runtime_dotenv(developer_client, app, secret):
    response = developer_client.get(settings_url(app, "?phase=nope&format=yaml"))
    view = response.context["environment"]
    assert (view.phase, view.format, view.revealed) == ("runtime", "dotenv", False)


def test_switching_with_htmx_gets_the_view_alone(client_for, developer, app, secret):
    client = client_for(developer, htmx=True)
    response = client.get(settings_url(app, "?format=json"), headers={"HX-Target": "environment"})
    content = response.content.decode()
    assert 'id="environment"' in content
    assert 'id="variables"' not in content
    assert "<html" not in content


@pytest.mark.parametrize("fmt", ["dotenv", "shell", "json"])
def test_reveal_shows_the_values_exactly_and_is_recorded(
    developer_client, developer, app, secret, fmt
):
    response = developer_client.post(
        reveal_url(app), {"phase": "runtime", "format": fmt}, headers=HTMX
    )
    assert "no-store" in response["Cache-Control"]
    assert "<html" not in response.content.decode()
    text = shown_text(response)
    assert text == render(resolve_environment(app, "runtime"), fmt, meta=meta_for(app, "runtime"))
    entry = Activity.objects.get(verb="revealed the environment of")
    assert (entry.actor, entry.target_label, entry.changes) == (
        developer,
        "Storefront",
        {"phase": "runtime"},
    )


def test_the_revealed_shell_text_sources_back_exactly(developer_client, app, secret, tmp_path):
    response = developer_client.post(
        reveal_url(app), {"phase": "build", "format": "shell"}, headers=HTMX
    )
    script = tmp_path / "env.sh"
    script.write_text(shown_text(response), encoding="utf-8")
    printed = subprocess.run(
        ["sh", "-c", f'. {shlex.quote(str(script))} && printf %s "$API_SECRET"'],
        capture_output=True,
        check=True,
        env={},
    ).stdout.decode()
    assert printed == SECRET


def test_without_javascript_reveal_returns_the_whole_page(developer_client, app, secret):
    response = developer_client.post(reveal_url(app), {"phase": "runtime", "format": "json"})
    assert response.status_code == 200
    assert b"<html" in response.content
    assert json.loads(shown_text(response))["variables"]["API_SECRET"] == SECRET


def test_viewers_see_the_masked_view_without_reveal(viewer_client, app, secret):
    content = viewer_client.get(settings_url(app)).content.decode()
    assert 'data-testid="reveal-environment"' not in content
    assert "Viewers cannot reveal values" in content
    assert viewer_client.post(reveal_url(app), {"phase": "runtime"}).status_code == 403
    assert not Activity.objects.exists()


def test_copy_buttons_copy_what_is_shown(developer_client, app, secret):
    masked = developer_client.get(settings_url(app)).content.decode()
    assert 'data-copy="#environment-text"' in masked
    assert ">Copy masked</button>" in masked
    revealed = developer_client.post(reveal_url(app), {"phase": "runtime"}, headers=HTMX)
    assert ">Copy</button>" in revealed.content.decode()


def test_an_environment_that_does_not_resolve_says_why_and_reveals_nothing(developer_client, app):
    Variable.objects.create(application=app, key="BROKEN", value="{{ nope.KEY }}")
    response = developer_client.get(settings_url(app))
    assert "no application or database named 'nope'" in response.context["environment"].error
    revealed = developer_client.post(reveal_url(app), {"phase": "runtime"}, headers=HTMX)
    assert b'data-testid="environment-error"' in revealed.content
    assert not Activity.objects.exists()


# The source column


def test_the_source_column_tells_build_only_links_from_runtime_ones(
    developer_client, owner, app, database
):
    connection = linking.connect(owner, app, database, linking.proposed_keys())
    database.internet_access, database.force_tls = True, True
    database.save()
    Variable.objects.create(
        application=app,
        key="DATABASE_URL",
        build=True,
        runtime=False,
        connection=connection,
        linked_field="url",
        external=True,
    )
    response = developer_client.get(settings_url(app))
    phases = dict(response.context["phases"])
    content = response.content.decode()
    runtime_table = content[content.index('data-testid="variables-runtime"') :]
    runtime_table = runtime_table[: runtime_table.index("</table>")]
    build_table = content[content.index('data-testid="variables-build"') :]
    build_table = build_table[: build_table.index("</table>")]
    assert runtime_table.count('data-testid="source-runtime-only"') == 6
    assert 'data-testid="source-build-only"' not in runtime_table
    assert build_table.count('data-testid="source-build-only"') == 1
    assert "build only · external" in build_table
    assert len(phases["build"]) == 1
