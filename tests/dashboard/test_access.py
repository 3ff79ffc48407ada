"""Who may see and change what: outsiders get 404, viewers 403 on changes, CSRF is enforced."""

import pytest
from django.test import Client
from django.urls import reverse

from connections.models import Application

VALID_APP = {"name": "Billing", "slug": "", "internal_port": "8080"}


@pytest.fixture
def app_and_db(make_application, make_database):
    return make_application(slug="web"), make_database(slug="main")


def _read_urls(team: str = "acme") -> list[str]:
    return [
        reverse("application_list", args=[team]),
        reverse("application_detail", args=[team, "web"]),
        reverse("application_networking", args=[team, "web"]),
        reverse("application_settings", args=[team, "web"]),
        reverse("database_list", args=[team]),
        reverse("database_detail", args=[team, "main"]),
        reverse("database_network", args=[team, "main"]),
        reverse("database_activity", args=[team, "main"]),
        reverse("team_activity", args=[team]),
    ]


def test_anonymous_visitor_is_sent_to_login(client, app_and_db):
    response = client.get(reverse("application_list", args=["acme"]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("index", range(len(_read_urls())))
def test_outsider_gets_404_on_every_page(outsider_client, app_and_db, index):
    assert outsider_client.get(_read_urls()[index]).status_code == 404


def test_outsider_gets_404_when_creating(outsider_client, region):
    response = outsider_client.post(
        reverse("application_create", args=["acme"]), {**VALID_APP, "region": region.pk}
    )
    assert response.status_code == 404
    assert not Application.objects.filter(slug="billing").exists()


def test_outsider_sees_no_team_name_in_the_404(outsider_client, app_and_db):
    response = outsider_client.get(reverse("application_list", args=["acme"]))
    assert b"Acme" not in response.content


@pytest.mark.parametrize("index", range(len(_read_urls())))
def test_viewer_may_read_every_page(viewer_client, app_and_db, index):
    assert viewer_client.get(_read_urls()[index]).status_code == 200


@pytest.mark.parametrize("name", ["application_create", "database_create"])
def test_viewer_gets_403_on_create_forms(viewer_client, team, name):
    assert viewer_client.get(reverse(name, args=["acme"])).status_code == 403


def test_viewer_gets_403_when_posting_a_new_application(viewer_client, region):
    response = viewer_client.post(
        reverse("application_create", args=["acme"]), {**VALID_APP, "region": region.pk}
    )
    assert response.status_code == 403
    assert not Application.objects.exists()


def test_viewer_is_not_offered_the_create_button(viewer_client, team):
    response = viewer_client.get(reverse("application_list", args=["acme"]))
    assert reverse("application_create", args=["acme"]).encode() not in response.content


def test_create_without_csrf_token_is_refused(developer, region):
    client = Client(enforce_csrf_checks=True)
    client.force_login(developer)
    response = client.post(
        reverse("application_create", args=["acme"]), {**VALID_APP, "region": region.pk}
    )
    assert response.status_code == 403
    assert not Application.objects.exists()


def test_htmx_request_with_csrf_header_is_accepted(developer, region):
    client = Client(enforce_csrf_checks=True)
    client.force_login(developer)
    client.get(reverse("application_create", args=["acme"]))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("application_create", args=["acme"]),
        {**VALID_APP, "region": region.pk},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status_code == 302
    assert Application.objects.filter(slug="billing").exists()


def test_every_page_carries_the_csrf_header_for_htmx(developer_client, team):
    response = developer_client.get(reverse("application_list", args=["acme"]))
    assert b'hx-headers=\'{"x-csrftoken": "' in response.content


def test_logout_is_post_only(developer_client):
    assert developer_client.get(reverse("logout")).status_code == 405
