"""Encryption of secrets at rest.

Secrets (admin URLs, database passwords, variable values) are stored as Fernet tokens. The keys
come from ``settings.FIELD_ENCRYPTION_KEYS``: the first one encrypts, every one decrypts, so a
new key goes first and the old ones stay until every token has been re-saved.
"""

from functools import cache
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Expression


@cache
def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key."
        ) from exc


def _forget_keys(*, setting: str, **kwargs: object) -> None:
    if setting == "FIELD_ENCRYPTION_KEYS":
        _fernet.cache_clear()


setting_changed.connect(_forget_keys)


def encrypt(plaintext: str) -> str:
    """Return a token that only holders of the current keys can read back."""
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Return the plaintext of a token made by :func:`encrypt` with any configured key."""
    return _fernet().decrypt(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """A text column whose value is encrypted before it reaches the database.

    Tokens are not deterministic, so the column can be neither filtered on nor unique.
    """

    def from_db_value(
        self, value: str | None, expression: Expression, connection: BaseDatabaseWrapper
    ) -> str | None:
        return None if value is None else decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        prepared: str | None = super().get_prep_value(value)
        return None if prepared is None else encrypt(prepared)
