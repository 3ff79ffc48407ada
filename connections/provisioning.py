"""Creating and dropping databases on real servers, and keeping the dashboard's record in step.

The server comes first: a database is recorded as provisioned only after its server created it,
and its record is deleted only after its server dropped it. A database whose region has no
server of its engine is recorded as not provisioned, and nothing claims otherwise.
"""

from django.db import transaction
from django.db.models import Count

from connections.engines import engine_for
from connections.models import Database, DatabaseServer, Engine, Region


def server_for(engine: str, region: Region) -> DatabaseServer | None:
    """A server of ``engine`` in ``region``: the one holding the fewest databases."""
    # MariaDB speaks MySQL's protocol; a MySQL database may live on either.
    engines = [Engine.MYSQL, Engine.MARIADB] if engine == Engine.MYSQL else [engine]
    return (
        DatabaseServer.objects.filter(engine__in=engines, region=region)
        .annotate(load=Count("databases"))
        .order_by("load", "pk")
        .first()
    )


def create(database: Database) -> Database:
    """Create ``database`` (unsaved) on a server of its engine and region, then record it.

    Raises :class:`connections.engines.EngineError` when the server refuses; nothing is recorded
    then. If recording fails after the server created it, the server copy is dropped again.
    """
    database.server = server_for(database.engine, database.region)
    if database.server is None:
        database.save()
        return database
    engine = engine_for(database.server)
    engine.create(database, database.password)
    try:
        with transaction.atomic():
            database.save()
    except Exception:
        engine.drop(database)
        raise
    return database


def drop(database: Database) -> None:
    """Drop ``database`` on its server, then delete its record (and, by cascade, its links)."""
    if database.server is not None:
        engine_for(database.server).drop(database)
    database.delete()
