"""Changing a database's password everywhere it is used.

The order is what makes it safe: the new password is applied on the real server first and stored
only once the server accepted it; if storing fails, the old password is put back on the server.
Changes to one database are serialised by locking its row before the server is touched, so two
changes cannot interleave. Linked variables follow at once (they hold no copy), every connected
application is marked as needing a restart, and copies the dashboard does not control are named.
Revealing the credentials is recorded too.
"""

import logging
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass, field
from urllib.parse import quote

from django.contrib.auth.models import User
from django.db import transaction

from connections import activity
from connections.engines import ClientTarget, EngineError, engine_for
from connections.environment import bump_environments, connection_url, endpoint
from connections.errors import Refused
from connections.locking import Busy, lock
from connections.models import (
    ActivityKind,
    Application,
    Database,
    DatabaseServer,
    Engine,
    Variable,
)
from connections.network import reachable_from_internet

logger = logging.getLogger(__name__)


class PasswordChangeFailed(Refused):
    """The password was not changed; the message says why and is safe to show."""


@dataclass(frozen=True)
class CopiedPassword:
    """A variable whose value holds a copy of the old password.

    ``replacement`` is the reference that would follow the database from now on: offered when
    the value is exactly the old password or the old internal URL, and the variable is not
    needed during a build (a database's internal details are refused there). Other copies
    (inside a longer value, an external URL) are for a person to update.
    """

    variable: Variable
    replacement: str | None


@dataclass
class PasswordChange:
    """What a password change did, for the result the user reads."""

    database: Database
    restarted: list[Application] = field(default_factory=list)
    copies: list[CopiedPassword] = field(default_factory=list)
    # Connected applications the change does not touch: their variables hold their own
    # connection credential, not the main user.
    unaffected: list[Application] = field(default_factory=list)


def change_password(actor: User, database: Database, new_password: str) -> PasswordChange:
    """Apply ``new_password`` on the server, then store it; never one without the other.

    Raises :class:`PasswordChangeFailed` when the server refuses or cannot be reached, or when
    storing failed (the old password is then back on the server).
    """
    applied_on: tuple[Database, DatabaseServer] | None = None
    old_password = ""
    try:
        with transaction.atomic():
            # Lock the row before touching the server: a second change waits for this one
            # (or, where the store cannot wait, is refused before anything happened).
            try:
                current = lock(copy(database), "password")
            except Busy as busy:
                raise PasswordChangeFailed(str(busy)) from None
            old_password = current.password
            if current.server is not None:
                engine_for(current.server).set_password(current, new_password)
                applied_on = current, current.server
            current.password = new_password
            current.save(update_fields=["password", "updated_at"])
            affected = bump_environments(current.team, databases=[current], main_user_only=True)
            activity.record(
                actor,
                current.team,
                ActivityKind.CHANGED_PASSWORD,
                current,
                applied_on_server=current.server.name if current.server else "not provisioned",
                applications_to_restart=len(affected),
            )
    except EngineError as error:
        raise PasswordChangeFailed(f"Nothing was changed. {error}") from None
    except PasswordChangeFailed:
        raise
    except Exception:
        if applied_on is None:
            raise
        _put_back(*applied_on, old_password)
        raise PasswordChangeFailed(
            "Nothing was changed: the dashboard could not store the new password, so the old "
            "one was put back on the server."
        ) from None
    database.password = new_password
    return PasswordChange(
        database=current,
        # Only what the pages say needs a restart: an application never deployed picks the new
        # password up when it first is.
        restarted=[
            application
            for application in Application.objects.filter(pk__in=affected)
            if application.needs_restart
        ],
        copies=copies_of(current, old_password),
        unaffected=list(
            Application.objects.filter(
                connections__database=current, connections__credential__isnull=False
            )
            .exclude(pk__in=affected)
            .order_by("name")
        ),
    )


def _put_back(database: Database, server: DatabaseServer, old_password: str) -> None:
    try:
        engine_for(server).set_password(database, old_password)
    except EngineError:
        # The one case where server and dashboard disagree: say so loudly to the operators.
        logger.critical(
            "Could not restore the previous password of database %s on server %s after a "
            "failed save; the server now holds a password the dashboard does not know.",
            database.pk,
            server.name,
        )
        raise


def variables_holding(database: Database, passwords: Sequence[str]) -> list[Variable]:
    """Plain variables of the database's team that hold any of ``passwords``, as is or
    percent-encoded in a URL (the team's variables are read once for all of them)."""
    wanted = [(password, quote(password, safe="")) for password in passwords if password]
    if not wanted:
        return []
    variables = (
        Variable.objects.filter(application__team=database.team, connection__isnull=True)
        .select_related("application")
        .order_by("application__name", "key")
    )
    return [
        variable
        for variable in variables
        if any(plain in variable.value or encoded in variable.value for plain, encoded in wanted)
    ]


def copies_of(database: Database, password: str) -> list[CopiedPassword]:
    """Plain variables of the team that hold the main user's old ``password``, with the
    reference that would replace an exact copy."""
    old = copy(database)
    old.password = password
    exact = {
        password: f"{{{{ {database.slug}.DB_PASSWORD }}}}",
        connection_url(old): f"{{{{ {database.slug}.DATABASE_URL }}}}",
    }
    return [
        CopiedPassword(variable, None if variable.build else exact.get(variable.value))
        for variable in variables_holding(database, [password])
    ]


@dataclass(frozen=True)
class Credentials:
    """What a person sees once they reveal a database's credentials."""

    password: str
    url: str
    command: str


@transaction.atomic
def reveal_credentials(actor: User, database: Database, *, external: bool) -> Credentials:
    """The password, the connection URL and the client command of the internal (or external)
    connection, recorded as revealed by ``actor``.

    Raises :class:`connections.environment.UnresolvedEnvironment` for the external details
    while they are unavailable (see :func:`external_details_available`).
    """
    credentials = Credentials(
        password=database.password,
        url=connection_url(database, external=external),
        command=cli_command(database, external=external),
    )
    activity.record(
        actor,
        database.team,
        ActivityKind.REVEALED_CREDENTIALS,
        database,
        endpoint="external" if external else "internal",
    )
    return credentials


def cli_command(database: Database, *, external: bool) -> str:
    """A ready command line for the engine's own client, quoted to survive any password."""
    host, port = endpoint(database, external=external)
    target = ClientTarget(
        url=connection_url(database, external=external),
        host=host,
        port=port,
        user=database.username,
        password=database.password,
        database_name=database.database_name,
        tls=database.force_tls,
    )
    return Engine(database.engine).spec.client_command(target)


def external_details_available(database: Database) -> bool:
    """Whether the external connection details can work: the database is reachable from the
    Internet (the one notion, see :mod:`connections.network`) and its server has a public
    endpoint."""
    return reachable_from_internet(database) and database.public_endpoint is not None
