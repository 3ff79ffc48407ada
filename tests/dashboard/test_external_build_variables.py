"""The second way out of a build that needs the database: build-only variables with the same
keys, linked to the database's external connection details."""

import pytest
from django.urls import reverse

from connections import linking
from connections.environment import UnresolvedEnvironment, resolve_environment
from connections.models import Activity, Variable
from dashboard.forms.connections import VariableForm

BUILD = "npm ci && npx prisma migrate deploy"


@pytest.fixture
def server(make_server):
    return make_server()


@pytest.fixture
def shop(owner, make_application, make_database, server):
    app = make_application(slug="shop", build_command=BUILD, start_command="npm start")
    database = make_database(slug="shop-db", server=server, force_tls=True)
    linking.connect(owner, app, database, linking.proposed_keys())
    return app, database


def url(app, database):
    return reverse("external_build_variables", args=["acme", app.slug, database.slug])


def _open(database):
    database.internet_access = True
    database.save()


def test_refused_while_internet_access_is_off(developer_client, shop):
    app, database = shop
    response = developer_client.post(url(app, database), follow=True)
    assert "Internet access off" in response.content.decode()
    assert not Variable.objects.filter(build=True).exists()


def test_warning_links_to_the_network_tab_while_off(developer_client, shop):
    app, database = shop
    content = developer_client.get(reverse("application_detail", args=["acme", "shop"])).content
    assert reverse("database_network", args=["acme", database.slug]).encode() in content
    assert url(app, database).encode() not in content


def test_warning_offers_the_button_once_on(developer_client, shop):
    app, database = shop
    _open(database)
    content = developer_client.get(reverse("application_detail", args=["acme", "shop"])).content
    assert url(app, database).encode() in content


def test_adds_build_only_variables_with_the_same_keys(htmx_client, shop):
    app, database = shop
    _open(database)
    htmx_client.post(url(app, database))
    build = resolve_environment(app, "build")
    runtime = resolve_environment(app, "runtime")
    assert set(build) == set(runtime) - {"PORT"}
    assert (build["DB_HOST"], build["DB_PORT"]) == ("pg.fra1.example.net", "25432")
    assert runtime["DB_HOST"] == "pg.fra1.internal"
    assert build["DATABASE_URL"].startswith("postgresql://")
    assert "@pg.fra1.example.net:25432/" in build["DATABASE_URL"]


def test_addition_is_recorded_and_bumps_the_environment(developer_client, shop):
    app, database = shop
    _open(database)
    before = type(app).objects.get(pk=app.pk).environment_version
    developer_client.post(url(app, database))
    app.refresh_from_db()
    assert app.environment_version == before + 1
    assert Activity.objects.filter(verb__startswith="added build variables").exists()


def test_a_build_key_already_taken_is_refused(developer_client, shop):
    app, database = shop
    _open(database)
    Variable.objects.create(application=app, key="DB_HOST", value="x", build=True, runtime=False)
    response = developer_client.post(url(app, database), follow=True)
    assert "DB_HOST already defined for the build" in response.content.decode()
    assert Variable.objects.filter(build=True).count() == 1


def test_turning_external_connections_off_breaks_the_build_loudly(developer_client, shop):
    app, database = shop
    _open(database)
    developer_client.post(url(app, database))
    database.internet_access = False
    database.save()
    with pytest.raises(UnresolvedEnvironment, match="has Internet access off"):
        resolve_environment(app, "build")


def test_an_external_variable_cannot_be_made_available_at_runtime(developer_client, shop):
    app, database = shop
    _open(database)
    developer_client.post(url(app, database))
    variable = Variable.objects.get(key="DB_HOST", external=True)
    form = VariableForm(
        {"key": "DB_HOST", "build": "on", "runtime": "on"}, instance=variable, application=app
    )
    assert "internal connection" in form.errors["runtime"][0]


def test_the_warning_goes_once_the_build_has_its_variables(developer_client, shop):
    app, database = shop
    _open(database)
    developer_client.post(url(app, database))
    content = developer_client.get(reverse("application_detail", args=["acme", "shop"])).content
    assert b'data-testid="build-warning"' not in content
