"""Making the servers hold what the dashboard says about each database's exposure.

Every exposure setting (the resource model's defaults, Internet access, Force TLS, firewall
rules, the region ranges behind managed rules) is applied on the server that holds the
database whenever it changes, when the database is created and when it is dropped. Each
database records the outcome: Applied (the server holds it), Pending (the server could not be
reached; the task queue retries with backoff) or Cannot enforce (the engine, the server's TLS
or the admin's rights cannot hold it, and why). Nothing claims more than that state.

A page never waits on a server longer than ``settings.SERVER_TIMEOUT``: a change is applied
once its transaction commits, within that timeout, and left Pending for the queue otherwise.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.tasks import task
from django.utils import timezone

from connections.engines import Access, CannotEnforce, EngineError, engine_for
from connections.models import (
    LIVE_STATES,
    Credential,
    Database,
    DatabaseServer,
    ExposureState,
    Region,
    ResourceModel,
)
from connections.network.policy import load_firewall

logger = logging.getLogger(__name__)

NO_TLS = (
    "The server has no TLS, so it cannot refuse connections without TLS; the rules on sources "
    "are applied."
)
MAX_RETRY_DELAY = timedelta(hours=1)


def logins_of(databases: Sequence[Database]) -> dict[int, list[Credential]]:
    """The connection credentials that exist (or are being created) on the databases'
    servers, per database id, in one query."""
    found: dict[int, list[Credential]] = defaultdict(list)
    for credential in Credential.objects.filter(database__in=databases, state__in=LIVE_STATES):
        found[credential.database_id].append(credential)
    return found


def access_of(database: Database, logins: Iterable[Credential] | None = None) -> Access:
    """What the server must admit for ``database``: its main user and every connection
    credential (``logins``, read when not given), all alike, from the networks its exposure
    allows, with TLS when Force TLS is on (and the server can do TLS at all)."""
    server = database.server
    force_tls = database.force_tls and server is not None and server.supports_tls
    logins = list(logins_of([database])[database.pk] if logins is None else logins)
    return Access(
        database_name=database.database_name,
        users={database.username: database.password}
        | {login.username: login.password for login in logins},
        networks=tuple(load_firewall(database).allowed_networks()),
        force_tls=force_tls,
        read_only=frozenset(login.username for login in logins if login.read_only),
    )


def nftables_rules(database: Database) -> str:
    """Host-firewall lines that admit exactly the database's allowed sources to its port, for
    an engine that cannot filter sources itself (Redis), on a server that holds only it."""
    networks = load_firewall(database).allowed_networks()
    port = database.internal_port
    lines = ["table inet harbor {", "  chain input {", "    type filter hook input priority 0;"]
    for family, version in (("ip", 4), ("ip6", 6)):
        sources = [str(network) for network in networks if network.version == version]
        if sources:
            lines.append(f"    tcp dport {port} {family} saddr {{ {', '.join(sources)} }} accept")
    lines += [f"    tcp dport {port} drop", "  }", "}"]
    return "\n".join(lines)


def _held_databases(server: DatabaseServer) -> QuerySet[Database]:
    return server.databases.select_related("region", "server", "team").order_by("pk")


def enforce(database: Database) -> ExposureState:
    """Apply ``database``'s exposure on its server now, and record the outcome on it.

    Servers that keep one file for all their databases (PostgreSQL's pg_hba.conf) get every
    database they hold at once, under a lock on the server's row so that two changes cannot
    write the file in the wrong order. Returns the state recorded.
    """
    if database.server_id is None:
        return ExposureState(database.exposure_state)
    with transaction.atomic():
        server = DatabaseServer.objects.select_for_update().get(pk=database.server_id)
        engine = engine_for(server)
        targets = list(_held_databases(server)) if engine.per_server else [database]
        for target in targets:
            target.server = server
        state, problem = ExposureState.APPLIED, ""
        if not server.can_enforce:
            state, problem = ExposureState.CANNOT_ENFORCE, server.enforce_problem
        else:
            logins = logins_of(targets)
            try:
                engine.apply_access([access_of(target, logins[target.pk]) for target in targets])
            except CannotEnforce as error:
                state, problem = ExposureState.CANNOT_ENFORCE, str(error)
                logger.warning("cannot enforce on %s: %s", server.name, error.detail or error)
            except EngineError as error:
                state, problem = ExposureState.PENDING, str(error)
                logger.warning("exposure pending on %s: %s", server.name, error.detail or error)
        for target in targets:
            _record(target, state, problem)
    return _refresh(database, targets)


def _refresh(database: Database, targets: Iterable[Database]) -> ExposureState:
    for target in targets:
        if target.pk == database.pk:
            database.exposure_state = target.exposure_state
            database.exposure_problem = target.exposure_problem
            database.exposure_attempts = target.exposure_attempts
            database.exposure_applied_at = target.exposure_applied_at
    return ExposureState(database.exposure_state)


def _record(database: Database, state: ExposureState, problem: str) -> None:
    server = database.server
    if (
        state == ExposureState.APPLIED
        and database.force_tls
        and server is not None
        and not server.supports_tls
    ):
        state, problem = ExposureState.CANNOT_ENFORCE, NO_TLS
    database.exposure_state = state
    database.exposure_problem = problem
    if state == ExposureState.PENDING:
        database.exposure_attempts += 1
        _retry_later(database)
    else:
        database.exposure_attempts = 0
    if state == ExposureState.APPLIED:
        database.exposure_applied_at = timezone.now()
    database.save(
        update_fields=[
            "exposure_state",
            "exposure_problem",
            "exposure_attempts",
            "exposure_applied_at",
        ]
    )


def retry_delay(attempts: int) -> timedelta:
    """Backoff: 10 s after the first failure, doubling, at most an hour."""
    return min(timedelta(seconds=10 * 2 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)


def _retry_later(database: Database) -> None:
    run_after = timezone.now() + retry_delay(database.exposure_attempts)
    transaction.on_commit(
        lambda: retry_exposure.using(run_after=run_after).enqueue(database.pk), robust=True
    )


def enforce_after_commit(database: Database) -> None:
    """Apply ``database``'s exposure once the current transaction commits (at once outside one).

    The change is saved whatever the server says; the database's state tells what it holds.
    """
    database.exposure_state = ExposureState.PENDING
    Database.objects.filter(pk=database.pk).update(exposure_state=ExposureState.PENDING)
    transaction.on_commit(lambda: enforce(database), robust=True)


def enforce_region(region: Region) -> None:
    """Apply the exposure of every database the region's ranges decide: the region's shared
    databases, and dedicated ones with a managed rule for the region."""
    shared = Database.objects.filter(region=region, resource_model=ResourceModel.SHARED)
    managed = Database.objects.filter(firewall_rules__region=region)
    for database in (shared | managed).distinct().select_related("region", "server", "team"):
        if database.server_id is not None:
            enforce_after_commit(database)


def enforce_server(server: DatabaseServer) -> None:
    """Apply the exposure of every database ``server`` holds (after a database left it, or to
    repair drift)."""
    databases = list(_held_databases(server))
    if engine_for(server).per_server:
        if databases:
            enforce(databases[0])
        else:
            _clear(server)
        return
    for database in databases:
        enforce(database)


def _clear(server: DatabaseServer) -> None:
    """A server that holds no database any more keeps an empty block."""
    if not server.can_enforce:
        return
    try:
        engine_for(server).apply_access([])
    except EngineError as error:
        logger.warning("could not clear %s: %s", server.name, error.detail or error)


@task
def retry_exposure(database_id: int) -> str:
    """The task queue's retry of an exposure its server could not take (see :func:`enforce`)."""
    database = (
        Database.objects.select_related("region", "server", "team").filter(pk=database_id).first()
    )
    if database is None or database.exposure_state != ExposureState.PENDING:
        return "nothing to do"
    return enforce(database)
