"""Exposure applied on real servers: what the dashboard says is what the servers do.

These tests change real servers (a throwaway PostgreSQL cluster, a MariaDB) and then connect
with real clients; faults are staged by pointing the dashboard at a closed port or by editing
pg_hba.conf behind its back, never by mocking a server.
"""

import secrets

import psycopg
import pymysql
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from connections import enforcement, provisioning
from connections.engines import engine_for
from connections.engines.postgresql import BEGIN, END, managed_block
from connections.models import Activity, Database, DatabaseServer, ExposureState
from connections.network import (
    ExposureRefused,
    add_cidr_rule,
    remove_rule,
    set_force_tls,
    set_internet_access,
)
from connections.servers import offered_version
from tests.servers import create_on_server, register

# Changes reach the servers once their transaction commits, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

CLOSED_PORT_URL = "postgresql://nobody:Never-used-1@127.0.0.1:1/postgres"


def _admin_sql(server: DatabaseServer, query: str, params=()):
    with psycopg.connect(server.admin_url, autocommit=True) as connection:
        return connection.execute(query, params).fetchall()


def _hba(server: DatabaseServer) -> str:
    return _admin_sql(server, "SELECT pg_read_file(current_setting('hba_file'))")[0][0]


def _pg_connects(database: Database, host: str = "127.0.0.1") -> bool:
    try:
        psycopg.connect(
            host=host,
            port=database.server.internal_port,
            user=database.username,
            password=database.password,
            dbname=database.database_name,
            sslmode="disable",
            connect_timeout=5,
        ).close()
    except psycopg.OperationalError:
        return False
    return True


def _fresh(database: Database) -> Database:
    return Database.objects.select_related("region", "server", "team").get(pk=database.pk)


@pytest.fixture
def pg(postgresql_endpoint, region):
    return register(postgresql_endpoint, region)


@pytest.fixture
def maria(mariadb_endpoint, region):
    return register(mariadb_endpoint, region)


@pytest.fixture
def on_pg(pg, make_database):
    """Make databases really held by the PostgreSQL server; drop them afterwards."""
    made = []

    def make(force_tls: bool | None = None, **fields) -> Database:
        fields.setdefault("version", offered_version(pg))
        database = make_database(slug=f"t{secrets.token_hex(4)}", server=pg, **fields)
        if force_tls is not None:  # dedicated databases start with it on
            Database.objects.filter(pk=database.pk).update(force_tls=force_tls)
            database.force_tls = force_tls
        create_on_server(database)
        made.append(database)
        return _fresh(database)

    yield make
    for database in made:
        engine_for(pg).drop(database)
    enforcement.enforce_server(pg)


