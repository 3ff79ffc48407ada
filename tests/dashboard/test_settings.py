"""Settings come from the environment and refuse unsafe production configurations."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from dashboard import envfile
from dashboard.envfile import write_laptop_env

PROJECT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "SECRET_KEY": "a-long-random-production-secret-key-with-enough-entropy-0123456789",
    "FIELD_ENCRYPTION_KEYS": "dGVzdHMtb25seS1rZXktbmV2ZXItaW4tcHJvZHVjdGk=",
    "ALLOWED_HOSTS": "panel.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://panel.example.com",
    "DATABASE_URL": "sqlite:///:memory:",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # Start from the machine's environment without what tests/settings.py adds for the suite.
    ours = {
        *PRODUCTION,
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_COOKIES",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    clean["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = _manage("check", **{**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_refuses_to_start_without_encryption_keys_when_debug_is_off():
    result = _manage("check", **{**PRODUCTION, "FIELD_ENCRYPTION_KEYS": ""})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS is not set" in result.stderr


def test_a_bad_boolean_is_named():
    result = _manage("check", **PRODUCTION, DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be true or false, not 'maybe'" in result.stderr


def test_debug_mode_starts_with_throwaway_keys():
    result = _manage("check", DEBUG="true", DATABASE_URL="sqlite:///:memory:")
    assert result.returncode == 0, result.stderr


def test_secret_key_may_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text(PRODUCTION["SECRET_KEY"])
    env = {**PRODUCTION, "SECRET_KEY": "", "SECRET_KEY_FILE": str(key_file)}
    del env["SECRET_KEY"]
    assert _manage("check", **env).returncode == 0


def test_deploy_check_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("url", "vendor"),
    [("sqlite:///:memory:", "sqlite"), ("postgres://u@127.0.0.1:5432/x", "postgresql")],
)
def test_database_url_selects_the_backend(url, vendor):
    code = "from django.db import connection; print(connection.vendor)"
    result = _manage("shell", "--no-imports", "-c", code, **{**PRODUCTION, "DATABASE_URL": url})
    assert result.stdout.strip() == vendor, result.stderr


# The project's .env, which the demo writes ------------------------------------------------------

SHOW = (
    "from django.conf import settings as s; print(s.DEBUG, s.SECRET_KEY, *s.FIELD_ENCRYPTION_KEYS)"
)


def test_the_laptop_env_file_is_written_once_and_private(tmp_path):
    path = tmp_path / ".env"
    assert write_laptop_env(path) is True
    written = path.read_text()
    values = dict(line.split("=", 1) for line in written.splitlines() if "=" in line)
    assert values["DEBUG"] == "true"
    assert len(values["SECRET_KEY"]) >= 50
    Fernet(values["FIELD_ENCRYPTION_KEYS"].split(",")[0])  # a valid key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert write_laptop_env(path) is False
    assert path.read_text() == written


def test_what_an_earlier_demo_stored_still_decrypts(tmp_path, monkeypatch):
    monkeypatch.setattr(envfile, "BASE_DIR", tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    (tmp_path / "db.sqlite3").touch()  # encrypted with DEBUG's throwaway key
    write_laptop_env(tmp_path / ".env")
    keys = next(line for line in (tmp_path / ".env").read_text().splitlines() if "KEYS=" in line)
    assert keys.endswith(f",{envfile.DEBUG_ENCRYPTION_KEY}")


def test_settings_read_the_env_file_without_any_variable(tmp_path):
    path = tmp_path / ".env"
    write_laptop_env(path)
    values = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    result = _manage("shell", "--no-imports", "-c", SHOW, ENV_FILE=str(path))
    assert result.returncode == 0, result.stderr
    debug, secret_key, *keys = result.stdout.split()
    assert (debug, secret_key) == ("True", values["SECRET_KEY"])
    assert keys == values["FIELD_ENCRYPTION_KEYS"].split(",")


def test_the_env_file_stays_out_of_the_process_environment(tmp_path):
    """Programs a command starts (runenv) never get the dashboard's keys from the .env."""
    path = tmp_path / ".env"
    write_laptop_env(path)
    code = (
        "import os; from django.conf import settings; "
        "print(settings.DEBUG, 'SECRET_KEY' in os.environ)"
    )
    result = _manage("shell", "--no-imports", "-c", code, ENV_FILE=str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False"]


def test_the_environment_wins_over_the_env_file(tmp_path):
    path = tmp_path / ".env"
    write_laptop_env(path)
    result = _manage("shell", "--no-imports", "-c", SHOW, ENV_FILE=str(path), **PRODUCTION)
    assert result.returncode == 0, result.stderr
    debug, secret_key, *keys = result.stdout.split()
    assert (debug, secret_key) == ("True", PRODUCTION["SECRET_KEY"])
    assert keys == [PRODUCTION["FIELD_ENCRYPTION_KEYS"]]


# Connections to the store ---------------------------------------------------------------------


def _database_settings(**env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d.get('OPTIONS', {}).get('pool'), d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    url = "postgres://u@127.0.0.1:5432/x"
    return _manage(
        "shell", "--no-imports", "-c", code, **{**PRODUCTION, "DATABASE_URL": url, **env}
    )


def test_postgresql_connections_are_pooled_by_default():
    result = _database_settings()
    assert result.stdout.split() == ["{'min_size':", "1,", "'max_size':", "4}", "0", "False"]


def test_pool_sizes_come_from_the_environment():
    result = _database_settings(DATABASE_POOL_MIN_SIZE="2", DATABASE_POOL_MAX_SIZE="8")
    assert result.stdout.startswith("{'min_size': 2, 'max_size': 8}"), result.stderr


def test_without_the_pool_a_process_may_keep_its_connection_checked():
    result = _database_settings(DATABASE_POOL="false", DATABASE_CONN_MAX_AGE="60")
    assert result.stdout.split() == ["None", "60", "True"], result.stderr


def test_kept_connections_and_the_pool_together_are_refused():
    result = _database_settings(DATABASE_CONN_MAX_AGE="60")
    assert result.returncode != 0
    assert "DATABASE_POOL=false" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_POOL_MAX_SIZE": "many"}, "DATABASE_POOL_MAX_SIZE must be a whole number"),
        ({"DATABASE_POOL_MAX_SIZE": "0"}, "DATABASE_POOL_MAX_SIZE must be a whole number"),
        ({"DATABASE_POOL_MIN_SIZE": "5"}, "DATABASE_POOL_MIN_SIZE is larger than"),
    ],
)
def test_a_bad_pool_size_is_named(env, message):
    result = _database_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr


def _prepare_threshold(url: str, **env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "from django.conf import settings; "
        "print(settings.DATABASES['default'].get('OPTIONS', {}).get('prepare_threshold', '-'))"
    )
    return _manage(
        "shell", "--no-imports", "-c", code, **{**PRODUCTION, "DATABASE_URL": url, **env}
    )


@pytest.mark.parametrize(
    ("url", "env", "threshold"),
    [
        ("postgres://u@127.0.0.1:5432/x", {}, "5"),
        ("postgres://u@127.0.0.1:5432/x", {"DATABASE_POOL": "false"}, "5"),
        ("postgres://u@127.0.0.1:5432/x", {"DATABASE_PREPARED_STATEMENTS": "false"}, "None"),
        ("sqlite:///x.sqlite3", {}, "-"),
    ],
)
def test_prepared_statements_are_on_for_postgresql_unless_turned_off(url, env, threshold):
    result = _prepare_threshold(url, **env)
    assert result.stdout.strip() == threshold, result.stderr


def test_a_bad_prepared_statements_switch_is_named():
    result = _prepare_threshold(
        "postgres://u@127.0.0.1:5432/x", DATABASE_PREPARED_STATEMENTS="maybe"
    )
    assert result.returncode != 0
    assert "DATABASE_PREPARED_STATEMENTS must be true or false" in result.stderr
