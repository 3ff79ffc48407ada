"""Network exposure, the domain: defaults per resource model, reachability as a table and as a
property, CIDR validation, the toggles and their refusals, rules, records and compilers."""

import ipaddress

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from connections.engines import Access, CannotEnforce
from connections.engines.mysql import account_hosts
from connections.engines.postgresql import hba_lines
from connections.models import (
    Activity,
    Connection,
    Database,
    FirewallRule,
    Region,
    RegionRange,
    Variable,
)
from connections.network import (
    IPV4_MAPPED,
    Decider,
    ExposureRefused,
    Firewall,
    InvalidNetwork,
    IPAddress,
    IPNetwork,
    add_cidr_rule,
    add_region_rule,
    connection_verdicts,
    defaults_for,
    load_firewall,
    parse_address,
    parse_network,
    reachability_for_address,
    reachability_for_application,
    reachable_from_internet,
    remove_rule,
    resync_internet_access,
    set_force_tls,
    set_internet_access,
)

# fra1 (the database's region) and nyc1 have one IPv4 and one IPv6 range each.
FRA1 = ("10.20.0.0/16", "fd00:20::/32")
NYC1 = ("10.30.0.0/16", "fd00:30::/32")
CIDR_RULES = ("203.0.113.0/24", "2001:db8::/32")


@pytest.fixture
def ranges(region, other_region):
    for network in FRA1:
        RegionRange.objects.create(region=region, network=network)
    for network in NYC1:
        RegionRange.objects.create(region=other_region, network=network)


@pytest.fixture
def shared(make_database):
    return make_database(name="Shop DB", slug="shop-db")


@pytest.fixture
def dedicated(make_database, ranges):
    return make_database(name="Ledger", slug="ledger", resource_model="dedicated")


def _reload(database: Database) -> Database:
    return Database.objects.select_related("region", "team").get(pk=database.pk)


# Defaults ------------------------------------------------------------------------------------


def test_a_new_shared_database_is_reachable_from_its_region_only_without_tls(shared, region):
    firewall = load_firewall(shared)
    assert firewall.for_region(region).allowed
    assert not reachable_from_internet(shared)
    assert not shared.force_tls


def test_a_new_dedicated_database_is_reachable_by_nothing_and_forces_tls(dedicated, region):
    firewall = load_firewall(dedicated)
    assert not firewall.for_region(region).allowed
    assert not reachable_from_internet(dedicated)
    assert dedicated.force_tls
    assert defaults_for(dedicated).allowlist


# Reachability as a table ---------------------------------------------------------------------

SOURCES = ("same", "other", "v4-in", "v4-out", "v6-in", "v6-out", "region-ip", "v4-in-no-tls")
ADDRESSES = {
    "v4-in": ("203.0.113.7", True),
    "v4-out": ("198.51.100.7", True),
    "v6-in": ("2001:db8::7", True),
    "v6-out": ("3fff::7", True),
    "region-ip": ("10.20.5.5", True),
    "v4-in-no-tls": ("203.0.113.7", False),
}

