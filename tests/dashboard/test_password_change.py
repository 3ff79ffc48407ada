"""Changing a database password: applied on the real server first, stored only after, never
half done; linked variables follow, connected apps need a restart, copies are named."""

import secrets
import threading
from html import escape

import pytest
from django.db import connection as db_connection
from django.db import connections as db_connections
from django.urls import reverse

from connections import credentials, linking
from connections.engines import engine_for
from connections.environment import resolve_environment
from connections.models import Activity, Database, Variable
from tests.servers import create_on_server, register

STRONG = "New-passw0rd,&*"


def authenticates(database: Database, password: str) -> bool:
    return engine_for(database.server).probe(database, password).ok


def url(database):
    return reverse("password_change", args=["acme", database.slug])


@pytest.mark.parametrize(
    ("password", "failed"),
    [
        ("Sh0rt,", ["at least 8 characters"]),
        ("alllowercase1,", ["an uppercase letter"]),
        ("NoDigitsHere,,", ["a digit"]),
        ("NoSpecials123", ["one of , & * [ ] : ' $ ` \""]),
        ("lower", ["at least 8 characters", "an uppercase letter", "a digit", "one of"]),
    ],
)
def test_a_weak_password_names_every_failed_rule_next_to_the_field(
    admin_htmx_client, make_database, password, failed
):
    database = make_database()
    response = admin_htmx_client.post(url(database), {"password": password})
    errors = " ".join(response.context["form"].errors["password"])
    assert all(rule in errors for rule in failed)
    assert Database.objects.get(pk=database.pk).password == database.password


def test_an_empty_password_asks_for_one(admin_htmx_client, make_database):
    response = admin_htmx_client.post(url(make_database()), {"password": ""})
    assert "Type a new password, or generate one." in response.context["form"].errors["password"]


def test_the_new_password_authenticates_and_the_old_one_no_longer_does(admin_htmx_client, live):
    old = live.password
    response = admin_htmx_client.post(url(live), {"password": STRONG})
    assert b'data-testid="password-changed"' in response.content
    assert Database.objects.get(pk=live.pk).password == STRONG
    assert authenticates(live, STRONG)
    assert not authenticates(live, old)


def test_a_generated_password_meets_the_policy_and_is_applied(admin_htmx_client, live):
    admin_htmx_client.post(url(live), {"generate": "1"})
    stored = Database.objects.get(pk=live.pk).password
    assert stored != live.password
    assert credentials_policy_ok(stored)
    assert authenticates(live, stored)


def credentials_policy_ok(password: str) -> bool:
    from connections.passwords import policy_failures

    return policy_failures(password) == []


def test_linked_variables_follow_and_connected_apps_need_a_restart(
    admin_htmx_client, owner, live, make_application
):
    app = make_application()
    linking.connect(owner, app, live, linking.proposed_keys())
    app.refresh_from_db()
    type(app).objects.filter(pk=app.pk).update(deployed_environment_version=app.environment_version)
    response = admin_htmx_client.post(url(live), {"password": STRONG})
    app.refresh_from_db()
    assert resolve_environment(app, "runtime")["DB_PASSWORD"] == STRONG
    assert app.needs_restart
    assert app.name in response.content.decode()


def test_the_change_is_recorded_without_the_password(admin_htmx_client, live):
    admin_htmx_client.post(url(live), {"password": STRONG})
    entry = Activity.objects.get(verb="changed the password of")
    assert STRONG not in str(entry.changes)
    assert live.password not in str(entry.changes)
    assert entry.changes["applied_on_server"] == live.server.name


def test_copies_of_the_old_password_are_listed_and_can_be_linked(
    admin_htmx_client, live, make_application
):
    from connections.environment import connection_url

    app = make_application()
    plain = Variable.objects.create(application=app, key="PASS_COPY", value=live.password)
    url_copy = Variable.objects.create(application=app, key="URL_COPY", value=connection_url(live))
    inside = Variable.objects.create(application=app, key="MIXED", value=f"x{live.password}y")
    response = admin_htmx_client.post(url(live), {"password": STRONG})
    listed = response.context["copies"]
    assert {copy.variable.key for copy, _ in listed} == {"PASS_COPY", "URL_COPY", "MIXED"}
    tokens = {copy.variable.key: token for copy, token in listed}
    assert next(c for c, _ in listed if c.variable.key == "MIXED").replacement is None

    replace = reverse("copy_replace", args=["acme", live.slug])
    admin_htmx_client.post(replace, {"copy": tokens["PASS_COPY"]})
    admin_htmx_client.post(replace, {"copy": tokens["URL_COPY"]})
    plain.refresh_from_db()
    url_copy.refresh_from_db()
    inside.refresh_from_db()
    environment = resolve_environment(app, "runtime")
    assert plain.value == f"{{{{ {live.slug}.DB_PASSWORD }}}}"
    assert environment["PASS_COPY"] == STRONG
    assert environment["URL_COPY"] == connection_url(Database.objects.get(pk=live.pk))
    assert inside.value == f"x{live.password}y"


