"""Changing who may reach a database: Force TLS, Internet access, firewall rules, and the
Internet exposure that operators' region ranges imply.

Every change has one shape, :func:`_change`: lock the database, refuse or change, bring
``internet_access`` in line with the rules, record, and apply the result on the database's
server once the transaction commits (:mod:`connections.enforcement`). Refusals are raised as
:class:`ExposureRefused`, naming the form field they concern; nothing is saved then.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from connections import activity, enforcement
from connections.engines import Engine
from connections.environment import bump_environments
from connections.locking import lock
from connections.models import (
    ActivityKind,
    Application,
    Database,
    FirewallRule,
    Region,
    RegionRange,
    ResourceModel,
)
from connections.network.addresses import (
    InvalidNetwork,
    IPNetwork,
    everyone_warning,
    inside,
    parse_network,
)
from connections.network.policy import (
    ExposureRefused,
    Firewall,
    describe_rules,
    load_firewall,
    policy_for,
)

MAX_LABEL_LENGTH = 100


@dataclass
class _Done:
    """What a change did: its kind and the details to record."""

    kind: ActivityKind
    changes: dict[str, object]


def _change(
    actor: User | None,
    database: Database,
    apply: Callable[[Firewall], _Done | None],
) -> _Done | None:
    """Lock, refuse, change, sync, record: the one shape of every change in this module.

    Under the database's lock (so that two people changing it at once cannot together reach a
    state each of them would have been refused), ``apply`` sees the firewall as stored now. It
    raises :class:`ExposureRefused` to refuse, returns None when there is nothing to change, or
    makes the change and says what to record. ``internet_access`` is then recomputed from the
    settings and the rules, the change is recorded (Internet exposure included when it moved),
    and the server is told once the transaction commits.
    """
    with transaction.atomic():
        lock(database, "resource_model", "force_tls", "internet_access")
        firewall = load_firewall(database)
        done = apply(firewall)
        if done is None:
            return None
        after = Firewall(database, firewall.policy.rules_of(database), firewall.ranges)
        if _sync_internet_access(database, after):
            done.changes["internet_access"] = database.internet_access
        activity.record(actor, database.team, done.kind, database, **done.changes)
        enforcement.enforce_after_commit(database)
    return done


def _sync_internet_access(database: Database, firewall: Firewall) -> bool:
    """Make ``internet_access`` say what the rules say; return whether it changed."""
    reachable = firewall.reachable_from_internet()
    if reachable == database.internet_access:
        return False
    database.internet_access = reachable
    database.save(update_fields=["internet_access", "updated_at"])
    _bump_external_builds(database)
    return True


def _bump_external_builds(database: Database) -> None:
    """Builds that use the external details see them appear or go: mark those apps changed."""
    applications = list(
        Application.objects.filter(
            variables__connection__database=database, variables__external=True
        ).distinct()
    )
    if applications:
        bump_environments(database.team, applications=applications)


def _bump_tls_users(database: Database) -> None:
    """Connection URLs carry the TLS requirement: every app that uses them must restart."""
    bump_environments(database.team, databases=[database])


# Force TLS and Internet access ---------------------------------------------------------------

SWITCH_KINDS = {
    ("force_tls", True): ActivityKind.TURNED_ON_FORCE_TLS,
    ("force_tls", False): ActivityKind.TURNED_OFF_FORCE_TLS,
    ("internet_access", True): ActivityKind.TURNED_ON_INTERNET_ACCESS,
    ("internet_access", False): ActivityKind.TURNED_OFF_INTERNET_ACCESS,
}


def set_force_tls(actor: User | None, database: Database, on: bool) -> bool:
    """Turn Force TLS on or off.

    Raises :class:`ExposureRefused` when turning it off while the database is reachable from
    the Internet. Returns whether anything changed; a change is recorded.
    """
    return _switch(actor, database, "force_tls", on, Firewall.check_force_tls, _bump_tls_users)


def set_internet_access(actor: User | None, database: Database, on: bool) -> bool:
    """Switch a shared database's Internet access (its external connections) on or off.

    Raises :class:`ExposureRefused` when turning it on while Force TLS is off, or when it would
    change on a dedicated database (there it follows the firewall rules). Returns whether
    anything changed; a change is recorded.
    """
    # Only builds linked to the external details see them appear or go.
    return _switch(
        actor,
        database,
        "internet_access",
        on,
        Firewall.check_internet_access,
        _bump_external_builds,
    )


def _switch(
    actor: User | None,
    database: Database,
    name: str,
    on: bool,
    check: Callable[[Firewall, bool], None],
    affected: Callable[[Database], None],
) -> bool:
    """Turn the database's switch ``name`` on or off, refused by ``check`` when it must be;
    ``affected`` marks the applications whose environment the change alters."""

    def apply(firewall: Firewall) -> _Done | None:
        check(firewall, on)
        if getattr(database, name) == on:
            return None
        setattr(database, name, on)
        database.save(update_fields=[name, "updated_at"])
        affected(database)
        return _Done(SWITCH_KINDS[name, on], {name: on})

    return _change(actor, database, apply) is not None


# Firewall rules --------------------------------------------------------------------------------


def clean_rule_label(label: str) -> str:
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


def _check_cidr_rule(firewall: Firewall, network: IPNetwork) -> None:
    """Refuse ``network`` on the allowlist when it is a duplicate, a range other rules already
    admit, or Internet exposure while Force TLS is off."""
    same = next((rule for rule in firewall.rules if rule.network == str(network)), None)
    if same is not None:
        raise ExposureRefused(
            f"{network} is already in the allowlist as “{same.label}”.", field="network"
        )
    covering = firewall.rules_covering(network)
    if covering:
        raise ExposureRefused(
            f"{network} is already allowed by {describe_rules(covering)}: this rule would "
            "change nothing.",
            field="network",
        )
    if not inside(network, firewall.platform) and not firewall.database.force_tls:
        raise ExposureRefused(
            f"{network} reaches beyond the platform's regions, so this rule would make "
            f"{firewall.database.name} reachable from the Internet, which needs Force TLS on "
            "first.",
            field="network",
            needs_force_tls=True,
        )


def add_cidr_rule(
    actor: User | None,
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
    policy_for(database).check_rules()
    label = clean_rule_label(label)
    try:
        parsed = parse_network(network)
    except InvalidNetwork as error:
        raise ExposureRefused(str(error), field="network") from None
    if parsed.prefixlen == 0 and not everyone_confirmed:
        raise ExposureRefused(everyone_warning(parsed), field="confirm_everyone")
    if problem := Engine(database.engine).spec.network_problem(parsed):
        raise ExposureRefused(problem, field="network")

    rule = FirewallRule(database=database, network=str(parsed), label=label)

    def apply(firewall: Firewall) -> _Done:
        _check_cidr_rule(firewall, parsed)
        rule.save()
        return _Done(ActivityKind.ADDED_FIREWALL_RULE, {"network": rule.network, "label": label})

    _change(actor, database, apply)
    return rule


def add_region_rule(actor: User | None, database: Database, region: Region) -> FirewallRule:
    """Add the managed rule that lets the applications of ``region`` reach a dedicated database.

    Raises :class:`ExposureRefused` on a shared database or when the rule exists already.
    """
    policy_for(database).check_rules()

    rule = FirewallRule(database=database, region=region, label=f"Applications in {region.name}")

    def apply(firewall: Firewall) -> _Done:
        if any(other.region_id == region.pk for other in firewall.rules):
            raise ExposureRefused(
                f"{database.name} already has the managed rule for {region.name}.", field="region"
            )
        rule.save()
        return _Done(ActivityKind.ADDED_MANAGED_RULE, {"region": region.slug})

    _change(actor, database, apply)
    return rule


def remove_rule(actor: User | None, rule: FirewallRule) -> None:
    """Remove a firewall rule; clients it alone admitted are refused from now on.

    Removing the last rule that reaches beyond the platform's regions takes the database off
    the Internet, and the record says so.
    """

    def apply(firewall: Firewall) -> _Done:
        rule.delete()
        if rule.region is not None:
            return _Done(ActivityKind.REMOVED_MANAGED_RULE, {"region": rule.region.slug})
        return _Done(
            ActivityKind.REMOVED_FIREWALL_RULE, {"network": rule.network, "label": rule.label}
        )

    _change(actor, rule.database, apply)


# Region ranges --------------------------------------------------------------------------------

RANGES_CHANGED = "the platform's region ranges changed"


def resync_internet_access(actor: User | None = None) -> list[Database]:
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
    # Read all at once to find the few that moved; each of those is then changed under its lock.
    moved = [
        database
        for database in databases
        if Firewall(database, rules_by_database[database.pk], ranges).reachable_from_internet()
        != database.internet_access
    ]
    return [database for database in moved if _change(actor, database, _resync) is not None]


def _resync(firewall: Firewall) -> _Done | None:
    database = firewall.database
    reachable = firewall.reachable_from_internet()
    if reachable == database.internet_access:
        return None
    changes: dict[str, object] = {"cause": RANGES_CHANGED}
    if reachable and not database.force_tls:
        database.force_tls = True
        database.save(update_fields=["force_tls", "updated_at"])
        _bump_tls_users(database)
        changes["force_tls"] = True
    return _Done(ActivityKind.UPDATED_INTERNET_EXPOSURE, changes)
