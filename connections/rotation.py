"""Every internal connection's own credential: issued, rotated and revoked on the real server,
without ever leaving an application without a working one.

- **Issued** when the connection is added: a user on the database's server with rights on that
  database only (read-write, or read-only). The connection's linked variables switch to it once
  the server has created it; until then they hold what they held (the main user's details).
- **Rotated** on request: a new credential is created beside the old one, the variables switch
  to it at once (the environment version goes up), and the old one *retires*: it keeps
  working until every application that carried it has deployed (or been marked restarted
  with) the version that carries the new one, then it is revoked. The team's grace period, or
  "Revoke old now", ends it sooner.
- **Revoked** when the connection is removed, the rotation settles or the grace ends: the
  server refuses it from then on and its open sessions end.

Every server step runs once its transaction commits, within ``settings.SERVER_TIMEOUT``. A step
the server did not take leaves the credential *pending* with the reason, nothing else moves
(the old credential keeps working, the variables keep it), and the task queue retries with the
exposure's backoff until the server is back.
"""

import logging
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q
from django.tasks import task
from django.utils import timezone

from connections import activity
from connections.credentials import CopiedPassword, variables_holding
from connections.enforcement import access_of, enforce, enforce_after_commit, retry_delay
from connections.engines import EngineError, Login, Unreachable, engine_for
from connections.environment import bump_environments
from connections.errors import Refused
from connections.locking import lock
from connections.models import (
    LIVE_STATES,
    ActivityKind,
    Application,
    Connection,
    Credential,
    CredentialState,
    Database,
    ExposureState,
    Team,
)

logger = logging.getLogger(__name__)

NOT_PROVISIONED = (
    "The database is not provisioned yet: its connections get their own credentials once it is."
)
REMOVED = "the connection was removed"
DEPLOYED = "every application deployed the new credential"
GRACE_ENDED = "the grace period ended"
# How long a revoked credential stays listed on the database's page.
SHOWN_AFTER_REVOKED = timedelta(hours=24)


class RotationRefused(Refused):
    """The rotation or revocation was not started; the message says why."""


# Issuing and revoking ----------------------------------------------------------------------------


def issue(connection: Connection) -> Credential:
    """A new credential for ``connection``, created on the server once the transaction commits.

    The connection's variables switch to it when the server has it (see :func:`apply`)."""
    (credential,) = _issue_all([connection])
    return credential


def _issue_all(connections: list[Connection]) -> list[Credential]:
    """:func:`issue` for each of ``connections`` (all of one database), in one insert."""
    credentials = Credential.objects.bulk_create(
        Credential(
            database=connection.database,
            connection=connection,
            application_name=connection.application.name,
            username=Credential.new_username(connection.application.slug),
            read_only=connection.read_only,
            problem=NOT_PROVISIONED if connection.database.server_id is None else "",
        )
        for connection in connections
    )
    for credential in credentials:
        if credential.database.server_id is not None:
            _apply_after_commit(credential)
    return credentials


def issue_missing(team: Team) -> int:
    """Give each connection of ``team`` that never had a credential of its own one (those made
    before credentials existed hold the main user's details until then); returns how many."""
    missing = Connection.objects.filter(
        application__team=team, credentials__isnull=True
    ).select_related("application", "database")
    for connection in missing:
        issue(connection)
    return len(missing)


def revoke(credential: Credential, because: str) -> None:
    """Revoke ``credential`` (on the server once the transaction commits), ``because`` said in
    words for the activity log."""
    credential.state = CredentialState.REVOKED
    credential.pending = True
    credential.problem = ""
    credential.attempts = 0
    credential.awaiting = {}
    credential.revoke_after = None
    credential.revoked_because = because
    credential.save()
    _apply_after_commit(credential)


def _apply_after_commit(credential: Credential) -> None:
    pk = credential.pk
    transaction.on_commit(lambda: apply(pk), robust=True)


def apply_pending(database: Database) -> None:
    """Create on the server the credentials that waited for ``database`` to be provisioned."""
    for credential in database.credentials.filter(pending=True):
        _apply_after_commit(credential)


