"""The deploy-pipeline API: a token reads its own application's environment and reports
deployments; without a valid token it gets 401, and for anything else 404."""

import json
import time
from types import SimpleNamespace

import psycopg
import pytest
from django.core.cache.backends import locmem
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from connections import linking, tokens, variables
from connections.environment import bump_environments
from connections.models import Activity, DeployToken, LinkedField, Variable
from dashboard import api


@pytest.fixture
def shop(make_application):
    return make_application(name="Shop", slug="shop")


@pytest.fixture
def greeting(shop):
    return Variable.objects.create(
        application=shop, key="GREETING", value="hello world", build=True, runtime=True
    )


@pytest.fixture
def issued(developer, shop):
    return tokens.create_token(developer, shop, "CI")


@pytest.fixture
def secret(issued):
    return issued[1]


def _bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _environment_url(application):
    return reverse("api_environment", args=[application.team.slug, application.slug])


def _deployments_url(application):
    return reverse("api_deployments", args=[application.team.slug, application.slug])


def _get(client, application, secret, **params):
    return client.get(_environment_url(application), params, **_bearer(secret))


def _deploy(client, application, secret, body):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(
        _deployments_url(application), data, content_type="application/json", **_bearer(secret)
    )


# Authorisation


def test_unknown_token_is_401_with_a_bearer_challenge(client, shop, secret):
    response = _get(client, shop, "hbr_" + "x" * 43)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_same_slug_in_another_team_gets_404(client, make_application, other_team, secret):
    elsewhere = make_application(team=other_team, slug="shop")
    assert _get(client, elsewhere, secret).status_code == 404


def test_revoked_token_is_401(client, developer, shop, issued):
    token, secret = issued
    tokens.revoke_token(developer, token)
    assert _get(client, shop, secret).status_code == 401


def test_a_call_records_when_the_token_was_last_used(client, shop, issued):
    token, secret = issued
    assert token.last_used_at is None
    _get(client, shop, secret)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_calls_in_quick_succession_record_the_use_once(client, shop, issued):
    token, secret = issued
    _get(client, shop, secret)
    token.refresh_from_db()
    first_use = token.last_used_at
    _get(client, shop, secret)
    token.refresh_from_db()
    assert token.last_used_at == first_use


def test_a_call_after_the_precision_records_the_use_again(client, shop, issued):
    token, secret = issued
    long_ago = timezone.now() - tokens.LAST_USED_PRECISION
    DeployToken.objects.filter(pk=token.pk).update(last_used_at=long_ago)
    _get(client, shop, secret)
    token.refresh_from_db()
    assert token.last_used_at > long_ago


def test_token_is_stored_only_as_a_digest(secret):
    stored = DeployToken.objects.values().get()
    assert stored["digest"] != secret
    assert not any(secret in str(value) for value in stored.values())
    assert secret.startswith(stored["prefix"])
    assert len(stored["prefix"]) <= 12


# Reading the environment


def test_json_has_version_phase_and_variables(client, shop, secret, greeting):
    body = _get(client, shop, secret, format="json").json()
    assert (body["version"], body["phase"]) == (1, "runtime")
    assert body["variables"] == {"GREETING": "hello world", "PORT": "8080"}


@pytest.mark.parametrize(
    ("fmt", "line"),
    [("dotenv", "GREETING='hello world'\n"), ("shell", "export GREETING='hello world'\n")],
)
def test_text_formats_carry_the_version_and_the_variables(
    client, shop, secret, greeting, fmt, line
):
    text = _get(client, shop, secret, format=fmt).content.decode()
    assert "# version: 1\n" in text
    assert line in text


def test_port_is_set_at_runtime_but_not_during_the_build(client, shop, secret, greeting):
    runtime = _get(client, shop, secret, phase="runtime").json()["variables"]
    build = _get(client, shop, secret, phase="build").json()["variables"]
    assert runtime["PORT"] == str(shop.internal_port)
    assert build == {"GREETING": "hello world"}


def test_etag_names_version_phase_and_format(client, shop, secret):
    response = _get(client, shop, secret, phase="build", format="shell")
    assert response["ETag"] == f'"{shop.environment_version}-build-shell"'


def test_matching_if_none_match_is_304(client, shop, secret):
    etag = _get(client, shop, secret, format="dotenv")["ETag"]
    response = client.get(
        _environment_url(shop), {"format": "dotenv"}, HTTP_IF_NONE_MATCH=etag, **_bearer(secret)
    )
    assert response.status_code == 304
    assert response["ETag"] == etag


def test_a_matching_etag_is_answered_from_the_token_alone(
    client, shop, secret, greeting, django_assert_num_queries
):
    etag = _get(client, shop, secret)["ETag"]
    with django_assert_num_queries(1):  # the token with its application: nothing resolved
        response = client.get(_environment_url(shop), HTTP_IF_NONE_MATCH=etag, **_bearer(secret))
    assert response.status_code == 304