# same/other: an application in the database's region / in another region. v4/v6 in/out: an
# outside address inside / outside the CIDR rules. region-ip: an address of the database's
# region. v4-in-no-tls: the allowed IPv4 address, connecting without TLS.
# Rules on a shared database are planted directly: they must change nothing. On a dedicated
# one, the Internet access column has no power of its own: the rules decide (exposure keeps the
# field equal to what they say, tested further down). "refused" rows are states the database
# constraint forbids: Internet access without Force TLS.
TABLE = """
model     tls internet region cidr | same other v4-in v4-out v6-in v6-out region-ip v4-in-no-tls
shared    off off      no     no   | Y    N     N     N      N     N      Y         N
shared    off off      no     yes  | Y    N     N     N      N     N      Y         N
shared    off off      yes    no   | Y    N     N     N      N     N      Y         N
shared    off off      yes    yes  | Y    N     N     N      N     N      Y         N
shared    off on       no     no   | refused
shared    off on       no     yes  | refused
shared    off on       yes    no   | refused
shared    off on       yes    yes  | refused
shared    on  off      no     no   | Y    N     N     N      N     N      Y         N
shared    on  off      no     yes  | Y    N     N     N      N     N      Y         N
shared    on  off      yes    no   | Y    N     N     N      N     N      Y         N
shared    on  off      yes    yes  | Y    N     N     N      N     N      Y         N
shared    on  on       no     no   | Y    Y     Y     Y      Y     Y      Y         N
shared    on  on       no     yes  | Y    Y     Y     Y      Y     Y      Y         N
shared    on  on       yes    no   | Y    Y     Y     Y      Y     Y      Y         N
shared    on  on       yes    yes  | Y    Y     Y     Y      Y     Y      Y         N
dedicated off off      no     no   | N    N     N     N      N     N      N         N
dedicated off off      no     yes  | N    N     Y     N      Y     N      N         Y
dedicated off off      yes    no   | Y    N     N     N      N     N      Y         N
dedicated off off      yes    yes  | Y    N     Y     N      Y     N      Y         Y
dedicated off on       no     no   | refused
dedicated off on       no     yes  | refused
dedicated off on       yes    no   | refused
dedicated off on       yes    yes  | refused
dedicated on  off      no     no   | N    N     N     N      N     N      N         N
dedicated on  off      no     yes  | N    N     Y     N      Y     N      N         N
dedicated on  off      yes    no   | Y    N     N     N      N     N      Y         N
dedicated on  off      yes    yes  | Y    N     Y     N      Y     N      Y         N
dedicated on  on       no     no   | N    N     N     N      N     N      N         N
dedicated on  on       no     yes  | N    N     Y     N      Y     N      N         N
dedicated on  on       yes    no   | Y    N     N     N      N     N      Y         N
dedicated on  on       yes    yes  | Y    N     Y     N      Y     N      Y         N
"""


def _rows() -> list:
    lines = TABLE.strip().splitlines()
    assert lines[0].split("|")[1].split() == list(SOURCES)
    rows = []
    for line in lines[1:]:
        setting, expected = (part.split() for part in line.split("|"))
        model, tls, internet, region_rule, cidr_rule = setting
        rows.append(
            pytest.param(
                model,
                tls == "on",
                internet == "on",
                region_rule == "yes",
                cidr_rule == "yes",
                None if expected == ["refused"] else [mark == "Y" for mark in expected],
                id="-".join(setting),
            )
        )
    return rows


def test_the_table_covers_every_combination():
    assert len({row.id for row in _rows()}) == 2**5


@pytest.mark.parametrize(
    ("model", "tls", "internet", "region_rule", "cidr_rule", "expected"), _rows()
)
def test_reachability_table(
    make_database,
    make_application,
    ranges,
    region,
    other_region,
    model,
    tls,
    internet,
    region_rule,
    cidr_rule,
    expected,
):
    database = make_database(resource_model=model)
    if expected is None:
        with pytest.raises(IntegrityError), transaction.atomic():
            Database.objects.filter(pk=database.pk).update(force_tls=tls, internet_access=internet)
        return
    Database.objects.filter(pk=database.pk).update(force_tls=tls, internet_access=internet)
    if region_rule:
        FirewallRule.objects.create(database=database, region=region, label="Frankfurt")
    if cidr_rule:
        for network in CIDR_RULES:
            FirewallRule.objects.create(database=database, network=network, label="Office")
    database = _reload(database)
    firewall = load_firewall(database)
    verdicts = {
        "same": firewall.for_application(make_application(region=region)),
        "other": firewall.for_application(make_application(region=other_region)),
    }
    for source, (address, with_tls) in ADDRESSES.items():
        verdicts[source] = firewall.for_address(ipaddress.ip_address(address), tls=with_tls)
    assert {source: verdicts[source].allowed for source in SOURCES} == dict(
        zip(SOURCES, expected, strict=True)
    )


def test_the_table_functions_agree_with_the_firewall(dedicated, make_application, region):
    add_region_rule(None, dedicated, region)
    app = make_application(region=region)
    assert reachability_for_application(app, dedicated).rule.region == region
    verdict = reachability_for_address(dedicated, "10.20.1.1", tls=True)
    assert verdict.decided_by is Decider.FIREWALL_RULE
    assert verdict.tls_required


# Reasons: the rule or default that decided -----------------------------------------------------


def test_a_dedicated_database_names_the_missing_managed_rule(dedicated, make_application, region):
    verdict = reachability_for_application(make_application(region=region), dedicated)
    assert verdict.decided_by is Decider.ALLOWLIST
    assert verdict.suggested_region == region
    assert "Add the managed rule for Frankfurt" in verdict.reason