def apply(credential_id: int, *, queue: bool = True) -> Credential | None:
    """Do on the server what the credential's state asks (create it, or drop it), and record
    the outcome; a step the server did not take stays pending and is retried. Safe to repeat.

    A step that failed otherwise (the credential's row busy, the dashboard's own database
    away) is retried the same way; the periodic :func:`sweep` catches one whose retry could
    not even be queued. Without ``queue``, a failure is counted but queues no retry: the
    sweep's own tries, repeated each time it runs, never start a second chain of retries."""
    try:
        return _apply(credential_id, queue)
    except Exception as error:
        logger.warning("credential %s: step failed, retried later: %s", credential_id, error)
        _retry_after_error(credential_id, queue)
        raise


def _retry_after_error(credential_id: int, queue: bool) -> None:
    """Count the failed attempt and queue the retry, as far as the dashboard's database lets."""
    try:
        with transaction.atomic():
            credentials = Credential.objects.filter(pk=credential_id, pending=True)
            credentials.update(attempts=F("attempts") + 1)
            attempts = credentials.values_list("attempts", flat=True).first()
            if attempts is not None and queue:
                _retry_later(credential_id, attempts)
    except Exception:
        logger.exception(
            "credential %s: retry not queued; the periodic sweep retries it", credential_id
        )


def _retry_later(credential_id: int, attempts: int) -> None:
    run_after = timezone.now() + retry_delay(attempts)
    transaction.on_commit(
        lambda: retry_credential.using(run_after=run_after).enqueue(credential_id), robust=True
    )


def _apply(credential_id: int, queue: bool) -> Credential | None:
    with transaction.atomic():
        credential = Credential.objects.filter(pk=credential_id).first()
        if credential is None:
            return None
        # Its connection's row before its own, in the order a removal takes them (the
        # connection, then its credentials): the two wait for each other, never deadlock.
        if credential.connection_id is not None:
            with suppress(Connection.DoesNotExist):  # removed meanwhile: nothing to wait for
                lock(Connection(pk=credential.connection_id), "credential")
        lock(credential)  # a second run of the same step waits, then finds it done
        if not credential.pending:
            return credential
        database = Database.objects.select_related("server", "team", "region").get(
            pk=credential.database_id
        )
        credential.database = database
        if database.server is None:
            credential.problem = NOT_PROVISIONED
            credential.save(update_fields=["problem"])
            return credential
        engine = engine_for(database.server)
        creating = credential.state == CredentialState.ACTIVE
        try:
            if creating:
                login = Login(credential.username, credential.password, credential.read_only)
                engine.create_login(database, access_of(database), login)
                # pg_hba.conf names every user: the new one is admitted as the main user is
                # before anything hands it out.
                if engine.per_server and enforce(database) == ExposureState.PENDING:
                    raise Unreachable(database.exposure_problem)
            else:
                engine.drop_login(database, credential.username)
        except EngineError as error:
            _failed(credential, error, queue)
            return credential
        retried = credential.attempts
        credential.pending, credential.problem, credential.attempts = False, "", 0
        if creating:
            credential.applied_at = timezone.now()
            credential.save()
            _switch(credential, retried)
        else:
            credential.revoked_at = timezone.now()
            credential.save()
            activity.record(
                None,
                database.team,
                ActivityKind.REVOKED_CREDENTIAL,
                database,
                application=credential.application_name,
                user=credential.username,
                because=credential.revoked_because,
                attempts=retried + 1,
            )
            if engine.per_server:
                enforce_after_commit(database)  # its pg_hba.conf lines go too
    return credential


def _failed(credential: Credential, error: EngineError, queue: bool) -> None:
    """The server did not take the step: keep everything as it is, say why, retry later."""
    database = credential.database
    credential.attempts += 1
    credential.problem = str(error)
    credential.save(update_fields=["attempts", "problem"])
    logger.warning(
        "credential %s pending on %s: %s",
        credential.username,
        database.server.name if database.server else "-",
        error.detail or error,
    )
    if credential.attempts == 1:
        activity.record(
            None,
            database.team,
            ActivityKind.CREDENTIAL_PENDING,
            database,
            application=credential.application_name,
            user=credential.username,
            step="create" if credential.state == CredentialState.ACTIVE else "revoke",
            reason=str(error),
        )
    if queue:
        _retry_later(credential.pk, credential.attempts)


