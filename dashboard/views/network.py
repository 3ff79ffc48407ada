"""The database's Network tab: who may reach it and why, Force TLS, Internet access and the
firewall rules. Views parse, authorise, call :mod:`connections.network` and render; every
change is a POST answered, for htmx, with ``networkChanged`` so the tab refreshes itself."""

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_htmx.http import trigger_client_event

from connections import enforcement, network
from connections.errors import Refused
from connections.models import (
    Application,
    Database,
    Engine,
    FirewallRule,
    Region,
    Role,
    Variable,
)
from connections.network import IPNetwork
from dashboard.access import get_database_for_user
from dashboard.forms.network import ManagedRuleForm, ReachabilityForm, RuleForm
from dashboard.htmx import close_modal, modal, render_modal, render_page
from dashboard.http import TeamRequest

CHANGED = "networkChanged"
INTERNET_MODAL = "network/internet_modal.html"  # also where Force TLS leads on the way


def network_page(database: Database) -> str:
    return reverse("database_network", args=[database.team.slug, database.slug])


def network_size(network: IPNetwork) -> str:
    """How much a range admits, in words: one address, 256 addresses, an IPv6 /48."""
    if network.prefixlen == 0:
        return f"Every IPv{network.version} address: everyone"
    if network.num_addresses == 1:
        return f"One IPv{network.version} address"
    if network.version == 4:
        return f"{network.num_addresses:,} IPv4 addresses"
    return f"An IPv6 /{network.prefixlen} range"


def _wanted_state(request: TeamRequest, current: bool) -> bool:
    """The state a toggle asks for: explicit in a POST, so a double submit changes nothing;
    in a GET, the opposite of the current state unless ``?state=`` says otherwise."""
    state = request.POST.get("state") if request.method == "POST" else request.GET.get("state")
    if state in ("on", "off"):
        return state == "on"
    if request.method == "POST":
        raise BadRequest("state must be on or off.")
    return not current


def _refusal(check: Callable[[], None]) -> Refused | None:
    """What ``check`` refuses, to show before anyone confirms; None when it passes."""
    try:
        check()
    except Refused as refusal:
        return refusal
    return None


def _connected_applications(database: Database) -> list[Application]:
    return [c.application for c in database.connections.select_related("application")]


# The tab ---------------------------------------------------------------------------------------


@login_required
def database_network(request: TeamRequest, team: str, db: str) -> HttpResponse:
    database = get_database_for_user(request, team, db)
    firewall = network.load_firewall(database)
    applications = list(database.team.applications.select_related("region"))
    form = ReachabilityForm(
        request.GET if "source" in request.GET else None, applications=applications
    )
    verdict = form.verdict(firewall) if form.is_bound and form.is_valid() else None
    context = {
        "database": database,
        "tab": "network",
        "dedicated": network.is_dedicated(database),
        "defaults": network.defaults_for(database),
        "region_verdict": firewall.for_region(database.region),
        "internet_rules": firewall.internet_rules(),
        "rows": [
            {
                "rule": rule,
                "networks": firewall.networks_of(rule),
                "internet": firewall.admits_outside(rule),
                "covered_by": firewall.covered_by(rule),
                "size": "" if rule.ip_network is None else network_size(rule.ip_network),
            }
            for rule in firewall.rules
        ],
        "home_ranges": firewall.ranges_by_region.get(database.region_id, []),
        "connections": network.connection_verdicts(database, firewall),
        "form": form,
        "verdict": verdict,
        "nftables": enforcement.nftables_rules(database) if database.engine == Engine.REDIS else "",
    }
    return render_page(request, "databases/network.html", ("exposure", "reachability"), context)


# Force TLS and Internet access ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def force_tls(request: TeamRequest, team: str, db: str) -> HttpResponse:
    """Turn Force TLS on or off, after a modal that says which clients it changes things for."""
    database = get_database_for_user(request, team, db, change=Role.ADMIN)
    on = _wanted_state(request, database.force_tls)
    then_internet = request.POST.get("then", request.GET.get("then")) == "internet"
    page = network_page(database)

    def submit() -> HttpResponse:
        network.set_force_tls(request.user, database, on)
        if not (then_internet and on):
            return close_modal(request, page, CHANGED)
        # Turned on on the way to Internet access: carry on to that modal.
        internet = reverse("network_internet", args=[team, db])
        if not request.htmx:
            return redirect(f"{internet}?state=on")
        context = _internet_context(database, True)
        response = render_modal(request, INTERNET_MODAL, context, back=page, post_url=internet)
        return trigger_client_event(response, CHANGED)

    def shown() -> dict[str, Any]:
        return {
            "database": database,
            "dedicated": network.is_dedicated(database),
            "on": on,
            "unchanged": on == database.force_tls,
            "refusal": _refusal(partial(network.check_force_tls, database, on)),
            "then_internet": then_internet,
            "applications": _connected_applications(database),
            "tls_hint": Engine(database.engine).spec.tls_hint,
        }

    return modal(request, "network/force_tls_modal.html", shown, back=page, submit=submit)


