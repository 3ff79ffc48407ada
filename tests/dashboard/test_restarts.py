"""Mark restarted: recorded, and every place that says "restart needed" agrees and updates at
once."""

import json

import pytest
from django.urls import reverse

from connections import credentials, linking
from connections.models import Activity, Application

HTMX = {"HX-Request": "true"}


@pytest.fixture
def stale(make_application):
    """Deployed with version 1; the environment is at version 3 since."""
    return make_application(slug="web", deployed_environment_version=1, environment_version=3)


def test_the_list_and_the_page_say_restart_needed(developer_client, stale):
    listing = developer_client.get(reverse("application_list", args=["acme"])).content
    assert b'data-testid="restart-needed"' in listing
    detail = developer_client.get(reverse("application_detail", args=["acme", "web"])).content
    assert b'data-testid="mark-restarted"' in detail


def test_a_password_change_names_only_what_the_pages_call_restart_needed(
    owner, make_application, make_database
):
    database = make_database(slug="main")
    deployed, fresh = make_application(slug="deployed"), make_application(slug="fresh")
    for application in (deployed, fresh):
        linking.connect(owner, application, database, linking.proposed_keys())
    deployed.refresh_from_db()
    Application.objects.filter(pk=deployed.pk).update(
        deployed_environment_version=deployed.environment_version
    )
    change = credentials.change_password(owner, database, "Another-Passw0rd!")
    assert [application.slug for application in change.restarted] == ["deployed"]
    assert all(application.needs_restart for application in change.restarted)


def test_marking_restarted_is_recorded_and_clears_it(developer_client, stale):
    response = developer_client.post(reverse("application_restart", args=["acme", "web"]))
    assert response.status_code == 302
    stale.refresh_from_db()
    assert stale.deployed_environment_version == 3
    assert not stale.needs_restart
    assert Activity.objects.get(verb="marked as restarted").changes == {"version": 3}
    page = developer_client.get(reverse("application_detail", args=["acme", "web"])).content
    assert b"restart-needed" not in page


def test_the_htmx_answer_updates_every_badge_out_of_band(developer_client, stale):
    response = developer_client.post(
        reverse("application_restart", args=["acme", "web"]), headers=HTMX
    )
    content = response.content.decode()
    assert "hx-swap-oob=\"innerHTML:[data-restart='web']\"" in content
    assert "Restart needed" not in content
    assert "restartsChanged" in json.loads(response.headers["HX-Trigger"])


def test_the_header_badge_refreshes_after_a_modal_change(developer_client, stale):
    response = developer_client.get(
        reverse("application_settings", args=["acme", "web"]),
        headers={**HTMX, "HX-Target": "restart-state"},
    )
    content = response.content.decode()
    assert content.startswith('<span id="restart-state"')
    assert 'hx-trigger="variablesChanged from:body, connectionsChanged from:body"' in content
    assert 'data-testid="restart-needed"' in content


def test_viewers_see_the_badge_without_the_button(viewer_client, stale):
    detail = viewer_client.get(reverse("application_detail", args=["acme", "web"])).content
    assert b'data-testid="restart-needed"' in detail
    assert b"mark-restarted" not in detail
    assert (
        viewer_client.post(reverse("application_restart", args=["acme", "web"])).status_code == 403
    )
    assert Application.objects.get(slug="web").needs_restart
