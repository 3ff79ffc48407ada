"""Every connection its own credential, on real PostgreSQL, MariaDB and Redis servers: what
the credential may do there, that removing the connection revokes it, and that a rotation
never leaves an application without a working credential.

Clients connect the way an application would, with the values of its resolved environment.
"""

import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta

import psycopg
import pymysql
import pytest
import redis
from django.db import connection as db
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from psycopg import sql

from connections import applications, linking, rotation, servers, tokens
from connections.enforcement import access_of
from connections.engines import engine_for
from connections.engines.base import AdminURL, Login
from connections.engines.postgresql import PostgreSQLEngine
from connections.environment import resolve_environment
from connections.locking import Busy
from connections.models import (
    Activity,
    ActivityKind,
    Application,
    Connection,
    Credential,
    CredentialState,
    Database,
    DatabaseServer,
    LinkedField,
    Variable,
)
from connections.servers import offered_version
from tests.clients import Refused, Session, authenticates, open_session
from tests.servers import Endpoint, RedisServer, create_on_server, register

# Changes reach the servers once their transaction commits, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

# The SQL engines' keys for every engine, so that one test reads DB_USER whatever the engine.
KEYS = linking.proposed_keys()


def as_application(application: Application, database: Database) -> Session:
    """A session opened with the user and password the application's environment holds now."""
    environment = resolve_environment(application, "runtime")
    return open_session(database, environment["DB_USER"], environment["DB_PASSWORD"])


def fresh(credential: Credential) -> Credential:
    return Credential.objects.get(pk=credential.pk)


@pytest.fixture
def sessions() -> Iterator[list[Session]]:
    opened: list[Session] = []
    yield opened
    for session in opened:
        session.close()


@contextmanager
def databases_on_servers(make_database) -> Iterator[Callable[..., Database]]:
    """Databases really created on a given server, dropped with every credential after."""
    made: list[Database] = []

    def make(server: DatabaseServer, **fields) -> Database:
        database = make_database(
            slug=f"t{secrets.token_hex(4)}",
            engine=server.engine,
            version=offered_version(server),
            server=server,
            **fields,
        )
        create_on_server(database)
        made.append(database)
        return Database.objects.select_related("server", "region", "team").get(pk=database.pk)

    yield make
    for database in made:
        engine_for(database.server).drop(database, rotation.logins_to_drop(database))


@pytest.fixture
def on_server(any_server: DatabaseServer, make_database) -> Iterator[Callable[..., Database]]:
    """Databases really created on each server in turn, dropped with their credentials after."""
    with databases_on_servers(make_database) as make:
        yield lambda **fields: make(any_server, **fields)


def connect(owner, application: Application, database: Database, **options) -> Connection:
    return linking.connect(owner, application, database, KEYS, **options)


def _with_sides(connection: Connection) -> Connection:
    return Connection.objects.select_related("application", "database").get(pk=connection.pk)


def own_credential(connection: Connection) -> Credential:
    return Connection.objects.select_related("credential").get(pk=connection.pk).credential


def written_then_read_only(
    owner, app: Application, make_application, database: Database, sessions: list[Session]
) -> tuple[Connection, Session, Session]:
    """``app`` connected and one row written as it; then Reporting connected read-only. Returns
    Reporting's connection, and a session as each one's own credential."""
    connect(owner, app, database)
    writer = as_application(app, database)
    sessions.append(writer)
    writer.write()
    reporting = make_application(name="Reporting", slug="reporting")
    connection = connect(owner, reporting, database, read_only=True)
    reader = as_application(reporting, database)
    sessions.append(reader)
    return connection, writer, reader