class TestPostgreSQL:
    def test_a_shared_database_is_applied_and_admits_its_region(self, on_pg):
        database = on_pg()
        assert database.exposure_state == ExposureState.APPLIED
        block = managed_block(_hba(database.server))
        who = f'"{database.database_name}" "{database.username}"'
        assert f"host {who} 127.0.0.0/8 scram-sha-256" in block
        assert f"host {who} all reject" in block
        assert _pg_connects(database)

    def test_a_dedicated_database_without_rules_refuses_everyone_and_says_so(
        self, on_pg, team_admin_client
    ):
        database = on_pg(resource_model="dedicated", force_tls=False)
        assert database.exposure_state == ExposureState.APPLIED
        assert not _pg_connects(database)
        page = reverse("database_network", args=["acme", database.slug])
        content = team_admin_client.get(page).content.decode()
        assert f"No rules yet, so nothing can reach {database.name}" in content
        assert "enforces these settings" in content

    def test_a_rule_that_matches_admits_and_removing_it_refuses_again(self, on_pg, team_admin):
        database = on_pg(resource_model="dedicated", force_tls=False)
        rule = add_cidr_rule(team_admin, database, "127.0.0.1", "this machine")
        assert _pg_connects(_fresh(database))
        remove_rule(team_admin, rule)
        assert not _pg_connects(_fresh(database))
        assert _fresh(database).exposure_state == ExposureState.APPLIED

    def test_a_rule_that_does_not_match_still_refuses(self, on_pg, team_admin):
        database = on_pg(resource_model="dedicated", force_tls=False)
        add_cidr_rule(team_admin, database, "127.0.0.2", "another host here")
        assert _fresh(database).exposure_state == ExposureState.APPLIED
        assert not _pg_connects(_fresh(database))

    def test_lines_outside_the_block_are_kept_and_the_admin_keeps_its_access(self, on_pg):
        database = on_pg(resource_model="dedicated")
        text = _hba(database.server)
        outside = text.split(END, 1)[1]
        assert "host" in outside  # the operator's lines from initdb, after the block
        assert text.index(BEGIN) < text.index(outside.strip().splitlines()[0])
        assert _admin_sql(database.server, "SELECT 1") == [(1,)]

    def test_a_file_that_would_not_validate_is_never_loaded(self, on_pg, monkeypatch):
        database = on_pg()
        before = _hba(database.server)
        monkeypatch.setattr(
            "connections.engines.postgresql.hba_lines",
            lambda access: ["host all all 10.0.0.0/33 scram-sha-256"],
        )
        state = enforcement.enforce(_fresh(database))
        assert state == ExposureState.CANNOT_ENFORCE
        assert "would not accept" in _fresh(database).exposure_problem
        assert _hba(database.server) == before  # put back, byte for byte
        assert not _admin_sql(
            database.server, "SELECT 1 FROM pg_hba_file_rules WHERE error IS NOT NULL"
        )
        assert _pg_connects(database)

    def test_server_down_leaves_the_change_pending_then_the_queue_applies_it(
        self, on_pg, team_admin
    ):
        database = on_pg(resource_model="dedicated", force_tls=False)
        server = database.server
        real_url = server.admin_url
        DatabaseServer.objects.filter(pk=server.pk).update(admin_url=CLOSED_PORT_URL)
        add_cidr_rule(team_admin, _fresh(database), "127.0.0.1", "this machine")
        pending = _fresh(database)
        assert pending.exposure_state == ExposureState.PENDING
        assert pending.exposure_problem == "Cannot reach the server."
        assert not _pg_connects(pending)  # the server still holds the old rules
        retry = DBTaskResult.objects.get(task_path="connections.enforcement.retry_exposure")
        assert retry.run_after is not None  # backoff, not at once
        DatabaseServer.objects.filter(pk=server.pk).update(admin_url=real_url)
        assert enforcement.retry_exposure.call(database.pk) == ExposureState.APPLIED
        assert _pg_connects(_fresh(database))
        call_command("check_servers", "--server", server.name)  # no drift: exits zero

    def test_an_edit_behind_the_dashboards_back_is_found_and_repaired(self, on_pg, capsys):
        database = on_pg(resource_model="dedicated")
        server = database.server
        text = _hba(server)
        who = f'"{database.database_name}" "{database.username}"'
        tampered = text.replace(BEGIN, f"{BEGIN}\nhost {who} 127.0.0.1/32 trust")
        with psycopg.connect(server.admin_url, autocommit=True) as connection:
            engine_for(server)._write(connection, _hba_path(server), tampered)
        with pytest.raises(CommandError, match="Drift"):
            call_command("check_servers", "--server", server.name)
        assert f"has extra: host {who} 127.0.0.1/32 trust" in capsys.readouterr().out
        call_command("check_servers", "--server", server.name, "--repair")
        assert "trust" not in "\n".join(managed_block(_hba(server)))
        call_command("check_servers", "--server", server.name)

    def test_dropping_a_database_takes_its_lines_out(self, pg, team_admin_client, region):
        slug = f"t{secrets.token_hex(4)}"
        team_admin_client.post(
            reverse("database_create", args=["acme"]),
            {
                "name": slug,
                "slug": slug,
                "engine": "postgresql",
                "version": offered_version(pg),
                "region": region.pk,
                "resource_model": "shared",
            },
        )
        database = Database.objects.get(slug=slug)
        assert database.database_name in _hba(pg)
        team_admin_client.post(reverse("database_delete", args=["acme", slug]), {"confirm": slug})
        assert not Database.objects.filter(slug=slug).exists()
        assert database.database_name not in _hba(pg)


def _hba_path(server: DatabaseServer) -> str:
    return _admin_sql(server, "SELECT current_setting('hba_file')")[0][0]


