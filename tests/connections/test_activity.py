"""One small API records every change, with who did it and to what; secrets never enter."""

import pytest

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


def test_record_refuses_free_text(team, developer):
    with pytest.raises(ValueError, match="ActivityKind"):
        activity.record(developer, team, "renamed team")
    assert not Activity.objects.exists()


def test_every_kind_fits_the_stored_verb():
    longest = max(len(kind) for kind in ActivityKind)
    assert longest <= Activity._meta.get_field("verb").max_length
