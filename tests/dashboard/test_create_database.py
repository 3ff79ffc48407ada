"""Creating a database: the engine decides versions and port; bad input stays in the form."""

import re

from django.urls import reverse

from connections.models import Activity, Database

URL = reverse("database_create", args=["acme"])


def _post(client, region, **overrides):
    data = {
        "name": "Shop DB",
        "slug": "",
        "engine": "postgresql",
        "version": "16",
        "region": region.pk,
        "resource_model": "shared",
        **overrides,
    }
    return client.post(URL, data)


def test_happy_path_derives_the_identifiers_from_the_slug(team_admin_client, region):
    response = _post(team_admin_client, region)
    database = Database.objects.get(slug="shop-db")
    assert response.url == reverse("database_detail", args=["acme", "shop-db"])
    assert re.fullmatch(r"shop_db_[0-9a-f]{6}", database.database_name)
    assert database.username == f"{database.database_name}_user"


def test_creation_is_recorded_without_secrets(team_admin_client, region):
    _post(team_admin_client, region, engine="redis", version="7.4")
    entry = Activity.objects.get()
    assert entry.verb == "created database"
    assert entry.changes["engine"] == "redis"


def test_version_of_another_engine_is_refused_next_to_the_field(team_admin_client, region):
    response = _post(team_admin_client, region, engine="mariadb", version="16")
    assert response.context["form"].errors["version"] == ["MariaDB comes in versions 11.4, 10.11."]
    assert not Database.objects.exists()


def test_unknown_engine_is_refused(team_admin_client, region):
    response = _post(team_admin_client, region, engine="oracle")
    assert "engine" in response.context["form"].errors


def test_slug_starting_with_a_digit_gets_a_valid_database_name(team_admin_client, region):
    _post(team_admin_client, region, name="2024 reports")
    assert Database.objects.get(slug="2024-reports").database_name.startswith("db_2024_reports_")


def test_the_same_slug_in_two_teams_gets_different_names_on_the_servers(make_database, other_team):
    ours, theirs = make_database(slug="main"), make_database(slug="main", team=other_team)
    assert ours.database_name != theirs.database_name
    assert ours.username != theirs.username


def test_names_fit_every_engine_even_for_a_long_slug(make_database):
    longest = "a-very-long-slug-for-a-database-that-goes-on-and-o"  # 50, the column's limit
    assert len(longest) == Database._meta.get_field("slug").max_length
    database = make_database(slug=longest)
    assert len(database.username) <= 32  # MySQL's limit for user names
    assert len(database.database_name) <= 63
