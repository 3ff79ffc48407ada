"""Editing an application's build and start commands."""

from django.urls import reverse

from connections.models import Activity

DATA = {"build_command": "npm ci", "start_command": "npx prisma migrate deploy && npm start"}


def url(app):
    return reverse("application_commands", args=["acme", app.slug])


def test_saving_changes_both_and_is_recorded(htmx_client, make_application):
    app = make_application(build_command="npm ci && npx prisma migrate deploy")
    response = htmx_client.post(url(app), DATA)
    app.refresh_from_db()
    assert response.headers["HX-Redirect"] == reverse("application_detail", args=["acme", app.slug])
    assert (app.build_command, app.start_command) == (DATA["build_command"], DATA["start_command"])
    assert Activity.objects.get().changes == {"changed": ["build_command", "start_command"]}


def test_the_modal_is_a_fragment_for_htmx(htmx_client, make_application):
    response = htmx_client.get(url(make_application()))
    assert b"Edit commands" in response.content
    assert b"<html" not in response.content
