"""One small API records every change, with who did it and to what; secrets never enter."""

import pytest

from connections import activity, linking
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


def test_record_refuses_free_text(team, developer):
    with pytest.raises(ValueError, match="ActivityKind"):
        activity.record(developer, team, "renamed team")
    assert not Activity.objects.exists()


def test_every_kind_fits_the_stored_verb():
    longest = max(len(kind) for kind in ActivityKind)
    assert longest <= Activity._meta.get_field("verb").max_length


# Reading the feed


def test_feed_about_an_application_includes_the_connections_that_name_it(
    team, developer, owner, app, database, make_application
):
    other = make_application(name="Other", slug="other")
    linking.connect(developer, app, database, None)
    linking.connect(developer, other, database, None)
    activity.record(owner, team, ActivityKind.CHANGED_PORT, app, old=1, new=2)
    activity.record(owner, team, ActivityKind.CHANGED_PORT, other, old=1, new=2)
    entries = activity.feed(team, resource=app)
    assert [(e.verb, e.target_label) for e in entries] == [
        ("changed the internal port of", "Storefront"),
        ("connected", "Shop DB"),
    ]


def test_feed_about_a_database_includes_what_names_it(team, developer, app, database):
    activity.record(developer, team, ActivityKind.CHANGED_PASSWORD, database)
    activity.record(developer, team, ActivityKind.LINKED_COPIED_PASSWORD, app, database="shop-db")
    activity.record(developer, team, ActivityKind.CHANGED_PORT, app)
    assert [e.verb for e in activity.feed(team, resource=database)] == [
        "linked a copied password of",
        "changed the password of",
    ]


def test_feed_by_person_and_the_people_who_appear(team, developer, owner):
    activity.record(developer, team, ActivityKind.CREATED_APPLICATION)
    activity.record(owner, team, ActivityKind.CREATED_DATABASE)
    activity.record(None, team, ActivityKind.UPDATED_INTERNET_EXPOSURE)
    assert [e.actor_name for e in activity.feed(team, actor_name="owner")] == ["owner"]
    assert activity.actor_names(activity.feed(team)) == ["developer", "owner", "system"]


def test_feed_stays_within_the_team(team, other_team, developer, outsider):
    activity.record(outsider, other_team, ActivityKind.CREATED_APPLICATION)
    assert not activity.feed(team).exists()
    assert activity.actor_names(activity.feed(team)) == []
