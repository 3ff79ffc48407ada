"""Who may reach a database, and why: one policy per resource model, chosen once per database.

A shared database is reachable from its region's network; Internet access is one switch, with
no source filtering. A dedicated database is reachable by nothing until a firewall rule allows
it: a CIDR range, or a managed rule that allows a platform region through that region's ranges.
Force TLS makes the database refuse every connection without TLS, from inside or outside, and
exposure to the Internet requires it.

"Reachable from the Internet" has one meaning, stored in ``Database.internet_access``: on a
shared database it is the switch itself; on a dedicated one it says whether some rule admits an
address outside the platform's region ranges, and every change in :mod:`.changes` keeps it so.
The database's constraint that Internet access needs Force TLS therefore holds for both models,
and code that reads the field (external connection details) needs no special case.

Verdicts come from a :class:`Firewall`, read in two queries, so that any number of them costs
nothing more. A verdict is about a :class:`Source` (one client address, or the applications of a
region): the policy decides; the source says which rules admit it, and puts the verdict in
words.
"""

import enum
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from django.db.models.functions import Lower

from connections.errors import Refused
from connections.models import (
    Application,
    Connection,
    Database,
    FirewallRule,
    Region,
    RegionRange,
    ResourceModel,
)
from connections.network.addresses import (
    EVERYONE,
    IPAddress,
    IPNetwork,
    collapse,
    inside,
    parse_address,
)


class ExposureRefused(Refused):
    """A change to who may reach a database that the dashboard refuses; the message says why.

    ``needs_force_tls`` says that the way out is turning Force TLS on first, so a page can offer
    that button.
    """

    def __init__(
        self, message: str, *, field: str | None = None, needs_force_tls: bool = False
    ) -> None:
        super().__init__(message, field=field)
        self.needs_force_tls = needs_force_tls


@dataclass(frozen=True)
class Defaults:
    """What a resource model gives a new database before anyone changes anything."""

    region_reachable: bool
    internet_access: bool
    force_tls: bool
    allowlist: bool  # every incoming connection must match a firewall rule


class Decider(enum.StrEnum):
    """What decided a verdict."""

    REGION_NETWORK = "region network"  # shared: the region's network reaches it by default
    INTERNET_ACCESS = "internet access"  # shared: the Internet switch, on or off
    FIREWALL_RULE = "firewall rule"  # dedicated: a rule allows it
    ALLOWLIST = "allowlist"  # dedicated: no rule allows it, so it is refused
    FORCE_TLS = "force tls"  # a connection without TLS while Force TLS is on


@dataclass(frozen=True)
class Verdict:
    """Whether a source reaches a database, what decided it, and a sentence that says so.

    ``rules`` are the firewall rules that let it in; ``tls_required`` says the connection must
    use TLS; ``suggested_region`` is a region whose managed rule would let it in.
    """

    allowed: bool
    decided_by: Decider
    reason: str
    rules: tuple[FirewallRule, ...] = ()
    tls_required: bool = False
    suggested_region: Region | None = None

    @property
    def rule(self) -> FirewallRule | None:
        """The rule to point at: the first that lets the source in."""
        return self.rules[0] if self.rules else None


def describe_rule(rule: FirewallRule) -> str:
    """A rule as a sentence names it: the managed rule for Frankfurt, the rule “Office” (…)."""
    if rule.region is not None:
        return f"the managed rule for {rule.region.name}"
    return f"the rule “{rule.label}” ({rule.network})"


def describe_rules(rules: Sequence[FirewallRule]) -> str:
    """Rules as a sentence lists them: “A”, “B” and “C”."""
    names = [describe_rule(rule) for rule in rules]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


# Sources: who asks, and how a verdict about them reads ----------------------------------------

REFUSES_UNLISTED = "a dedicated database refuses every connection its allowlist does not name"


