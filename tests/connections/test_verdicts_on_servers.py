"""The Network tab's word against the servers' deeds: for every row of the exposure table one
machine can produce, ask the tab's reachability check, then connect for real from 127.0.0.1,
::1 and a host of the test network (its own IPv4 and IPv6 source), with and without TLS.

Every verdict must hold on the server: "Reachable" connects, "Refused" is turned away by the
server itself (an answer, never a silence).
"""

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from connections.engines import engine_for
from connections.models import Database, ExposureState
from connections.network import add_cidr_rule, add_region_rule, set_force_tls, set_internet_access
from connections.servers import offered_version
from tests.servers import (
    LOOPBACK_V4,
    LOOPBACK_V6,
    Endpoint,
    Source,
    connect_all,
    create_on_server,
    register,
    require_own_server,
)

pytestmark = pytest.mark.django_db(transaction=True)

VERDICT = re.compile(r'<div class="verdict (allowed|refused)" data-testid="verdict"')


@dataclass(frozen=True)
class Row:
    name: str
    resource_model: str
    setup: Callable[[object, Database, object], None]


def _nothing(actor, database, network) -> None:
    pass


def _force_tls(actor, database, network) -> None:
    set_force_tls(actor, database, True)


def _internet(actor, database, network) -> None:
    set_force_tls(actor, database, True)
    set_internet_access(actor, _fresh(database), True)


def _matching_rule(actor, database, network) -> None:
    add_cidr_rule(actor, database, network.ipv4.address, "test host v4")
    add_cidr_rule(actor, _fresh(database), network.ipv6.address, "test host v6")


def _other_rule(actor, database, network) -> None:
    add_cidr_rule(actor, database, "198.51.100.0/24", "an office elsewhere")


def _region_rule(actor, database, network) -> None:
    add_region_rule(actor, database, database.region)


def _region_rule_without_tls(actor, database, network) -> None:
    add_region_rule(actor, database, database.region)
    set_force_tls(actor, _fresh(database), False)


ROWS = [
    Row("shared, by default", "shared", _nothing),
    Row("shared, Force TLS on", "shared", _force_tls),
    Row("shared, Internet access on", "shared", _internet),
    Row("dedicated, no rule", "dedicated", _nothing),
    Row("dedicated, a CIDR rule that matches", "dedicated", _matching_rule),
    Row("dedicated, a CIDR rule that does not", "dedicated", _other_rule),
    Row("dedicated, the managed region rule", "dedicated", _region_rule),
    Row("dedicated, region rule, Force TLS off", "dedicated", _region_rule_without_tls),
]


def _fresh(database: Database) -> Database:
    return Database.objects.select_related("region", "server", "team").get(pk=database.pk)


def _verdict(client, database: Database, address: str, tls: bool) -> bool:
    """What the Network tab's reachability check says, read off the page."""
    page = reverse("database_network", args=["acme", database.slug])
    query = {"source": "", "address": address, **({"tls": "on"} if tls else {})}
    found = VERDICT.search(client.get(page, query).content.decode())
    assert found, "the tab gave no verdict"
    return found[1] == "allowed"


@pytest.mark.parametrize("engine", ["postgresql", "mariadb"])
@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_every_verdict_holds_on_the_server(
    request, engine, row, region, make_database, developer, developer_client, source_host
):
    endpoint: Endpoint = request.getfixturevalue(f"{engine}_endpoint")
    require_own_server(endpoint)
    server = register(endpoint, region)
    database = make_database(
        slug=f"t{secrets.token_hex(4)}",
        engine=engine,
        version=offered_version(server),
        server=server,
        resource_model=row.resource_model,
    )
    create_on_server(database)
    try:
        row.setup(developer, _fresh(database), source_host)
        database = _fresh(database)
        assert database.exposure_state == ExposureState.APPLIED, database.exposure_problem
        sources: list[Source] = [LOOPBACK_V4, LOOPBACK_V6, source_host.ipv4, source_host.ipv6]
        table = [
            (
                source,
                endpoint.attempt(
                    database.username, database.password, database=database.database_name, tls=tls
                ),
            )
            for source in sources
            for tls in (False, True)
        ]
        outcomes = connect_all(table)
        for (source, attempt), outcome in zip(table, outcomes, strict=True):
            said = _verdict(developer_client, database, source.address, attempt.tls)
            where = f"{row.name}: {source.address} {'TLS' if attempt.tls else 'plain'}"
            if said:
                assert outcome.ok, f"{where}: the tab says reachable, the server said {outcome}"
            else:
                assert outcome.denied, f"{where}: the tab says refused, the server said {outcome}"
            # The table for the record: `pytest -s` prints it.
            print(f"| {engine} | {row.name} | {where.split(': ', 1)[1]} | {said} | {outcome.ok} |")
    finally:
        engine_for(server).drop(database)
