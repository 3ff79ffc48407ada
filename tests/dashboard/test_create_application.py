"""Creating an application: validation next to the field, the happy path and its record."""

import pytest
from django.urls import reverse

from connections.models import Activity, Application

URL = reverse("application_create", args=["acme"])


def test_happy_path_creates_and_redirects_to_the_application(developer_client, region):
    response = developer_client.post(
        URL, {"name": "Orders API", "slug": "", "region": region.pk, "internal_port": "8000"}
    )
    application = Application.objects.get(slug="orders-api")
    assert response.url == reverse("application_detail", args=["acme", "orders-api"])
    assert application.internal_port == 8000


def test_creation_is_recorded(developer_client, developer, region):
    developer_client.post(URL, {"name": "Orders API", "region": region.pk, "internal_port": "8000"})
    entry = Activity.objects.get()
    assert (entry.actor, entry.verb, entry.target_label) == (
        developer,
        "created application",
        "Orders API",
    )
    assert entry.changes == {"region": "fra1", "internal_port": 8000}


def test_port_out_of_range_is_explained_next_to_the_field(developer_client, region):
    response = developer_client.post(
        URL, {"name": "Orders", "region": region.pk, "internal_port": "70000"}
    )
    assert response.status_code == 200
    assert "A port is a number from 1 to 65535." in response.context["form"].errors["internal_port"]
    assert b'id="id_internal_port-error"' in response.content
    assert not Application.objects.exists()


def test_reserved_port_is_refused(developer_client, region):
    response = developer_client.post(
        URL, {"name": "Orders", "region": region.pk, "internal_port": "22"}
    )
    assert response.context["form"].errors["internal_port"] == [
        "Port 22 is reserved by the platform."
    ]


def test_slug_used_by_a_database_of_the_team_is_refused(developer_client, region, make_database):
    make_database(slug="orders")
    response = developer_client.post(
        URL, {"name": "Orders", "region": region.pk, "internal_port": "8000"}
    )
    assert "already uses this slug" in response.context["form"].errors["slug"][0]
    assert not Application.objects.exists()


def test_a_name_without_letters_or_digits_needs_a_slug(developer_client, region):
    response = developer_client.post(
        URL, {"name": "!!!", "region": region.pk, "internal_port": "80"}
    )
    assert response.context["form"].errors["slug"]


def test_a_name_with_underscores_gives_a_dashed_slug(developer_client, region):
    developer_client.post(URL, {"name": "my_app", "region": region.pk, "internal_port": "8000"})
    assert Application.objects.filter(slug="my-app").exists()


@pytest.mark.parametrize("slug", ["ABC", "my_app", "-edge", "two--dashes"])
def test_a_typed_slug_that_is_not_one_is_explained_next_to_the_field(
    developer_client, region, slug
):
    response = developer_client.post(
        URL, {"name": "App", "slug": slug, "region": region.pk, "internal_port": "8000"}
    )
    assert response.status_code == 200
    assert (
        "lowercase letters, digits and single dashes" in response.context["form"].errors["slug"][0]
    )
    assert not Application.objects.exists()