def _switch(credential: Credential, retried: int) -> None:
    """The server holds ``credential``: its connection's variables switch to it, and the one
    they held before retires until every application carrying it has deployed the new one."""
    database, connection = credential.database, credential.connection
    if connection is None:  # removed while the server was away
        revoke(credential, REMOVED)
        return
    lock(connection, "credential")
    previous = connection.credential
    connection.credential = credential
    connection.save(update_fields=["credential"])
    affected = bump_environments(database.team, applications=[connection.application])
    versions = {
        str(pk): version
        for pk, version in Application.objects.filter(pk__in=affected).values_list(
            "pk", "environment_version"
        )
    }
    revoke_after = timezone.now() + timedelta(hours=database.team.credential_grace_hours)
    superseded = Credential.objects.filter(
        connection=connection, state=CredentialState.ACTIVE
    ).exclude(pk=credential.pk)
    retired = False
    for old in superseded:
        if old.pending:  # never reached the server: nothing uses it
            revoke(old, "a newer credential replaced it")
            continue
        old.state = CredentialState.RETIRING
        old.awaiting = versions
        old.revoke_after = revoke_after
        old.save(update_fields=["state", "awaiting", "revoke_after"])
        retired = True
    if retired:
        transaction.on_commit(
            lambda: expire_credentials.using(run_after=revoke_after).enqueue(), robust=True
        )
    activity.record(
        None,
        database.team,
        ActivityKind.CREATED_CREDENTIAL,
        database,
        application=connection.application.slug,
        user=credential.username,
        access=credential.access,
        replaces=previous.username if previous is not None else "the main user",
        attempts=retried + 1,
    )


# Rotating and settling ---------------------------------------------------------------------------


def _connections_of(target: Connection | Database) -> tuple[Database, list[Connection]]:
    if isinstance(target, Connection):
        return target.database, [target]
    connections = list(target.connections.select_related("application").order_by("pk"))
    for connection in connections:
        connection.database = target
    return target, connections


@dataclass
class Rotation:
    """What a rotation did, for the result the user reads."""

    created: list[Credential]  # the new credentials, with their connection and application
    copies: list[CopiedPassword]  # plain variables holding a replaced credential's password


def rotate(actor: User, target: Connection | Database) -> Rotation:
    """Rotate the credential of one connection, or of every connection of a database: a new
    credential beside each old one (see the module's docstring). The new ones are read back
    once their server steps ran (on commit): a fixed number of queries however many
    connections, besides the server steps.

    Raises :class:`RotationRefused` when the database is not provisioned, has no connection,
    or a rotation still waits for its server.
    """
    database = target.database if isinstance(target, Connection) else target
    with transaction.atomic():
        issued, copies = _rotate(actor, database, target)
    created = Credential.objects.filter(pk__in=[c.pk for c in issued]).select_related(
        "connection__application"
    )
    return Rotation(list(created.order_by("application_name", "pk")), copies)


def _rotate(
    actor: User, database: Database, target: Connection | Database
) -> tuple[list[Credential], list[CopiedPassword]]:
    # The database's row first (a rotation of one connection and one of all of them wait for
    # each other), then its connections' rows, read afresh: a removal locks its connection.
    lock(database, "server")
    if database.server_id is None:
        raise RotationRefused(NOT_PROVISIONED)
    chosen = Connection.objects.filter(database=database).select_related("application")
    if isinstance(target, Connection):
        chosen = chosen.filter(pk=target.pk)
    connections = list(chosen.select_for_update(of=("self",)).order_by("pk"))
    if not connections:
        raise RotationRefused(f"No application is connected to {database.name}.")
    for connection in connections:
        connection.database = database
    replaced = list(
        Credential.objects.filter(connection__in=connections, state=CredentialState.ACTIVE)
        .select_related("connection__application")
        .order_by("application_name", "pk")
    )
    names = {c.connection.application.name for c in replaced if c.pending and c.connection}
    if names:
        raise RotationRefused(
            f"A new credential for {', '.join(sorted(names))} still waits for the server; it is "
            "retried automatically."
        )
    created = _issue_all(connections)
    activity.record(
        actor,
        database.team,
        ActivityKind.ROTATED_CREDENTIALS,
        database,
        applications=[connection.application.slug for connection in connections],
    )
    return created, _copies(database, [old.password for old in replaced])