def test_the_most_specific_rule_is_the_one_named(dedicated):
    add_cidr_rule(None, dedicated, "203.0.0.0/8", "Wide")
    # The narrow rule is covered, so the dashboard would refuse it: plant it.
    FirewallRule.objects.create(database=dedicated, network="203.0.113.0/24", label="Narrow")
    verdict = reachability_for_address(dedicated, "203.0.113.9", tls=True)
    assert verdict.rule.label == "Narrow"
    assert "“Narrow” (203.0.113.0/24)" in verdict.reason


def test_force_tls_decides_a_connection_without_tls(dedicated):
    add_cidr_rule(None, dedicated, "203.0.113.0/24", "Office")
    verdict = reachability_for_address(dedicated, "203.0.113.9", tls=False)
    assert verdict.decided_by is Decider.FORCE_TLS
    assert "Force TLS is on" in verdict.reason


def test_a_shared_database_says_internet_access_decided(shared):
    verdict = reachability_for_address(shared, "198.51.100.7", tls=True)
    assert verdict.decided_by is Decider.INTERNET_ACCESS
    assert "Internet access is off" in verdict.reason


def test_an_application_elsewhere_is_allowed_when_ranges_cover_its_region(
    dedicated, make_application, other_region
):
    add_cidr_rule(None, dedicated, "10.30.0.0/17", "Half of nyc1")
    add_cidr_rule(None, dedicated, "10.30.128.0/17", "Other half")
    add_cidr_rule(None, dedicated, "fd00:30::/32", "nyc1 v6")
    app = make_application(region=other_region)
    verdict = reachability_for_application(app, dedicated)
    assert verdict.allowed
    assert {rule.label for rule in verdict.rules} == {"Half of nyc1", "Other half", "nyc1 v6"}


def test_a_mapped_ipv6_address_is_checked_as_its_ipv4(dedicated):
    add_cidr_rule(None, dedicated, "203.0.113.0/24", "Office")
    assert reachability_for_address(dedicated, "::ffff:203.0.113.9", tls=True).allowed


# Reachability as a property --------------------------------------------------------------------

REGIONS = [Region(pk=number, slug=f"r{number}", name=f"Region {number}") for number in (1, 2, 3)]


@st.composite
def networks(draw) -> IPNetwork:
    if draw(st.booleans()):
        address = draw(st.integers(0, 2**32 - 1))
        return ipaddress.IPv4Network((address, draw(st.integers(0, 32))), strict=False)
    address = draw(st.integers(0, 2**128 - 1))
    return ipaddress.IPv6Network((address, draw(st.integers(0, 128))), strict=False)


@st.composite
def dedicated_firewalls(draw) -> tuple[Firewall, dict[int, list], list]:
    region_ranges = {
        region.pk: draw(st.lists(networks(), max_size=2, unique=True)) for region in REGIONS
    }
    ranges = [
        RegionRange(region=region, network=str(network))
        for region in REGIONS
        for network in region_ranges[region.pk]
    ]
    cidrs = draw(st.lists(networks(), max_size=6, unique=True))
    managed = draw(st.lists(st.sampled_from(REGIONS), max_size=3, unique=True))
    rules = [FirewallRule(network=str(n), label=f"rule {i}") for i, n in enumerate(cidrs)]
    rules += [FirewallRule(region=region, label=region.name) for region in managed]
    database = Database(
        name="Random", resource_model="dedicated", region=REGIONS[0], force_tls=draw(st.booleans())
    )
    return Firewall(database, rules, ranges), region_ranges, rules


@st.composite
def addresses_near(draw, rules: list, region_ranges: dict) -> IPAddress:
    """Any address, or one at or next to the edge of a network the rules know."""
    known = [ipaddress.ip_network(r.network) for r in rules if not r.region_id]
    known += [n for group in region_ranges.values() for n in group]
    if known and draw(st.booleans()):
        network = draw(st.sampled_from(known))
        edge = draw(st.sampled_from([network.network_address, network.broadcast_address]))
        limit = 2**32 - 1 if network.version == 4 else 2**128 - 1
        return type(edge)(min(max(int(edge) + draw(st.integers(-1, 1)), 0), limit))
    return ipaddress.ip_address(draw(networks()).network_address)


