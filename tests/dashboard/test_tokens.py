"""Deploy tokens on the Settings page: created and shown once, stored hashed, revoked."""

import html
import re
import shlex

import pytest
from django.urls import reverse

from connections import tokens
from connections.models import Activity, DeployToken


def create_url(app):
    return reverse("token_create", args=["acme", app.slug])


def test_create_shows_the_secret_once(developer_client, htmx_client, app):
    response = htmx_client.post(create_url(app), {"name": "GitHub Actions"})
    secret = response.context["secret"]
    token = DeployToken.objects.get()
    page = developer_client.get(reverse("application_settings", args=["acme", app.slug]))
    assert secret.encode() in response.content
    assert secret not in (token.digest, token.prefix)
    assert secret.encode() not in page.content
    assert Activity.objects.get().changes == {"name": "GitHub Actions"}


def test_a_name_is_required(htmx_client, app):
    response = htmx_client.post(create_url(app), {"name": ""})
    assert response.context["form"].errors["name"]
    assert not DeployToken.objects.exists()


@pytest.fixture
def token(owner, app):
    return tokens.create_token(owner, app, "CI")[0]


def test_revoke_deletes_and_records(htmx_client, app, token):
    url = reverse("token_revoke", args=["acme", app.slug, token.public_id])
    assert htmx_client.post(url).status_code == 204
    assert not DeployToken.objects.exists()
    assert Activity.objects.filter(verb="revoked deploy token").exists()


def test_revoke_through_another_app_is_404(developer_client, token, make_application):
    other = make_application(slug="other")
    url = reverse("token_revoke", args=["acme", other.slug, token.public_id])
    assert developer_client.post(url).status_code == 404
    assert DeployToken.objects.exists()


def test_the_curl_example_pastes_into_a_shell_as_one_url(htmx_client, app):
    response = htmx_client.post(create_url(app), {"name": "CI"})
    example = re.search(r'data-testid="token-curl">([^<]+)<', response.content.decode())
    words = shlex.split(html.unescape(example.group(1)))
    url = reverse("api_environment", args=["acme", app.slug])
    assert words == [
        "curl",
        "-H",
        "Authorization: Bearer $TOKEN",
        f"http://testserver{url}?phase=build&format=shell",
    ]
