"""The invariants hold in the database itself, not only in forms."""

import pytest
from django.db import IntegrityError, transaction

from connections.models import Application, Database, Engine, Membership, Role


def _violates(save) -> bool:
    try:
        with transaction.atomic():
            save()
    except IntegrityError:
        return True
    return False


def test_application_slug_is_unique_within_a_team(make_application):
    make_application(slug="api")
    assert _violates(lambda: make_application(slug="api"))


def test_the_same_application_slug_may_exist_in_another_team(make_application, other_team):
    make_application(slug="api")
    make_application(slug="api", team=other_team)
    assert Application.objects.filter(slug="api").count() == 2


@pytest.mark.parametrize("port", [0, 65536])
def test_application_port_outside_1_to_65535_is_refused(make_application, port):
    assert _violates(lambda: make_application(internal_port=port))


def test_application_slug_must_be_a_slug(make_application):
    assert _violates(lambda: make_application(slug="Not A Slug"))


def test_database_slug_is_unique_within_a_team(make_database):
    make_database(slug="main")
    assert _violates(lambda: make_database(slug="main"))


def test_database_engine_must_be_known(make_database):
    assert _violates(lambda: make_database(engine="oracle"))


def test_database_resource_model_must_be_known(make_database):
    assert _violates(lambda: make_database(resource_model="premium"))


def test_database_name_must_be_an_identifier(make_database):
    database = make_database()
    database.database_name = "drop table; --"
    assert _violates(database.save)


def test_one_membership_per_user_and_team(team, developer):
    assert _violates(lambda: Membership.objects.create(team=team, user=developer, role=Role.OWNER))


def test_membership_role_must_be_known(team, outsider):
    assert _violates(lambda: Membership.objects.create(team=team, user=outsider, role="god"))


@pytest.mark.parametrize(
    ("engine", "port"),
    [(Engine.POSTGRESQL, 5432), (Engine.MYSQL, 3306), (Engine.MARIADB, 3306), (Engine.REDIS, 6379)],
)
def test_database_internal_port_follows_the_engine(make_database, engine, port):
    database = make_database(engine=engine, version=engine.versions[0])
    assert Database.objects.get(pk=database.pk).internal_port == port


def test_internal_port_is_not_a_column_anyone_can_change():
    assert "internal_port" not in {field.name for field in Database._meta.get_fields()}