class Source(ABC):
    """Who asks to connect. A policy decides about any source; the source says which rules
    admit it and how each verdict about it reads."""

    name: str
    region: Region | None  # the platform region it connects from, if any

    @abstractmethod
    def admitting_rules(self, firewall: "Firewall") -> tuple[FirewallRule, ...]:
        """The firewall rules that let all of this source in; empty when they do not."""

    def outside(self, home: Region) -> str:
        """Where the source is, said of one outside the database's region's network."""
        return f"{self.name} is outside {home.name}'s network"

    @abstractmethod
    def in_home_network(self, home: Region) -> str:
        """Shared, allowed: the source is in the network of ``home``, the database's region."""

    @abstractmethod
    def through_internet(self, home: Region) -> str:
        """Shared, allowed: the source is outside ``home``'s network; Internet access is on."""

    def internet_off(self, home: Region) -> str:
        """Shared, refused: the source is outside ``home``'s network; Internet access is off."""
        return f"{self.outside(home)}, and Internet access is off."

    @abstractmethod
    def allowed_by(self, rules: tuple[FirewallRule, ...]) -> str:
        """Dedicated, allowed: ``rules`` (from :meth:`admitting_rules`) let the source in."""

    @abstractmethod
    def not_allowed(self) -> str:
        """Dedicated, refused: no rule lets the source in."""

    def without_tls(self) -> str:
        """Refused by Force TLS: the network lets the source in, but without TLS."""
        return (
            f"{self.name} is let through the network, but Force TLS is on: the database "
            "refuses every connection without TLS, from inside or outside."
        )


class AddressSource(Source):
    """One client address, in the platform region whose ranges hold it or on the Internet."""

    def __init__(self, address: IPAddress, region: Region | None) -> None:
        self.address, self.region, self.name = address, region, str(address)

    def admitting_rules(self, firewall: "Firewall") -> tuple[FirewallRule, ...]:
        matches = [
            (network.prefixlen, rule)
            for rule in firewall.rules
            for network in firewall.networks_of(rule)
            if self.address in network
        ]
        if not matches:
            return ()
        # The most specific rule is the one a person would point at.
        return (max(matches, key=lambda match: match[0])[1],)

    def outside(self, home: Region) -> str:
        if self.region is None:
            return f"{self.name} is on the Internet"
        return f"{self.name} is in {self.region.name}'s network, outside {home.name}'s"

    def in_home_network(self, home: Region) -> str:
        return (
            f"{self.name} is in {home.name}'s network, which reaches shared databases by default."
        )

    def through_internet(self, home: Region) -> str:
        return (
            f"{self.outside(home)}, and Internet access is on: a shared database accepts any "
            "address, with no source filtering."
        )

    def allowed_by(self, rules: tuple[FirewallRule, ...]) -> str:
        return f"Allowed by {describe_rule(rules[0])}."

    def not_allowed(self) -> str:
        if self.region is None:
            return f"No firewall rule matches {self.name}: {REFUSES_UNLISTED}."
        return (
            f"{self.name} is in {self.region.name}'s network, but no firewall rule allows it: "
            f"{REFUSES_UNLISTED}. Add the managed rule for {self.region.name} to let that "
            "region's applications in."
        )


class RegionSource(Source):
    """The applications of a platform region, connecting from its ranges."""

    region: Region

    def __init__(self, region: Region) -> None:
        self.region, self.name = region, region.name

    def admitting_rules(self, firewall: "Firewall") -> tuple[FirewallRule, ...]:
        managed = next((rule for rule in firewall.rules if rule.region_id == self.region.pk), None)
        if managed is not None:
            return (managed,)
        networks = firewall.ranges_by_region.get(self.region.pk, [])
        covering = [firewall.rules_covering(network) for network in networks]
        if not networks or not all(covering):
            return ()
        return tuple(dict.fromkeys(rule for group in covering for rule in group))

    def in_home_network(self, home: Region) -> str:
        return f"{self.name}'s network reaches shared databases by default."

    def through_internet(self, home: Region) -> str:
        return (
            f"{self.outside(home)}, but Internet access is on: its applications connect through "
            "the public endpoint."
        )

    def allowed_by(self, rules: tuple[FirewallRule, ...]) -> str:
        if rules[0].region_id == self.region.pk:  # the region's own managed rule
            return f"Allowed by {describe_rule(rules[0])}."
        return f"{self.name}'s network is allowed by {describe_rules(rules)}."

    def not_allowed(self) -> str:
        return (
            f"No firewall rule allows {self.name}'s network: {REFUSES_UNLISTED}, even from its "
            f"own region. Add the managed rule for {self.name}."
        )


# Policies: one per resource model --------------------------------------------------------------


