"""Each internal connection's own credential on the database's server.

A connection's linked variables hold its current credential (``Connection.credential``), never
the database's main user. A rotation creates a new credential beside the old one; the old one
retires and is revoked once every application that carried it has deployed the new
environment, when the team's grace period ends, or when a person revokes it.
"""

import secrets
import uuid

from django.db import models
from django.db.models import Q

from connections.crypto import EncryptedTextField
from connections.models.base import IDENTIFIER_PATTERN
from connections.models.links import Connection
from connections.models.resources import Database
from connections.passwords import generate_password


class CredentialState(models.TextChoices):
    """Where a credential is in its life. ``pending`` on the row says the server does not hold
    that state yet (being created, or still to be dropped) and the task queue retries."""

    ACTIVE = "active", "Active"
    RETIRING = "retiring", "Retiring"
    REVOKED = "revoked", "Revoked"


# The states in which a credential exists on the server (or is being created there).
LIVE_STATES = (CredentialState.ACTIVE, CredentialState.RETIRING)


class Credential(models.Model):
    """A user on the database's server for one connection, with rights on that database only."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    database = models.ForeignKey(Database, on_delete=models.CASCADE, related_name="credentials")
    # Kept after the connection is removed, until the server has dropped the user.
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="credentials"
    )
    # The application's name when it was made, so a revoked credential still reads right.
    application_name = models.CharField(max_length=100)
    username = models.CharField(max_length=63)
    password = EncryptedTextField(default=generate_password)
    read_only = models.BooleanField(default=False)
    state = models.CharField(
        max_length=20, choices=CredentialState.choices, default=CredentialState.ACTIVE
    )
    # The server does not hold the state yet (it could not be reached); retried with backoff.
    pending = models.BooleanField(default=True)
    # Why it is pending, in words safe to show to the team.
    problem = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # Retiring: the applications (id → environment version) that must deploy the version that
    # carries the new credential before this one is revoked, and when it is revoked anyway.
    awaiting = models.JSONField(default=dict, blank=True)
    revoke_after = models.DateTimeField(null=True, blank=True)
    # Why it was revoked, in words for the activity log ("the connection was removed").
    revoked_because = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=CredentialState.values), name="credential_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(username__regex=IDENTIFIER_PATTERN),
                name="credential_user_is_identifier",
            ),
            # A retiring credential exists on the server: it was created, and is not dropped.
            models.CheckConstraint(
                condition=~Q(state=CredentialState.RETIRING) | Q(pending=False),
                name="credential_retiring_is_on_server",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} ({self.application_name})"

    @property
    def in_use(self) -> bool:
        """What its connection's linked variables hold now."""
        return self.state == CredentialState.ACTIVE and not self.pending

    @property
    def access(self) -> str:
        return "read-only" if self.read_only else "read-write"

    @staticmethod
    def new_username(application_slug: str) -> str:
        """A server user name after the application, plus a random part: servers are shared
        between teams, and a rotation needs a second name beside the first. At most 27
        characters (MySQL allows 32)."""
        base = application_slug.replace("-", "_")[:16].rstrip("_")
        if not base[:1].isalpha():
            base = f"app_{base}"[:16]
        return f"{base}_{secrets.token_hex(5)}"
