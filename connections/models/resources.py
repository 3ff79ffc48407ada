"""The resources a team owns (applications and databases), the regions they live in, and the
database servers operators register. Invariants live in database constraints as well as forms."""

import secrets
from typing import Any

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from connections.crypto import EncryptedTextField
from connections.engines import Engine
from connections.models.base import IDENTIFIER_BASE_LENGTH, IDENTIFIER_PATTERN, SLUG_PATTERN
from connections.models.teams import Team
from connections.passwords import generate_password


class ExposureState(models.TextChoices):
    """Whether the server holding a database enforces what the dashboard says about it."""

    APPLIED = "applied", "Applied"
    PENDING = "pending", "Pending"
    CANNOT_ENFORCE = "cannot_enforce", "Cannot enforce"


class ServerHealth(models.TextChoices):
    UNKNOWN = "unknown", "Not checked yet"
    OK = "ok", "Healthy"
    UNREACHABLE = "unreachable", "Unreachable"
    DRIFT = "drift", "Drifted"


class ResourceModel(models.TextChoices):
    SHARED = "shared", "Shared"
    DEDICATED = "dedicated", "Dedicated"


class Region(models.Model):
    """A regional network (a data center). Platform data, kept by operators."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = [Lower("name"), "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(slug__regex=SLUG_PATTERN), name="region_slug_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"


class Application(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="applications")
    name = models.CharField(max_length=100)
    slug = models.SlugField()
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="applications")
    internal_port = models.PositiveIntegerField(
        default=8080, help_text="The port the application listens on; the platform sets PORT."
    )
    build_command = models.TextField(blank=True)
    start_command = models.TextField(blank=True)
    # Bumped whenever what the environment resolves to changes; a deploy pipeline reports the
    # version it deployed, and an older deployed version means the app needs a restart.
    environment_version = models.PositiveIntegerField(default=1)
    deployed_environment_version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [Lower("name"), "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "slug"], name="application_slug_unique_in_team"
            ),
            models.CheckConstraint(
                condition=Q(deployed_environment_version__lte=models.F("environment_version")),
                name="application_deployed_version_not_ahead",
            ),
            models.CheckConstraint(
                condition=Q(slug__regex=SLUG_PATTERN), name="application_slug_format"
            ),
            models.CheckConstraint(
                condition=Q(internal_port__gte=1, internal_port__lte=65535),
                name="application_port_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def needs_restart(self) -> bool:
        """Deployed with an environment older than the current one."""
        deployed = self.deployed_environment_version
        return deployed is not None and deployed < self.environment_version


class Database(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="databases")
    name = models.CharField(max_length=100)
    slug = models.SlugField()
    engine = models.CharField(max_length=20, choices=Engine.choices)
    version = models.CharField(max_length=20)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="databases")
    resource_model = models.CharField(
        max_length=20, choices=ResourceModel.choices, default=ResourceModel.SHARED
    )
    database_name = models.CharField(max_length=63)
    username = models.CharField(max_length=63)
    # Generated at creation; changed through the password flow, never shown unless revealed.
    password = EncryptedTextField(default=generate_password)
    # Reachable from outside the regional network: the external connection and Internet access
    # are this one setting.
    internet_access = models.BooleanField(default=False)
    # On by default for dedicated resources (see save()); then every connection must use TLS.
    force_tls = models.BooleanField(default=False)
    # Where the database really lives; none means recorded but not provisioned.
    server = models.ForeignKey(
        "DatabaseServer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="databases",
    )
    # What the server holds of the exposure settings; see connections.enforcement.
    exposure_state = models.CharField(
        max_length=20, choices=ExposureState.choices, default=ExposureState.PENDING
    )
    # Why it is pending or cannot be enforced, in words safe to show to the team.
    exposure_problem = models.TextField(blank=True)
    exposure_attempts = models.PositiveIntegerField(default=0)
    exposure_applied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [Lower("name"), "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "slug"], name="database_slug_unique_in_team"),
            models.CheckConstraint(
                condition=Q(slug__regex=SLUG_PATTERN), name="database_slug_format"
            ),
            models.CheckConstraint(
                condition=Q(engine__in=Engine.values), name="database_engine_valid"
            ),
            models.CheckConstraint(
                condition=Q(resource_model__in=ResourceModel.values),
                name="database_resource_model_valid",
            ),
            models.CheckConstraint(
                condition=Q(exposure_state__in=ExposureState.values),
                name="database_exposure_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(database_name__regex=IDENTIFIER_PATTERN),
                name="database_name_is_identifier",
            ),
            models.CheckConstraint(
                condition=Q(internet_access=False) | Q(force_tls=True),
                name="database_internet_access_needs_tls",
            ),
            models.CheckConstraint(
                condition=Q(username__regex=IDENTIFIER_PATTERN), name="database_user_is_identifier"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding and self.resource_model == ResourceModel.DEDICATED:
            self.force_tls = True
        super().save(*args, **kwargs)

    @property
    def internal_port(self) -> int:
        """The engine's port, or the one its server listens on; never chosen by users."""
        if self.server is not None:
            return self.server.internal_port
        return Engine(self.engine).internal_port

    @property
    def internal_host(self) -> str:
        """The name applications of the region resolve over the regional network."""
        if self.server is not None:
            return self.server.internal_host
        return f"{self.slug}.{self.team.slug}.{self.region.slug}.internal"

    @property
    def running_version(self) -> str:
        """The version its server reports once provisioned; the requested one until then."""
        if self.server is not None and self.server.reported_version:
            return self.server.reported_version
        return self.version

    @property
    def enforced(self) -> bool:
        """Whether its server holds what the dashboard says about its exposure, right now."""
        return self.server is not None and self.exposure_state == ExposureState.APPLIED

    @property
    def public_endpoint(self) -> tuple[str, int] | None:
        """Host and port for external connections, when the server has a public endpoint."""
        server = self.server
        if server is None or not server.public_host or server.public_port is None:
            return None
        return server.public_host, server.public_port

    def derive_identifiers(self) -> None:
        """Name the database and its user after the slug, plus a random part.

        Servers are shared between teams: the random part keeps one team's names from
        colliding with (and so revealing) another's. Names stay within every engine's limits
        (MySQL user names: 32 characters).
        """
        base = self.slug.replace("-", "_")[:IDENTIFIER_BASE_LENGTH].rstrip("_")
        if not base[:1].isalpha():
            base = f"db_{base}"[:IDENTIFIER_BASE_LENGTH]
        self.database_name = f"{base}_{secrets.token_hex(3)}"
        self.username = f"{self.database_name}_user"


