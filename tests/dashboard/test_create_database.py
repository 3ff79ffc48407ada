"""Creating a database: the engine decides versions and port; bad input stays in the form."""

from django.urls import reverse

from dashboard.models import Activity, Database

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


def test_happy_path_derives_the_identifiers_from_the_slug(developer_client, region):
    response = _post(developer_client, region)
    database = Database.objects.get(slug="shop-db")
    assert response.url == reverse("database_detail", args=["acme", "shop-db"])
    assert (database.database_name, database.username) == ("shop_db", "shop_db_user")


def test_creation_is_recorded_without_secrets(developer_client, region):
    _post(developer_client, region, engine="redis", version="7.4")
    entry = Activity.objects.get()
    assert entry.verb == "created database"
    assert entry.changes["engine"] == "redis"


def test_version_of_another_engine_is_refused_next_to_the_field(developer_client, region):
    response = _post(developer_client, region, engine="mariadb", version="16")
    assert response.context["form"].errors["version"] == ["MariaDB comes in versions 11.4, 10.11."]
    assert not Database.objects.exists()


def test_unknown_engine_is_refused(developer_client, region):
    response = _post(developer_client, region, engine="oracle")
    assert "engine" in response.context["form"].errors


def test_slug_starting_with_a_digit_gets_a_valid_database_name(developer_client, region):
    _post(developer_client, region, name="2024 reports")
    assert Database.objects.get(slug="2024-reports").database_name == "db_2024_reports"