def _copies(database: Database, passwords: list[str]) -> list[CopiedPassword]:
    """Plain variables of the team holding any of ``passwords``: only a person can replace
    them, since no reference follows a connection's own credential."""
    return [CopiedPassword(variable, None) for variable in variables_holding(database, passwords)]


@transaction.atomic
def revoke_old_now(actor: User, target: Connection | Database) -> list[Credential]:
    """Revoke at once the retiring credentials of one connection or of every connection of a
    database, without waiting for deployments or the grace period. Returns them.

    Raises :class:`RotationRefused` when there is none.
    """
    database, connections = _connections_of(target)
    retiring = list(
        Credential.objects.select_for_update().filter(
            connection__in=connections, state=CredentialState.RETIRING
        )
    )
    if not retiring:
        raise RotationRefused("There is no old credential to revoke.")
    who = actor.get_username()
    for credential in retiring:
        revoke(credential, f"{who} revoked it before every application had deployed")
    activity.record(
        actor,
        database.team,
        ActivityKind.REVOKED_OLD_CREDENTIALS,
        database,
        users=[credential.username for credential in retiring],
    )
    return retiring


def settle(application: Application) -> list[Credential]:
    """After ``application`` reported a deployment (or was marked restarted): revoke every
    retiring credential whose applications have all deployed the version that carries the new
    one. Call it inside the transaction that recorded the deployment. Returns those revoked."""
    deployed = application.deployed_environment_version or 0
    key = str(application.pk)
    revoked = []
    waiting = Credential.objects.select_for_update().filter(
        database__team_id=application.team_id, state=CredentialState.RETIRING
    )
    for credential in waiting:
        if key not in credential.awaiting:
            continue
        awaiting = {
            pk: version
            for pk, version in credential.awaiting.items()
            if not (pk == key and deployed >= version)
        }
        # An application deleted since waits for nothing.
        existing = Application.objects.filter(pk__in=[int(pk) for pk in awaiting])
        alive = {str(pk) for pk in existing.values_list("pk", flat=True)}
        awaiting = {pk: version for pk, version in awaiting.items() if pk in alive}
        if awaiting:
            credential.awaiting = awaiting
            credential.save(update_fields=["awaiting"])
        else:
            revoke(credential, DEPLOYED)
            revoked.append(credential)
    return revoked


def revoke_for_removal(connection: Connection) -> None:
    """The connection is being removed: every credential it has is revoked with it. Its row is
    locked first, so a rotation issuing a new one at the same moment is not missed."""
    lock(connection, "credential")
    for credential in connection.credentials.filter(state__in=LIVE_STATES):
        revoke(credential, REMOVED)


@task
def retry_credential(credential_id: int) -> str:
    """The task queue's retry of a credential step its server did not take."""
    credential = apply(credential_id)
    if credential is None:
        return "gone"
    return f"{credential.state}{' (pending)' if credential.pending else ''}"


@task
def expire_credentials() -> int:
    """Revoke every retiring credential whose grace period has ended; returns how many."""
    return _expire()