def test_a_bumped_version_no_longer_matches_the_old_etag(client, team, shop, secret):
    etag = _get(client, shop, secret)["ETag"]
    bump_environments(team, applications=[shop])
    response = client.get(_environment_url(shop), HTTP_IF_NONE_MATCH=etag, **_bearer(secret))
    assert response.status_code == 200
    assert response.json()["version"] == 2


@pytest.mark.parametrize("params", [{"phase": "deploy"}, {"format": "yaml"}])
def test_bad_phase_or_format_is_400(client, shop, secret, params):
    assert _get(client, shop, secret, **params).status_code == 400


def test_broken_reference_is_409_with_the_reason(client, shop, secret):
    Variable.objects.create(application=shop, key="BROKEN", value="{{ nope.KEY }}")
    response = _get(client, shop, secret)
    assert response.status_code == 409
    assert "{{ nope.KEY }}" in response.json()["error"]
    assert "no application or database named 'nope'" in response.json()["error"]


# Reporting deployments


def test_deployment_records_the_deployed_version(client, shop, secret):
    response = _deploy(client, shop, secret, {"version": 1})
    shop.refresh_from_db()
    assert shop.deployed_environment_version == 1
    assert response.json() == {"deployed_version": 1, "current_version": 1, "restart_needed": False}


def test_deploying_an_older_version_says_a_restart_is_needed(client, team, shop, secret):
    bump_environments(team, applications=[shop])
    response = _deploy(client, shop, secret, {"version": 1})
    shop.refresh_from_db()
    assert shop.needs_restart
    assert response.json()["restart_needed"] is True


def test_a_change_after_a_deployment_makes_the_application_need_a_restart(
    client, team, shop, secret
):
    _deploy(client, shop, secret, {"version": 1})
    bump_environments(team, applications=[shop])
    shop.refresh_from_db()
    assert shop.needs_restart


@pytest.mark.parametrize("version", [0, 2])
def test_version_outside_one_to_current_is_400(client, shop, secret, version):
    response = _deploy(client, shop, secret, {"version": version})
    shop.refresh_from_db()
    assert response.status_code == 400
    assert shop.deployed_environment_version is None


@pytest.mark.parametrize("body", ["version=1", '{"version": "one"}', "[1]", ""])
def test_body_that_is_not_a_version_in_json_is_400(client, shop, secret, body):
    assert _deploy(client, shop, secret, body).status_code == 400


def test_a_version_too_large_for_an_integer_is_400(client, shop, secret):
    # 1e400 is valid JSON; Python reads it as float("inf").
    assert _deploy(client, shop, secret, '{"version": 1e400}').status_code == 400


def test_deployment_is_recorded_without_the_secret(client, shop, secret):
    _deploy(client, shop, secret, {"version": 1})
    entry = Activity.objects.get(verb="deployed")
    assert (entry.target_type, entry.target_id, entry.changes) == (
        "application",
        shop.pk,
        {"version": 1, "via": "CI"},
    )
    assert not any(secret in str(row) for row in Activity.objects.values_list())


# Hostile bodies and token guessing


@pytest.mark.parametrize("size", [20_000, 200_000])
@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/x-www"])
def test_deeply_nested_json_of_any_size_is_a_4xx_with_a_message(
    client, shop, secret, size, content_type
):
    body = '{"version": ' + "[" * size
    response = client.post(
        _deployments_url(shop), body, content_type=content_type, **_bearer(secret)
    )
    assert response.status_code == 413
    assert "at most 1024 bytes" in response.json()["error"]


def test_nesting_within_the_size_limit_is_400(client, shop, secret):
    response = _deploy(client, shop, secret, '{"version": ' + "[" * 1000)
    assert response.status_code == 400
    assert response.json()["error"] == 'Send JSON like {"version": 3}.'


@pytest.mark.parametrize("body", ["[1]", '"version"', "3", "null", '{"version": {"v": 1}}'])
def test_json_that_is_not_an_object_with_a_version_is_400(client, shop, secret, body):
    assert _deploy(client, shop, secret, body).status_code == 400


def test_guessing_tokens_from_one_address_is_answered_429(client, shop, secret):
    url = _environment_url(shop)
    answers = [
        client.get(url, **_bearer(f"{tokens.TOKEN_PREFIX}guess{n}")).status_code for n in range(25)
    ]
    assert answers == [401] * 20 + [429] * 5
    # Even the right token waits: the address is not told which guess would have worked.
    throttled = client.get(url, **_bearer(secret))
    assert throttled.status_code == 429
    assert "Retry-After" in throttled
    assert _deploy(client, shop, secret, {"version": 1}).status_code == 429


def test_another_address_is_not_throttled_by_someone_elses_guesses(client, shop, secret):
    url = _environment_url(shop)
    for n in range(25):
        client.get(url, **_bearer(f"{tokens.TOKEN_PREFIX}guess{n}"))
    response = client.get(url, REMOTE_ADDR="198.51.100.7", **_bearer(secret))
    assert response.status_code == 200