@given(data=st.data())
@settings(max_examples=400, deadline=None)
def test_a_dedicated_database_never_allows_an_address_no_rule_matches(data):
    firewall, region_ranges, rules = data.draw(dedicated_firewalls())
    address = data.draw(addresses_near(rules, region_ranges))
    tls = data.draw(st.booleans())

    def matches(rule: FirewallRule) -> bool:
        if rule.region_id:
            return any(address in network for network in region_ranges[rule.region_id])
        return address in ipaddress.ip_network(rule.network)

    verdict = firewall.for_address(address, tls=tls)
    matched = any(matches(rule) for rule in rules)
    assert verdict.allowed == (matched and (tls or not firewall.database.force_tls))
    if verdict.allowed:
        assert matches(verdict.rule)


def test_an_ipv6_rule_admits_an_ipv4_mapped_address_given_as_ipv6():
    rules = [FirewallRule(network="::/0", label="Everyone v6")]
    database = Database(name="Mapped", resource_model="dedicated", region=REGIONS[0])
    address = ipaddress.ip_address("::ffff:255.255.255.255")
    assert Firewall(database, rules, []).for_address(address, tls=True).allowed


SMALL = ipaddress.IPv4Network("10.0.0.0/24")
small_networks = st.builds(
    lambda address, prefix: ipaddress.IPv4Network((int(SMALL[address]), prefix), strict=False),
    st.integers(0, 255),
    st.integers(24, 32),
)


@given(st.lists(small_networks, max_size=6, unique=True), small_networks)
@settings(max_examples=300)
def test_rules_cover_a_range_exactly_when_they_admit_each_of_its_addresses(cidrs, network):
    rules = [FirewallRule(network=str(n), label=f"rule {i}") for i, n in enumerate(cidrs)]
    database = Database(name="Small", resource_model="dedicated", region=REGIONS[0])
    covering = Firewall(database, rules, []).rules_covering(network)
    admitted = all(any(address in n for n in cidrs) for address in network)
    assert bool(covering) == admitted
    if covering:
        nets = [ipaddress.ip_network(rule.network) for rule in covering]
        assert all(any(address in n for n in nets) for address in network)


# CIDR validation -------------------------------------------------------------------------------


def test_host_bits_are_refused_naming_the_network_it_probably_meant():
    with pytest.raises(InvalidNetwork, match=r"Did you mean the range 10\.0\.0\.0/8\?"):
        parse_network("10.1.2.3/8")


def test_host_bits_in_ipv6_name_the_network_too():
    with pytest.raises(InvalidNetwork, match=r"2001:db8::/32"):
        parse_network("2001:db8::1/32")


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("198.51.100.7", "198.51.100.7/32"),
        (" 2001:DB8::7 ", "2001:db8::7/128"),
        ("2001:0db8:0000::/48", "2001:db8::/48"),
        ("10.0.0.0/255.0.0.0", "10.0.0.0/8"),
        ("0.0.0.0/0", "0.0.0.0/0"),
    ],
)
def test_ranges_and_addresses_are_normalised(text, normalised):
    assert str(parse_network(text)) == normalised


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "banana",
        "10.0.0.0/33",
        "10.0.0",
        "010.0.0.1",
        "fe80::1%eth0",
        "1" * 200,
        "::/129",
    ],
)
def test_garbage_is_refused_with_a_sentence(text):
    with pytest.raises(InvalidNetwork):
        parse_network(text)


def test_an_ipv4_range_written_as_ipv6_is_refused_naming_the_ipv4():
    with pytest.raises(InvalidNetwork, match=r"enter 10\.0\.0\.0/8"):
        parse_network("::ffff:10.0.0.0/104")


def _parse_or_sentence(text: str) -> IPNetwork | str:
    try:
        return parse_network(text)
    except InvalidNetwork as error:
        return str(error)


@given(st.text(max_size=60))
@settings(max_examples=300)
def test_any_text_is_a_network_or_a_sentence(text):
    outcome = _parse_or_sentence(text)
    if isinstance(outcome, str):
        assert outcome
    else:
        assert parse_network(str(outcome)) == outcome


@given(networks(), st.integers(0, 2**128 - 1))
def test_any_host_bits_name_the_enclosing_network(network, offset):
    assume(network.version == 4 or not network.subnet_of(IPV4_MAPPED))
    inside = network.network_address + offset % network.num_addresses
    text = f"{inside}/{network.prefixlen}"
    if inside == network.network_address:
        assert parse_network(text) == network
    else:
        with pytest.raises(InvalidNetwork, match=f"range {network}\\?"):
            parse_network(text)