class TestMariaDB:
    @pytest.fixture
    def on_maria(self, maria, make_database):
        made = []

        def make(**fields) -> Database:
            database = make_database(
                slug=f"t{secrets.token_hex(4)}",
                engine="mariadb",
                server=maria,
                version=offered_version(maria),
                **fields,
            )
            create_on_server(database)
            made.append(database)
            return _fresh(database)

        yield make
        for database in made:
            engine_for(maria).drop(database)

    def _accounts(self, database: Database) -> dict[str, str]:
        engine = engine_for(database.server)
        return engine._accounts(database.username)

    def _connects(self, database: Database) -> bool:
        try:
            pymysql.connect(
                host="127.0.0.1",
                port=database.server.internal_port,
                user=database.username,
                password=database.password.encode(),
                database=database.database_name,
                connect_timeout=5,
                # A plain client: PyMySQL takes TLS whenever the server offers it.
                ssl_disabled=True,
            ).close()
        except pymysql.MySQLError:
            return False
        return True

    def test_a_shared_database_has_one_account_per_region_range(self, on_maria):
        database = on_maria()
        assert database.exposure_state == ExposureState.APPLIED
        assert self._accounts(database) == {"127.0.0.0/255.0.0.0": "", "::1": ""}
        assert self._connects(database)

    def test_a_dedicated_database_without_rules_has_no_account(self, on_maria):
        database = on_maria(resource_model="dedicated")
        assert self._accounts(database) == {}
        assert not self._connects(database)

    def test_force_tls_requires_ssl_on_every_account(self, on_maria, team_admin):
        database = on_maria()
        set_force_tls(team_admin, database, True)
        accounts = self._accounts(database)
        if _fresh(database).server.supports_tls:
            assert set(accounts.values()) == {"ANY"}
            assert not self._connects(database)  # a plain client is refused
        else:
            assert _fresh(database).exposure_state == ExposureState.CANNOT_ENFORCE

    def test_internet_access_is_the_percent_account_only(self, on_maria, team_admin):
        database = on_maria()
        set_force_tls(team_admin, database, True)
        set_internet_access(team_admin, _fresh(database), True)
        assert list(self._accounts(database)) == ["%"]

    def test_an_ipv6_range_is_refused_with_the_reason(self, on_maria, team_admin):
        database = on_maria(resource_model="dedicated")
        with pytest.raises(ExposureRefused, match="IPv6 range") as refused:
            add_cidr_rule(team_admin, database, "2001:db8::/48", "office v6")
        assert refused.value.field == "network"
        assert not database.firewall_rules.exists()


class TestPlacement:
    def test_mysql_is_never_placed_on_mariadb(self, maria, team_admin_client, region):
        slug = f"t{secrets.token_hex(4)}"
        team_admin_client.post(
            reverse("database_create", args=["acme"]),
            {
                "name": slug,
                "slug": slug,
                "engine": "mysql",
                "version": "8.4",
                "region": region.pk,
                "resource_model": "shared",
            },
        )
        database = Database.objects.get(slug=slug)
        assert database.server is None
        content = team_admin_client.get(
            reverse("database_detail", args=["acme", slug])
        ).content.decode()
        assert "No MySQL 8.4 server is registered in Frankfurt yet" in content

    def test_another_major_version_is_refused_next_to_the_field(
        self, pg, team_admin_client, region
    ):
        running = offered_version(pg)
        other = next(v for v in ("18", "17", "16", "15") if v != running)
        slug = f"t{secrets.token_hex(4)}"
        response = team_admin_client.post(
            reverse("database_create", args=["acme"]),
            {
                "name": slug,
                "slug": slug,
                "engine": "postgresql",
                "version": other,
                "region": region.pk,
                "resource_model": "shared",
            },
        )
        assert response.status_code == 200
        errors = " ".join(response.context["form"].errors["version"])
        assert f"run PostgreSQL {pg.reported_version}, not {other}" in errors
        assert not Database.objects.filter(slug=slug).exists()

    def test_the_badge_shows_the_version_the_server_reports(self, on_pg, team_admin_client):
        database = on_pg()
        content = team_admin_client.get(
            reverse("database_detail", args=["acme", database.slug])
        ).content.decode()
        assert f"PostgreSQL {database.server.reported_version}" in content