class TestACredentialPerConnection:
    def test_the_variables_hold_the_connection_s_own_user_which_works(
        self, on_server, app, owner, sessions
    ):
        database = on_server()
        connection = connect(owner, app, database)
        credential = own_credential(connection)
        assert credential is not None
        assert credential.state == CredentialState.ACTIVE
        assert not credential.pending
        environment = resolve_environment(app, "runtime")
        assert environment["DB_USER"] == credential.username != database.username
        assert credential.username in environment["DATABASE_URL"]
        session = as_application(app, database)
        sessions.append(session)
        session.write()
        assert session.read() == 1

    def test_it_works_on_its_own_database_only(self, on_server, app, owner, sessions):
        database, other = on_server(), on_server()
        credential = own_credential(connect(owner, app, database))
        if database.engine == "redis":  # the other database is the other key prefix
            session = open_session(database, credential.username, credential.password)
            sessions.append(session)
            session.prefix = other.database_name
            with pytest.raises(Refused, match=r"(?i)permission|NOPERM"):
                session.write()
            with pytest.raises(Refused, match=r"(?i)permission|NOPERM"):
                session.read()
        else:
            with pytest.raises(Refused):
                open_session(other, credential.username, credential.password, other.database_name)

    def test_read_only_reads_and_cannot_write(
        self, on_server, app, make_application, owner, sessions
    ):
        database = on_server()
        connection, _, reader = written_then_read_only(
            owner, app, make_application, database, sessions
        )
        assert own_credential(connection).read_only
        assert reader.read() == 1
        with pytest.raises(Refused):
            reader.write()

    def test_removing_the_connection_refuses_the_client_and_ends_its_session(
        self, on_server, app, owner, sessions
    ):
        database = on_server()
        connection = connect(owner, app, database)
        credential = own_credential(connection)
        session = as_application(app, database)
        sessions.append(session)
        assert session.alive()
        linking.disconnect(
            owner,
            _with_sides(connection),
        )
        revoked = fresh(credential)
        assert revoked.state == CredentialState.REVOKED
        assert not revoked.pending
        assert not authenticates(database, credential.username, credential.password)
        assert not session.alive()
        # The main user, for people and tools, is untouched.
        assert authenticates(database, database.username, database.password)


