"""Network exposure: who may reach a database, and why.

A shared database is reachable from its region's network; Internet access is one switch, with
no source filtering. A dedicated database is reachable by nothing until a firewall rule allows
it: a CIDR range, or a managed rule that allows a platform region through that region's ranges.
Force TLS makes the database refuse every connection without TLS, from inside or outside, and
exposure to the Internet requires it.

"Reachable from the Internet" has one meaning, stored in ``Database.internet_access``: on a
shared database it is the switch itself; on a dedicated one it says whether some rule admits an
address outside the platform's region ranges, and every function here that changes rules keeps
it so. The database's constraint that Internet access needs Force TLS therefore holds for both
models, and code that reads the field (external connection details) needs no special case.

Verdicts come from a :class:`Firewall`, read in two queries, so that any number of them costs
nothing more. Rules compile as they stand to pg_hba.conf lines and MariaDB account hosts.
"""

import enum
import ipaddress
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from connections import activity, enforcement
from connections.engines import Engine
from connections.environment import bump_environments
from connections.models import (
    Application,
    Connection,
    Database,
    FirewallRule,
    Region,
    RegionRange,
    ResourceModel,
)

type IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

EVERYONE = (ipaddress.IPv4Network("0.0.0.0/0"), ipaddress.IPv6Network("::/0"))
IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
MAX_INPUT_LENGTH = 100
MAX_LABEL_LENGTH = 100
NOT_A_NETWORK = (
    "Enter an IPv4 or IPv6 range in CIDR notation, e.g. 203.0.113.0/24 or 2001:db8::/48, "
    "or a single address."
)
NOT_AN_ADDRESS = "Enter one IPv4 or IPv6 address, e.g. 203.0.113.7 or 2001:db8::7."


# Defaults ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Defaults:
    """What a resource model gives a new database before anyone changes anything."""

    region_reachable: bool
    internet_access: bool
    force_tls: bool
    allowlist: bool  # every incoming connection must match a firewall rule


DEFAULTS = {
    ResourceModel.SHARED: Defaults(
        region_reachable=True, internet_access=False, force_tls=False, allowlist=False
    ),
    ResourceModel.DEDICATED: Defaults(
        region_reachable=False, internet_access=False, force_tls=True, allowlist=True
    ),
}


def defaults_for(database: Database) -> Defaults:
    """The defaults of the database's resource model."""
    return DEFAULTS[ResourceModel(database.resource_model)]


def is_dedicated(database: Database) -> bool:
    return database.resource_model == ResourceModel.DEDICATED


# Refusals and parsing ------------------------------------------------------------------------


class InvalidNetwork(ValueError):
    """Text that is not an address or range the firewall can use; the message says why."""


class ExposureRefused(Exception):
    """A change the dashboard refuses; the message says why, in words for the user.

    ``field`` names the form field the message belongs next to, if any. ``needs_force_tls``
    says that the way out is turning Force TLS on first, so a page can offer that button.
    """

    def __init__(
        self, message: str, *, field: str | None = None, needs_force_tls: bool = False
    ) -> None:
        super().__init__(message)
        self.field = field
        self.needs_force_tls = needs_force_tls


