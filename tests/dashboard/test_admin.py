"""Operators get every model in the admin, and never a secret in clear."""

import pytest
from django.contrib import admin
from django.urls import reverse

from connections import linking
from connections.masking import mask_url
from connections.models import DatabaseServer
from tests.servers import register

ADMIN_URL = "postgres://admin:s3cr3t-P@ss@db.internal:5432/postgres"


@pytest.fixture
def server(make_server):
    return make_server(name="pg-fra1", admin_url=ADMIN_URL)


def test_every_model_is_registered():
    from django.apps import apps

    for model in apps.get_app_config("connections").get_models():
        assert admin.site.is_registered(model), model


@pytest.mark.parametrize(
    "model",
    ["team", "membership", "region", "application", "database", "databaseserver", "activity"],
)
def test_every_changelist_renders(operator_client, server, make_application, make_database, model):
    make_application()
    make_database()
    assert operator_client.get(reverse(f"admin:connections_{model}_changelist")).status_code == 200


def test_server_list_masks_the_admin_url(operator_client, server):
    content = operator_client.get(reverse("admin:connections_databaseserver_changelist")).content
    assert b"s3cr3t" not in content
    assert b"db.internal" in content


def test_server_form_never_sends_the_admin_url_back(operator_client, server):
    url = reverse("admin:connections_databaseserver_change", args=[server.pk])
    assert b"s3cr3t" not in operator_client.get(url).content


def test_saving_a_server_without_a_new_url_keeps_the_old_one(
    operator_client, postgresql_endpoint, region
):
    server = register(postgresql_endpoint, region)
    kept = server.admin_url
    url = reverse("admin:connections_databaseserver_change", args=[server.pk])
    data = {
        "name": server.name,
        "engine": "postgresql",
        "region": region.pk,
        "admin_url": "",
        "internal_host": "localhost",
        "internal_port": str(server.internal_port),
        "public_host": "",
        "public_port": "",
    }
    assert operator_client.post(url, data).status_code == 302
    server.refresh_from_db()
    assert (server.internal_host, server.admin_url) == ("localhost", kept)


def test_activity_is_read_only_for_operators(operator_client):
    assert operator_client.get(reverse("admin:connections_activity_add")).status_code == 403


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (ADMIN_URL, "postgres://admin:••••••••@db.internal:5432/postgres"),
        ("redis://:pw@[::1]:6379/0", "redis://:••••••••@[::1]:6379/0"),
        ("mysql://root@127.0.0.1/", "mysql://root@127.0.0.1/"),
        ("postgresql://admin@h/db?password=S3cret", "postgresql://admin@h/db?••••••••"),
        ("postgresql://admin:pw@h:notaport/db", "postgresql://••••••••"),
    ],
)
def test_mask_url(url, masked):
    assert mask_url(url) == masked


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@db:3306/", "starts with postgresql:// or postgres://"),
        ("postgresql://admin:pw@db:port/postgres", "valid port"),
        ("postgresql:///postgres", "needs a host"),
        ("postgresql://admin@db/postgres?password=S3cret", "user part"),
    ],
)
def test_a_bad_admin_url_is_explained_next_to_the_field(operator_client, region, url, message):
    data = {
        "name": "pg-new",
        "engine": "postgresql",
        "region": region.pk,
        "admin_url": url,
        "internal_host": "db",
        "internal_port": "5432",
        "public_host": "",
        "public_port": "",
    }
    response = operator_client.post(reverse("admin:connections_databaseserver_add"), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["admin_url"])
    assert not DatabaseServer.objects.filter(name="pg-new").exists()


def test_moving_a_server_in_the_admin_marks_the_apps_of_its_databases(
    operator_client, postgresql_endpoint, region, owner, make_database, make_application
):
    server = register(postgresql_endpoint, region)
    app = make_application()
    linking.connect(owner, app, make_database(server=server), linking.proposed_keys())
    version = type(app).objects.get(pk=app.pk).environment_version
    url = reverse("admin:connections_databaseserver_change", args=[server.pk])
    moved = "localhost" if server.internal_host != "localhost" else "127.0.0.1"
    data = {
        "name": server.name,
        "engine": "postgresql",
        "region": region.pk,
        "admin_url": "",
        "internal_host": moved,
        "internal_port": str(server.internal_port),
        "public_host": "",
        "public_port": "",
    }
    assert operator_client.post(url, data).status_code == 302
    assert type(app).objects.get(pk=app.pk).environment_version == version + 1