class Policy(ABC):
    """How one resource model decides who reaches a database, and which changes it refuses."""

    defaults: Defaults

    @abstractmethod
    def rules_of(self, database: Database) -> Iterable[FirewallRule]:
        """The firewall rules that count for ``database``."""

    @abstractmethod
    def verdict(self, firewall: "Firewall", source: Source) -> Verdict:
        """Whether ``source`` gets through the network (TLS aside), and why."""

    @abstractmethod
    def allowed_networks(self, firewall: "Firewall") -> list[IPNetwork]:
        """Every range the database accepts connections from, in order, maybe repeated."""

    @abstractmethod
    def internet_rules(self, firewall: "Firewall") -> list[FirewallRule]:
        """The rules that make the database reachable from the Internet."""

    @abstractmethod
    def reachable_from_internet(self, firewall: "Firewall") -> bool:
        """Computed from the settings and the rules; what ``internet_access`` must equal."""

    @abstractmethod
    def check_internet_access(self, firewall: "Firewall", on: bool) -> None:
        """Raise :class:`ExposureRefused` when the Internet access switch may not go ``on``."""

    @abstractmethod
    def check_force_tls_off(self, firewall: "Firewall") -> None:
        """Raise :class:`ExposureRefused` when Force TLS may not go off: the database is
        reachable from the Internet."""

    @abstractmethod
    def check_rules(self) -> None:
        """Raise :class:`ExposureRefused` when the database has no firewall to add rules to."""


class SharedPolicy(Policy):
    """Reachable from its region's network; the Internet switch decides the rest."""

    defaults = Defaults(
        region_reachable=True, internet_access=False, force_tls=False, allowlist=False
    )

    def rules_of(self, database: Database) -> Iterable[FirewallRule]:
        return []

    def verdict(self, firewall: "Firewall", source: Source) -> Verdict:
        database = firewall.database
        if source.region is not None and source.region.pk == database.region_id:
            return Verdict(True, Decider.REGION_NETWORK, source.in_home_network(database.region))
        if database.internet_access:
            reason = source.through_internet(database.region)
            return Verdict(True, Decider.INTERNET_ACCESS, reason)
        return Verdict(False, Decider.INTERNET_ACCESS, source.internet_off(database.region))

    def allowed_networks(self, firewall: "Firewall") -> list[IPNetwork]:
        database = firewall.database
        networks = list(firewall.ranges_by_region.get(database.region_id, []))
        if database.internet_access:
            networks.extend(EVERYONE)
        return networks

    def internet_rules(self, firewall: "Firewall") -> list[FirewallRule]:
        return []

    def reachable_from_internet(self, firewall: "Firewall") -> bool:
        return firewall.database.internet_access

    def check_internet_access(self, firewall: "Firewall", on: bool) -> None:
        if on and not firewall.database.force_tls:
            raise ExposureRefused(
                "Internet access needs Force TLS on first: without it, passwords and data could "
                "cross the Internet unencrypted.",
                needs_force_tls=True,
            )

    def check_force_tls_off(self, firewall: "Firewall") -> None:
        raise ExposureRefused(
            "Internet access is on, and a database reachable from the Internet must refuse "
            "connections without TLS. Turn Internet access off first."
        )

    def check_rules(self) -> None:
        raise ExposureRefused(
            "Shared databases have no firewall: they are reachable from their region's network, "
            "and from the Internet only when Internet access is on."
        )


class DedicatedPolicy(Policy):
    """Reachable by nothing but what a firewall rule allows, its own region included."""

    defaults = Defaults(
        region_reachable=False, internet_access=False, force_tls=True, allowlist=True
    )

    def rules_of(self, database: Database) -> Iterable[FirewallRule]:
        return database.firewall_rules.select_related("region")

    def verdict(self, firewall: "Firewall", source: Source) -> Verdict:
        rules = source.admitting_rules(firewall)
        if rules:
            return Verdict(True, Decider.FIREWALL_RULE, source.allowed_by(rules), rules=rules)
        return Verdict(
            False, Decider.ALLOWLIST, source.not_allowed(), suggested_region=source.region
        )

    def allowed_networks(self, firewall: "Firewall") -> list[IPNetwork]:
        return [network for rule in firewall.rules for network in firewall.networks_of(rule)]

    def internet_rules(self, firewall: "Firewall") -> list[FirewallRule]:
        return [rule for rule in firewall.rules if firewall.admits_outside(rule)]

    def reachable_from_internet(self, firewall: "Firewall") -> bool:
        return bool(self.internet_rules(firewall))

    def check_internet_access(self, firewall: "Firewall", on: bool) -> None:
        way = (
            "add a rule for the addresses that need it"
            if on
            else "remove the rules that admit addresses outside the platform"
        )
        raise ExposureRefused(
            f"On a dedicated database, Internet access follows the firewall rules: {way}."
        )

    def check_force_tls_off(self, firewall: "Firewall") -> None:
        raise ExposureRefused(
            f"{firewall.database.name} is reachable from the Internet through "
            f"{describe_rules(self.internet_rules(firewall))}, and a database reachable from "
            "the Internet must refuse connections without TLS. Remove those rules first."
        )

    def check_rules(self) -> None:
        return None


