"""Lists sort by name whatever the case: "alpha" sits between "Able" and "Beta", never after
every capitalised name."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from connections import linking
from connections.models import Membership, Role, Variable

NAMES = ["beta", "Alpha", "Charlie", "alpine"]
SORTED = ["Alpha", "alpine", "beta", "Charlie"]


def test_applications_sort_case_insensitively(developer_client, make_application):
    for name in NAMES:
        make_application(name=name, slug=name.lower())
    response = developer_client.get(reverse("application_list", args=["acme"]))
    assert [app.name for app in response.context["applications"]] == SORTED


def test_databases_sort_case_insensitively(developer_client, make_database):
    for name in NAMES:
        make_database(name=name, slug=name.lower())
    response = developer_client.get(reverse("database_list", args=["acme"]))
    assert [db.name for db in response.context["databases"]] == SORTED


def test_variables_sort_case_insensitively_on_the_settings_page(developer_client, app):
    for key in ["beta", "ALPHA", "Charlie", "alpine"]:
        Variable.objects.create(application=app, key=key, value="x")
    response = developer_client.get(reverse("application_settings", args=["acme", app.slug]))
    runtime = dict(response.context["phases"])["runtime"]
    assert [row["key"] for row in runtime] == ["PORT", "ALPHA", "alpine", "beta", "Charlie"]


def test_connections_sort_case_insensitively(developer_client, owner, app, make_database):
    for name in NAMES:
        database = make_database(name=name, slug=name.lower())
        linking.connect(owner, app, database, None)
    response = developer_client.get(reverse("application_networking", args=["acme", app.slug]))
    assert [row.database.name for row in response.context["connections"]] == SORTED


def test_members_sort_case_insensitively(developer_client, team):
    for username in ["bob", "Alice", "carol"]:
        user = get_user_model().objects.create_user(username=username, password="x")
        Membership.objects.create(team=team, user=user, role=Role.VIEWER)
    response = developer_client.get(reverse("team_members", args=["acme"]))
    names = [m.user.username for m in response.context["members"]]
    assert names == ["Alice", "bob", "carol", "developer"]


def test_the_add_connection_modal_offers_databases_case_insensitively(
    htmx_client, app, make_database
):
    for name in NAMES:
        make_database(name=name, slug=name.lower())
    form = htmx_client.get(reverse("connection_add", args=["acme", app.slug])).context["form"]
    assert [name for _, name, _ in form.options()] == SORTED
