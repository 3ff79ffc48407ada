"""The activity log: who did what, when; written only through :mod:`connections.activity`."""

import enum

from django.conf import settings
from django.db import models

from connections.models.teams import Team


class ActivityKind(enum.StrEnum):
    """Every kind of change the log records. The value is the stored verb and what the feed
    shows between the actor and the target ("olivia *connected* Shop PostgreSQL")."""

    # Applications
    CREATED_APPLICATION = "created application"
    RENAMED_APPLICATION = "renamed application"
    DELETED_APPLICATION = "deleted application"
    CHANGED_COMMANDS = "changed the commands of"
    CHANGED_PORT = "changed the internal port of"
    MOVED_BUILD_STEPS = "moved database steps to the start command of"
    DEPLOYED = "deployed"
    MARKED_RESTARTED = "marked as restarted"
    # Variables
    ADDED_VARIABLE = "added variable"
    EDITED_VARIABLE = "edited variable"
    DELETED_VARIABLE = "deleted variable"
    REVEALED_VARIABLE = "revealed variable"
    REVEALED_ENVIRONMENT = "revealed the environment of"
    LINKED_COPIED_PASSWORD = "linked a copied password of"  # noqa: S105 (a verb)
    # Connections
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    ADDED_EXTERNAL_BUILD_VARIABLES = "added build variables from the external details of"
    # Connection credentials
    CREATED_CREDENTIAL = "created a connection credential on"
    ROTATED_CREDENTIALS = "rotated connection credentials of"
    RETIRED_CREDENTIAL = "retired a connection credential of"
    REVOKED_CREDENTIAL = "revoked a connection credential of"
    REVOKED_OLD_CREDENTIALS = "revoked old connection credentials of"
    CREDENTIAL_PENDING = "could not reach the server for a connection credential of"
    CHANGED_CREDENTIAL_GRACE = "changed the credential grace period of"
    # Databases
    CREATED_DATABASE = "created database"
    RENAMED_DATABASE = "renamed database"
    PROVISIONED_DATABASE = "provisioned database"
    DELETED_DATABASE = "deleted database"
    CHANGED_PASSWORD = "changed the password of"  # noqa: S105 (a verb)
    REVEALED_CREDENTIALS = "revealed the credentials of"
    # Network exposure
    TURNED_ON_FORCE_TLS = "turned on Force TLS for"
    TURNED_OFF_FORCE_TLS = "turned off Force TLS for"
    TURNED_ON_INTERNET_ACCESS = "turned on Internet access for"
    TURNED_OFF_INTERNET_ACCESS = "turned off Internet access for"
    ADDED_FIREWALL_RULE = "added firewall rule to"
    REMOVED_FIREWALL_RULE = "removed firewall rule from"
    ADDED_MANAGED_RULE = "added managed rule to"
    REMOVED_MANAGED_RULE = "removed managed rule from"
    UPDATED_INTERNET_EXPOSURE = "updated Internet exposure of"
    # Members
    INVITED = "invited someone to"
    REVOKED_INVITATION = "revoked an invitation to"
    JOINED = "joined"
    CHANGED_ROLE = "changed the role of"
    REMOVED_MEMBER = "removed"
    LEFT = "left"
    # Deploy tokens
    CREATED_DEPLOY_TOKEN = "created deploy token"  # noqa: S105 (a verb)
    REVOKED_DEPLOY_TOKEN = "revoked deploy token"  # noqa: S105 (a verb)


class Activity(models.Model):
    """One recorded change: who, when, what. Written through :func:`connections.activity.record`."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="activities")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text so the record still reads right after the user or the target is deleted.
    actor_name = models.CharField(max_length=150)
    verb = models.CharField(max_length=60)  # an ActivityKind
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["team", "-created_at"], name="activity_team_recent"),
            models.Index(fields=["target_type", "target_id"], name="activity_target"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.verb} {self.target_label}".strip()
