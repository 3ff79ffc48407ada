"""Creating and dropping databases on real servers, and keeping the dashboard's record in step.

The server comes first: a database is recorded as provisioned only after its server created it,
and its record is deleted only after its server dropped it. A database is placed only on a
server of its exact engine (never MySQL on MariaDB) whose running version has the same major
version as the one asked for; where the region has no server of its engine at all, it is
recorded as not provisioned, says what is missing, and can be provisioned later.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count

from connections import activity
from connections.enforcement import enforce, enforce_server
from connections.engines import Engine, engine_for
from connections.errors import Refused
from connections.models import Database, DatabaseServer, Region


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
    """Why ``database`` is not provisioned, in words: what an operator must register."""
    engine = Engine(database.engine)
    try:
        server_for(database.engine, database.region, database.version)
    except NoCompatibleServer as refusal:
        return f"{refusal} An operator can register a {engine.label} {database.version} server."
    return (
        f"No {engine.label} {database.version} server is registered in {database.region.name} "
        "yet. Once an operator registers one, it can be provisioned from here."
    )


def provisionable(database: Database) -> bool:
    """Whether a server registered since could now hold a database that has none."""
    try:
        return server_for(database.engine, database.region, database.version) is not None
    except NoCompatibleServer:
        return False


def create(database: Database) -> Database:
    """Create ``database`` (unsaved) on a compatible server of its region, then record it and
    apply its exposure there.

    Raises :class:`connections.engines.EngineError` when the server refuses, and
    :class:`NoCompatibleServer`; nothing is recorded then. If recording fails after the server
    created it, the server copy is dropped again. Without any server of its engine in the
    region, the database is recorded as not provisioned.
    """
    database.server = server_for(database.engine, database.region, database.version)
    if database.server is None:
        database.save()
        return database
    _create_on_server(database)
    return database


def _create_on_server(database: Database) -> None:
    assert database.server is not None
    engine = engine_for(database.server)
    engine.create(database, database.password)
    try:
        with transaction.atomic():
            database.save()
    except Exception:
        engine.drop(database)
        raise
    enforce(database)


def provision(actor: AbstractBaseUser, database: Database) -> Database:
    """Create a database recorded as not provisioned on a server registered since, and record
    that it was.

    Raises what :func:`create` raises, and :class:`Refused` when there is still no server.
    """
    with transaction.atomic():
        locked = Database.objects.select_for_update().get(pk=database.pk)
        if locked.server_id is not None:
            raise Refused("This database is provisioned already.")
        server = server_for(database.engine, database.region, database.version)
        if server is None:
            raise Refused(missing_server(database))
        database.server = server
        _create_on_server(database)
        activity.record(actor, database.team, "provisioned database", database, server=server.name)
    return database


def drop(database: Database) -> None:
    """Drop ``database`` on its server, then delete its record (and, by cascade, its links),
    then take it out of the server's access rules."""
    server = database.server
    if server is not None:
        engine_for(server).drop(database)
    database.delete()
    if server is not None and engine_for(server).per_server:
        transaction.on_commit(lambda: enforce_server(server), robust=True)
