"""Secrets are encrypted at rest and keys can be rotated."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from connections import crypto
from connections.models import DatabaseServer

ADMIN_URL = "postgres://admin:s3cr3t-P@ss@db.internal:5432/postgres"


@pytest.fixture
def server(make_server):
    return make_server(admin_url=ADMIN_URL)


def test_admin_url_is_not_stored_in_clear(server):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT admin_url FROM connections_databaseserver WHERE id = %s", [server.pk]
        )
        stored = cursor.fetchone()[0]
    assert "s3cr3t" not in stored
    assert DatabaseServer.objects.get(pk=server.pk).admin_url == ADMIN_URL


def test_an_old_key_still_decrypts_after_rotation(server, settings):
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *old_keys]
    assert DatabaseServer.objects.get(pk=server.pk).admin_url == ADMIN_URL


def test_a_malformed_key_is_a_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.FIELD_ENCRYPTION_KEYS = ["not-a-key"]
    with pytest.raises(ImproperlyConfigured, match="not a Fernet key"):
        crypto.encrypt("x")
