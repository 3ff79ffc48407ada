"""The platform's region ranges and databases' firewall rules."""

import ipaddress
import uuid

from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property

from connections.models.base import NETWORK_PATTERN
from connections.models.resources import Database, Region


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
    through that region's ranges. Changed only through :mod:`connections.network`, which keeps
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
        return f"{self.region.name} region" if self.region is not None else self.network

    @cached_property
    def ip_network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        return None if self.is_managed else ipaddress.ip_network(self.network)

    @property
    def cidr(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        """The range a CIDR rule admits; a managed rule has none (its region's ranges apply)."""
        if self.ip_network is None:
            raise ValueError(f"{self} is a managed rule: it has no CIDR of its own.")
        return self.ip_network
