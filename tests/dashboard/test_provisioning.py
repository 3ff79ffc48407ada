"""Creating and deleting databases through the dashboard really creates and drops them."""

import secrets
from types import SimpleNamespace

import pytest
from django.urls import reverse

import connections.models.resources
from connections import linking
from connections.engines import engine_for
from connections.models import Activity, Database, DatabaseServer
from connections.servers import offered_version
from tests.servers import register


def _create(client, region, engine="postgresql", version=None, slug=None):
    slug = slug or f"t{secrets.token_hex(4)}"
    if version is None:  # the version the region's server runs
        version = offered_version(DatabaseServer.objects.get(engine=engine, region=region))
    data = {
        "name": slug,
        "slug": slug,
        "engine": engine,
        "version": version,
        "region": region.pk,
        "resource_model": "shared",
    }
    return client.post(reverse("database_create", args=["acme"]), data), slug


@pytest.fixture
def pg(postgresql_endpoint, region):
    return register(postgresql_endpoint, region)


@pytest.fixture
def pinned_names(monkeypatch):
    """Make the random part of database names predictable, to stage collisions on purpose."""
    suffix = secrets.token_hex(3)
    monkeypatch.setattr(
        connections.models.resources, "secrets", SimpleNamespace(token_hex=lambda n: suffix)
    )


def test_creating_creates_the_database_on_a_server_of_its_engine_and_region(
    team_admin_client, pg, region
):
    _, slug = _create(team_admin_client, region)
    database = Database.objects.get(slug=slug)
    engine = engine_for(pg)
    try:
        assert database.server == pg
        assert engine.probe(database, database.password).ok
        assert Activity.objects.get(verb="created database").changes["server"] == pg.name
    finally:
        engine.drop(database)


def test_a_server_refusal_records_nothing_and_says_why(team_admin_client, pg, region, pinned_names):
    slug = f"t{secrets.token_hex(4)}"
    # The role already exists on the server (created behind the dashboard's back).
    ghost = Database(slug=slug, region=region)  # never saved: it only carries the names
    ghost.derive_identifiers()
    engine_for(pg).create(ghost, "Ghost-passw0rd!")
    try:
        response, _ = _create(team_admin_client, region, slug=slug)
        errors = response.context["form"].non_field_errors()
        assert "The database was not created" in errors[0]
        assert "already exists" in errors[0]
        assert pg.admin_url not in response.content.decode()
        assert not Database.objects.filter(slug=slug).exists()
    finally:
        engine_for(pg).drop(ghost)


def test_without_a_server_the_database_is_recorded_as_not_provisioned(team_admin_client, region):
    _, slug = _create(team_admin_client, region, engine="redis", version="7.4")
    database = Database.objects.get(slug=slug)
    page = team_admin_client.get(reverse("database_detail", args=["acme", slug]))
    assert database.server is None
    assert b'data-testid="not-provisioned"' in page.content
    assert b"Test connection" not in page.content


def test_if_saving_fails_after_the_server_created_it_the_server_copy_is_dropped(
    team_admin_client, pg, region, monkeypatch, pinned_names
):
    slug = f"t{secrets.token_hex(4)}"

    def broken_save(self, *args, **kwargs):
        raise RuntimeError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(Database, "save", broken_save)
        with pytest.raises(RuntimeError):
            _create(team_admin_client, region, slug=slug)
    ghost = Database(slug=slug, region=region, server=pg)
    ghost.derive_identifiers()
    assert not engine_for(pg).probe(ghost, "whatever").ok
    engine_for(pg).create(ghost, "Proves-the-n4me-is-free")  # nothing left behind
    engine_for(pg).drop(ghost)


class TestDelete:
    @pytest.fixture
    def live(self, team_admin_client, pg, region):
        _, slug = _create(team_admin_client, region)
        return Database.objects.get(slug=slug)

    def url(self, database):
        return reverse("database_delete", args=["acme", database.slug])

    def test_the_wrong_name_deletes_nothing(self, admin_htmx_client, live):
        response = admin_htmx_client.post(self.url(live), {"confirm": "nope"})
        assert f"Type {live.slug} exactly" in response.content.decode()
        assert Database.objects.filter(pk=live.pk).exists()
        assert engine_for(live.server).probe(live, live.password).ok
        engine_for(live.server).drop(live)

    def test_the_typed_name_drops_it_on_the_server_and_bumps_connected_apps(
        self, admin_htmx_client, owner, live, make_application
    ):
        app = make_application()
        linking.connect(owner, app, live, linking.proposed_keys())
        before = type(app).objects.get(pk=app.pk).environment_version
        response = admin_htmx_client.post(self.url(live), {"confirm": live.slug})
        assert response.headers["HX-Redirect"] == reverse("database_list", args=["acme"])
        assert not Database.objects.filter(pk=live.pk).exists()
        assert not engine_for(live.server).probe(live, live.password).ok
        assert type(app).objects.get(pk=app.pk).environment_version == before + 1
        assert Activity.objects.filter(verb="deleted database").exists()

    def test_an_unreachable_server_deletes_nothing(self, admin_htmx_client, live):
        server = live.server
        real_url = server.admin_url
        server.admin_url = "postgresql://admin:x@127.0.0.1:1/postgres"
        server.save()
        response = admin_htmx_client.post(self.url(live), {"confirm": live.slug})
        assert "Nothing was deleted" in response.content.decode()
        assert Database.objects.filter(pk=live.pk).exists()
        server.admin_url = real_url
        server.save()
        engine_for(server).drop(live)


def test_the_least_loaded_server_of_the_engine_and_region_is_chosen(
    make_server, make_database, region
):
    from connections.provisioning import server_for

    busy, quiet = make_server(), make_server()
    make_database(server=busy)
    make_server(engine="redis")
    assert server_for("postgresql", region) == quiet
    assert server_for("mysql", region) is None
