"""Any password the policy allows survives every place it is written, and still authenticates
against a real server: the connection URL, the dotenv file, shell exports and the CLI command."""

import io
import secrets
import string
import subprocess
from urllib.parse import unquote, urlsplit

import dotenv
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from connections.credentials import cli_command
from connections.engines import engine_for
from connections.environment import connection_url
from connections.formats import render
from connections.models import Database
from connections.passwords import SPECIALS, policy_failures

ALPHABET = string.ascii_letters + string.digits + SPECIALS + " #%@/?=!\\-_.~é"
REQUIRED = [string.ascii_lowercase, string.ascii_uppercase, string.digits, SPECIALS]


@st.composite
def policy_passwords(draw) -> str:
    """A password meeting the policy: filler plus one of each required class, anywhere."""
    characters = draw(st.lists(st.sampled_from(ALPHABET), min_size=4, max_size=40))
    for pool in REQUIRED:
        position = draw(st.integers(0, len(characters)))
        characters.insert(position, draw(st.sampled_from(pool)))
    return "".join(characters)


def _bash(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin"},
    )


# Every special character first and last, next to a quote of the other kind.
EDGES = [f"{c}aA1{c}" + "xyz" for c in SPECIALS] + ["$`'\"aB3&*[]:,", "a'B\"1`$(whoami)"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(password=policy_passwords())
@example(password=EDGES[0])
@example(password=EDGES[-1])
@example(password=EDGES[-2])
def test_policy_passwords_round_trip_and_authenticate(live, password):
    assert policy_failures(password) == []
    engine = engine_for(live.server)
    engine.set_password(live, password)
    live.password = password
    live.save()
    live = Database.objects.select_related("server", "region", "team").get(pk=live.pk)

    parts = urlsplit(connection_url(live))
    assert unquote(parts.password) == password
    assert engine.probe(live, unquote(parts.password)).ok

    environment = {"DB_PASSWORD": password}
    meta = {"phase": "runtime"}
    read = dotenv.dotenv_values(
        stream=io.StringIO(render(environment, "dotenv", meta=meta)), interpolate=False
    )
    assert read["DB_PASSWORD"] == password

    sourced = _bash(f"{render(environment, 'shell', meta=meta)}\nprintf '%s' \"$DB_PASSWORD\"")
    assert sourced.stdout == password

    query = {"postgresql": "-c 'SELECT 1'", "mariadb": "-e 'SELECT 1'"}[live.engine]
    command = _bash(f"{cli_command(live, external=False)} {query}")
    assert command.returncode == 0, command.stderr


def test_every_special_character_edge_case_meets_the_policy():
    assert all(policy_failures(password) == [] for password in EDGES)


def test_the_redis_cli_command_authenticates(redis_endpoint, region, make_database):
    from tests.servers import create_on_server, register

    server = register(redis_endpoint, region)
    database = make_database(slug=f"t{secrets.token_hex(4)}", engine="redis", server=server)
    database.password = "R3dis'$`\"&*[]:,pw"
    create_on_server(database, database.password)
    try:
        result = _bash(f"{cli_command(database, external=False)} PING")
        assert result.stdout.strip() == "PONG", result.stderr
    finally:
        engine_for(server).drop(database)
