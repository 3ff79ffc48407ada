"""Editing an application's internal port: PORT follows, the change is recorded."""

import json

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


def test_out_of_range_is_explained_in_the_modal(htmx_client, app):
    response = htmx_client.post(url(app), {"internal_port": "0"})
    assert response.status_code == 200
    assert b"A port is a number from 1 to 65535." in response.content
    app.refresh_from_db()
    assert app.internal_port == 8080


def test_reserved_port_is_refused(htmx_client, app):
    response = htmx_client.post(url(app), {"internal_port": "22"})
    assert b"reserved by the platform" in response.content


def test_text_is_refused_without_a_500(htmx_client, app):
    response = htmx_client.post(url(app), {"internal_port": "eighty"})
    assert response.status_code == 200
    assert response.context["form"].errors["internal_port"]
