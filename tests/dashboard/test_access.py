"""What the pages do for access beyond the contract test (tests/dashboard/test_contract.py):
viewers are not offered changes, and htmx sends the CSRF token every page carries."""

from django.urls import reverse

from connections.models import Application

VALID_APP = {"name": "Billing", "slug": "", "internal_port": "8080"}


def test_viewer_is_not_offered_the_create_button(viewer_client, team):
    response = viewer_client.get(reverse("application_list", args=["acme"]))
    assert reverse("application_create", args=["acme"]).encode() not in response.content


def test_htmx_request_with_csrf_header_is_accepted(client_for, developer, region):
    client = client_for(developer, htmx=True, enforce_csrf_checks=True)
    client.get(reverse("application_create", args=["acme"]))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("application_create", args=["acme"]),
        {**VALID_APP, "region": region.pk},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 302
    assert Application.objects.filter(slug="billing").exists()


def test_every_page_carries_the_csrf_header_for_htmx(developer_client, team):
    response = developer_client.get(reverse("application_list", args=["acme"]))
    assert b'hx-headers=\'{"x-csrftoken": "' in response.content
