"""Editing an application's internal port: PORT follows, the change is recorded."""

import json

import pytest
from django.urls import reverse

from connections.environment import resolve_environment
from connections.models import Activity


def url(app):
    return reverse("port_edit", args=["acme", app.slug])


def test_new_port_becomes_port_at_runtime(htmx_client, app):
    response = htmx_client.post(url(app), {"internal_port": "9000"})
    app.refresh_from_db()
    assert json.loads(response.headers["HX-Trigger"])["closeModal"] == {}
    assert resolve_environment(app, "runtime")["PORT"] == "9000"
    assert app.environment_version == 2


def test_change_is_recorded_with_old_and_new(htmx_client, app):
    htmx_client.post(url(app), {"internal_port": "9000"})
    assert Activity.objects.get().changes == {"old": 8080, "new": 9000}


def test_same_port_changes_nothing(htmx_client, app):
    htmx_client.post(url(app), {"internal_port": "8080"})
    app.refresh_from_db()
    assert app.environment_version == 1
    assert not Activity.objects.exists()


@pytest.mark.parametrize("port", ["-1", "0", "65536", "eighty", "80.5"])
def test_every_port_out_of_range_gets_the_same_message_next_to_the_field(htmx_client, app, port):
    response = htmx_client.post(url(app), {"internal_port": port})
    assert response.status_code == 200
    assert response.context["form"].errors["internal_port"] == [
        "A port is a number from 1 to 65535."
    ]
    assert b'id="id_internal_port-error"' in response.content
    app.refresh_from_db()
    assert app.internal_port == 8080


@pytest.mark.parametrize("port", ["-1", "0"])
def test_creating_an_application_says_the_same_for_minus_one_and_zero(
    developer_client, region, port
):
    response = developer_client.post(
        reverse("application_create", args=["acme"]),
        {"name": "Orders", "region": region.pk, "internal_port": port},
    )
    assert response.context["form"].errors["internal_port"] == [
        "A port is a number from 1 to 65535."
    ]


def test_reserved_port_is_refused(htmx_client, app):
    response = htmx_client.post(url(app), {"internal_port": "22"})
    assert b"reserved by the platform" in response.content