SHARED, DEDICATED = SharedPolicy(), DedicatedPolicy()


def is_dedicated(database: Database) -> bool:
    """Whether ``database`` is a dedicated resource: the one place that asks."""
    return database.resource_model == ResourceModel.DEDICATED


def policy_for(database: Database) -> Policy:
    """The policy of the database's resource model."""
    return DEDICATED if is_dedicated(database) else SHARED


def defaults_for(database: Database) -> Defaults:
    """The defaults of the database's resource model."""
    return policy_for(database).defaults


# The firewall: everything that decides, read once ----------------------------------------------


class Firewall:
    """Everything that decides who reaches one database, read once: its settings, its firewall
    rules and the platform's region ranges, judged by the policy of its resource model.
    Verdicts computed from it cost no query."""

    def __init__(
        self, database: Database, rules: Iterable[FirewallRule], ranges: Iterable[RegionRange]
    ) -> None:
        self.database = database
        self.policy = policy_for(database)
        # Managed rules first, each kind in the order it was added.
        self.rules = sorted(rules, key=lambda rule: not rule.is_managed)
        self.ranges = list(ranges)
        self.ranges_by_region: dict[int, list[IPNetwork]] = defaultdict(list)
        self.regions: dict[int, Region] = {}
        for item in self.ranges:
            self.ranges_by_region[item.region_id].append(item.ip_network)
            self.regions[item.region_id] = item.region
        self.platform = collapse(item.ip_network for item in self.ranges)

    def without(self, rule: FirewallRule) -> "Firewall":
        """The same firewall once ``rule`` is removed, to show what removing it would change."""
        return Firewall(self.database, [r for r in self.rules if r.pk != rule.pk], self.ranges)

    # What the rules cover

    def networks_of(self, rule: FirewallRule) -> list[IPNetwork]:
        """The ranges a rule admits: its CIDR, or the ranges of its region."""
        if rule.region_id is not None:
            return self.ranges_by_region.get(rule.region_id, [])
        return [rule.cidr]

    def region_of(self, address: IPAddress) -> Region | None:
        """The platform region whose ranges hold ``address``, if any."""
        for region_id, networks in self.ranges_by_region.items():
            if any(address in network for network in networks):
                return self.regions[region_id]
        return None

    def admits_outside(self, rule: FirewallRule) -> bool:
        """A CIDR rule that reaches beyond the platform's region ranges: the Internet."""
        return not rule.is_managed and not inside(rule.cidr, self.platform)

    def rules_covering(
        self, network: IPNetwork, rules: Sequence[FirewallRule] | None = None
    ) -> list[FirewallRule]:
        """The rules that together admit all of ``network``; empty when they do not."""
        rules = self.rules if rules is None else rules
        for rule in rules:
            if inside(network, self.networks_of(rule)):
                return [rule]
        overlapping = [
            rule
            for rule in rules
            if any(
                network.overlaps(n) for n in self.networks_of(rule) if n.version == network.version
            )
        ]
        union = collapse(n for rule in overlapping for n in self.networks_of(rule))
        return overlapping if inside(network, union) else []

    def covered_by(self, rule: FirewallRule) -> list[FirewallRule]:
        """Other rules that already admit everything ``rule`` admits: it adds nothing."""
        if rule.is_managed:
            return []
        others = [other for other in self.rules if other.pk != rule.pk]
        return self.rules_covering(rule.cidr, others)

    # What the policy says

    def internet_rules(self) -> list[FirewallRule]:
        """The rules that make a dedicated database reachable from the Internet."""
        return self.policy.internet_rules(self)

    def reachable_from_internet(self) -> bool:
        """Computed from the settings and the rules; what ``internet_access`` must equal."""
        return self.policy.reachable_from_internet(self)

    def allowed_networks(self) -> list[IPNetwork]:
        """Every range the database accepts connections from, in rule order, each once."""
        return list(dict.fromkeys(self.policy.allowed_networks(self)))

    def check_internet_access(self, on: bool) -> None:
        """Raise :class:`ExposureRefused` when Internet access may not be switched ``on`` (or
        off) now; switching it to what it is already is never refused."""
        if self.database.internet_access != on:
            self.policy.check_internet_access(self, on)

    def check_force_tls(self, on: bool) -> None:
        """Raise :class:`ExposureRefused` when Force TLS may not be turned ``on`` (or off) now:
        only turning it off while the database is reachable from the Internet is refused."""
        database = self.database
        if not on and database.force_tls and database.internet_access:
            self.policy.check_force_tls_off(self)

    # Verdicts

    def for_address(self, address: IPAddress, *, tls: bool) -> Verdict:
        """Can a client at ``address`` reach the database, connecting with or without TLS?"""
        return self._verdict(AddressSource(address, self.region_of(address)), tls=tls)

    def for_region(self, region: Region) -> Verdict:
        """Can the applications of ``region`` reach the database (at the network level)?"""
        return self._verdict(RegionSource(region), tls=True)

    def for_application(self, application: Application) -> Verdict:
        """Can ``application`` reach the database, from the network of the region it runs in?"""
        verdict = self.for_region(application.region)
        where = f"{application.name} runs in {application.region.name}."
        return replace(verdict, reason=f"{where} {verdict.reason}")

    def _verdict(self, source: Source, *, tls: bool) -> Verdict:
        verdict = self.policy.verdict(self, source)
        force_tls = self.database.force_tls
        if verdict.allowed and force_tls and not tls:
            return Verdict(
                False,
                Decider.FORCE_TLS,
                source.without_tls(),
                rules=verdict.rules,
                tls_required=True,
            )
        return replace(verdict, tls_required=verdict.allowed and force_tls)