def sweep(servers: Iterable[int]) -> tuple[int, int]:
    """What the periodic check does for credentials, in case a queued task was lost (or never
    queued): apply every pending step on ``servers`` (those that answered), and revoke every
    retiring credential past its grace. Returns how many steps were tried and how many expired.

    A step whose queued retry is still ahead is tried too: applying is safe to repeat. A try
    that fails queues nothing: its retries are queued already, or lost and tried again by the
    next sweep."""
    pending = list(
        Credential.objects.filter(pending=True, database__server__in=list(servers))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in pending:
        with suppress(Exception):  # logged and counted by apply; the sweep goes on
            apply(pk, queue=False)
    return len(pending), _expire()


def _expire() -> int:
    with transaction.atomic():
        due = Credential.objects.select_for_update().filter(
            state=CredentialState.RETIRING, revoke_after__lte=timezone.now()
        )
        expired = list(due)
        for credential in expired:
            revoke(credential, GRACE_ENDED)
    return len(expired)


@transaction.atomic
def set_grace(actor: User, team: Team, hours: int) -> bool:
    """Set the team's grace period (hours a retiring credential keeps working at most);
    returns whether it changed. Credentials retiring already keep their end.

    Raises :class:`RotationRefused` (naming the ``hours`` field) outside 1 to 720 hours."""
    lock(team, "credential_grace_hours")
    if not 1 <= hours <= 720:
        raise RotationRefused("Choose from 1 to 720 hours.", field="hours")
    old = team.credential_grace_hours
    if hours == old:
        return False
    team.credential_grace_hours = hours
    team.save(update_fields=["credential_grace_hours"])
    activity.record(actor, team, ActivityKind.CHANGED_CREDENTIAL_GRACE, team, old=old, new=hours)
    return True


# Reading -----------------------------------------------------------------------------------------


@dataclass
class CredentialRow:
    """One credential as the database's page shows it."""

    credential: Credential
    sessions: int | None  # None when the server could not say, or was not asked
    old_used_by: list[str] = field(default_factory=list)  # applications still to deploy


@dataclass
class CredentialOverview:
    rows: list[CredentialRow]
    sessions_problem: str = ""
    sessions_asked: bool = True

    @property
    def sessions_to_read(self) -> bool:
        """Whether live credentials wait for their sessions, which were not asked for."""
        return not self.sessions_asked and any(row.sessions is None for row in self.rows)

    @property
    def retiring(self) -> bool:
        """Whether an old credential waits to be revoked."""
        return any(row.credential.state == CredentialState.RETIRING for row in self.rows)


def shown_credentials(database: Database) -> list[Credential]:
    """The database's credentials worth showing: live ones, those still to be dropped, and
    those revoked in the last day."""
    recent = timezone.now() - SHOWN_AFTER_REVOKED
    return list(
        database.credentials.filter(
            Q(state__in=LIVE_STATES) | Q(pending=True) | Q(revoked_at__gte=recent)
        )
        .select_related("connection__application")
        .defer("password")  # shown, never decrypted: a page of fifty would decrypt fifty
        .order_by("application_name", "created_at", "pk")
    )


def overview(database: Database, *, sessions: bool = True) -> CredentialOverview:
    """The credentials of ``database`` with the applications still running an old one and
    (unless ``sessions`` is false) the live sessions of each, read from the server in one round
    trip: a fixed number of queries and one server call, however many connections."""
    credentials = shown_credentials(database)
    waiting_ids = {int(pk) for c in credentials for pk in c.awaiting}
    names = dict(Application.objects.filter(pk__in=waiting_ids).values_list("pk", "name"))
    counts: dict[str, int] | None = None
    problem = ""
    live = [c.username for c in credentials if c.state in LIVE_STATES and not c.pending]
    if database.server is not None and live and sessions:
        try:
            counts = engine_for(database.server).sessions(live)
        except EngineError as error:
            problem = f"Live sessions unknown: {error}"
    rows = [
        CredentialRow(
            credential,
            _sessions_of(credential, counts),
            sorted(names[int(pk)] for pk in credential.awaiting if int(pk) in names),
        )
        for credential in credentials
    ]
    return CredentialOverview(rows, problem, sessions_asked=sessions)


def _sessions_of(credential: Credential, sessions: dict[str, int] | None) -> int | None:
    if credential.state not in LIVE_STATES or credential.pending:
        return 0
    return None if sessions is None else sessions.get(credential.username, 0)


def logins_to_drop(database: Database) -> list[str]:
    """The user names of every credential that may exist on the server (to drop with it)."""
    found: Iterable[str] = database.credentials.filter(
        Q(state__in=LIVE_STATES) | Q(pending=True)
    ).values_list("username", flat=True)
    return list(found)