@login_required
@require_http_methods(["GET", "POST"])
def internet_access(request: TeamRequest, team: str, db: str) -> HttpResponse:
    """Switch a shared database's Internet access (its external connections) on or off."""
    database = get_database_for_user(request, team, db, change=Role.ADMIN)
    on = _wanted_state(request, database.internet_access)
    page = network_page(database)

    def submit() -> HttpResponse:
        network.set_internet_access(request.user, database, on)
        return close_modal(request, page, CHANGED)

    shown = partial(_internet_context, database, on)
    return modal(request, INTERNET_MODAL, shown, back=page, submit=submit)


def _internet_context(database: Database, on: bool) -> dict[str, Any]:
    external_builds = sorted(
        {
            variable.application.name
            for variable in Variable.objects.filter(
                connection__database=database, external=True
            ).select_related("application")
        }
    )
    return {
        "database": database,
        "dedicated": network.is_dedicated(database),
        "on": on,
        "unchanged": on == database.internet_access,
        "refusal": _refusal(partial(network.check_internet_access, database, on)),
        "endpoint": database.public_endpoint,
        "external_builds": external_builds,
    }


# Firewall rules ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rule_add(request: TeamRequest, team: str, db: str) -> HttpResponse:
    """Add a CIDR rule; every refusal is shown next to the field it concerns."""
    database = get_database_for_user(request, team, db, change=Role.ADMIN)
    page = network_page(database)
    form = RuleForm(request.POST or None)

    def submit() -> HttpResponse:
        data = form.cleaned_data
        network.add_cidr_rule(
            request.user,
            database,
            data["network"],
            data["label"],
            everyone_confirmed=data["confirm_everyone"],
        )
        return close_modal(request, page, CHANGED)

    context = {"database": database, "dedicated": network.is_dedicated(database)}
    return modal(request, "network/rule_modal.html", context, back=page, form=form, submit=submit)


@login_required
@require_http_methods(["GET", "POST"])
def managed_rule_add(request: TeamRequest, team: str, db: str) -> HttpResponse:
    """Add the managed rule of a platform region; the database's own region is offered first."""
    database = get_database_for_user(request, team, db, change=Role.ADMIN)
    page = network_page(database)
    firewall = network.load_firewall(database)
    taken = {rule.region_id for rule in firewall.rules if rule.is_managed}
    regions = sorted(
        (region for region in Region.objects.all() if region.pk not in taken),
        key=lambda region: region.pk != database.region_id,
    )
    wanted = request.GET.get("region", database.region.slug)
    form = ManagedRuleForm(request.POST or None, regions=regions, initial={"region": wanted})

    def submit() -> HttpResponse:
        network.add_region_rule(request.user, database, form.cleaned_data["region"])
        return close_modal(request, page, CHANGED)

    context = {
        "database": database,
        "dedicated": network.is_dedicated(database),
        "choices": [
            {
                "region": region,
                "ranges": firewall.ranges_by_region.get(region.pk, []),
                "checked": region.slug == str(form["region"].value()),
            }
            for region in regions
        ],
    }
    template = "network/managed_rule_modal.html"
    return modal(request, template, context, back=page, form=form, submit=submit)


@login_required
@require_http_methods(["GET", "POST"])
def rule_remove(request: TeamRequest, team: str, db: str, rule: str) -> HttpResponse:
    """Remove a rule, after a modal that says who loses access."""
    database = get_database_for_user(request, team, db, change=Role.ADMIN)
    page = network_page(database)
    target = get_object_or_404(
        FirewallRule.objects.select_related("region"), database=database, public_id=rule
    )
    target.database = database

    def submit() -> HttpResponse:
        network.remove_rule(request.user, target)
        return close_modal(request, page, CHANGED)

    def shown() -> dict[str, Any]:
        firewall = network.load_firewall(database)
        after = firewall.without(target)
        return {
            "database": database,
            "rule": target,
            "networks": firewall.networks_of(target),
            "losing": [
                connection.application
                for connection, verdict in network.connection_verdicts(database, firewall)
                if verdict.allowed and not after.for_application(connection.application).allowed
            ],
            "closes_internet": database.internet_access and not after.reachable_from_internet(),
        }

    return modal(request, "network/rule_remove_modal.html", shown, back=page, submit=submit)
