"""No secret is stored in clear: a raw dump of every table holds none of them, and rotating
the keys re-encrypts them all."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from connections import tokens
from connections.models import Database, DatabaseServer, Variable

ADMIN_SECRET = "Adm1n-secret-in-url"
VARIABLE_SECRET = "sk_live_variable_value"


@pytest.fixture
def secrets_everywhere(region, owner, make_application, make_database):
    DatabaseServer.objects.create(
        name="pg",
        engine="postgresql",
        region=region,
        admin_url=f"postgresql://admin:{ADMIN_SECRET}@10.0.0.1:5432/postgres",
        internal_host="10.0.0.1",
        internal_port=5432,
    )
    database = make_database()
    app = make_application()
    Variable.objects.create(application=app, key="STRIPE_KEY", value=VARIABLE_SECRET)
    _, token = tokens.create_token(owner, app, "CI")
    return [ADMIN_SECRET, VARIABLE_SECRET, database.password, token]


def raw_dump() -> str:
    """Every row of every table, as the database stores it."""
    lines = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            lines.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(lines)


def test_a_raw_dump_holds_no_secret_in_clear(secrets_everywhere):
    dump = raw_dump()
    for secret in secrets_everywhere:
        assert secret not in dump


def test_rotation_re_encrypts_everything_under_the_new_key(secrets_everywhere, settings):
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *old_keys]
    call_command("rotate_encryption_keys", stdout=StringIO())
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # the old keys are gone
    assert Variable.objects.get().value == VARIABLE_SECRET
    assert DatabaseServer.objects.get().admin_url.endswith("@10.0.0.1:5432/postgres")
    assert Database.objects.get().password == secrets_everywhere[2]