def test_a_tampered_copy_token_is_404(team_admin_client, make_database):
    database = make_database()
    replace = reverse("copy_replace", args=["acme", database.slug])
    assert team_admin_client.post(replace, {"copy": "forged"}).status_code == 404


class TestFaults:
    """Whatever fails, the server and the dashboard agree afterwards, and the user is told."""

    def test_the_server_refuses(self, admin_htmx_client, live):
        old = live.password
        engine_for(live.server).drop(live)  # the user vanished behind the dashboard's back
        response = admin_htmx_client.post(url(live), {"password": STRONG})
        assert "Nothing was changed. The server refused" in response.content.decode()
        assert Database.objects.get(pk=live.pk).password == old
        create_on_server(live, old)  # for the fixture's teardown

    def test_the_server_is_down(self, admin_htmx_client, live):
        old, server = live.password, live.server
        real_url = server.admin_url
        server.admin_url = real_url.replace(f":{server.internal_port}", ":1", 1)
        server.save()
        response = admin_htmx_client.post(url(live), {"password": STRONG})
        assert "Nothing was changed. Cannot reach the server" in response.content.decode()
        # What was typed is still in the (masked) field, to send again; the answer is not cached.
        assert f'value="{escape(STRONG)}"' in response.content.decode()
        assert "no-store" in response["Cache-Control"]
        assert Database.objects.get(pk=live.pk).password == old
        server.admin_url = real_url
        server.save()
        assert authenticates(live, old)

    def test_saving_fails_after_the_server_changed(self, admin_htmx_client, live, monkeypatch):
        old = live.password
        real_save = Database.save

        def failing_save(self, *args, **kwargs):
            if kwargs.get("update_fields") == ["password", "updated_at"]:
                raise RuntimeError("the dashboard's database went away")
            return real_save(self, *args, **kwargs)

        monkeypatch.setattr(Database, "save", failing_save)
        response = admin_htmx_client.post(url(live), {"password": STRONG})
        assert "the old one was put back on the server" in response.content.decode()
        assert Database.objects.get(pk=live.pk).password == old
        assert authenticates(live, old)
        assert not authenticates(live, STRONG)
        assert not Activity.objects.filter(verb="changed the password of").exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_changes_cannot_interleave(
    owner, postgresql_endpoint, region, make_database
):
    server = register(postgresql_endpoint, region)
    database = make_database(slug=f"t{secrets.token_hex(4)}", server=server)
    create_on_server(database, database.password)
    passwords = ["First-passw0rd!", "Second-passw0rd!"]
    barrier = threading.Barrier(2)
    applied: list[str] = []
    refused: list[str] = []

    def change(password: str) -> None:
        # PostgreSQL makes the second change wait for the first; a store that cannot wait
        # (SQLite's shared in-memory test database) refuses it cleanly. Nothing interleaves.
        try:
            barrier.wait()
            credentials.change_password(owner, database, password)
            applied.append(password)
        except credentials.PasswordChangeFailed:
            refused.append(password)
        finally:
            db_connections.close_all()

    threads = [threading.Thread(target=change, args=(p,)) for p in passwords]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = Database.objects.get(pk=database.pk).password
    try:
        assert sorted(applied + refused) == sorted(passwords)
        if db_connection.vendor == "postgresql":
            assert len(applied) == 2  # the second waited for the first
        assert stored == applied[-1]
        assert authenticates(database, stored)
        assert not authenticates(database, next(p for p in passwords if p != stored))
        assert Activity.objects.filter(verb="changed the password of").count() == len(applied)
    finally:
        engine_for(server).drop(database)
        db_connection.close()


def test_a_copy_edited_since_it_was_found_is_not_overwritten(
    admin_htmx_client, live, make_application
):
    copy = Variable.objects.create(application=make_application(), key="PW", value=live.password)
    response = admin_htmx_client.post(url(live), {"password": STRONG})
    (token,) = [token for _, token in response.context["copies"]]
    copy.value = "edited by hand meanwhile"
    copy.save()
    replace = reverse("copy_replace", args=["acme", live.slug])
    answer = admin_htmx_client.post(replace, {"copy": token}).content.decode()
    copy.refresh_from_db()
    assert "changed since" in answer
    assert copy.value == "edited by hand meanwhile"
