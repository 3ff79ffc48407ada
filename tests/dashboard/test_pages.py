"""The application and database pages: what they show, and queries that do not grow with rows."""

import pytest
from django.urls import reverse

from connections import linking
from connections.environment import bump_environments
from connections.models import Variable

BUDGET = 10  # a page of one resource, whatever it is connected to


def _grow(owner, app, make_database, count: int) -> None:
    """Give ``app`` ``count`` connections (six linked variables each) and ``count`` variables."""
    for number in range(count):
        database = make_database()
        linking.connect(owner, app, database, linking.proposed_keys(f"DB{number}_"))
        Variable.objects.create(
            application=app, key=f"PLAIN_{number}", value=f"{{{{ {database.slug}.DB_HOST }}}}"
        )


@pytest.mark.parametrize(
    "url_name", ["application_detail", "application_networking", "application_settings"]
)
def test_application_pages_do_not_grow_with_connections_and_variables(
    developer_client, page_queries, owner, make_application, make_database, url_name
):
    small, large = make_application(slug="small"), make_application(slug="large")
    _grow(owner, small, make_database, 1)
    _grow(owner, large, make_database, 50)
    one = page_queries(developer_client, reverse(url_name, args=["acme", "small"]), at_most=BUDGET)
    page_queries(developer_client, reverse(url_name, args=["acme", "large"]), exactly=one)


def test_database_overview_does_not_grow_with_connected_applications(
    developer_client, page_queries, owner, make_application, make_database
):
    small, large = make_database(slug="small-db"), make_database(slug="large-db")
    linking.connect(owner, make_application(), small, linking.proposed_keys())
    for _ in range(50):
        linking.connect(owner, make_application(), large, linking.proposed_keys())
    one = page_queries(
        developer_client, reverse("database_detail", args=["acme", "small-db"]), at_most=BUDGET
    )
    page_queries(
        developer_client, reverse("database_detail", args=["acme", "large-db"]), exactly=one
    )


def test_networking_lists_the_connection_with_host_port_and_keys(
    developer_client, owner, app, database
):
    linking.connect(owner, app, database, linking.proposed_keys("SHOP_"))
    content = developer_client.get(
        reverse("application_networking", args=["acme", app.slug])
    ).content.decode()
    assert database.internal_host in content
    assert ">5432<" in content
    assert "SHOP_DATABASE_URL" in content


def test_database_overview_never_shows_the_password(developer_client, database):
    content = developer_client.get(reverse("database_detail", args=["acme", database.slug])).content
    assert database.password.encode() not in content


def test_restart_needed_appears_when_the_database_changes_after_a_deploy(
    developer_client, owner, app, database
):
    linking.connect(owner, app, database, linking.proposed_keys())
    app.refresh_from_db()
    type(app).objects.filter(pk=app.pk).update(deployed_environment_version=app.environment_version)
    page = reverse("application_settings", args=["acme", app.slug])
    assert b"restart-needed" not in developer_client.get(page).content
    database.password = "Changed-Passw0rd!"
    database.save()
    bump_environments(database.team, databases=[database])
    assert b'data-testid="restart-needed"' in developer_client.get(page).content
    overview = developer_client.get(reverse("database_detail", args=["acme", database.slug]))
    assert b"Restart needed" in overview.content


def test_an_app_never_deployed_is_not_marked_for_restart(developer_client, owner, app, database):
    linking.connect(owner, app, database, linking.proposed_keys())
    page = developer_client.get(reverse("application_detail", args=["acme", app.slug]))
    assert b"restart-needed" not in page.content
    assert b"not deployed yet" in page.content
