"""Creating, provisioning and deleting databases on real servers, and keeping the dashboard's
record (and its activity log) in step.

The server comes first: a database is recorded as provisioned only after its server created it,
and its record is deleted only after its server dropped it. A database is placed only on a
server of its exact engine (never MySQL on MariaDB) whose running version has the same major
version as the one asked for; where the region has no server of its engine at all, it is
recorded as not provisioned, says what is missing, and can be provisioned later.
"""

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count

from connections import activity, rotation
from connections.enforcement import enforce, enforce_server
from connections.engines import Engine, EngineError, engine_for
from connections.environment import bump_environments
from connections.errors import Refused
from connections.locking import lock
from connections.models import ActivityKind, Database, DatabaseServer, Region

NOT_PROVISIONED = "not provisioned"


class NoCompatibleServer(Refused):
    """The region has servers of the engine, but none runs a compatible version."""


def servers_of(engine: str, region: Region) -> list[DatabaseServer]:
    """The servers of exactly ``engine`` in ``region``, least loaded first."""
    return list(
        DatabaseServer.objects.filter(engine=engine, region=region)
        .annotate(load=Count("databases"))
        .order_by("load", "pk")
    )


def server_for(engine: str, region: Region, version: str | None = None) -> DatabaseServer | None:
    """A server of ``engine`` in ``region`` running ``version``'s major version: the one
    holding the fewest databases. None when the region has no server of the engine.

    Raises :class:`NoCompatibleServer` when it has some, but none runs that version.
    """
    servers = servers_of(engine, region)
    if not servers or version is None:
        return servers[0] if servers else None
    major = Engine(engine).spec.major
    for server in servers:
        if server.reported_version and major(server.reported_version) == major(version):
            return server
    running = sorted({server.reported_version for server in servers if server.reported_version})
    raise NoCompatibleServer(
        f"The {region.name} servers run {Engine(engine).label} {', '.join(running) or '?'}, "
        f"not {version}: choose a version they run.",
        field="version",
    )


def missing_server(database: Database) -> str:
    """Why ``database`` cannot be provisioned now, in words: what an operator must register.
    Empty when a server registered since could hold it."""
    engine = Engine(database.engine)
    try:
        if server_for(database.engine, database.region, database.version) is not None:
            return ""
    except NoCompatibleServer as refusal:
        return f"{refusal} An operator can register a {engine.label} {database.version} server."
    return (
        f"No {engine.label} {database.version} server is registered in {database.region.name} "
        "yet. Once an operator registers one, it can be provisioned from here."
    )


def provisionable(database: Database) -> bool:
    """Whether a server registered since could now hold a database that has none."""
    return not missing_server(database)


def create_database(actor: User, database: Database) -> Database:
    """Create ``database`` (validated, unsaved) on a compatible server of its region, save and
    record it, and apply its exposure there. Without any server of its engine in the region, it
    is saved and recorded as not provisioned.

    Raises :class:`NoCompatibleServer` (naming the version field) when the region's servers run
    other versions, and :class:`Refused` when the server refuses; nothing is saved or recorded
    then. If saving fails after the server created it, the server copy is dropped again.
    """
    database.server = server_for(database.engine, database.region, database.version)
    try:
        _place(
            actor,
            database,
            ActivityKind.CREATED_DATABASE,
            engine=database.engine,
            version=database.version,
            region=database.region.slug,
            resource_model=database.resource_model,
            server=database.server.name if database.server else NOT_PROVISIONED,
        )
    except EngineError as error:
        raise Refused(f"The database was not created. {error}") from None
    return database


def provision(actor: User, database: Database) -> Database:
    """Create a database recorded as not provisioned on a server registered since, and record
    that it was.

    Raises :class:`Refused` when it is provisioned already, when there is still no compatible
    server, or when the server refuses; nothing changes then.
    """
    with transaction.atomic():
        lock(database, "server")
        if database.server_id is not None:
            raise Refused("This database is provisioned already.")
        server = server_for(database.engine, database.region, database.version)
        if server is None:
            raise Refused(missing_server(database))
        database.server = server
        try:
            _place(actor, database, ActivityKind.PROVISIONED_DATABASE, server=server.name)
        except EngineError as error:
            raise Refused(str(error)) from None
        rotation.apply_pending(database)
    return database


def _place(actor: User, database: Database, kind: ActivityKind, **changes: str) -> None:
    """Create ``database`` on its server (if it has one), then save and record it in one
    transaction, dropping the server copy again if that fails; then apply its exposure."""
    engine = engine_for(database.server) if database.server is not None else None
    if engine is not None:
        engine.create(database, database.password)
    try:
        with transaction.atomic():
            database.save()
            activity.record(actor, database.team, kind, database, **changes)
    except Exception:
        if engine is not None:
            engine.drop(database)
        raise
    if engine is not None:
        enforce(database)


@transaction.atomic
def delete_database(actor: User, database: Database) -> None:
    """Drop the database on its server with its connections' credentials, then forget it (and,
    by cascade, its connections and their variables); the apps that used it need a restart.
    Once that is committed, a server that keeps one access file for all its databases is told
    it left.

    Raises :class:`Refused` when the server refuses; nothing is deleted then.
    """
    bump_environments(database.team, databases=[database])
    server = database.server
    activity.record(
        actor,
        database.team,
        ActivityKind.DELETED_DATABASE,
        database,
        server=server.name if server else NOT_PROVISIONED,
    )
    if server is not None:
        try:
            engine_for(server).drop(database, rotation.logins_to_drop(database))
        except EngineError as error:
            raise Refused(f"Nothing was deleted. {error}") from None
    database.delete()
    if server is not None and engine_for(server).per_server:
        transaction.on_commit(lambda: enforce_server(server), robust=True)
