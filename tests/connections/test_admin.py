"""The operators' admin: every model is there and renders; secrets are never shown or sent
back; what changes through the dashboard is read-only here, and what operators change (ranges,
servers, tokens) is applied and recorded."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from connections import linking, tokens
from connections.masking import mask_url
from connections.models import (
    Activity,
    Database,
    DatabaseServer,
    DeployToken,
    RegionRange,
    Variable,
)
from connections.network import add_cidr_rule, add_region_rule
from tests.servers import register

ADMIN_URL = "postgres://admin:s3cr3t-P@ss@db.internal:5432/postgres"
MODELS = [model._meta.model_name for model in apps.get_app_config("connections").get_models()]


@pytest.fixture
def server(make_server):
    return make_server(name="pg-fra1", admin_url=ADMIN_URL)


@pytest.fixture
def cast(owner, app, database):
    linking.connect(owner, app, database, linking.proposed_keys())
    Variable.objects.create(application=app, key="API_SECRET", value="plain-secret-value")
    token, secret = tokens.create_token(owner, app, "CI")
    return token, secret


@pytest.fixture
def ranges(region, other_region):
    RegionRange.objects.create(region=region, network="10.20.0.0/16")
    RegionRange.objects.create(region=other_region, network="10.30.0.0/16")


@pytest.fixture
def dedicated(make_database, ranges):
    return make_database(name="Ledger", slug="ledger", resource_model="dedicated")


def _reload(database):
    return Database.objects.select_related("region", "team").get(pk=database.pk)


def test_every_model_is_registered():
    for model in apps.get_app_config("connections").get_models():
        assert admin.site.is_registered(model), model


@pytest.mark.parametrize("model", MODELS)
def test_every_changelist_renders(operator_client, server, cast, dedicated, region, model):
    add_region_rule(None, dedicated, region)  # a managed rule lists its region
    assert operator_client.get(reverse(f"admin:connections_{model}_changelist")).status_code == 200


def test_no_secret_is_shown(operator_client, cast, database):
    _, secret = cast
    pages = [
        reverse("admin:connections_variable_changelist"),
        reverse(
            "admin:connections_variable_change", args=[Variable.objects.get(key="API_SECRET").pk]
        ),
        reverse("admin:connections_deploytoken_changelist"),
        reverse("admin:connections_database_change", args=[database.pk]),
    ]
    content = b"".join(operator_client.get(page).content for page in pages).decode()
    assert "plain-secret-value" not in content
    assert secret not in content
    assert database.password not in content


def test_database_exposure_cannot_be_edited_in_the_admin(operator_client, database):
    content = operator_client.get(
        reverse("admin:connections_database_change", args=[database.pk])
    ).content
    assert b'name="internet_access"' not in content
    assert b'name="force_tls"' not in content


def test_revoking_a_token_from_the_admin_is_recorded(operator_client, cast):
    token, _ = cast
    url = reverse("admin:connections_deploytoken_delete", args=[token.pk])
    operator_client.post(url, {"post": "yes"})
    assert not DeployToken.objects.exists()
    assert Activity.objects.filter(verb="revoked deploy token").exists()


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


def test_a_range_is_normalised_and_may_not_overlap_another_region(operator_client, ranges, region):
    add = reverse("admin:connections_regionrange_add")
    response = operator_client.post(add, {"region": region.pk, "network": "10.30.1.0/24"})
    assert "a range of New York" in response.context["adminform"].form.errors["network"][0]
    operator_client.post(add, {"region": region.pk, "network": "fd00:21:0::/48", "label": ""})
    assert RegionRange.objects.filter(network="fd00:21::/48").exists()


def test_changing_ranges_resyncs_internet_exposure(operator_client, dedicated, developer):
    add_cidr_rule(developer, dedicated, "10.30.1.0/24", "Part of nyc1")
    nyc1 = RegionRange.objects.get(network="10.30.0.0/16")
    operator_client.post(
        reverse("admin:connections_regionrange_delete", args=[nyc1.pk]), {"post": "yes"}
    )
    assert _reload(dedicated).internet_access
    assert Activity.objects.first().actor_name == "operator"


def test_operators_read_rules_but_change_them_only_through_the_dashboard(
    operator_client, dedicated
):
    assert operator_client.get(reverse("admin:connections_firewallrule_add")).status_code == 403


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
        # A password is percent-encoded: each character that would not parse says how.
        ("postgresql://admin:Adm1n%zz@db:5432/postgres", "write a literal % as %25"),
        ("postgresql://admin:Adm1n%2@db:5432/postgres", "write a literal % as %25"),
        ("postgresql://admin:12/Adm1n@db:5432/postgres", "write / as %2F"),
        ("postgresql://admin:Adm1n#x@db:5432/postgres", "# as %23"),
        ("postgresql://admin:12?Adm1n@db:5432/postgres", "? as %3F"),
        ("postgresql://admin:[Adm1n@db:5432/postgres", "[ as %5B"),
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
    assert "Adm1n" not in response.content.decode()  # a refused password is never echoed
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