@pytest.mark.parametrize("text", ["10.0.0.0/8", "", "not an address", "fe80::1%eth0"])
def test_an_address_check_takes_one_address(text):
    with pytest.raises(InvalidNetwork):
        parse_address(text)


# Force TLS and Internet access -----------------------------------------------------------------


def test_internet_access_is_refused_while_force_tls_is_off(shared, developer):
    with pytest.raises(ExposureRefused, match="needs Force TLS on first") as refusal:
        set_internet_access(developer, shared, True)
    assert refusal.value.needs_force_tls
    assert not _reload(shared).internet_access
    assert not Activity.objects.exists()


def test_force_tls_then_internet_access_is_allowed_and_recorded(shared, developer):
    assert set_force_tls(developer, shared, True)
    assert set_internet_access(developer, shared, True)
    shared = _reload(shared)
    assert shared.force_tls
    assert shared.internet_access
    assert reachable_from_internet(shared)
    records = [(a.verb, a.changes) for a in Activity.objects.order_by("id")]
    assert records == [
        ("turned on Force TLS for", {"force_tls": True}),
        ("turned on Internet access for", {"internet_access": True}),
    ]


def test_force_tls_cannot_be_turned_off_while_internet_access_is_on(shared, developer):
    set_force_tls(developer, shared, True)
    set_internet_access(developer, shared, True)
    with pytest.raises(ExposureRefused, match="Turn Internet access off first"):
        set_force_tls(developer, shared, False)
    assert _reload(shared).force_tls


def test_a_toggle_to_the_current_state_changes_and_records_nothing(shared, developer):
    assert not set_force_tls(developer, shared, False)
    assert not set_internet_access(developer, shared, False)
    assert not Activity.objects.exists()


def test_a_refusal_reads_the_current_state_not_a_stale_copy(shared, developer):
    stale = _reload(shared)
    set_force_tls(developer, shared, True)
    set_internet_access(developer, shared, True)
    with pytest.raises(ExposureRefused):
        set_force_tls(developer, stale, False)


def test_a_dedicated_database_has_no_internet_switch(dedicated, developer):
    with pytest.raises(ExposureRefused, match="follows the firewall rules"):
        set_internet_access(developer, dedicated, True)


def test_dedicated_force_tls_cannot_go_off_while_a_rule_reaches_the_internet(dedicated, developer):
    add_cidr_rule(developer, dedicated, "203.0.113.0/24", "Office")
    with pytest.raises(ExposureRefused, match=r"“Office” \(203\.0\.113\.0/24\)"):
        set_force_tls(developer, dedicated, False)


def test_dedicated_force_tls_may_go_off_with_only_platform_rules(dedicated, developer, region):
    add_region_rule(developer, dedicated, region)
    assert set_force_tls(developer, dedicated, False)


def test_turning_internet_off_marks_builds_using_external_details(
    shared, developer, make_application, region
):
    set_force_tls(developer, shared, True)
    set_internet_access(developer, shared, True)
    app = make_application(region=region)
    connection = Connection.objects.create(application=app, database=shared)
    Variable.objects.create(
        application=app,
        key="DB_HOST",
        build=True,
        runtime=False,
        connection=connection,
        linked_field="host",
        external=True,
    )
    set_internet_access(developer, shared, False)
    app.refresh_from_db()
    assert app.environment_version == 2


# Firewall rules ------------------------------------------------------------------------------


def test_a_rule_beyond_the_platform_makes_a_dedicated_database_reachable(dedicated, developer):
    rule = add_cidr_rule(developer, dedicated, "203.0.113.7", "Metabase")
    assert rule.network == "203.0.113.7/32"
    assert _reload(dedicated).internet_access
    assert Activity.objects.get().changes == {
        "network": "203.0.113.7/32",
        "label": "Metabase",
        "internet_access": True,
    }


def test_a_rule_inside_the_platform_does_not_expose_to_the_internet(dedicated, developer):
    add_cidr_rule(developer, dedicated, "10.30.1.0/24", "Part of nyc1")
    assert not _reload(dedicated).internet_access


def test_removing_the_last_internet_rule_closes_the_database(dedicated, developer):
    rule = add_cidr_rule(developer, dedicated, "2001:db8::/48", "Office v6")
    rule.database = dedicated
    remove_rule(developer, rule)
    assert not _reload(dedicated).internet_access
    assert Activity.objects.first().changes == {
        "network": "2001:db8::/48",
        "label": "Office v6",
        "internet_access": False,
    }