def report_deployment(client, application: Application, secret: str) -> None:
    """What a deploy pipeline does after deploying the current environment: the existing API."""
    application.refresh_from_db()
    response = client.post(
        reverse("api_deployments", args=[application.team.slug, application.slug]),
        json.dumps({"version": application.environment_version}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200, response.content


@pytest.fixture
def rotated(on_server, app, owner, sessions):
    """A connection whose credential was just rotated, with a session open as the old one."""
    database = on_server()
    connection = connect(owner, app, database)
    old = own_credential(connection)
    before = Application.objects.get(pk=app.pk).environment_version
    old_session = as_application(app, database)
    sessions.append(old_session)
    (new,) = rotation.rotate(owner, _with_sides(connection)).created
    return database, connection, fresh(old), fresh(new), old_session, before


class TestRotation:
    def test_both_authenticate_and_the_variables_switch_at_once(self, rotated, app):
        database, connection, old, new, old_session, before = rotated
        assert own_credential(connection).pk == new.pk
        assert not new.pending
        assert old.state == CredentialState.RETIRING
        assert Application.objects.get(pk=app.pk).environment_version > before
        assert resolve_environment(app, "runtime")["DB_USER"] == new.username
        assert authenticates(database, old.username, old.password)
        assert authenticates(database, new.username, new.password)
        assert old_session.alive()  # the running application keeps its session

    def test_after_the_deployment_report_only_the_new_one_authenticates(
        self, rotated, app, owner, client
    ):
        database, _, old, new, old_session, _ = rotated
        _, secret = tokens.create_token(owner, app, "ci")
        report_deployment(client, app, secret)
        revoked = fresh(old)
        assert revoked.state == CredentialState.REVOKED
        assert not revoked.pending
        assert revoked.revoked_because == rotation.DEPLOYED
        assert not authenticates(database, old.username, old.password)
        assert not old_session.alive()
        assert authenticates(database, new.username, new.password)

    def test_grace_expiry_revokes(self, rotated):
        database, _, old, new, _, _ = rotated
        assert old.revoke_after > timezone.now() + timedelta(hours=23)
        expiry = DBTaskResult.objects.get(task_path__endswith="expire_credentials")
        assert expiry.run_after == old.revoke_after  # the worker runs it then
        assert rotation.expire_credentials.call() == 0  # not yet
        Credential.objects.filter(pk=old.pk).update(revoke_after=timezone.now())
        assert rotation.expire_credentials.call() == 1
        assert fresh(old).revoked_because == rotation.GRACE_ENDED
        assert not authenticates(database, old.username, old.password)
        assert authenticates(database, new.username, new.password)

    def test_every_application_that_carried_it_must_deploy_first(
        self, on_server, app, make_application, owner
    ):
        """An application that references the connected one's variables carries its
        credential too: the old one waits for both (here marked restarted by a person)."""
        database = on_server()
        connection = connect(owner, app, database)
        old = own_credential(connection)
        worker = make_application(name="Worker", slug="worker")
        Variable.objects.create(
            application=worker, key="QUEUE_DB", value="{{ storefront.DATABASE_URL }}"
        )
        rotation.rotate(owner, _with_sides(connection))
        assert set(fresh(old).awaiting) == {str(app.pk), str(worker.pk)}
        applications.mark_restarted(owner, Application.objects.get(pk=app.pk))
        assert fresh(old).state == CredentialState.RETIRING
        assert rotation.overview(database).rows[0].old_used_by == ["Worker"]
        applications.mark_restarted(owner, Application.objects.get(pk=worker.pk))
        assert fresh(old).state == CredentialState.REVOKED
        assert not authenticates(database, old.username, old.password)

    def test_revoke_old_now(self, rotated, owner):
        database, _connection, old, new, _, _ = rotated
        rotation.revoke_old_now(owner, database)
        assert fresh(old).state == CredentialState.REVOKED
        assert not authenticates(database, old.username, old.password)
        assert authenticates(database, new.username, new.password)


@pytest.fixture
def endpoint(any_server, request) -> Endpoint:
    return request.getfixturevalue(f"{any_server.engine}_endpoint")


@contextmanager
def server_down(endpoint: Endpoint, server: DatabaseServer) -> Iterator[None]:
    """The server does not answer for the block. The suite's own servers are really stopped;
    the machine's Redis cannot be, so the dashboard is pointed at a closed port instead."""
    if endpoint.server is not None:
        with endpoint.server.stopped():
            yield
        return
    closed = endpoint.admin_url.replace(f":{endpoint.port}/", ":1/")
    DatabaseServer.objects.filter(pk=server.pk).update(admin_url=closed)
    try:
        yield
    finally:
        DatabaseServer.objects.filter(pk=server.pk).update(admin_url=endpoint.admin_url)


def test_server_down_mid_rotation_keeps_the_old_one_and_completes_once_back(
    on_server, endpoint, any_server, app, owner, sessions
):
    database = on_server()
    connection = connect(owner, app, database)
    old = own_credential(connection)
    with server_down(endpoint, any_server):
        (new,) = rotation.rotate(owner, _with_sides(connection)).created
    new = fresh(new)
    assert new.state == CredentialState.ACTIVE
    assert new.pending
    assert "reach" in new.problem
    assert own_credential(connection).pk == old.pk  # the variables keep the old one
    assert resolve_environment(app, "runtime")["DB_USER"] == old.username
    assert fresh(old).state == CredentialState.ACTIVE
    assert authenticates(database, old.username, old.password)
    retry = DBTaskResult.objects.get(task_path__endswith="retry_credential")
    assert retry.args_kwargs["args"] == [new.pk]
    assert Activity.objects.filter(verb=ActivityKind.CREDENTIAL_PENDING).exists()

    rotation.retry_credential.call(new.pk)  # what the worker runs once the server is back

    assert own_credential(connection).pk == new.pk
    assert not fresh(new).pending
    assert fresh(old).state == CredentialState.RETIRING
    assert authenticates(database, new.username, new.password)
    assert authenticates(database, old.username, old.password)


def test_server_down_at_removal_revokes_once_back(on_server, endpoint, any_server, app, owner):
    database = on_server()
    connection = connect(owner, app, database)
    credential = own_credential(connection)
    with server_down(endpoint, any_server):
        linking.disconnect(
            owner,
            _with_sides(connection),
        )
    pending = fresh(credential)
    assert pending.state == CredentialState.REVOKED
    assert pending.pending
    rotation.retry_credential.call(credential.pk)
    assert not fresh(credential).pending
    assert not authenticates(database, credential.username, credential.password)


@pytest.mark.skipif(db.vendor != "sqlite", reason="SQLite's one write lock")
def test_a_step_that_found_the_dashboard_s_database_busy_is_retried(
    postgresql_endpoint, region, make_database, app, owner
):
    """Not a server's refusal: the credential's row could not be locked (on SQLite, while
    another writer holds the database). The step is queued again with the same backoff."""
    server = register(postgresql_endpoint, region)
    database = make_database(
        slug=f"t{secrets.token_hex(4)}", server=server, version=offered_version(server)
    )
    create_on_server(database)
    try:
        with postgresql_endpoint.server.stopped():
            credential = connect(owner, app, database).credentials.get()
        DBTaskResult.objects.all().delete()
        db.ensure_connection()
        db.connection.execute("PRAGMA busy_timeout = 3000")
        writer = sqlite3.connect(db.settings_dict["NAME"], check_same_thread=False)
        writer.execute("BEGIN IMMEDIATE")  # another writer, such as the task worker
        # The step reads the credential, then cannot take the write lock: Busy at once (no
        # wait where waiting could deadlock). Queuing its retry waits until the writer is done.
        release = threading.Timer(0.5, writer.rollback)
        release.start()
        try:
            with pytest.raises(Busy):
                rotation.apply(credential.pk)
        finally:
            release.join()
            writer.close()
        assert fresh(credential).attempts == 2
        retry = DBTaskResult.objects.get(task_path__endswith="retry_credential")
        assert retry.args_kwargs["args"] == [credential.pk]
        assert retry.run_after >= timezone.now() + timedelta(seconds=15)  # the second delay

        rotation.retry_credential.call(credential.pk)

        assert not fresh(credential).pending
        assert authenticates(database, credential.username, credential.password)
    finally:
        engine_for(server).drop(database, rotation.logins_to_drop(database))


@pytest.mark.skipif(db.vendor != "postgresql", reason="PostgreSQL's row locks")
def test_a_removal_during_a_rotation_s_server_step_waits_for_it(
    postgresql_endpoint, region, make_database, app, owner, monkeypatch
):
    """A rotation's server step holds its credential's row; a removal at that moment revokes
    that credential too. Both take the connection's row first, so the removal waits for the
    step instead of deadlocking with it (which PostgreSQL ended with an error, a 500)."""
    server = register(postgresql_endpoint, region)
    with databases_on_servers(make_database) as make:
        database = make(server)
        connection = connect(owner, app, database)
        old = own_credential(connection)
        in_step, go_on = threading.Event(), threading.Event()
        create_login = PostgreSQLEngine.create_login

        def paused(self, *args, **kwargs):  # the real server step, held until told
            in_step.set()
            go_on.wait(10)
            return create_login(self, *args, **kwargs)

        monkeypatch.setattr(PostgreSQLEngine, "create_login", paused)
        failures: list[BaseException] = []

        def run(step: Callable[[], object]) -> None:
            try:
                step()
            except BaseException as error:  # reported by the test
                failures.append(error)
            finally:
                db.close()

        rotating = threading.Thread(target=run, args=[lambda: rotation.rotate(owner, connection)])
        rotating.start()
        assert in_step.wait(10)
        removing = threading.Thread(
            target=run, args=[lambda: linking.disconnect(owner, _with_sides(connection))]
        )
        removing.start()
        removing.join(0.3)
        assert removing.is_alive()  # waiting for the step's rows
        go_on.set()  # the step goes on within PostgreSQL's deadlock check (1 s) of the removal
        rotating.join(30)
        removing.join(30)

        assert failures == []
        credentials = Credential.objects.filter(database=database)
        assert {c.state for c in credentials} == {CredentialState.REVOKED}
        for credential in credentials:
            assert not authenticates(database, credential.username, credential.password)
        assert old.pk in {c.pk for c in credentials}


def test_the_periodic_check_completes_a_pending_step_whose_task_was_lost(
    on_server, endpoint, any_server, app, owner
):
    database = on_server()
    connection = connect(owner, app, database)
    old = own_credential(connection)
    with server_down(endpoint, any_server):
        (new,) = rotation.rotate(owner, _with_sides(connection)).created
        servers.check_servers_periodically.call(reschedule=False)  # the server does not answer
    assert fresh(new).pending
    DBTaskResult.objects.all().delete()  # the queued retry is lost (or was never queued)

    servers.check_servers_periodically.call(reschedule=False)

    assert not fresh(new).pending
    assert own_credential(connection).pk == new.pk
    assert fresh(old).state == CredentialState.RETIRING
    assert authenticates(database, new.username, new.password)


def test_the_sweep_s_tries_start_no_second_chain_of_retries(
    on_server, endpoint, any_server, app, owner
):
    """A server that keeps refusing (here: down) is tried by every sweep, but the retries stay
    one chain: the sweep's own failures queue nothing."""
    database = on_server()
    connection = connect(owner, app, database)
    retries = DBTaskResult.objects.filter(task_path__endswith="retry_credential")
    with server_down(endpoint, any_server):
        (new,) = rotation.rotate(owner, _with_sides(connection)).created
        assert retries.count() == 1
        for _ in range(3):
            assert rotation.sweep([any_server.pk]) == (1, 0)
        assert retries.count() == 1
        assert fresh(new).attempts == 4
        assert fresh(new).pending

    rotation.sweep([any_server.pk])

    assert not fresh(new).pending
    assert retries.count() == 1
    assert authenticates(database, new.username, new.password)


def test_the_periodic_check_revokes_an_old_credential_past_its_grace(rotated):
    database, _, old, new, _, _ = rotated
    DBTaskResult.objects.all().delete()  # the expiry task is lost
    servers.check_servers_periodically.call(reschedule=False)
    assert fresh(old).state == CredentialState.RETIRING  # its grace has not ended
    Credential.objects.filter(pk=old.pk).update(revoke_after=timezone.now())

    servers.check_servers_periodically.call(reschedule=False)

    revoked = fresh(old)
    assert (revoked.state, revoked.pending) == (CredentialState.REVOKED, False)
    assert revoked.revoked_because == rotation.GRACE_ENDED
    assert not authenticates(database, old.username, old.password)
    assert authenticates(database, new.username, new.password)


def test_a_removal_revokes_every_live_credential_including_one_just_issued(
    on_server, endpoint, any_server, app, owner
):
    """The old credential and the new one a rotation has just issued (still pending: its
    server was away) both go with the connection, and a late retry creates nothing."""
    database = on_server()
    connection = connect(owner, app, database)
    old = own_credential(connection)
    with server_down(endpoint, any_server):
        (new,) = rotation.rotate(owner, _with_sides(connection)).created
    assert fresh(new).pending
    linking.disconnect(owner, _with_sides(connection))
    rotation.retry_credential.call(new.pk)  # the retry queued while the server was away
    for credential in (old, new):
        revoked = fresh(credential)
        assert (revoked.state, revoked.pending) == (CredentialState.REVOKED, False)
        assert revoked.revoked_because == rotation.REMOVED
        assert not authenticates(database, credential.username, credential.password)


@pytest.fixture
def postgresql_database(postgresql_endpoint, region, make_database) -> Iterator[Database]:
    """A database really created on the test PostgreSQL, dropped with its credentials after."""
    server = register(postgresql_endpoint, region)
    database = make_database(
        slug=f"t{secrets.token_hex(4)}", server=server, version=offered_version(server)
    )
    create_on_server(database)
    yield Database.objects.select_related("server", "region", "team").get(pk=database.pk)
    engine_for(server).drop(database, rotation.logins_to_drop(database))


def as_admin(database: Database, *statements: str | sql.Composed) -> list[tuple]:
    """Run ``statements`` as the server's admin inside the database; the last one's rows."""
    with psycopg.connect(
        database.server.admin_url, dbname=database.database_name, autocommit=True
    ) as admin:
        rows: list[tuple] = []
        for statement in statements:
            cursor = admin.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
        return rows


def as_main(database: Database, sessions: list[Session]) -> Session:
    session = open_session(database, database.username, database.password)
    sessions.append(session)
    return session


def table_owners(database: Database) -> list[tuple]:
    return as_admin(
        database,
        "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    )


def refused_sql(session: Session, statement: str) -> None:
    with pytest.raises(psycopg.Error):
        session.handle.execute(statement)


class TestPostgreSQLRoles:
    def test_a_read_write_login_cannot_take_over_the_main_user(
        self, postgresql_database, app, owner, sessions
    ):
        database = postgresql_database
        main = sql.Identifier(database.username)
        connect(owner, app, database)
        session = as_application(app, database)
        sessions.append(session)
        refused_sql(session, sql.SQL("ALTER ROLE {} PASSWORD 'taken'").format(main).as_string())
        refused_sql(session, sql.SQL("SET ROLE {}").format(main).as_string())
        # Its sessions act as the owner role, a member of nobody, which may not log in: changing
        # "its own" password changes nothing that opens a session.
        owner_role = f"{database.database_name}_owner"
        assert session.handle.execute("SELECT current_user").fetchone() == (owner_role,)
        with suppress(psycopg.Error):
            session.handle.execute("ALTER ROLE current_user PASSWORD 'taken'")
        session.handle.execute("SET ROLE NONE")  # as the login itself
        assert session.handle.execute("SELECT current_user = session_user").fetchone() == (True,)
        refused_sql(session, sql.SQL("ALTER ROLE {} PASSWORD 'taken'").format(main).as_string())
        assert not authenticates(database, owner_role, "taken")
        assert not authenticates(database, database.username, "taken")
        assert authenticates(database, database.username, database.password)

    def test_people_and_applications_change_each_other_s_tables(
        self, postgresql_database, app, owner, sessions
    ):
        database = postgresql_database
        connect(owner, app, database)
        person, application = as_main(database, sessions), as_application(app, database)
        sessions.append(application)
        person.handle.execute("CREATE TABLE people (x int)")
        application.handle.execute("ALTER TABLE people ADD COLUMN y int")
        application.handle.execute("INSERT INTO people VALUES (1, 2)")
        application.handle.execute("CREATE TABLE apps (x int)")
        person.handle.execute("ALTER TABLE apps ADD COLUMN y int")
        person.handle.execute("DROP TABLE apps")
        application.handle.execute("DROP TABLE people")
        application.handle.execute("CREATE TABLE kept (x int)")
        owner_role = f"{database.database_name}_owner"
        assert table_owners(database) == [("kept", owner_role)]

    def test_what_a_login_created_stays_with_the_next_one_after_rotation_and_revoke(
        self, postgresql_database, app, owner, sessions
    ):
        database = postgresql_database
        connection = connect(owner, app, database)
        session = as_application(app, database)
        session.write()  # acting as the owner role: its table
        session.handle.execute("SET ROLE NONE")
        session.handle.execute("CREATE TABLE own (x int)")  # the login's own
        session.close()
        rotation.rotate(owner, _with_sides(connection))
        (old,) = rotation.revoke_old_now(owner, database)
        assert fresh(old).state == CredentialState.REVOKED
        owner_role = f"{database.database_name}_owner"
        assert table_owners(database) == [("notes", owner_role), ("own", owner_role)]
        new = as_application(app, database)
        sessions.append(new)
        new.handle.execute("ALTER TABLE own ADD COLUMN y int")
        new.handle.execute("DROP TABLE own")
        new.write()
        assert new.read() == 2

    def test_a_database_made_before_the_owner_role_is_brought_to_it(
        self, postgresql_database, app, owner, sessions
    ):
        """The model that issue 11 first shipped: the main user owned everything and the
        read-write group was its member."""
        database = postgresql_database
        main, name = database.username, database.database_name
        as_admin(
            database,
            f'ALTER DATABASE "{name}" OWNER TO "{main}"',
            f'REASSIGN OWNED BY "{name}_owner" TO "{main}"',
            "ALTER SCHEMA public OWNER TO pg_database_owner",
            f'ALTER ROLE "{main}" RESET role',
            f'DROP ROLE "{name}_owner"',
            f'GRANT "{main}" TO "{name}_rw"',
            f'CREATE ROLE "{name}_old" LOGIN IN ROLE "{name}_rw"',  # a login of that model
            f'ALTER ROLE "{name}_old" SET role = "{main}"',
        )
        as_main(database, sessions).handle.execute("CREATE TABLE legacy (x int)")
        assert table_owners(database) == [("legacy", main)]
        try:
            connect(owner, app, database)
            settings = as_admin(
                database,
                sql.SQL(
                    "SELECT r.rolname, s.setconfig FROM pg_db_role_setting s "
                    "JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = ANY({}) ORDER BY 1"
                ).format(sql.Literal([main, f"{name}_old"])),
            )
        finally:
            as_admin(database, f'DROP ROLE "{name}_old"')
        assert settings == sorted(
            [(main, [f"role={name}_owner"]), (f"{name}_old", [f"role={name}_owner"])]
        )
        assert table_owners(database) == [("legacy", f"{name}_owner")]
        member_of_main = as_admin(
            database,
            sql.SQL(
                "SELECT pg_has_role({rw}, {main}, 'MEMBER'), "
                "(SELECT datdba::regrole::text FROM pg_database WHERE datname = {name})"
            ).format(rw=sql.Literal(f"{name}_rw"), main=sql.Literal(main), name=sql.Literal(name)),
        )
        assert member_of_main == [(False, f"{name}_owner")]
        session = as_application(app, database)
        sessions.append(session)
        session.handle.execute("ALTER TABLE legacy ADD COLUMN y int")
        session.write()
        assert session.read() == 1

    def test_a_retry_after_half_made_groups_completes_their_rights(
        self, postgresql_database, app, make_application, owner, sessions
    ):
        """As if the connection had dropped between creating the groups and granting them."""
        database = postgresql_database
        name = database.database_name
        as_admin(
            database,
            f'REVOKE "{name}_owner" FROM "{name}_rw"',
            f'CREATE ROLE "{name}_ro" NOLOGIN',
        )
        *_, reader = written_then_read_only(owner, app, make_application, database, sessions)
        assert reader.read() == 1

    def test_read_only_cannot_write_even_with_read_only_transactions_turned_off(
        self, postgresql_database, app, make_application, owner, sessions
    ):
        database = postgresql_database
        _, writer, reader = written_then_read_only(owner, app, make_application, database, sessions)
        reader.handle.execute("SET default_transaction_read_only = off")
        for statement in (
            "INSERT INTO notes VALUES ('y')",
            "UPDATE notes SET body = 'y'",
            "DELETE FROM notes",
            "TRUNCATE notes",
            "CREATE TABLE mine (x int)",
            "CREATE TEMPORARY TABLE mine (x int)",
            "ALTER TABLE notes ADD COLUMN y int",
            "SELECT lo_from_bytea(0, 'x')",
            "SELECT lo_create(0)",
            "SELECT lo_creat(-1)",
        ):
            refused_sql(reader, statement)
        assert reader.read() == 1
        writer.handle.execute("SELECT lo_unlink(lo_from_bytea(0, 'x'))")  # the app's own use


def test_the_drift_check_reports_missing_and_unknown_connection_users(
    on_server, app, make_application, owner
):
    database = on_server()
    kept = own_credential(connect(owner, app, database))
    gone = own_credential(connect(owner, make_application(name="Admin", slug="admin"), database))
    assert not [d for d in servers.check_server(database.server).differences if "user" in d]
    engine_for(database.server).drop_login(database, gone.username)  # behind the dashboard's back
    Credential.objects.filter(pk=kept.pk).update(state=CredentialState.REVOKED)  # forgotten
    try:
        differences = servers.check_server(database.server).differences
    finally:  # the dashboard no longer knows it, so dropping the database would not drop it
        engine_for(database.server).drop_login(database, kept.username)
    name = f"acme/{database.slug}"
    assert f"{name}: the server has no connection user {gone.username} (Admin)." in differences
    assert (
        f"{name}: the server has a user {kept.username} with rights on it that no connection "
        "holds." in differences
    )


def test_a_connection_made_before_credentials_gets_its_own_by_rotation(on_server, app, owner):
    database = on_server()
    legacy = Connection.objects.create(application=app, database=database)  # no credential
    Variable.objects.create(
        application=app, key="DB_USER", connection=legacy, linked_field=LinkedField.USER
    )
    assert resolve_environment(app, "runtime")["DB_USER"] == database.username
    (credential,) = rotation.rotate(owner, _with_sides(legacy)).created
    assert own_credential(legacy).pk == credential.pk
    assert resolve_environment(app, "runtime")["DB_USER"] == credential.username
    assert authenticates(database, credential.username, credential.password)
    # Nothing retires: the main user was never the connection's to revoke.
    assert not Credential.objects.filter(state=CredentialState.RETIRING).exists()
    assert authenticates(database, database.username, database.password)


@pytest.fixture
def registered(request, region, make_database) -> Iterator[Callable[[str], Database]]:
    """A database really created on the named endpoint's server, dropped with every credential
    after."""
    with databases_on_servers(make_database) as make:
        yield lambda engine: make(register(request.getfixturevalue(f"{engine}_endpoint"), region))


@contextmanager
def mariadb_admin(database: Database) -> Iterator[pymysql.cursors.Cursor]:
    """A cursor on the database's MariaDB server as its admin."""
    url = AdminURL.parse(database.server.admin_url)
    admin = pymysql.connect(
        host=url.host, port=url.port, user=url.user, password=url.password.encode()
    )
    try:
        with admin.cursor() as cursor:
            yield cursor
    finally:
        admin.close()


def mariadb_accounts(database: Database, user: str) -> list[tuple[str, str]]:
    """The server's accounts of ``user``, and whether each is locked."""
    with mariadb_admin(database) as cursor:
        cursor.execute(
            "SELECT Host, JSON_EXTRACT(Priv, '$.account_locked') FROM mysql.global_priv "
            "WHERE User = %s",
            [user],
        )
        return list(cursor.fetchall())


@pytest.mark.servers
def test_a_revoked_mariadb_login_s_views_and_triggers_keep_working(registered, app, owner):
    """Migrations run as the first credential make it the definer of their views and
    triggers: revoking it locks it out and keeps its objects working for the new one."""
    database = registered("mariadb")
    connection = connect(owner, app, database)
    old = own_credential(connection)
    migrations = as_application(app, database)
    with migrations.handle.cursor() as cursor:
        cursor.execute("CREATE TABLE orders (id int)")
        cursor.execute("CREATE TABLE audit (id int)")
        cursor.execute("CREATE VIEW recent AS SELECT id FROM orders")
        cursor.execute(
            "CREATE TRIGGER audited AFTER INSERT ON orders FOR EACH ROW "
            "INSERT INTO audit VALUES (NEW.id)"
        )
    (new,) = rotation.rotate(owner, _with_sides(connection)).created
    rotation.revoke_old_now(owner, database)
    assert fresh(old).state == CredentialState.REVOKED
    assert not fresh(old).pending
    assert not migrations.alive()
    assert not authenticates(database, old.username, old.password)
    assert mariadb_accounts(database, old.username)  # kept, locked, as the definer
    assert {locked for _, locked in mariadb_accounts(database, old.username)} == {"true"}

    application = as_application(app, database)
    try:
        assert resolve_environment(app, "runtime")["DB_USER"] == new.username
        with application.handle.cursor() as cursor:
            cursor.execute("INSERT INTO orders VALUES (7)")  # through the trigger
            cursor.execute("SELECT id FROM recent")
            assert cursor.fetchall() == ((7,),)
            cursor.execute("SELECT id FROM audit")
            assert cursor.fetchall() == ((7,),)
    finally:
        application.close()
    # Enforcing the exposure again neither unlocks nor re-creates it; the drift check does
    # not take the locked definer for a credential.
    engine_for(database.server).apply_access([access_of(database)])
    assert not authenticates(database, old.username, old.password)
    assert not [d for d in servers.check_server(database.server).differences if "user" in d]
    # Dropping the database drops its objects, and with them the locked definer.
    engine_for(database.server).drop(database, rotation.logins_to_drop(database))
    assert mariadb_accounts(database, old.username) == []


@pytest.mark.servers
def test_a_revoked_mariadb_login_that_defined_nothing_is_dropped(registered, app, owner):
    database = registered("mariadb")
    connection = connect(owner, app, database)
    old = own_credential(connection)
    rotation.rotate(owner, _with_sides(connection))
    rotation.revoke_old_now(owner, database)
    assert mariadb_accounts(database, old.username) == []


@pytest.mark.servers
def test_a_mariadb_account_left_without_its_grant_gets_it_when_created_again(registered, sessions):
    """CREATE USER committed, then the GRANT failed: the retry grants what it lacks."""
    database = registered("mariadb")
    engine = engine_for(database.server)
    login = Login(f"l{secrets.token_hex(6)}", secrets.token_urlsafe(16), read_only=False)
    access = access_of(database)
    engine.create_login(database, access, login)
    with mariadb_admin(database) as cursor:
        for host, _ in mariadb_accounts(database, login.user):
            cursor.execute(
                f"REVOKE ALL PRIVILEGES ON `{database.database_name}`.* FROM %s@%s",
                [login.user, host],
            )
    assert not authenticates(database, login.user, login.password)  # no rights on the database
    try:
        engine.create_login(database, access, login)
        session = open_session(database, login.user, login.password)
        sessions.append(session)
        session.write()
        assert session.read() == 1
    finally:
        engine.drop_login(database, login.user)


def test_redis_users_outlive_a_restart_of_a_server_with_an_acl_file(
    redis_with_acl_file: RedisServer, region, make_database, make_application, app, owner
):
    """Every change to the users is saved to the server's ACL file: after a restart the main
    user and a connection's credential still authenticate, and a revoked one stays revoked."""
    server = register(redis_with_acl_file.endpoint, region)
    with databases_on_servers(make_database) as make:
        database = make(server)
        kept = own_credential(connect(owner, app, database))
        worker = make_application(name="Worker", slug="worker")
        removed_connection = connect(owner, worker, database)
        removed = own_credential(removed_connection)
        linking.disconnect(owner, _with_sides(removed_connection))

        redis_with_acl_file.restart()

        assert authenticates(database, database.username, database.password)
        assert authenticates(database, kept.username, kept.password)
        assert not authenticates(database, removed.username, removed.password)


@pytest.mark.servers
def test_a_redis_credential_cannot_touch_what_the_whole_server_shares(
    registered, app, owner, sessions
):
    database = registered("redis")
    credential = own_credential(connect(owner, app, database))
    for user, password in (
        (credential.username, credential.password),
        (database.username, database.password),  # the main user: the same rules
    ):
        session = open_session(database, user, password)
        sessions.append(session)
        session.write()
        assert session.read() == 1
        for command in (("FUNCTION", "FLUSH"), ("FUNCTION", "LIST"), ("SCRIPT", "FLUSH")):
            with pytest.raises(redis.exceptions.NoPermissionError):
                session.handle.execute_command(*command)
        with pytest.raises(redis.exceptions.NoPermissionError):
            session.handle.set("elsewhere:k", "v")
        # Scripts stay, confined to the prefix like any command.
        script = "return redis.call('GET', KEYS[1])"
        assert session.handle.eval(script, 1, f"{database.database_name}:k") == b"v"
        with pytest.raises(redis.ResponseError):
            session.handle.eval(script, 1, "elsewhere:k")