def _check_text(text: str, empty_message: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidNetwork(empty_message)
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidNetwork("That is too long for an IP address or range.")
    if "%" in text:
        raise InvalidNetwork(
            "Leave out the zone index (from % on): the firewall matches addresses, not interfaces."
        )
    return text


def parse_network(text: str) -> IPNetwork:
    """The range ``text`` names, normalised: a single address becomes a /32 or /128.

    Raises :class:`InvalidNetwork` with a sentence for the user; a range with host bits set
    (``10.1.2.3/8``) is refused with the network it probably meant (``10.0.0.0/8``).
    """
    text = _check_text(text, NOT_A_NETWORK)
    try:
        network = ipaddress.ip_network(text)
    except ValueError:
        try:
            meant = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise InvalidNetwork(NOT_A_NETWORK) from None
        address = text.split("/", 1)[0].strip()
        raise InvalidNetwork(
            f"{text} has bits set after its /{meant.prefixlen} prefix. Did you mean the range "
            f"{meant}? For that one address alone, enter {address}."
        ) from None
    if network.version == 6 and network.subnet_of(IPV4_MAPPED):
        ipv4 = ipaddress.IPv4Network(
            (int(network.network_address) & 0xFFFFFFFF, network.prefixlen - 96)
        )
        raise InvalidNetwork(f"{network} is an IPv4 range written as IPv6: enter {ipv4}.")
    return network


def parse_address(text: str) -> IPAddress:
    """The single address ``text`` names; an IPv4-mapped IPv6 address counts as its IPv4.

    Raises :class:`InvalidNetwork` with a sentence for the user.
    """
    text = _check_text(text, NOT_AN_ADDRESS)
    if "/" in text:
        raise InvalidNetwork("Enter one address, not a range: the check answers for one client.")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise InvalidNetwork(NOT_AN_ADDRESS) from None
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _collapse(networks: Iterable[IPNetwork]) -> list[IPNetwork]:
    """The fewest CIDR blocks covering ``networks``; a block inside their union is inside one."""
    by_version: dict[int, list[IPNetwork]] = defaultdict(list)
    for network in networks:
        by_version[network.version].append(network)
    return [block for group in by_version.values() for block in ipaddress.collapse_addresses(group)]


def _inside(network: IPNetwork, blocks: Iterable[IPNetwork]) -> bool:
    return any(network.version == b.version and network.subnet_of(b) for b in blocks)


# Verdicts ------------------------------------------------------------------------------------


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
        return self.rules[0] if self.rules else None


def describe_rule(rule: FirewallRule) -> str:
    """A rule as a sentence names it: the managed rule for Frankfurt, the rule “Office” (…)."""
    if rule.is_managed:
        return f"the managed rule for {rule.region.name}"
    return f"the rule “{rule.label}” ({rule.network})"


def _describe_rules(rules: Sequence[FirewallRule]) -> str:
    names = [describe_rule(rule) for rule in rules]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


class Firewall:
    """Everything that decides who reaches one database, read once: its settings, its firewall
    rules and the platform's region ranges. Verdicts computed from it cost no query."""

    def __init__(
        self, database: Database, rules: Iterable[FirewallRule], ranges: Iterable[RegionRange]
    ) -> None:
        self.database = database
        # Managed rules first, each kind in the order it was added.
        self.rules = sorted(rules, key=lambda rule: not rule.is_managed)
        self.ranges = list(ranges)
        self.ranges_by_region: dict[int, list[IPNetwork]] = defaultdict(list)
        self.regions: dict[int, Region] = {}
        for item in self.ranges:
            self.ranges_by_region[item.region_id].append(item.ip_network)
            self.regions[item.region_id] = item.region
        self.platform = _collapse(item.ip_network for item in self.ranges)

    def without(self, rule: FirewallRule) -> "Firewall":
        """The same firewall once ``rule`` is removed, to show what removing it would change."""
        return Firewall(self.database, [r for r in self.rules if r.pk != rule.pk], self.ranges)

    # What the rules cover

    def networks_of(self, rule: FirewallRule) -> list[IPNetwork]:
        """The ranges a rule admits: its CIDR, or the ranges of its region."""
        if rule.is_managed:
            return self.ranges_by_region.get(rule.region_id, [])
        return [rule.ip_network]

    def region_of(self, address: IPAddress) -> Region | None:
        """The platform region whose ranges hold ``address``, if any."""
        for region_id, networks in self.ranges_by_region.items():
            if any(address in network for network in networks):
                return self.regions[region_id]
        return None

    def admits_outside(self, rule: FirewallRule) -> bool:
        """A CIDR rule that reaches beyond the platform's region ranges: the Internet."""
        return not rule.is_managed and not _inside(rule.ip_network, self.platform)

    def internet_rules(self) -> list[FirewallRule]:
        """The rules that make a dedicated database reachable from the Internet."""
        if not is_dedicated(self.database):
            return []
        return [rule for rule in self.rules if self.admits_outside(rule)]

    def reachable_from_internet(self) -> bool:
        """Computed from the settings and the rules; what ``internet_access`` must equal."""
        if is_dedicated(self.database):
            return bool(self.internet_rules())
        return self.database.internet_access

    def rules_covering(
        self, network: IPNetwork, rules: Sequence[FirewallRule] | None = None
    ) -> list[FirewallRule]:
        """The rules that together admit all of ``network``; empty when they do not."""
        rules = self.rules if rules is None else rules
        for rule in rules:
            if _inside(network, self.networks_of(rule)):
                return [rule]
        overlapping = [
            rule
            for rule in rules
            if any(
                network.overlaps(n) for n in self.networks_of(rule) if n.version == network.version
            )
        ]
        union = _collapse(n for rule in overlapping for n in self.networks_of(rule))
        return overlapping if _inside(network, union) else []

    def covered_by(self, rule: FirewallRule) -> list[FirewallRule]:
        """Other rules that already admit everything ``rule`` admits: it adds nothing."""
        if rule.is_managed:
            return []
        others = [other for other in self.rules if other.pk != rule.pk]
        return self.rules_covering(rule.ip_network, others)

    def allowed_networks(self) -> list[IPNetwork]:
        """Every range the database accepts connections from, in rule order, each once."""
        database = self.database
        if is_dedicated(database):
            networks = [n for rule in self.rules for n in self.networks_of(rule)]
        else:
            networks = list(self.ranges_by_region.get(database.region_id, []))
            if database.internet_access:
                networks.extend(EVERYONE)
        return list(dict.fromkeys(networks))

    # Verdicts

    def for_address(self, address: IPAddress, *, tls: bool) -> Verdict:
        """Can a client at ``address`` reach the database, connecting with or without TLS?"""
        database = self.database
        if is_dedicated(database):
            verdict = self._allowlist_verdict(address)
        else:
            verdict = self._shared_verdict(address)
        if verdict.allowed and database.force_tls and not tls:
            return Verdict(
                False,
                Decider.FORCE_TLS,
                f"{address} is let through the network, but Force TLS is on: the database "
                "refuses every connection without TLS, from inside or outside.",
                rules=verdict.rules,
                tls_required=True,
            )
        return replace(verdict, tls_required=verdict.allowed and database.force_tls)

    def _shared_verdict(self, address: IPAddress) -> Verdict:
        database = self.database
        home = database.region.name
        region = self.region_of(address)
        if region is not None and region.pk == database.region_id:
            return Verdict(
                True,
                Decider.REGION_NETWORK,
                f"{address} is in {home}'s network, which reaches shared databases by default.",
            )
        where = f"in {region.name}'s network, outside {home}'s" if region else "on the Internet"
        if database.internet_access:
            return Verdict(
                True,
                Decider.INTERNET_ACCESS,
                f"{address} is {where}, and Internet access is on: a shared database accepts "
                "any address, with no source filtering.",
            )
        return Verdict(
            False,
            Decider.INTERNET_ACCESS,
            f"{address} is {where}, and Internet access is off.",
        )

    def _allowlist_verdict(self, address: IPAddress) -> Verdict:
        matches = [
            (network.prefixlen, rule)
            for rule in self.rules
            for network in self.networks_of(rule)
            if address in network
        ]
        if matches:
            # The most specific rule is the one a person would point at.
            rule = max(matches, key=lambda match: match[0])[1]
            return Verdict(
                True, Decider.FIREWALL_RULE, f"Allowed by {describe_rule(rule)}.", rules=(rule,)
            )
        region = self.region_of(address)
        if region is not None:
            return Verdict(
                False,
                Decider.ALLOWLIST,
                f"{address} is in {region.name}'s network, but no firewall rule allows it: a "
                "dedicated database refuses every connection its allowlist does not name. "
                f"Add the managed rule for {region.name} to let that region's applications in.",
                suggested_region=region,
            )
        return Verdict(
            False,
            Decider.ALLOWLIST,
            f"No firewall rule matches {address}: a dedicated database refuses every "
            "connection its allowlist does not name.",
        )

    def for_region(self, region: Region) -> Verdict:
        """Can the applications of ``region`` reach the database (at the network level)?"""
        database = self.database
        tls = database.force_tls
        if not is_dedicated(database):
            if region.pk == database.region_id:
                return Verdict(
                    True,
                    Decider.REGION_NETWORK,
                    f"{region.name}'s network reaches shared databases by default.",
                    tls_required=tls,
                )
            if database.internet_access:
                return Verdict(
                    True,
                    Decider.INTERNET_ACCESS,
                    f"{region.name} is outside {database.region.name}'s network, but Internet "
                    "access is on: its applications connect through the public endpoint.",
                    tls_required=tls,
                )
            return Verdict(
                False,
                Decider.INTERNET_ACCESS,
                f"{region.name} is outside {database.region.name}'s network, and Internet "
                "access is off.",
            )
        managed = next((rule for rule in self.rules if rule.region_id == region.pk), None)
        if managed is not None:
            return Verdict(
                True,
                Decider.FIREWALL_RULE,
                f"Allowed by {describe_rule(managed)}.",
                rules=(managed,),
                tls_required=tls,
            )
        networks = self.ranges_by_region.get(region.pk, [])
        covering = [self.rules_covering(network) for network in networks]
        if networks and all(covering):
            rules = tuple(dict.fromkeys(rule for group in covering for rule in group))
            return Verdict(
                True,
                Decider.FIREWALL_RULE,
                f"{region.name}'s network is allowed by {_describe_rules(rules)}.",
                rules=rules,
                tls_required=tls,
            )
        return Verdict(
            False,
            Decider.ALLOWLIST,
            f"No firewall rule allows {region.name}'s network: a dedicated database refuses "
            "every connection its allowlist does not name, even from its own region. Add the "
            f"managed rule for {region.name}.",
            suggested_region=region,
        )

    def for_application(self, application: Application) -> Verdict:
        """Can ``application`` reach the database, from the network of the region it runs in?"""
        verdict = self.for_region(application.region)
        where = f"{application.name} runs in {application.region.name}."
        return replace(verdict, reason=f"{where} {verdict.reason}")


def load_firewall(database: Database) -> Firewall:
    """Read what decides who reaches ``database``: two queries, whatever the number of rules.

    ``database.region`` should be loaded already (the access helpers do).
    """
    rules = database.firewall_rules.select_related("region") if is_dedicated(database) else []
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
    """The one notion of "reachable from the Internet", and of external connections being on.

    Shared: the Internet access switch. Dedicated: some firewall rule admits an address outside
    the platform's region ranges. Both are kept in ``internet_access``, so this costs no query.
    """
    return database.internet_access


def connection_verdicts(
    database: Database, firewall: Firewall | None = None
) -> list[tuple[Connection, Verdict]]:
    """Every connected application of ``database`` with its verdict, in one more query."""
    firewall = firewall or load_firewall(database)
    connections = database.connections.select_related("application__region").order_by(
        "application__name"
    )
    return [
        (connection, firewall.for_application(connection.application)) for connection in connections
    ]


# Changes -------------------------------------------------------------------------------------


def _lock(database: Database) -> None:
    """Lock the database's row and reread what exposure depends on, so that two people changing
    it at once cannot together reach a state each of them would have been refused."""
    fresh = (
        Database.objects.select_for_update()
        .only("resource_model", "force_tls", "internet_access")
        .get(pk=database.pk)
    )
    database.resource_model = fresh.resource_model
    database.force_tls = fresh.force_tls
    database.internet_access = fresh.internet_access


def _bump_external_builds(database: Database) -> None:
    """Builds that use the external details see them appear or go: mark those apps changed."""
    applications = list(
        Application.objects.filter(
            variables__connection__database=database, variables__external=True
        ).distinct()
    )
    if applications:
        bump_environments(database.team, applications=applications)


def internet_access_refusal(database: Database, on: bool) -> ExposureRefused | None:
    """Why Internet access cannot be switched ``on`` (or off) now, or None."""
    if database.internet_access == on:
        return None
    if is_dedicated(database):
        way = (
            "add a rule for the addresses that need it"
            if on
            else "remove the rules that admit addresses outside the platform"
        )
        return ExposureRefused(
            f"On a dedicated database, Internet access follows the firewall rules: {way}."
        )
    if on and not database.force_tls:
        return ExposureRefused(
            "Internet access needs Force TLS on first: without it, passwords and data could "
            "cross the Internet unencrypted.",
            needs_force_tls=True,
        )
    return None


def force_tls_refusal(
    database: Database, on: bool, firewall: Firewall | None = None
) -> ExposureRefused | None:
    """Why Force TLS cannot be turned ``on`` (or off) now, or None."""
    if on or not database.force_tls or not database.internet_access:
        return None
    if is_dedicated(database):
        rules = (firewall or load_firewall(database)).internet_rules()
        return ExposureRefused(
            f"{database.name} is reachable from the Internet through {_describe_rules(rules)}, "
            "and a database reachable from the Internet must refuse connections without TLS. "
            "Remove those rules first."
        )
    return ExposureRefused(
        "Internet access is on, and a database reachable from the Internet must refuse "
        "connections without TLS. Turn Internet access off first."
    )


def set_internet_access(actor: AbstractBaseUser | None, database: Database, on: bool) -> bool:
    """Switch a shared database's Internet access (its external connections) on or off.

    Raises :class:`ExposureRefused` when Force TLS is off or the database is dedicated. Returns
    whether anything changed; a change is recorded.
    """
    return _switch(
        actor,
        database,
        "internet_access",
        on,
        internet_access_refusal,
        "Internet access",
        # Only builds linked to the external details see them appear or go.
        affected=_bump_external_builds,
    )


def set_force_tls(actor: AbstractBaseUser | None, database: Database, on: bool) -> bool:
    """Turn Force TLS on or off.

    Raises :class:`ExposureRefused` when turning it off while the database is reachable from
    the Internet. Returns whether anything changed; a change is recorded.
    """
    return _switch(
        actor,
        database,
        "force_tls",
        on,
        force_tls_refusal,
        "Force TLS",
        # Connection URLs carry the TLS requirement: every app that uses them must restart.
        affected=lambda changed: bump_environments(changed.team, databases=[changed]),
    )


def _switch(
    actor: AbstractBaseUser | None,
    database: Database,
    field: str,
    on: bool,
    refusal_for: Callable[[Database, bool], ExposureRefused | None],
    label: str,
    *,
    affected: Callable[[Database], object],
) -> bool:
    """Turn one of the database's switches on or off, under its lock, refused when it must be;
    ``affected`` marks the applications whose environment the change alters."""
    with transaction.atomic():
        _lock(database)
        refusal = refusal_for(database, on)
        if refusal is not None:
            raise refusal
        if getattr(database, field) == on:
            return False
        setattr(database, field, on)
        database.save(update_fields=[field, "updated_at"])
        affected(database)
        verb = f"turned {'on' if on else 'off'} {label} for"
        activity.record(actor, database.team, verb, database, **{field: on})
        enforcement.enforce_after_commit(database)
    return True


def _sync_internet_access(database: Database, firewall: Firewall) -> bool:
    """Make ``internet_access`` say what the rules say; return whether it changed."""
    reachable = firewall.reachable_from_internet()
    if reachable == database.internet_access:
        return False
    database.internet_access = reachable
    database.save(update_fields=["internet_access", "updated_at"])
    _bump_external_builds(database)
    return True


def _require_dedicated(database: Database) -> None:
    if not is_dedicated(database):
        raise ExposureRefused(
            "Shared databases have no firewall: they are reachable from their region's network, "
            "and from the Internet only when Internet access is on."
        )


def clean_label(label: str) -> str:
    """A rule's label, trimmed; raises :class:`ExposureRefused` when empty or too long."""
    label = " ".join(label.split())
    if not label:
        raise ExposureRefused(
            "Give the rule a label: who or what connects from there, e.g. Office VPN.",
            field="label",
        )
    if len(label) > MAX_LABEL_LENGTH:
        raise ExposureRefused(f"Keep the label under {MAX_LABEL_LENGTH} characters.", field="label")
    return label


def everyone_warning(network: IPNetwork) -> str:
    """The sentence a rule for the whole Internet must be confirmed against."""
    family = "IPv4" if network.version == 4 else "IPv6"
    return (
        f"{network} means everyone: any {family} address on the Internet could try to connect, "
        "kept out only by the password. Confirm that you want to allow everyone."
    )


def cidr_rule_refusal(firewall: Firewall, network: IPNetwork) -> ExposureRefused | None:
    """Why ``network`` cannot join the allowlist: a duplicate, a range other rules already
    admit, or Internet exposure while Force TLS is off. None when it can."""
    same = next((rule for rule in firewall.rules if rule.network == str(network)), None)
    if same is not None:
        return ExposureRefused(
            f"{network} is already in the allowlist as “{same.label}”.", field="network"
        )
    covering = firewall.rules_covering(network)
    if covering:
        return ExposureRefused(
            f"{network} is already allowed by {_describe_rules(covering)}: this rule would "
            "change nothing.",
            field="network",
        )
    if not _inside(network, firewall.platform) and not firewall.database.force_tls:
        return ExposureRefused(
            f"{network} reaches beyond the platform's regions, so this rule would make "
            f"{firewall.database.name} reachable from the Internet, which needs Force TLS on "
            "first.",
            field="network",
            needs_force_tls=True,
        )
    return None


def add_cidr_rule(
    actor: AbstractBaseUser | None,
    database: Database,
    network: str,
    label: str,
    *,
    everyone_confirmed: bool = False,
) -> FirewallRule:
    """Allow a CIDR range (or one address) on a dedicated database.

    The range is validated and normalised (:func:`parse_network`); ``0.0.0.0/0`` and ``::/0``
    need ``everyone_confirmed``. Raises :class:`ExposureRefused`, with the form field it
    concerns, for every refusal; nothing is saved then. A rule reaching beyond the platform's
    regions makes the database reachable from the Internet, and is recorded as doing so.
    """
    _require_dedicated(database)
    label = clean_label(label)
    try:
        parsed = parse_network(network)
    except InvalidNetwork as error:
        raise ExposureRefused(str(error), field="network") from None
    if parsed.prefixlen == 0 and not everyone_confirmed:
        raise ExposureRefused(everyone_warning(parsed), field="confirm_everyone")
    if problem := Engine(database.engine).spec.network_problem(parsed):
        raise ExposureRefused(problem, field="network")
    with transaction.atomic():
        _lock(database)
        firewall = load_firewall(database)
        refusal = cidr_rule_refusal(firewall, parsed)
        if refusal is not None:
            raise refusal
        rule = FirewallRule.objects.create(database=database, network=str(parsed), label=label)
        opened = _sync_internet_access(
            database, Firewall(database, [*firewall.rules, rule], firewall.ranges)
        )
        changes = {"network": rule.network, "label": label}
        if opened:
            changes["internet_access"] = True
        activity.record(actor, database.team, "added firewall rule to", database, **changes)
        enforcement.enforce_after_commit(database)
    return rule


def add_region_rule(
    actor: AbstractBaseUser | None, database: Database, region: Region
) -> FirewallRule:
    """Add the managed rule that lets the applications of ``region`` reach a dedicated database.

    Raises :class:`ExposureRefused` on a shared database or when the rule exists already.
    """
    _require_dedicated(database)
    with transaction.atomic():
        _lock(database)
        if database.firewall_rules.filter(region=region).exists():
            raise ExposureRefused(
                f"{database.name} already has the managed rule for {region.name}.", field="region"
            )
        rule = FirewallRule.objects.create(
            database=database, region=region, label=f"Applications in {region.name}"
        )
        activity.record(actor, database.team, "added managed rule to", database, region=region.slug)
        enforcement.enforce_after_commit(database)
    return rule


def remove_rule(actor: AbstractBaseUser | None, rule: FirewallRule) -> None:
    """Remove a firewall rule; clients it alone admitted are refused from now on.

    Removing the last rule that reaches beyond the platform's regions takes the database off
    the Internet, and the record says so.
    """
    database = rule.database
    with transaction.atomic():
        _lock(database)
        rule.delete()
        closed = _sync_internet_access(database, load_firewall(database))
        if rule.is_managed:
            changes = {"region": rule.region.slug}
            verb = "removed managed rule from"
        else:
            changes = {"network": rule.network, "label": rule.label}
            verb = "removed firewall rule from"
        if closed:
            changes["internet_access"] = False
        activity.record(actor, database.team, verb, database, **changes)
        enforcement.enforce_after_commit(database)


def resync_internet_access(actor: AbstractBaseUser | None = None) -> list[Database]:
    """After operators change the platform's region ranges, recompute every dedicated
    database's Internet exposure (a CIDR rule may now reach beyond the platform, or no longer).

    A database that becomes reachable from the Internet gets Force TLS too, as the constraint
    demands: exposure without TLS is never the safe way to resolve it. Returns the databases
    that changed; each change is recorded.
    """
    ranges = list(RegionRange.objects.select_related("region"))
    databases = Database.objects.filter(resource_model=ResourceModel.DEDICATED).select_related(
        "team", "region"
    )
    rules_by_database: dict[int, list[FirewallRule]] = defaultdict(list)
    for rule in FirewallRule.objects.filter(database__in=databases).select_related("region"):
        rules_by_database[rule.database_id].append(rule)
    changed = []
    for database in databases:
        firewall = Firewall(database, rules_by_database[database.pk], ranges)
        reachable = firewall.reachable_from_internet()
        if reachable == database.internet_access:
            continue
        with transaction.atomic():
            changes: dict[str, bool | str] = {"internet_access": reachable}
            fields = ["internet_access", "updated_at"]
            database.internet_access = reachable
            if reachable and not database.force_tls:
                database.force_tls = True
                fields.append("force_tls")
                changes["force_tls"] = True
            database.save(update_fields=fields)
            _bump_external_builds(database)
            activity.record(
                actor,
                database.team,
                "updated Internet exposure of",
                database,
                cause="the platform's region ranges changed",
                **changes,
            )
            enforcement.enforce_after_commit(database)
        changed.append(database)
    return changed


# Compilers for enforcement --------------------------------------------------------------------


def pg_hba_lines(firewall: Firewall) -> list[str]:
    """The database's pg_hba.conf entries, in order (the first matching line wins)."""
    database = firewall.database
    who = f"{database.database_name} {database.username}"
    lines = [f"hostnossl {who} all reject"] if database.force_tls else []
    connection_type = "hostssl" if database.force_tls else "host"
    lines += [
        f"{connection_type} {who} {network} scram-sha-256"
        for network in firewall.allowed_networks()
    ]
    lines.append(f"host {who} all reject")
    return lines


@dataclass(frozen=True)
class MariaDBAccess:
    """The accounts a MariaDB (or MySQL) user needs: one per host pattern, each with
    ``REQUIRE SSL`` when Force TLS is on. Account hosts take an IPv4 netmask or an exact IPv6
    address, not an IPv6 range; ``unsupported`` lists those, for a host firewall to enforce."""

    hosts: list[str]
    require_ssl: bool
    unsupported: list[IPNetwork]


def mariadb_access(firewall: Firewall) -> MariaDBAccess:
    """The MariaDB account hosts that enforce the database's allowed networks."""
    hosts: list[str] = []
    unsupported: list[IPNetwork] = []
    for network in firewall.allowed_networks():
        if network.version == 4:
            address = network.network_address
            hosts.append(
                str(address) if network.prefixlen == 32 else f"{address}/{network.netmask}"
            )
        elif network.prefixlen == 128:
            hosts.append(str(network.network_address))
        else:
            unsupported.append(network)
    return MariaDBAccess(hosts, firewall.database.force_tls, unsupported)
