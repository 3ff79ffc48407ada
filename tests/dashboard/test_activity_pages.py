"""The team's activity page and a database's Activity tab show what was recorded."""

from django.urls import reverse

from connections import activity
from connections.models import ActivityKind


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