def test_token_guessing_window_ends(client, shop, secret, monkeypatch):
    url = _environment_url(shop)
    for n in range(20):
        client.get(url, **_bearer(f"{tokens.TOKEN_PREFIX}guess{n}"))
    assert client.get(url, **_bearer(secret)).status_code == 429
    later = time.time() + api.TOKEN_FAILURE_WINDOW + 1
    monkeypatch.setattr(locmem, "time", SimpleNamespace(time=lambda: later))
    assert client.get(url, **_bearer(secret)).status_code == 200


# What a call costs: the same queries for one application as for many, whatever their variables


def _team(owner, shop, make_application, make_database, *, size: int) -> None:
    """``shop`` linked to a database, with ``size`` variables referring to it and to another
    application; beside it, ``size - 1`` other applications linked with variables of their own."""
    database = make_database(slug="main-db")
    api = make_application(slug="api", internal_port=4000)
    Variable.objects.create(application=api, key="KEY", value="k")
    linking.connect(owner, shop, database, linking.proposed_keys())
    for number in range(size):
        value = f"{{{{ api.KEY }}}}:{{{{ api.PORT }}}}@{{{{ main-db.DB_HOST }}}}/{number}"
        Variable.objects.create(application=shop, key=f"KEY_{number}", value=value)
    for number in range(1, size):
        other = make_application(slug=f"other-{number}")
        linking.connect(owner, other, database, linking.proposed_keys())
        Variable.objects.create(application=other, key="KEY", value="{{ api.KEY }}")


# On PostgreSQL the token lookup is prepared once per connection (DATABASE_PREPARED_STATEMENTS).
prepared = pytest.mark.skipif(
    connection.vendor != "postgresql"
    or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None,
    reason="PostgreSQL's prepared statements, turned on",
)


def _prepared_statements():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


@prepared
def test_on_postgresql_the_token_lookup_is_planned_once_per_connection(client, shop, secret):
    # psycopg prepares a statement on its sixth run on a connection; Django's own queries, bound
    # in the client, never are.
    for _ in range(7):
        assert _get(client, shop, secret).status_code == 200
    statements = _prepared_statements()
    assert len(statements) == 1, statements
    assert "connections_deploytoken" in statements[0]
    assert "k.digest = $1" in statements[0]


@prepared
@pytest.mark.django_db(transaction=True)  # the API call runs outside a transaction, as served
def test_a_migration_under_the_prepared_token_lookup_fails_no_call(client, shop, secret):
    for _ in range(7):
        assert _get(client, shop, secret).status_code == 200
    assert _prepared_statements()
    migration = psycopg.connect(**{**connection.get_connection_params(), "autocommit": True})
    try:
        # Another process migrates a column the lookup reads: PostgreSQL refuses the prepared
        # statement from now on ("cached plan must not change result type").
        migration.execute("ALTER TABLE connections_team ALTER COLUMN name TYPE varchar(150)")
        assert [_get(client, shop, secret).status_code for _ in range(8)] == [200] * 8
        assert len(_prepared_statements()) == 1  # prepared again, from the new columns
    finally:
        migration.execute("ALTER TABLE connections_team ALTER COLUMN name TYPE varchar(100)")
        migration.close()
        with connection.cursor() as cursor:  # the later tests' connection prepares anew
            cursor.execute("DEALLOCATE ALL")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own cursors")
def test_the_token_lookup_reads_times_as_the_orm_does(settings, issued):
    token, secret = issued
    settings.USE_TZ = False  # Django gives the cursor a timezone of its own when they differ
    found = tokens.authenticate(f"Bearer {secret}")
    assert found is not None
    assert found.created_at == DeployToken.objects.get(pk=token.pk).created_at
    assert found.created_at.tzinfo is None


@pytest.mark.parametrize("size", [1, 30])
def test_a_call_costs_the_same_queries_however_large_the_team(
    client, owner, shop, secret, make_application, make_database, size, django_assert_num_queries
):
    _team(owner, shop, make_application, make_database, size=size)
    DeployToken.objects.update(last_used_at=timezone.now())  # its use is recorded already
    # The token with its application and team; the application's variables with the databases
    # they are linked to (the one referred to among them); the variables they refer to.
    with django_assert_num_queries(3):
        first = _get(client, shop, secret)
    assert first.status_code == 200
    assert len(first.json()["variables"]) == 1 + len(LinkedField) + size
    # The same version again comes from the cache: the token alone.
    with django_assert_num_queries(1):
        again = _get(client, shop, secret)
    assert again.json() == first.json()
    with django_assert_num_queries(1):
        unchanged = client.get(
            _environment_url(shop), HTTP_IF_NONE_MATCH=first["ETag"], **_bearer(secret)
        )
    assert unchanged.status_code == 304


def test_a_change_is_served_at_once_under_its_new_version(client, owner, shop, secret, greeting):
    assert _get(client, shop, secret).json()["variables"]["GREETING"] == "hello world"
    greeting.value = "hello again"
    variables.save_variable(owner, greeting)
    body = _get(client, shop, secret).json()
    assert (body["version"], body["variables"]["GREETING"]) == (2, "hello again")
