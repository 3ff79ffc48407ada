"""One small API records every change; the team and the database show it; secrets never enter."""

import pytest
from django.urls import reverse

from connections import activity
from connections.models import Activity, ActivityKind


def test_record_keeps_who_what_and_target(team, developer, make_database):
    database = make_database(name="Shop")
    entry = activity.record(developer, team, ActivityKind.CREATED_DATABASE, database, version="17")
    assert (entry.actor_name, entry.target_type, entry.target_id) == (
        "developer",
        "database",
        database.pk,
    )
    assert entry.changes == {"version": "17"}


@pytest.mark.parametrize("key", ["password", "new_password", "admin_url", "token", "value"])
def test_record_refuses_anything_that_names_a_secret(team, developer, key):
    with pytest.raises(ValueError, match="never holds secrets"):
        activity.record(developer, team, ActivityKind.CHANGED_PASSWORD, **{key: "hunter2"})
    assert not Activity.objects.exists()


def test_record_refuses_nested_secrets(team, developer):
    with pytest.raises(ValueError, match=r"variables\.password"):
        activity.record(developer, team, ActivityKind.CONNECTED, variables={"password": "x"})


def test_record_survives_the_actor_being_deleted(team, developer):
    entry = activity.record(developer, team, ActivityKind.CREATED_APPLICATION)
    developer.delete()
    entry.refresh_from_db()
    assert (entry.actor, entry.actor_name) == (None, "developer")


def test_team_activity_page_lists_the_records(developer_client, team, developer):
    activity.record(developer, team, ActivityKind.CREATED_APPLICATION)
    response = developer_client.get(reverse("team_activity", args=["acme"]))
    assert b"created application" in response.content


def test_database_activity_tab_lists_only_that_database(
    developer_client, team, developer, make_database
):
    shown, other = make_database(name="Shown"), make_database(name="Other")
    activity.record(developer, team, ActivityKind.CHANGED_PASSWORD, shown)
    activity.record(developer, team, ActivityKind.REVEALED_CREDENTIALS, other)
    response = developer_client.get(reverse("database_activity", args=["acme", shown.slug]))
    assert b"changed the password of" in response.content
    assert b"revealed the credentials of" not in response.content


def test_an_empty_log_says_what_will_appear(developer_client, team):
    response = developer_client.get(reverse("team_activity", args=["acme"]))
    assert b"Nothing recorded yet" in response.content


def test_the_feed_shows_lists_and_switches_in_words(developer_client, team, developer):
    activity.record(
        developer, team, ActivityKind.CONNECTED, variables=["DB_HOST", "DB_PORT"], force_tls=True
    )
    content = developer_client.get(reverse("team_activity", args=["acme"])).content.decode()
    assert "variables: DB_HOST, DB_PORT" in content
    assert "force tls: on" in content


def test_record_refuses_free_text(team, developer):
    with pytest.raises(ValueError, match="ActivityKind"):
        activity.record(developer, team, "renamed team")
    assert not Activity.objects.exists()


def test_every_kind_fits_the_stored_verb():
    longest = max(len(kind) for kind in ActivityKind)
    assert longest <= Activity._meta.get_field("verb").max_length
