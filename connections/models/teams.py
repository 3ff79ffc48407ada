"""Teams, the tenant of everything, the people in them with their roles, and invitations."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from connections.models.base import SLUG_PATTERN


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    DEVELOPER = "developer", "Developer"
    VIEWER = "viewer", "Viewer"

    @property
    def rank(self) -> int:
        """How much the role may do: each role may do everything the roles below it may."""
        return _RANKS[self]

    def at_least(self, minimum: "Role") -> bool:
        """Whether this role may do what ``minimum`` may."""
        return self.rank >= minimum.rank

    @property
    def can_change(self) -> bool:
        """Developers and up change variables, connections and tokens, and may reveal."""
        return self.at_least(Role.DEVELOPER)

    @property
    def can_administer(self) -> bool:
        """Admins and up also change databases, exposure, passwords and members."""
        return self.at_least(Role.ADMIN)


_RANKS = {Role.VIEWER: 0, Role.DEVELOPER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Team(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)
    # How long a rotated connection credential keeps working at most when applications do not
    # report the deployment of the new one.
    credential_grace_hours = models.PositiveIntegerField(default=24)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = [Lower("name"), "name"]
        constraints = [
            models.CheckConstraint(condition=Q(slug__regex=SLUG_PATTERN), name="team_slug_format"),
            models.CheckConstraint(
                condition=Q(credential_grace_hours__gte=1, credential_grace_hours__lte=720),
                name="team_credential_grace_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.DEVELOPER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = [Lower("team__name"), "team__name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


class Invitation(models.Model):
    """A link that lets a person join a team with a role, shown once to whoever made it.

    Only a SHA-256 digest of the link's secret is stored (like a deploy token). It works once,
    until it expires or is revoked.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.DEVELOPER)
    note = models.CharField(max_length=100, blank=True, help_text="Who it is for, as a reminder.")
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="invitation_role_valid"),
        ]

    def __str__(self) -> str:
        return f"invitation to {self.team} ({self.role}){f' for {self.note}' if self.note else ''}"