class TestProvisionLater:
    def test_a_database_recorded_before_its_server_is_provisioned_now(
        self, postgresql_endpoint, team_admin_client, region, team
    ):
        slug = f"t{secrets.token_hex(4)}"
        data = {
            "name": slug,
            "slug": slug,
            "engine": "postgresql",
            "region": region.pk,
            "resource_model": "shared",
        }
        server = register(postgresql_endpoint, region)
        data["version"] = offered_version(server)
        server.delete()
        team_admin_client.post(reverse("database_create", args=["acme"]), data)
        database = Database.objects.get(slug=slug)
        page = reverse("database_detail", args=["acme", slug])
        assert "Provision now" not in team_admin_client.get(page).content.decode()

        server = register(postgresql_endpoint, region)
        assert "Provision now" in team_admin_client.get(page).content.decode()
        team_admin_client.post(reverse("database_provision", args=["acme", slug]))
        database = _fresh(database)
        try:
            assert database.server == server
            assert engine_for(server).probe(database, database.password).ok
            assert Activity.objects.filter(verb="provisioned database").exists()
        finally:
            engine_for(server).drop(database)


class TestRegistration:
    def _post(self, client, region, engine: str, admin_url: str):
        return client.post(
            reverse("admin:connections_databaseserver_add"),
            {
                "name": f"s-{secrets.token_hex(3)}",
                "engine": engine,
                "region": region.pk,
                "admin_url": admin_url,
                "internal_host": "127.0.0.1",
                "internal_port": "5432",
                "public_host": "",
                "public_port": "",
            },
        )

    def test_a_url_that_does_not_connect_is_refused_with_the_drivers_reason(
        self, operator_client, region
    ):
        response = self._post(operator_client, region, "postgresql", CLOSED_PORT_URL)
        assert response.status_code == 200
        text = " ".join(response.context["adminform"].form.non_field_errors())
        assert "The server was not saved. Cannot reach the server." in text
        assert "Connection refused" in text or "connection" in text.lower()
        assert not DatabaseServer.objects.exists()

    def test_a_mariadb_registered_as_mysql_is_refused(
        self, operator_client, region, mariadb_endpoint
    ):
        response = self._post(operator_client, region, "mysql", mariadb_endpoint.admin_url)
        text = " ".join(response.context["adminform"].form.non_field_errors())
        assert "runs MariaDB" in text
        assert "register it as MariaDB" in text
        assert not DatabaseServer.objects.exists()

    def test_a_server_that_connects_is_saved_with_its_version_and_rights(
        self, operator_client, region, postgresql_endpoint
    ):
        response = self._post(operator_client, region, "postgresql", postgresql_endpoint.admin_url)
        assert response.status_code == 302
        server = DatabaseServer.objects.get()
        assert server.reported_version
        assert server.can_enforce
        assert server.health == "ok"


def test_team_members_never_read_the_admin_user(pg, team_admin_client, region):
    pg.admin_url = pg.admin_url.replace("postgres:", "harbor_admin_xyz:", 1)
    pg.save()
    slug = f"t{secrets.token_hex(4)}"
    response = team_admin_client.post(
        reverse("database_create", args=["acme"]),
        {
            "name": slug,
            "slug": slug,
            "engine": "postgresql",
            "version": offered_version(pg),
            "region": region.pk,
            "resource_model": "shared",
        },
    )
    content = response.content.decode()
    assert "The database was not created. Cannot reach the server." in content
    assert "harbor_admin_xyz" not in content


def test_redis_says_it_cannot_enforce_and_gives_host_firewall_lines(
    redis_endpoint, region, make_database, team_admin_client
):
    server = register(redis_endpoint, region)
    database = make_database(slug=f"t{secrets.token_hex(4)}", engine="redis", server=server)
    create_on_server(database)
    try:
        assert _fresh(database).exposure_state == ExposureState.CANNOT_ENFORCE
        content = team_admin_client.get(
            reverse("database_network", args=["acme", database.slug])
        ).content.decode()
        assert "cannot enforce these settings" in content
        assert "Redis cannot filter connections by source address" in content
        assert "tcp dport" in content
        assert "127.0.0.0/8" in content
    finally:
        engine_for(server).drop(database)


def test_provisioning_refuses_no_compatible_server_with_the_running_versions(pg, region):
    database = Database(engine="postgresql", version="1", region=region)
    with pytest.raises(provisioning.NoCompatibleServer, match=pg.reported_version):
        provisioning.server_for(database.engine, region, "1")
