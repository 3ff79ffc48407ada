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


# Paging and filters


def _team_activity(client, query=""):
    return client.get(reverse("team_activity", args=["acme"]) + query)


def test_the_feed_is_paged_fifty_at_a_time_newest_first(developer_client, team, developer):
    for number in range(60):
        activity.record(developer, team, ActivityKind.CHANGED_PORT, new=number)
    first = _team_activity(developer_client)
    assert [e.changes["new"] for e in first.context["entries"]] == list(range(59, 9, -1))
    assert "Page 1 of 2 · 60 entries" in first.content.decode()
    assert 'href="?page=2"' in first.content.decode()
    second = _team_activity(developer_client, "?page=2")
    assert [e.changes["new"] for e in second.context["entries"]] == list(range(9, -1, -1))
    assert 'href="?page=1"' in second.content.decode()


def test_a_page_past_the_end_shows_the_last_one(developer_client, team, developer):
    activity.record(developer, team, ActivityKind.CHANGED_PORT)
    assert _team_activity(developer_client, "?page=99").context["page"].number == 1


def test_filter_by_person(developer_client, team, developer, owner):
    activity.record(developer, team, ActivityKind.CREATED_APPLICATION)
    activity.record(owner, team, ActivityKind.CREATED_DATABASE)
    response = _team_activity(developer_client, "?person=owner")
    assert [e.actor_name for e in response.context["entries"]] == ["owner"]
    content = response.content.decode()
    assert '<option value="owner" selected>owner</option>' in content
    assert "Clear filters" in content


def test_filter_by_resource(developer_client, team, developer, app, make_database):
    shown, other = make_database(name="Shown", slug="shown"), make_database(name="Other")
    activity.record(developer, team, ActivityKind.CHANGED_PASSWORD, shown)
    activity.record(developer, team, ActivityKind.CHANGED_PASSWORD, other)
    activity.record(developer, team, ActivityKind.CHANGED_PORT, app)
    response = _team_activity(developer_client, "?resource=database:shown")
    assert [e.target_label for e in response.context["entries"]] == ["Shown"]
    app_entries = _team_activity(developer_client, f"?resource=application:{app.slug}")
    assert [e.target_label for e in app_entries.context["entries"]] == ["Storefront"]


def test_pages_keep_the_filters(developer_client, team, developer, owner):
    for _ in range(55):
        activity.record(developer, team, ActivityKind.CHANGED_PORT)
        activity.record(owner, team, ActivityKind.CHANGED_PORT)
    content = _team_activity(developer_client, "?person=owner").content.decode()
    assert 'href="?person=owner&amp;page=2"' in content


def test_a_person_who_is_not_in_the_feed_is_refused_next_to_the_field(
    developer_client, team, developer
):
    activity.record(developer, team, ActivityKind.CREATED_APPLICATION)
    response = _team_activity(developer_client, "?person=<script>")
    assert response.status_code == 200
    assert response.context["filters"].errors["person"]
    assert b'id="id_person-error"' in response.content
    assert b"<script>" not in response.content


def test_nothing_matching_says_so(developer_client, team, developer, app):
    activity.record(developer, team, ActivityKind.CREATED_APPLICATION)
    response = _team_activity(developer_client, f"?resource=application:{app.slug}")
    assert b"No activity matches these filters." in response.content


def test_htmx_gets_the_feed_alone(client_for, developer, team):
    activity.record(developer, team, ActivityKind.CREATED_APPLICATION)
    client = client_for(developer, htmx=True)
    url = reverse("team_activity", args=["acme"]) + "?person=developer"
    response = client.get(url, headers={"HX-Target": "activity"})
    content = response.content.decode()
    assert content.startswith('<div id="activity"')
    assert "<html" not in content


def test_a_database_page_filters_by_person_only(developer_client, team, developer, owner, database):
    activity.record(developer, team, ActivityKind.CHANGED_PASSWORD, database)
    activity.record(owner, team, ActivityKind.REVEALED_CREDENTIALS, database)
    url = reverse("database_activity", args=["acme", database.slug])
    response = developer_client.get(url + "?person=developer")
    assert [e.verb for e in response.context["entries"]] == ["changed the password of"]
    assert "resource" not in response.context["filters"].fields
