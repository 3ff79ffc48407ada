"""How resources reach each other: internal connections, the variables of an application's
environment (typed by hand or linked to a connection), the deploy tokens that read it, and the
firewall rules and region ranges that decide who reaches a database over the network."""

import ipaddress
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property

from dashboard.crypto import EncryptedTextField
from dashboard.models import Application, Database, Region

KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*\Z"  # \Z: see dashboard.models.SLUG_PATTERN
RESERVED_KEYS = frozenset({"PORT"})


class Phase(models.TextChoices):
    BUILD = "build", "Build"
    RUNTIME = "runtime", "Runtime"


class LinkedField(models.TextChoices):
    """The connection details a linked variable can follow."""

    HOST = "host", "Host"
    PORT = "port", "Port"
    NAME = "name", "Database name"
    USER = "user", "User"
    PASSWORD = "password", "Password"
    URL = "url", "Connection URL"

    @property
    def default_key(self) -> str:
        return DEFAULT_KEYS[self]

    @property
    def is_secret(self) -> bool:
        return self in (LinkedField.PASSWORD, LinkedField.URL)


DEFAULT_KEYS = {
    LinkedField.HOST: "DB_HOST",
    LinkedField.PORT: "DB_PORT",
    LinkedField.NAME: "DB_NAME",
    LinkedField.USER: "DB_USER",
    LinkedField.PASSWORD: "DB_PASSWORD",
    LinkedField.URL: "DATABASE_URL",
}


class Connection(models.Model):
    """An internal connection: an application reaching a database over the regional network."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="connections"
    )
    database = models.ForeignKey(Database, on_delete=models.CASCADE, related_name="connections")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "database"], name="one_connection_per_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} → {self.database}"


class Variable(models.Model):
    """A key of an application's environment, for the build, at runtime, or both.

    A plain variable holds a value (which may reference other resources, ``{{ slug.KEY }}``). A
    linked variable holds no value: it follows one field of its connection's database, so it
    always shows the current details. A link to the internal details is runtime-only, because
    the internal network is not live during a build; a link to the external details is
    build-only, the way out for a build step that needs the database.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="variables")
    key = models.CharField(max_length=255)
    value = EncryptedTextField(blank=True)
    build = models.BooleanField("available during the build", default=False)
    runtime = models.BooleanField("available at runtime", default=True)
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.CASCADE, related_name="variables"
    )
    linked_field = models.CharField(max_length=20, choices=LinkedField.choices, blank=True)
    # A linked variable follows the internal details (runtime only) or, as the way out for a
    # build that needs the database, the external ones (build only).
    external = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(key__regex=KEY_PATTERN), name="variable_key_posix"),
            models.CheckConstraint(
                condition=~Q(key__in=sorted(RESERVED_KEYS)), name="variable_key_not_reserved"
            ),
            models.CheckConstraint(
                condition=Q(build=True) | Q(runtime=True), name="variable_in_some_phase"
            ),
            models.CheckConstraint(
                condition=Q(connection__isnull=True, linked_field="")
                | Q(connection__isnull=False, linked_field__in=LinkedField.values),
                name="variable_linked_field_iff_connection",
            ),
            models.CheckConstraint(
                condition=Q(connection__isnull=True) | Q(external=True) | Q(build=False),
                name="variable_internal_link_is_runtime_only",
            ),
            models.CheckConstraint(
                condition=Q(external=False) | Q(connection__isnull=False, runtime=False),
                name="variable_external_link_is_build_only",
            ),
            models.UniqueConstraint(
                fields=["application", "key"],
                condition=Q(build=True),
                name="variable_key_once_at_build",
            ),
            models.UniqueConstraint(
                fields=["application", "key"],
                condition=Q(runtime=True),
                name="variable_key_once_at_runtime",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def is_linked(self) -> bool:
        return self.connection_id is not None

    @property
    def phases(self) -> list[Phase]:
        return [phase for phase in Phase if getattr(self, phase.value)]


class DeployToken(models.Model):
    """A secret that lets a deploy pipeline read one application's environment.

    Only a SHA-256 digest is stored: tokens are long random strings, so a slow hash adds nothing,
    and the token itself is shown once, when it is created.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="deploy_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=12, help_text="The token's first characters, to tell it apart."
    )
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


# Network exposure ---------------------------------------------------------------------------

# A normalised CIDR as ipaddress writes it (lower-case hex): what pg_hba.conf takes as is.
NETWORK_PATTERN = r"^[0-9a-f:.]+/[0-9]{1,3}\Z"


class RegionRange(models.Model):
    """One network range of a platform region: where that region's applications connect from.

    Platform data, kept by operators in the admin. A managed firewall rule allows a region by
    expanding to its ranges; an address in none of them comes from the Internet.
    """

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="ranges")
    network = models.CharField(
        max_length=43,
        unique=True,
        help_text="A CIDR range the region's applications connect from, e.g. 10.20.0.0/16.",
    )
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region__name", "network"]
        constraints = [
            models.CheckConstraint(
                condition=Q(network__regex=NETWORK_PATTERN), name="region_range_is_cidr"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network} ({self.region.slug})"

    @cached_property
    def ip_network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(self.network)


class FirewallRule(models.Model):
    """One entry of a dedicated database's allowlist.

    Either a CIDR range (IPv4 or IPv6, stored normalised, so it is a pg_hba.conf address and a
    MariaDB host pattern as it stands) or a managed rule that allows a whole platform region
    through that region's ranges. Changed only through :mod:`connections.exposure`, which keeps
    the database's ``internet_access`` equal to "some rule admits an address outside the
    platform".
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    database = models.ForeignKey(Database, on_delete=models.CASCADE, related_name="firewall_rules")
    network = models.CharField(max_length=43, blank=True)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    label = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(region__isnull=True, network__regex=NETWORK_PATTERN)
                | Q(region__isnull=False, network=""),
                name="firewall_rule_is_cidr_or_region",
            ),
            models.UniqueConstraint(
                fields=["database", "network"],
                condition=Q(region__isnull=True),
                name="firewall_rule_network_once",
            ),
            models.UniqueConstraint(
                fields=["database", "region"],
                condition=Q(region__isnull=False),
                name="firewall_rule_region_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.source})"

    @property
    def is_managed(self) -> bool:
        return self.region_id is not None

    @property
    def source(self) -> str:
        """What the rule allows, in a few words."""
        return f"{self.region.name} region" if self.is_managed else self.network

    @cached_property
    def ip_network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        return None if self.is_managed else ipaddress.ip_network(self.network)
