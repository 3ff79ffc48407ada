"""`manage.py env` prints an application's resolved environment; `manage.py runenv` runs a
command with the calling environment and that one over it (`--clean`: exactly that one), and
exits with the command's exit code. Commands run as real subprocesses."""

import io
import json
import os
import sys

import dotenv
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from connections.environment import resolve_environment
from connections.models import Variable

AWKWARD = 'it\'s "quoted" $HOME ${HOME} `id` & # : \\ back\nslash ünïcode ☃'

# Reads the environment the kernel handed over at exec. The child's os.environ will not do: in
# the C locale (no LANG, no LC_*) Python adds LC_CTYPE=C.UTF-8 to its own os.environ (PEP 538).
DUMP_ENVIRONMENT = """
import json, sys
with open("/proc/self/environ", "rb") as f:
    entries = [e.decode() for e in f.read().split(b"\\0") if e]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(dict(e.split("=", 1) for e in entries), f)
"""


@pytest.fixture
def shop(make_application):
    return make_application(name="Shop", slug="shop")


@pytest.fixture
def greeting(shop):
    return Variable.objects.create(
        application=shop, key="GREETING", value="hello world", build=True, runtime=True
    )


def _env(*args: str) -> str:
    out = io.StringIO()
    call_command("env", *args, stdout=out)
    return out.getvalue()


def _runenv(*args: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        call_command("runenv", *args)
    return exit_info.value.code


# manage.py env


def test_env_prints_dotenv_by_default(shop, greeting):
    output = _env("shop")
    assert "GREETING='hello world'\n" in output
    assert dotenv.dotenv_values(stream=io.StringIO(output), interpolate=False) == {
        "GREETING": "hello world",
        "PORT": "8080",
    }


def test_env_prints_json_on_request(shop, greeting):
    body = json.loads(_env("shop", "--format", "json"))
    assert (body["application"], body["phase"], body["version"]) == ("acme/shop", "runtime", 1)
    assert body["variables"] == {"GREETING": "hello world", "PORT": "8080"}


def test_env_prints_shell_exports_on_request(shop, greeting):
    output = _env("shop", "--format", "shell")
    assert "export GREETING='hello world'\n" in output
    assert "export PORT=8080\n" in output


def test_env_build_phase_omits_port(shop, greeting):
    body = json.loads(_env("shop", "--phase", "build", "--format", "json"))
    assert body["variables"] == {"GREETING": "hello world"}


def test_slug_shared_by_two_teams_must_be_qualified(shop, make_application, other_team):
    make_application(team=other_team, slug="shop")
    with pytest.raises(CommandError, match="ambiguous") as error:
        _env("shop")
    assert "acme/shop" in str(error.value)
    assert "globex/shop" in str(error.value)


def test_team_qualified_name_picks_that_team(shop, make_application, other_team):
    make_application(team=other_team, slug="shop", internal_port=9000)
    body = json.loads(_env("globex/shop", "--format", "json"))
    assert (body["application"], body["variables"]["PORT"]) == ("globex/shop", "9000")


def test_unknown_application_is_an_error(shop):
    with pytest.raises(CommandError, match="No application named 'nope'"):
        _env("nope")


def test_broken_reference_is_an_error_with_the_reason(shop):
    Variable.objects.create(application=shop, key="BROKEN", value="{{ nope.KEY }}")
    with pytest.raises(CommandError, match="no application or database named 'nope'"):
        _env("shop")


# manage.py runenv


def test_runenv_exits_with_the_command_exit_code(shop):
    assert _runenv("shop", "--", "sh", "-c", "exit 3") == 3


def _received(tmp_path, *args: str) -> dict[str, str]:
    """The environment a real child process got from ``runenv *args``."""
    dump = tmp_path / "environ.json"
    assert _runenv(*args, "--", sys.executable, "-c", DUMP_ENVIRONMENT, str(dump)) == 0
    return json.loads(dump.read_text(encoding="utf-8"))


def test_runenv_clean_gives_the_command_exactly_the_resolved_environment(shop, greeting, tmp_path):
    Variable.objects.create(application=shop, key="AWKWARD", value=AWKWARD)
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" in os.environ  # set by the test settings; must not leak
    received = _received(tmp_path, "shop", "--clean")
    assert received == resolve_environment(shop, "runtime")
    assert (received["PORT"], received["AWKWARD"]) == ("8080", AWKWARD)
    assert "PATH" not in received


def test_runenv_inherits_the_calling_environment_under_the_applications(
    shop, greeting, tmp_path, monkeypatch
):
    monkeypatch.setenv("GREETING", "from the shell")
    monkeypatch.setenv("ONLY_IN_THE_SHELL", "kept")
    received = _received(tmp_path, "shop")
    assert received["PATH"] == os.environ["PATH"]
    assert received["ONLY_IN_THE_SHELL"] == "kept"
    assert (received["GREETING"], received["PORT"]) == ("hello world", "8080")


def test_runenv_does_not_pass_on_the_dashboards_settings_module(shop, tmp_path, monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE)
    assert "DJANGO_SETTINGS_MODULE" not in _received(tmp_path, "shop")


def test_runenv_does_not_pass_on_the_dashboards_own_settings(shop, tmp_path, monkeypatch):
    """Settings given in the environment (the README's way) stay with the dashboard: its keys,
    and its database, which an application without a DATABASE_URL would otherwise reach."""
    own = {
        "SECRET_KEY": "the-dashboard-s-secret",
        "FIELD_ENCRYPTION_KEYS": "the-dashboard-s-keys",
        "FIELD_ENCRYPTION_KEYS_FILE": "/run/secrets/keys",
        "DATABASE_URL": "postgres://dashboard@db.internal/dashboard",
        "CACHE_URL": "redis://cache.internal:6379/1",
    }
    for name, value in own.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ONLY_IN_THE_SHELL", "kept")
    received = _received(tmp_path, "shop")
    assert not own.keys() & received.keys()
    assert received["ONLY_IN_THE_SHELL"] == "kept"


def test_a_program_found_through_the_callers_path_runs_unless_clean(shop, tmp_path, monkeypatch):
    """The habit ``runenv acme/app -- uv run …`` relies on: programs on the caller's PATH."""
    tools = tmp_path / "tools"
    tools.mkdir()
    tool = tools / "harbor-test-tool"
    tool.write_text('#!/bin/sh\necho "$PORT" > "$1"\n')
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "port"
    assert _runenv("shop", "--", "harbor-test-tool", str(out)) == 0
    assert out.read_text() == "8080\n"
    with pytest.raises(CommandError, match="harbor-test-tool: command not found"):
        call_command("runenv", "shop", "--clean", "--", "harbor-test-tool", str(out))


def test_runenv_build_phase_gets_no_port(shop, greeting, tmp_path):
    received = _received(tmp_path, "shop", "--phase", "build", "--clean")
    assert received == {"GREETING": "hello world"}


def test_runenv_unknown_command_is_an_error(shop):
    with pytest.raises(CommandError, match="no-such-program: command not found"):
        call_command("runenv", "shop", "--", "no-such-program")


def test_runenv_does_not_run_when_a_reference_is_broken(shop, tmp_path):
    Variable.objects.create(application=shop, key="BROKEN", value="{{ nope.KEY }}")
    marker = tmp_path / "ran"
    with pytest.raises(CommandError, match=r"\{\{ nope\.KEY \}\}"):
        call_command("runenv", "shop", "--", "sh", "-c", f"touch {marker}")
    assert not marker.exists()
