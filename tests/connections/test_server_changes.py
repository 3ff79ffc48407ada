"""An operator moving a server's endpoint marks every application that depends on it."""

from connections import linking
from connections.environment import resolve_environment
from connections.servers import save_server


def test_moving_a_servers_internal_endpoint_bumps_linked_and_referencing_apps(
    owner, make_server, make_database, make_application
):
    server = make_server()
    database = make_database(server=server)
    linked, unrelated = make_application(), make_application()
    linking.connect(owner, linked, database, linking.proposed_keys())
    before = {
        app.pk: type(app).objects.get(pk=app.pk).environment_version for app in (linked, unrelated)
    }
    server.internal_host = "pg2.fra1.internal"
    save_server(server)
    assert type(linked).objects.get(pk=linked.pk).environment_version == before[linked.pk] + 1
    assert type(unrelated).objects.get(pk=unrelated.pk).environment_version == before[unrelated.pk]
    assert resolve_environment(linked, "runtime")["DB_HOST"] == "pg2.fra1.internal"


def test_saving_a_server_without_moving_it_bumps_nothing(
    owner, make_server, make_database, make_application
):
    server = make_server()
    app = make_application()
    linking.connect(owner, app, make_database(server=server), linking.proposed_keys())
    version = type(app).objects.get(pk=app.pk).environment_version
    server.name = "renamed"
    save_server(server)
    assert type(app).objects.get(pk=app.pk).environment_version == version
