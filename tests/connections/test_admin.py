"""The operators' admin for connections: readable, and never a secret in clear."""

import pytest
from django.urls import reverse

from connections import linking, tokens
from connections.models import Activity, DeployToken, Variable


@pytest.fixture
def cast(owner, app, database):
    linking.connect(owner, app, database, linking.proposed_keys())
    Variable.objects.create(application=app, key="API_SECRET", value="plain-secret-value")
    token, secret = tokens.create_token(owner, app, "CI")
    return token, secret


@pytest.mark.parametrize(
    "model", ["connection", "variable", "deploytoken", "firewallrule", "regionrange"]
)
def test_every_changelist_renders(operator_client, cast, model):
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
