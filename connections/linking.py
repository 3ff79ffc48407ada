"""Adding and removing internal connections, with the linked variables they inject."""

import re
from collections.abc import Mapping

from django.contrib.auth.models import User
from django.db import transaction

from connections import activity, rotation
from connections.environment import bump_environments
from connections.errors import Refused
from connections.models import (
    KEY_PATTERN,
    RESERVED_KEYS,
    ActivityKind,
    Application,
    Connection,
    Database,
    Engine,
    LinkedField,
    Variable,
)

PREFIX_PATTERN = r"^([A-Za-z_][A-Za-z0-9_]*)?\Z"


class ConnectionRefused(Refused):
    """The connection cannot be made; the message says why."""


def refusal(application: Application, database: Database) -> str | None:
    """Why ``application`` cannot get an internal connection to ``database``, or None."""
    if application.team_id != database.team_id:
        return "The application and the database belong to different teams."
    if application.region_id != database.region_id:
        return (
            f"{application.name} runs in {application.region.name} and {database.name} in "
            f"{database.region.name}: internal connections stay within one region's network. "
            "Use the database's external connection instead."
        )
    if Connection.objects.filter(application=application, database=database).exists():
        return f"{application.name} is already connected to {database.name}."
    return None


def proposed_keys(prefix: str = "", *, engine: str = Engine.POSTGRESQL) -> dict[LinkedField, str]:
    """The key proposed for every linked field of an ``engine`` database (the SQL engines'
    ``DB_HOST``… unless told), with an optional prefix (``ANALYTICS_DB_HOST``)."""
    return {field: f"{prefix}{field.default_key(engine)}" for field in LinkedField}


def connected_slugs(resource: Application | Database) -> set[str]:
    """The slugs of what ``resource`` is already connected to: databases of an application,
    applications of a database."""
    if isinstance(resource, Application):
        links = Connection.objects.filter(application=resource)
        return set(links.values_list("database__slug", flat=True))
    return set(
        Connection.objects.filter(database=resource).values_list("application__slug", flat=True)
    )


def key_error(key: str) -> str | None:
    """Why ``key`` cannot name a variable, or None."""
    if not re.fullmatch(KEY_PATTERN, key):
        return "Use letters, digits and underscores, not starting with a digit (e.g. DB_HOST)."
    if key in RESERVED_KEYS:
        return f"{key} is set by the platform to the application's internal port."
    return None


def clashing_keys(application: Application, keys: list[str], phase: str) -> set[str]:
    """Which of ``keys`` the application already defines in ``phase``."""
    existing = Variable.objects.filter(application=application, key__in=keys, **{phase: True})
    return set(existing.values_list("key", flat=True))


def _link(connection: Connection, keys: Mapping[LinkedField, str], *, external: bool) -> None:
    """Variables of the connection's application linked to its database: internal details at
    runtime, or external details for the build."""
    Variable.objects.bulk_create(
        Variable(
            application=connection.application,
            key=key,
            build=external,
            runtime=not external,
            connection=connection,
            linked_field=field,
            external=external,
        )
        for field, key in keys.items()
    )


@transaction.atomic
def connect(
    actor: User,
    application: Application,
    database: Database,
    keys: Mapping[LinkedField, str] | None,
    *,
    read_only: bool = False,
) -> Connection:
    """Connect ``application`` to ``database``; with ``keys``, inject linked runtime variables.

    The connection gets its own credential on the server (read-only when asked), which its
    variables follow once the server has created it (see :mod:`connections.rotation`)."""
    reason = refusal(application, database)
    if reason:
        raise ConnectionRefused(reason)
    connection = Connection.objects.create(
        application=application, database=database, read_only=read_only
    )
    keys = dict(keys or {})
    _link(connection, keys, external=False)
    bump_environments(application.team, applications=[application])
    activity.record(
        actor,
        application.team,
        ActivityKind.CONNECTED,
        database,
        application=application.slug,
        variables=sorted(keys.values()),
        access="read-only" if read_only else "read-write",
    )
    rotation.issue(connection)
    return connection


@transaction.atomic
def disconnect(actor: User, connection: Connection) -> list[str]:
    """Remove the connection and the variables it injected, and revoke its credentials (on the
    server once committed: the user is dropped and its sessions end); return the keys."""
    application, database = connection.application, connection.database
    keys = sorted(connection.variables.values_list("key", flat=True))
    rotation.revoke_for_removal(connection)
    connection.delete()
    bump_environments(application.team, applications=[application])
    activity.record(
        actor,
        application.team,
        ActivityKind.DISCONNECTED,
        database,
        application=application.slug,
        removed_variables=keys,
    )
    return keys


@transaction.atomic
def add_external_build_variables(actor: User, connection: Connection) -> list[str]:
    """Give the build the same keys as the connection's runtime variables, linked to the
    database's external details: the second way out for a build step that needs the database.

    Raises :class:`ConnectionRefused` when the database has no external connection or a key is
    already defined for the build.
    """
    application, database = connection.application, connection.database
    if not database.internet_access or database.public_endpoint is None:
        raise ConnectionRefused(
            f"{database.name} has Internet access off. Turn it on in its Network tab first."
        )
    runtime = {
        LinkedField(v.linked_field): v.key for v in connection.variables.filter(external=False)
    }
    keys = runtime or proposed_keys(engine=database.engine)
    taken = clashing_keys(application, list(keys.values()), "build")
    if taken:
        raise ConnectionRefused(
            f"{', '.join(sorted(taken))} already defined for the build; rename or remove first."
        )
    _link(connection, keys, external=True)
    bump_environments(application.team, applications=[application])
    activity.record(
        actor,
        application.team,
        ActivityKind.ADDED_EXTERNAL_BUILD_VARIABLES,
        database,
        application=application.slug,
        variables=sorted(keys.values()),
    )
    return sorted(keys.values())
