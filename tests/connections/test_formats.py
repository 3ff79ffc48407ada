"""Every format reads back to exactly the environment it was given, whatever the values hold.

JSON is read by ``json``, dotenv by python-dotenv, shell by ``bash`` sourcing the file; the
connection URL parses back to the database's user and password. dotenv is read with
interpolation off because python-dotenv expands ``${NAME}`` in any quoting, single quotes
included, so no writer can protect a literal ``${NAME}`` from it (see ``connections.formats``).
"""

import io
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dotenv
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from connections.environment import connection_url
from connections.formats import render
from connections.models import Database, Engine

META = {"application": "acme/shop", "phase": "runtime", "version": 3}

keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]*", fullmatch=True)
# Anything an environment can hold: every character UTF-8 can encode (so no lone surrogates)
# but NUL, which ends a C string.
characters = st.characters(codec="utf-8", exclude_characters="\x00")
values = st.text(alphabet=characters)
environments = st.dictionaries(keys, values, max_size=8)

AWKWARD = {
    "SINGLE": "it's 'quoted'",
    "DOUBLE": 'say "hi"',
    "DOLLAR": "$HOME ${HOME} $(id) $$ $1",
    "BACKTICKS": "`whoami`",
    "URL": "postgresql://u:p%40ss@host:5432/db?sslmode=require&x=1#frag",
    "HASH": "# not a comment",
    "SPACES": "  padded  with  spaces  ",
    "NEWLINES": "one\ntwo\r\nthree\rfour\n",
    "BACKSLASHES": "C:\\dir\\ \\' \\\" \\\\ \\n \\",
    "NON_ASCII": "héllo wörld ☃ 𝄞 日本語 \u2028 \u00a0",
    "EMPTY": "",
    "export": "a key that looks like a keyword",
}

# Names bash sets or refuses itself (`_` is the last argument, UID is read-only, PWD and SHLVL
# are rewritten...): no quoting can carry them through `source`, so the shell test avoids them.
BASH_OWNED = frozenset(
    {
        "_",
        "BASH",
        "BASHOPTS",
        "BASHPID",
        "DIRSTACK",
        "EPOCHREALTIME",
        "EPOCHSECONDS",
        "EUID",
        "FUNCNAME",
        "GROUPS",
        "HISTCMD",
        "LINENO",
        "OLDPWD",
        "PIPESTATUS",
        "PPID",
        "PWD",
        "RANDOM",
        "SECONDS",
        "SHELLOPTS",
        "SHLVL",
        "SRANDOM",
        "UID",
    }
)
shell_keys = keys.filter(lambda key: key not in BASH_OWNED and not key.startswith("BASH_"))
shell_environments = st.dictionaries(shell_keys, values, max_size=8)

BASH = shutil.which("bash")
ENV = shutil.which("env")


@given(environments)
@example(AWKWARD)
def test_json_reads_back_exactly(environment):
    assert json.loads(render(environment, "json", meta=META))["variables"] == environment


@given(environments)
@example(AWKWARD)
def test_dotenv_reads_back_exactly_without_interpolation(environment):
    text = render(environment, "dotenv", meta=META)
    assert dotenv.dotenv_values(stream=io.StringIO(text), interpolate=False) == environment


def test_dotenv_keeps_a_bare_dollar_name_with_default_interpolation():
    environment = {"PRICE": "costs $HOME and $5"}
    text = render(environment, "dotenv", meta=META)
    assert dotenv.dotenv_values(stream=io.StringIO(text)) == environment


def _source_with_bash(script: str) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "env.sh"
        path.write_text(script, encoding="utf-8")
        completed = subprocess.run(
            [BASH, "-c", f'source "$1" && exec {ENV} -0', "bash", str(path)],
            env={},
            capture_output=True,
            check=True,
        )
    entries = completed.stdout.decode("utf-8").split("\0")
    return dict(entry.split("=", 1) for entry in entries if entry)


@settings(max_examples=50, deadline=None)
@given(shell_environments)
@example({key: value for key, value in AWKWARD.items()})
def test_shell_reads_back_exactly_when_sourced_by_bash(environment):
    exported = _source_with_bash(render(environment, "shell", meta=META))
    assert {key: exported.get(key) for key in environment} == environment


def test_unknown_format_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="json, dotenv, shell"):
        render({"A": "1"}, "yaml", meta=META)


def _stored(database: Database) -> Database:
    return Database.objects.select_related("team", "region").get(pk=database.pk)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    password=st.text(alphabet=characters, min_size=1),
    engine=st.sampled_from(Engine),
)
@example(password="p@ss:w/rd?#[]%20&'\"$` ü\n\\", engine=Engine.POSTGRESQL)
def test_connection_url_parses_back_to_user_and_password(make_database, password, engine):
    database = make_database(engine=engine, version=engine.versions[0])
    database.password = password
    database.save()
    parts = urlsplit(connection_url(_stored(database)))
    assert unquote(parts.password) == password
    assert unquote(parts.username) == database.username


@pytest.mark.parametrize(
    ("engine", "scheme"),
    [
        (Engine.POSTGRESQL, "postgresql"),
        (Engine.MYSQL, "mysql"),
        (Engine.MARIADB, "mysql"),
        (Engine.REDIS, "redis"),
    ],
)
def test_connection_url_scheme_follows_the_engine(make_database, engine, scheme):
    database = make_database(engine=engine, version=engine.versions[0])
    parts = urlsplit(connection_url(_stored(database)))
    assert (parts.scheme, parts.hostname, parts.port) == (
        scheme,
        database.internal_host,
        engine.internal_port,
    )
