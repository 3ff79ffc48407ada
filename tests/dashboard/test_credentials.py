"""The Connection credentials section of a database's Overview and its modals: rotating,
revoking old credentials now, the team's grace period, and what a password change says about
applications with their own credential."""

import json
import secrets

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from connections import linking, rotation, tokens
from connections.engines import engine_for
from connections.models import (
    Activity,
    ActivityKind,
    Application,
    Credential,
    CredentialState,
    Database,
    Variable,
)
from connections.servers import offered_version
from tests.clients import open_session
from tests.servers import create_on_server, register


def overview_url(database) -> str:
    return reverse("database_detail", args=["acme", database.slug])


class TestOnARealServer:
    pytestmark = pytest.mark.django_db(transaction=True)

    @pytest.fixture
    def live(self, postgresql_endpoint, region, make_database, app, owner):
        server = register(postgresql_endpoint, region)
        database = make_database(
            slug=f"t{secrets.token_hex(4)}", server=server, version=offered_version(server)
        )
        create_on_server(database)
        linking.connect(owner, app, database, linking.proposed_keys())
        yield database
        engine_for(server).drop(database, rotation.logins_to_drop(database))

    def test_the_section_shows_each_credential_then_its_live_sessions(
        self, live, team_admin_client
    ):
        """The page is shown without waiting for the server; the section then asks for the
        live sessions (htmx, on load), which the server counts per user."""
        credential = Credential.objects.get(database=live)
        opened = [open_session(live, credential.username, credential.password) for _ in "ab"]
        try:
            page = team_admin_client.get(overview_url(live)).content.decode()
            section = team_admin_client.get(
                overview_url(live) + "?sessions=1",
                headers={"HX-Request": "true", "HX-Target": "credentials"},
            ).content.decode()
        finally:
            for session in opened:
                session.close()
        for content in (page, section):
            assert f"<code>{credential.username}</code>" in content
            assert 'data-state="active"' in content
            assert "In use" in content
        assert 'hx-trigger="load, credentialsChanged from:body' in page
        assert "2 sessions" not in page
        assert '<td class="nowrap" data-testid="sessions">2 sessions</td>' in section
        assert section.lstrip().startswith('<section class="card" id="credentials"')
        assert 'hx-trigger="credentialsChanged from:body' in section  # read: asked no more

    def test_rotate_then_report_the_deployment_revokes_the_old_one(
        self, live, app, owner, team_admin_client, client
    ):
        old = Credential.objects.get(database=live)
        url = reverse("credentials_rotate", args=["acme", live.slug])
        content = team_admin_client.post(url, headers={"HX-Request": "true"}).content.decode()
        assert "Credentials rotated" in content
        new = Credential.objects.exclude(pk=old.pk).get(database=live)
        assert new.in_use
        page = team_admin_client.get(overview_url(live)).content.decode()
        assert "Old credential still used by Storefront" in page
        _, secret = tokens.create_token(owner, app, "ci")
        app.refresh_from_db()
        client.post(
            reverse("api_deployments", args=["acme", app.slug]),
            json.dumps({"version": app.environment_version}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )
        assert Credential.objects.get(pk=old.pk).state == CredentialState.REVOKED
        page = team_admin_client.get(overview_url(live)).content.decode()
        assert "Every application deployed the new credential" in page
        assert "Old credential still used" not in page

    def test_the_rotation_names_copies_of_the_old_credential_s_password(
        self, live, app, make_application, team_admin_client
    ):
        old = Credential.objects.get(database=live)
        worker = make_application(name="Worker", slug="worker")
        Variable.objects.create(application=worker, key="SHOP_PASSWORD", value=old.password)
        url = reverse("connection_rotate", args=["acme", app.slug, live.slug])
        content = team_admin_client.post(url).content.decode()
        assert "hold a copy of an old credential" in content
        assert "<strong>Worker</strong> · <code>SHOP_PASSWORD</code>" in content

    def test_a_rotation_the_server_did_not_take_says_so_and_keeps_the_old_one(
        self, live, postgresql_endpoint, team_admin_client
    ):
        old = Credential.objects.get(database=live)
        url = reverse("credentials_rotate", args=["acme", live.slug])
        with postgresql_endpoint.server.stopped():
            result = team_admin_client.post(url).content.decode()
            page = team_admin_client.get(overview_url(live)).content.decode()
            sessions = team_admin_client.get(overview_url(live) + "?sessions=1").content
        assert "The server did not take it: Cannot reach the server." in result
        assert "the old credential keeps working" in result
        assert 'data-state="active-pending"' in page
        assert "Retried automatically; the variables keep the previous credential" in page
        # The page never waits on the server; asked for the sessions, it says why they are
        # unknown (the whole page, as a browser without JavaScript follows the "…" link).
        assert "Live sessions unknown" not in page
        assert "Live sessions unknown: Cannot reach the server." in sessions.decode()
        assert b"<html" in sessions
        assert Credential.objects.get(pk=old.pk).in_use

    def test_revoke_old_now_from_the_connection_row(self, live, app, owner, team_admin_client):
        (new,) = rotation.rotate(owner, live).created
        old = Credential.objects.get(database=live, state=CredentialState.RETIRING)
        url = reverse("connection_revoke_old", args=["acme", app.slug, live.slug])
        assert "Still used by Storefront" in team_admin_client.get(url).content.decode()
        team_admin_client.post(url)
        assert Credential.objects.get(pk=old.pk).state == CredentialState.REVOKED
        assert Activity.objects.filter(verb=ActivityKind.REVOKED_OLD_CREDENTIALS).exists()
        assert Credential.objects.get(pk=new.pk).in_use

    def test_a_password_change_names_the_applications_it_does_not_touch(
        self, live, team_admin_client
    ):
        url = reverse("password_change", args=["acme", live.slug])
        content = team_admin_client.post(url, {"generate": "1"}).content.decode()
        assert "Not affected: <strong>Storefront</strong> uses its own connection" in content
        assert Application.objects.get(slug="storefront").environment_version == 3


def test_the_grace_period_is_a_team_setting_with_its_bounds(team_admin_client, team, database):
    url = reverse("credential_grace", args=["acme", database.slug])
    response = team_admin_client.post(url, {"hours": "0"})
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
    team_admin_client.post(url, {"hours": "48"})
    team.refresh_from_db()
    assert team.credential_grace_hours == 48
    entry = Activity.objects.get(verb=ActivityKind.CHANGED_CREDENTIAL_GRACE)
    assert entry.changes == {"old": 24, "new": 48}


def test_a_database_that_is_not_provisioned_cannot_rotate(
    team_admin_client, app, database, developer
):
    linking.connect(developer, app, database, None)
    url = reverse("credentials_rotate", args=["acme", database.slug])
    content = team_admin_client.post(url).content.decode()
    assert rotation.NOT_PROVISIONED in content
    assert Credential.objects.filter(database=database).count() == 1


def test_the_overview_costs_the_same_for_one_connection_as_for_many(
    developer_client, page_queries, database, make_application, developer
):
    """The section reads its credentials, the applications still to deploy and the sessions in
    a fixed number of queries (and one server call; this database has no server)."""

    def connect_one():
        connection = linking.connect(developer, make_application(), database, None)
        credential = connection.credentials.get()
        Credential.objects.filter(pk=credential.pk).update(pending=False)
        connection.credential = credential
        connection.save(update_fields=["credential"])

    connect_one()
    url = overview_url(database)
    one = page_queries(developer_client, url, at_most=20)
    for _ in range(10):
        connect_one()
    page_queries(developer_client, url, exactly=one)


def test_rotating_all_costs_the_same_for_two_connections_as_for_six(
    team_admin_client, database, make_server, make_application, developer
):
    """The rotation reads the connections, the old credentials and the team's variables (for
    copies of the old passwords) once each, and issues the new credentials in one insert. The
    server steps run once committed (never, in this test's transaction: the server is never
    contacted)."""
    Database.objects.filter(pk=database.pk).update(server=make_server())
    url = reverse("credentials_rotate", args=["acme", database.slug])
    team_admin_client.get(url)  # the first visit of a team stores it in the session

    def rotate_all(connections: int) -> int:
        while database.connections.count() < connections:
            linking.connect(developer, make_application(), database, None)
        Credential.objects.filter(database=database).update(pending=False)  # as if created
        with CaptureQueriesContext(db_connection) as captured:
            content = team_admin_client.post(url).content.decode()
        assert content.count('<span class="badge warn">Pending</span>') == connections
        return len(captured)

    two = rotate_all(2)
    assert rotate_all(6) == two