def load_firewall(database: Database) -> Firewall:
    """Read what decides who reaches ``database``: two queries, whatever the number of rules.

    ``database.region`` should be loaded already (the access helpers do).
    """
    rules = policy_for(database).rules_of(database)
    return Firewall(database, rules, RegionRange.objects.select_related("region"))


def reachability_for_application(application: Application, database: Database) -> Verdict:
    """Can ``application`` reach ``database``, and what decided it?"""
    return load_firewall(database).for_application(application)


def reachability_for_address(database: Database, address: str | IPAddress, *, tls: bool) -> Verdict:
    """Can a client at ``address`` reach ``database``, with or without TLS, and why?

    A string is parsed first; :class:`InvalidNetwork` says what is wrong with it.
    """
    if isinstance(address, str):
        address = parse_address(address)
    return load_firewall(database).for_address(address, tls=tls)


def reachable_from_internet(database: Database) -> bool:
    """The one notion of "reachable from the Internet": Internet access, whatever the model.

    Shared: the Internet access switch. Dedicated: some firewall rule admits an address outside
    the platform's region ranges. Both are kept in ``internet_access``, so this costs no query.
    """
    return database.internet_access


def connection_verdicts(
    database: Database, firewall: Firewall | None = None
) -> list[tuple[Connection, Verdict]]:
    """Every connected application of ``database`` with its verdict, in one more query."""
    firewall = firewall or load_firewall(database)
    connections = (
        database.connections.select_related("application__region", "credential")
        .defer("credential__password")  # the user is shown, its password never
        .order_by(Lower("application__name"), "application__name")
    )
    return [
        (connection, firewall.for_application(connection.application)) for connection in connections
    ]


def check_internet_access(database: Database, on: bool) -> None:
    """Raise :class:`ExposureRefused` when Internet access cannot be switched ``on`` (or off)
    now: a dedicated database's follows its rules, and a shared one needs Force TLS first."""
    load_firewall(database).check_internet_access(on)


def check_force_tls(database: Database, on: bool) -> None:
    """Raise :class:`ExposureRefused` when Force TLS cannot be turned ``on`` (or off) now: it
    stays on while the database is reachable from the Internet."""
    load_firewall(database).check_force_tls(on)