class DatabaseServer(models.Model):
    """A server where databases are really created, registered by an operator."""

    name = models.CharField(max_length=100, unique=True)
    engine = models.CharField(max_length=20, choices=Engine.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="servers")
    admin_url = EncryptedTextField(
        help_text="Connection URL of an administrative account, e.g. postgres://admin:…@host:5432/."
    )
    internal_host = models.CharField(max_length=255, help_text="Host name apps use in the region.")
    internal_port = models.PositiveIntegerField()
    public_host = models.CharField(
        max_length=255, blank=True, help_text="Host name for external connections."
    )
    public_port = models.PositiveIntegerField(null=True, blank=True)
    # What the server said when it was last checked (when registered, and by the drift check).
    reported_version = models.CharField(max_length=100, blank=True)
    supports_tls = models.BooleanField(default=False)
    can_enforce = models.BooleanField(default=False)
    # Why exposure cannot be enforced on this server, in words safe to show to teams.
    enforce_problem = models.TextField(blank=True)
    health = models.CharField(
        max_length=20, choices=ServerHealth.choices, default=ServerHealth.UNKNOWN
    )
    # The last check's findings, for operators (may name the admin user; never shown to teams).
    check_report = models.TextField(blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = [Lower("name"), "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(engine__in=Engine.values), name="server_engine_valid"
            ),
            models.CheckConstraint(
                condition=Q(health__in=ServerHealth.values), name="server_health_valid"
            ),
            models.CheckConstraint(
                condition=Q(internal_port__gte=1, internal_port__lte=65535),
                name="server_internal_port_in_range",
            ),
            models.CheckConstraint(
                condition=Q(public_port__isnull=True)
                | Q(public_port__gte=1, public_port__lte=65535),
                name="server_public_port_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name
