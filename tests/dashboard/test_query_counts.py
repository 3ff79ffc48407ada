"""List pages stay within their query budget and cost the same for one row as for many."""

import pytest
from django.urls import reverse

from connections import activity
from connections.models import ActivityKind, DatabaseServer

BUDGET = 4  # session, user, memberships, the rows (with what they show)


@pytest.mark.parametrize(
    ("url_name", "factory"),
    [("application_list", "make_application"), ("database_list", "make_database")],
)
def test_list_pages_do_not_grow_with_rows(
    request, developer_client, page_queries, url_name, factory
):
    make = request.getfixturevalue(factory)
    url = reverse(url_name, args=["acme"])
    make()
    one = page_queries(developer_client, url, at_most=BUDGET)
    for _ in range(30):
        make()
    page_queries(developer_client, url, exactly=one)


# Session, user, memberships; the filters' choices (applications, databases, people); the
# count and the page's rows.
TEAM_ACTIVITY = 8
# A database's: session, user, memberships, the database; the people; the count and the rows.
DATABASE_ACTIVITY = 7


@pytest.mark.parametrize("query", ["", "?page=2", "?person=developer", "?resource=database:db"])
def test_activity_page_does_not_grow_with_records(
    developer_client, page_queries, team, developer, owner, make_database, make_application, query
):
    url = reverse("team_activity", args=["acme"]) + query
    database = make_database(slug="db")
    for number in range(60):  # two pages
        activity.record(developer, team, ActivityKind.CHANGED_PASSWORD, database, number=number)
    page_queries(developer_client, url, exactly=TEAM_ACTIVITY)
    for number in range(60):
        activity.record(owner, team, ActivityKind.CHANGED_PORT, make_application(), number=number)
        activity.record(developer, team, ActivityKind.CHANGED_PASSWORD, database, number=number)
    page_queries(developer_client, url, exactly=TEAM_ACTIVITY)


@pytest.mark.parametrize("query", ["", "?page=2", "?person=owner"])
def test_database_activity_does_not_grow_with_records(
    developer_client, page_queries, team, developer, owner, make_database, query
):
    database = make_database(slug="db")
    url = reverse("database_activity", args=["acme", "db"]) + query
    for number in range(60):
        activity.record(owner, team, ActivityKind.CHANGED_PASSWORD, database, number=number)
    page_queries(developer_client, url, exactly=DATABASE_ACTIVITY)
    for number in range(100):
        activity.record(developer, team, ActivityKind.CHANGED_PASSWORD, database, number=number)
    page_queries(developer_client, url, exactly=DATABASE_ACTIVITY)


def test_database_list_with_servers_does_not_grow(
    developer_client, page_queries, make_database, region
):
    def provisioned():
        server = DatabaseServer.objects.create(
            name=f"pg-{DatabaseServer.objects.count()}",
            engine="postgresql",
            region=region,
            admin_url="postgresql://admin:pw@10.0.0.1:5432/postgres",
            internal_host="10.0.0.1",
            internal_port=5433,
        )
        return make_database(server=server)

    url = reverse("database_list", args=["acme"])
    provisioned()
    one = page_queries(developer_client, url, at_most=BUDGET)
    for _ in range(20):
        provisioned()
    page_queries(developer_client, url, exactly=one)