def test_a_duplicate_is_reported(dedicated, developer):
    add_cidr_rule(developer, dedicated, "203.0.113.0/24", "Office")
    with pytest.raises(ExposureRefused, match="already in the allowlist as “Office”") as refusal:
        add_cidr_rule(developer, dedicated, "203.0.113.0/24", "Again")
    assert refusal.value.field == "network"


def test_a_range_another_rule_covers_is_reported(dedicated, developer):
    add_cidr_rule(developer, dedicated, "203.0.113.0/24", "Office")
    with pytest.raises(ExposureRefused, match="already allowed by the rule “Office”"):
        add_cidr_rule(developer, dedicated, "203.0.113.128/25", "Part")


def test_a_range_several_rules_cover_together_is_reported(dedicated, developer):
    add_cidr_rule(developer, dedicated, "203.0.113.0/25", "Low")
    add_cidr_rule(developer, dedicated, "203.0.113.128/25", "High")
    with pytest.raises(ExposureRefused, match=r"“Low” .* and the rule “High”"):
        add_cidr_rule(developer, dedicated, "203.0.113.0/24", "Both")


def test_a_range_a_managed_rule_covers_is_reported(dedicated, developer, region):
    add_region_rule(developer, dedicated, region)
    with pytest.raises(ExposureRefused, match="the managed rule for Frankfurt"):
        add_cidr_rule(developer, dedicated, "10.20.3.0/24", "Part of fra1")


def test_a_wider_rule_is_accepted_and_the_narrow_one_shown_redundant(dedicated, developer):
    narrow = add_cidr_rule(developer, dedicated, "203.0.113.0/24", "Office")
    add_cidr_rule(developer, dedicated, "203.0.0.0/16", "Provider")
    firewall = load_firewall(dedicated)
    by_label = {rule.label: rule for rule in firewall.rules}
    assert [r.label for r in firewall.covered_by(by_label["Office"])] == ["Provider"]
    assert firewall.covered_by(by_label["Provider"]) == []
    assert narrow.pk == by_label["Office"].pk


@pytest.mark.parametrize("network", ["0.0.0.0/0", "::/0"])
def test_everyone_needs_a_confirmation_that_says_everyone(dedicated, developer, network):
    with pytest.raises(ExposureRefused, match="means everyone") as refusal:
        add_cidr_rule(developer, dedicated, network, "Everyone")
    assert refusal.value.field == "confirm_everyone"
    assert not FirewallRule.objects.exists()
    add_cidr_rule(developer, dedicated, network, "Everyone", everyone_confirmed=True)
    assert FirewallRule.objects.get().network == network


def test_a_rule_to_the_internet_needs_force_tls_on_first(dedicated, developer):
    set_force_tls(developer, dedicated, False)
    with pytest.raises(ExposureRefused, match="needs Force TLS on first") as refusal:
        add_cidr_rule(developer, dedicated, "198.51.100.0/24", "Partner")
    assert refusal.value.needs_force_tls
    assert not FirewallRule.objects.exists()


def test_a_shared_database_has_no_firewall(shared, developer, region):
    with pytest.raises(ExposureRefused, match="no firewall"):
        add_cidr_rule(developer, shared, "203.0.113.0/24", "Office")
    with pytest.raises(ExposureRefused, match="no firewall"):
        add_region_rule(developer, shared, region)


@pytest.mark.parametrize("label", ["", "   ", "x" * 101])
def test_a_rule_needs_a_short_label(dedicated, developer, label):
    with pytest.raises(ExposureRefused) as refusal:
        add_cidr_rule(developer, dedicated, "203.0.113.0/24", label)
    assert refusal.value.field == "label"


def test_a_managed_rule_is_added_once_and_recorded(dedicated, developer, region):
    add_region_rule(developer, dedicated, region)
    with pytest.raises(ExposureRefused, match="already has the managed rule for Frankfurt"):
        add_region_rule(developer, dedicated, region)
    record = Activity.objects.get()
    assert (record.verb, record.changes) == ("added managed rule to", {"region": "fra1"})


def test_removing_a_managed_rule_is_recorded(dedicated, developer, region):
    rule = add_region_rule(developer, dedicated, region)
    rule.database = dedicated
    remove_rule(developer, rule)
    assert Activity.objects.first().verb == "removed managed rule from"
    assert not FirewallRule.objects.exists()


