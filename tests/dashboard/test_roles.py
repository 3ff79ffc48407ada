"""The role table, route by route: every team URL names the least role that may use it; the role
below it gets a 403, outsiders a 404. A new route must take its place in ROLE_TABLE."""

import pytest
from django.core import signing
from django.test import Client
from django.urls import URLPattern, reverse

from connections import variables
from connections.models import Connection, DeployToken, FirewallRule, Invitation, Role, Variable
from dashboard.urls import team_urls
from dashboard.views.databases import COPY_SALT
from tests.conftest import _member

VIEWER, DEVELOPER, ADMIN = Role.VIEWER, Role.DEVELOPER, Role.ADMIN

# The README's role table, per route: the least role that may use it.
ROLE_TABLE: dict[str, Role] = {
    # Reading: every member.
    "application_list": VIEWER,
    "application_detail": VIEWER,
    "application_networking": VIEWER,
    "application_settings": VIEWER,
    "database_list": VIEWER,
    "database_detail": VIEWER,
    "database_network": VIEWER,
    "database_activity": VIEWER,
    "database_probe": VIEWER,  # a POST, but it changes nothing: it tries the credentials
    "team_activity": VIEWER,
    "team_members": VIEWER,
    "team_leave": VIEWER,  # anyone may leave
    # Developers: applications, variables, connections, deploy tokens, reveal.
    "application_create": DEVELOPER,
    "application_commands": DEVELOPER,
    "port_edit": DEVELOPER,
    "build_fix": DEVELOPER,
    "application_rename": DEVELOPER,
    "application_restart": DEVELOPER,
    "variable_add": DEVELOPER,
    "variable_edit": DEVELOPER,
    "variable_delete": DEVELOPER,
    "variable_reveal": DEVELOPER,
    "environment_reveal": DEVELOPER,
    "connection_add": DEVELOPER,
    "connection_add_for_database": DEVELOPER,
    "connection_remove": DEVELOPER,
    "external_build_variables": DEVELOPER,
    "token_create": DEVELOPER,
    "token_revoke": DEVELOPER,
    "credentials_reveal": DEVELOPER,
    # Admins: databases, exposure, passwords, members; and deleting an application.
    "database_create": ADMIN,
    "database_provision": ADMIN,
    "database_delete": ADMIN,
    "database_rename": ADMIN,
    "application_delete": ADMIN,
    "password_change": ADMIN,
    "copy_replace": ADMIN,
    "credentials_rotate": ADMIN,
    "connection_rotate": ADMIN,
    "credentials_revoke_old": ADMIN,
    "connection_revoke_old": ADMIN,
    "credential_grace": ADMIN,
    "network_force_tls": ADMIN,
    "network_internet": ADMIN,
    "network_rule_add": ADMIN,
    "network_managed_rule_add": ADMIN,
    "network_rule_remove": ADMIN,
    "invitation_create": ADMIN,
    "invitation_revoke": ADMIN,
    "member_role": ADMIN,
    "member_remove": ADMIN,
}

BELOW = {DEVELOPER: VIEWER, ADMIN: DEVELOPER, Role.OWNER: ADMIN}
PATTERNS = {p.name: p for p in team_urls if isinstance(p, URLPattern)}


def test_every_team_route_has_its_place_in_the_table():
    assert set(PATTERNS) == set(ROLE_TABLE)


@pytest.fixture
def world(team, make_application, make_database, developer, owner):
    application = make_application(slug="web", build_command="python manage.py migrate")
    database = make_database(slug="main", resource_model="dedicated")
    rule = FirewallRule.objects.create(database=database, network="203.0.113.0/24", label="office")
    variable = Variable.objects.create(application=application, key="DEBUG", value="1")
    Connection.objects.create(application=application, database=database)
    token = DeployToken.objects.create(
        application=application, name="ci", prefix="hbr_x", digest="0" * 64
    )
    invitation = Invitation.objects.create(
        team=team, role=Role.VIEWER, digest="1" * 64, expires_at="2999-01-01T00:00Z"
    )
    return {
        "team": team.slug,
        "app": application.slug,
        "db": database.slug,
        "rule": rule.public_id,
        "variable": variable.public_id,
        "token": token.public_id,
        "invitation": invitation.public_id,
        "member": developer.username,
        # What the POST routes that act on one thing need to find it.
        "data": {
            "variable_reveal": {"phase": "runtime", "key": "DEBUG"},
            "copy_replace": {
                "copy": signing.dumps(
                    [str(variable.public_id), "x", variables.fingerprint("1")], salt=COPY_SALT
                )
            },
        },
    }


def _url(name: str, world: dict) -> str:
    keys = PATTERNS[name].pattern.converters
    return reverse(name, kwargs={"team": world["team"], **{k: world[k] for k in keys}})


def _client(team, role: Role) -> Client:
    client = Client()
    client.force_login(_member(team, f"someone-{role.value}", role))
    return client


@pytest.mark.parametrize("name", sorted(ROLE_TABLE))
def test_the_least_role_may_use_the_route(name, world, team):
    client, url = _client(team, ROLE_TABLE[name]), _url(name, world)
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, world["data"].get(name, {}))
    assert response.status_code not in (403, 404, 405), response.status_code


@pytest.mark.parametrize("name", sorted(n for n, role in ROLE_TABLE.items() if role in BELOW))
def test_the_role_below_gets_403_both_ways(name, world, team):
    client = _client(team, BELOW[ROLE_TABLE[name]])
    url = _url(name, world)
    assert client.get(url).status_code in (403, 405)
    assert client.post(url).status_code == 403


@pytest.mark.parametrize("name", sorted(ROLE_TABLE))
def test_an_outsider_gets_404(name, world, outsider_client):
    url = _url(name, world)
    assert outsider_client.get(url).status_code in (404, 405)
    assert outsider_client.post(url).status_code == 404
