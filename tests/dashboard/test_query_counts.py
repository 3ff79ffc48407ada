"""List pages cost the same number of queries for one row as for many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from connections import activity
from connections.models import ActivityKind


def _queries(client, url: str) -> int:
    client.get(url)  # the first visit stores the team in the session; measure the steady state
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("url_name", "factory"),
    [("application_list", "make_application"), ("database_list", "make_database")],
)
def test_list_pages_do_not_grow_with_rows(request, developer_client, url_name, factory):
    make = request.getfixturevalue(factory)
    url = reverse(url_name, args=["acme"])
    make()
    one = _queries(developer_client, url)
    for _ in range(30):
        make()
    assert _queries(developer_client, url) == one
    assert one <= 4


def test_activity_page_does_not_grow_with_records(developer_client, team, developer):
    url = reverse("team_activity", args=["acme"])
    activity.record(developer, team, ActivityKind.CREATED_APPLICATION)
    one = _queries(developer_client, url)
    for number in range(30):
        activity.record(developer, team, ActivityKind.CHANGED_PORT, number=number)
    assert _queries(developer_client, url) == one


def test_database_list_with_servers_does_not_grow(developer_client, make_database, region):
    from connections.models import DatabaseServer

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
    one = _queries(developer_client, url)
    for _ in range(20):
        provisioned()
    assert _queries(developer_client, url) == one