@given(
    steps=st.lists(
        st.tuples(st.booleans(), st.sampled_from(["203.0.113.0/24", "10.20.1.0/24", "::/0"])),
        max_size=8,
    )
)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_internet_access_always_says_what_the_rules_say(dedicated, developer, steps):
    FirewallRule.objects.filter(database=dedicated).delete()
    Database.objects.filter(pk=dedicated.pk).update(internet_access=False)
    for add, network in steps:
        database = _reload(dedicated)
        existing = FirewallRule.objects.filter(database=database, network=network).first()
        if add and existing is None:
            add_cidr_rule(developer, database, network, "r", everyone_confirmed=True)
        elif not add and existing is not None:
            existing.database = database
            remove_rule(developer, existing)
        database = _reload(database)
        computed = load_firewall(database).reachable_from_internet()
        assert reachable_from_internet(database) == computed


def test_operators_changing_ranges_resync_exposure_and_force_tls(
    dedicated, developer, other_region
):
    set_force_tls(developer, dedicated, False)
    add_cidr_rule(developer, dedicated, "10.30.1.0/24", "Part of nyc1")
    RegionRange.objects.filter(network="10.30.0.0/16").delete()
    assert resync_internet_access() == [dedicated]
    dedicated = _reload(dedicated)
    assert dedicated.internet_access
    assert dedicated.force_tls
    assert Activity.objects.first().changes["cause"] == "the platform's region ranges changed"


# Connected applications ------------------------------------------------------------------------


def test_connection_verdicts_name_apps_that_need_a_rule(
    dedicated, make_application, region, other_region
):
    here = make_application(name="Here", region=region)
    Connection.objects.create(application=here, database=dedicated)
    [(connection, verdict)] = connection_verdicts(dedicated)
    assert (connection.application, verdict.allowed) == (here, False)
    add_region_rule(None, dedicated, region)
    assert [v.allowed for _, v in connection_verdicts(dedicated)] == [True]


# Compiled for the servers -------------------------------------------------------------------


def _access(database):
    networks = tuple(load_firewall(database).allowed_networks())
    return Access(database.database_name, {database.username: "pw"}, networks, database.force_tls)


def test_rules_compile_to_pg_hba_lines(dedicated, region):
    add_region_rule(None, dedicated, region)
    add_cidr_rule(None, dedicated, "203.0.113.0/24", "Office")
    lines = hba_lines(_access(dedicated))
    who = f'"{dedicated.database_name}" "{dedicated.username}"'
    assert lines == [
        f"hostnossl {who} all reject",
        f"hostssl {who} 10.20.0.0/16 scram-sha-256",
        f"hostssl {who} fd00:20::/32 scram-sha-256",
        f"hostssl {who} 203.0.113.0/24 scram-sha-256",
        f"host {who} all reject",
    ]


def test_a_shared_database_compiles_to_its_region_and_everyone_when_open(shared, ranges):
    set_force_tls(None, shared, True)
    set_internet_access(None, shared, True)
    lines = hba_lines(_access(_reload(shared)))
    assert [line.split()[3] for line in lines[1:-1]] == [*FRA1, "0.0.0.0/0", "::/0"]


def test_rules_compile_to_mariadb_hosts(dedicated):
    add_cidr_rule(None, dedicated, "203.0.113.0/24", "Office")
    add_cidr_rule(None, dedicated, "198.51.100.7", "Metabase")
    add_cidr_rule(None, dedicated, "2001:db8::7", "Laptop")
    networks = _access(dedicated).networks
    assert account_hosts(networks) == ["203.0.113.0/255.255.255.0", "198.51.100.7", "2001:db8::7"]
    add_cidr_rule(None, dedicated, "2001:db8:1::/48", "Office v6")
    with pytest.raises(CannotEnforce, match="2001:db8:1::/48"):
        account_hosts(_access(dedicated).networks)


def test_everyone_is_the_percent_account_and_all_of_ipv4_its_two_halves():
    everyone = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
    assert account_hosts(everyone) == ["%"]
    # A zero netmask matches nothing on MariaDB: all of IPv4 is written as its two halves.
    assert account_hosts(everyone[:1]) == ["0.0.0.0/128.0.0.0", "128.0.0.0/128.0.0.0"]
