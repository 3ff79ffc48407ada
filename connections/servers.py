"""The database servers operators register: checked when registered, saved (moving one changes
the environments that follow its databases), and compared with the dashboard (the drift check)
by ``manage.py check_servers`` and periodically by the task queue.

A server is checked by connecting as its admin: the product and version it really runs, whether
it accepts TLS, and whether its admin may enforce exposure. The drift check adds, for every
database it holds, whether the database, its user and its connections' users exist (and no
user the dashboard does not know holds rights on it), and whether the server's access rules
(pg_hba.conf, account hosts and TLS requirements) are the dashboard's.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from connections import rotation
from connections.enforcement import access_of, enforce_server, logins_of
from connections.engines import EngineError, ServerReport, engine_for
from connections.environment import bump_environments
from connections.errors import Refused
from connections.models import Credential, Database, DatabaseServer, Engine, ServerHealth

logger = logging.getLogger(__name__)

DRIFT_CHECK_EVERY = timedelta(minutes=15)
ENDPOINT_FIELDS = ("internal_host", "internal_port", "public_host", "public_port")


class ServerRefused(Refused):
    """A server that cannot be registered as it stands; the message says why (for operators)."""


def inspect(server: DatabaseServer) -> ServerReport:
    """Connect as the server's admin and say what it is; refuse what cannot be registered.

    Raises :class:`ServerRefused` when the server cannot be reached, is another engine than the
    one it is registered as (MySQL and MariaDB are told apart), or runs a version the platform
    does not offer.
    """
    try:
        report = engine_for(server).inspect()
    except EngineError as error:
        raise ServerRefused(f"{error} {error.detail}".strip()) from None
    engine = Engine(server.engine)
    if report.product != engine.value:
        actual = Engine(report.product).label
        raise ServerRefused(
            f"This server runs {actual} {report.version}, not {engine.label}: register it as "
            f"{actual}."
        )
    offered = {engine.spec.major(version) for version in engine.versions}
    if engine.spec.major(report.version) not in offered:
        raise ServerRefused(
            f"This server runs {engine.label} {report.version}; the platform offers "
            f"{', '.join(engine.versions)}."
        )
    return report


def offered_version(server: DatabaseServer) -> str:
    """The version the platform offers that lands on ``server``: the one of its major."""
    spec = Engine(server.engine).spec
    major = spec.major(server.reported_version)
    return next(version for version in spec.versions if spec.major(version) == major)


def note_report(server: DatabaseServer, report: ServerReport) -> None:
    """Keep what the server said of itself on its record (not saved here)."""
    server.reported_version = report.version
    server.supports_tls = report.tls
    server.can_enforce = report.can_enforce
    server.enforce_problem = report.enforce_problem
    server.health = ServerHealth.OK
    server.checked_at = timezone.now()


@transaction.atomic
def save_server(server: DatabaseServer) -> DatabaseServer:
    """Save a server an operator added or edited. When its endpoints moved, every linked
    variable and reference to its databases resolves to something new, so the applications
    that depend on them are marked as needing a restart."""
    previous = DatabaseServer.objects.filter(pk=server.pk).first() if server.pk else None
    server.save()
    if previous is None or all(
        getattr(previous, name) == getattr(server, name) for name in ENDPOINT_FIELDS
    ):
        return server
    databases = list(server.databases.select_related("team"))
    for team in {database.team for database in databases}:
        bump_environments(team, databases=[db for db in databases if db.team_id == team.pk])
    return server


@dataclass
class ServerCheck:
    """What the drift check found on one server."""

    server: DatabaseServer
    health: ServerHealth
    differences: list[str] = field(default_factory=list)
    repaired: bool = False


def check_server(server: DatabaseServer, *, repair: bool = False) -> ServerCheck:
    """Compare ``server`` with the dashboard, record its health, and say each difference.

    With ``repair``, the dashboard's exposure is applied again and the server checked anew.
    Databases or users missing on the server are reported, never recreated: that needs a
    person.
    """
    check = _compare(server)
    if repair and check.health == ServerHealth.DRIFT:
        enforce_server(server)
        check = _compare(server)
        check.repaired = True
    with transaction.atomic():
        DatabaseServer.objects.filter(pk=server.pk).update(
            health=check.health,
            check_report="\n".join(check.differences),
            checked_at=timezone.now(),
            reported_version=server.reported_version,
            supports_tls=server.supports_tls,
            can_enforce=server.can_enforce,
            enforce_problem=server.enforce_problem,
        )
    return check


def _compare(server: DatabaseServer) -> ServerCheck:
    engine = engine_for(server)
    try:
        report = engine.inspect()
    except EngineError as error:
        return ServerCheck(server, ServerHealth.UNREACHABLE, [f"{error} {error.detail}".strip()])
    note_report(server, report)
    differences = []
    registered = Engine(server.engine)
    if report.product != registered.value:
        differences.append(f"It runs {Engine(report.product).label}, registered as {registered}.")
    databases = list(server.databases.select_related("region", "team").order_by("pk"))
    logins = logins_of(databases)
    try:
        for database in databases:
            database.server = server
            if registered.spec.major(database.version) != registered.spec.major(report.version):
                differences.append(
                    f"{database.team.slug}/{database.slug} asks for {registered.label} "
                    f"{database.version}; the server runs {report.version}."
                )
            differences += [
                f"{database.team.slug}/{database.slug}: the server has no {thing}."
                for thing in engine.missing(database)
            ]
            differences += _login_drift(database, logins[database.pk], engine.logins(database))
        if report.can_enforce:
            differences += engine.access_drift([access_of(database) for database in databases])
    except EngineError as error:
        return ServerCheck(server, ServerHealth.UNREACHABLE, [f"{error} {error.detail}".strip()])
    health = ServerHealth.DRIFT if differences else ServerHealth.OK
    return ServerCheck(server, health, differences)


def _login_drift(database: Database, wanted: list[Credential], found: set[str]) -> list[str]:
    """Connection users the server lacks, or holds without the dashboard knowing them (or
    after it revoked them)."""
    name = f"{database.team.slug}/{database.slug}"
    created = {c.username: c for c in wanted if not c.pending}
    differences = [
        f"{name}: the server has no connection user {user} ({credential.application_name})."
        for user, credential in sorted(created.items())
        if user not in found
    ]
    known = {credential.username for credential in wanted}
    differences += [
        f"{name}: the server has a user {user} with rights on it that no connection holds."
        for user in sorted(found - known)
    ]
    return differences


@task
def check_servers_periodically(reschedule: bool = True) -> dict[str, str]:
    """The periodic drift check: every server compared, its health recorded. Then the
    credential steps whose task was lost are taken up again (see :func:`rotation.sweep`) on
    the servers that answered.

    It schedules its next run itself, so one enqueued run (``manage.py check_servers
    --schedule``, which ``demo`` runs) keeps it going.
    """
    try:
        checks = [check_server(server) for server in DatabaseServer.objects.all()]
        rotation.sweep(c.server.pk for c in checks if c.health != ServerHealth.UNREACHABLE)
    finally:
        if reschedule:
            next_run = timezone.now() + DRIFT_CHECK_EVERY
            check_servers_periodically.using(run_after=next_run).enqueue()
    return {check.server.name: check.health.value for check in checks}
