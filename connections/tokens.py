"""Deploy tokens: created once, stored as a digest, checked on every API call."""

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any, cast

import psycopg
from django.contrib.auth.models import User
from django.db import NotSupportedError, connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Model
from django.db.models.expressions import Col
from django.utils import timezone

from connections import activity
from connections.models import ActivityKind, Application, DeployToken, Team

TOKEN_PREFIX = "hbr_"  # noqa: S105 (a marker that makes leaked tokens easy to scan for)
# How stale a token's last use may be: a pipeline polling every second writes once in this long,
# not on every read.
LAST_USED_PRECISION = timedelta(minutes=5)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_token(actor: User, application: Application, name: str) -> tuple[DeployToken, str]:
    """Create a token for ``application``; return it with the secret, which is never shown again."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = DeployToken.objects.create(
        application=application,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        digest=_digest(secret),
        created_by=actor,
    )
    activity.record(
        actor, application.team, ActivityKind.CREATED_DEPLOY_TOKEN, application, name=name
    )
    return token, secret


@transaction.atomic
def revoke_token(actor: User, token: DeployToken) -> None:
    """Delete a token: pipelines that hold it get 401 from now on."""
    application = token.application
    token.delete()
    activity.record(
        actor, application.team, ActivityKind.REVOKED_DEPLOY_TOKEN, application, name=token.name
    )


def authenticate(authorization: str) -> DeployToken | None:
    """The token named by an ``Authorization: Bearer …`` header, or None.

    Records when it was last used, to within :data:`LAST_USED_PRECISION`.
    """
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.startswith(TOKEN_PREFIX):
        return None
    token = _find(_digest(secret.strip()))
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now
        DeployToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


# Every deploy call reads its token with the application and team, in one query. On the API's
# busiest path the ORM costs more than the query: compiling the join, and even raw(), which
# inspects the columns and builds its iterator anew on every call. So the SQL is written once
# and the row becomes the three instances directly, each column through the converters the ORM
# would apply (dates and the UUID, on some backends). The application and team get the fields
# the API needs, their other fields deferred.
_APPLICATION_FIELDS = {"id", "team_id", "name", "slug", "internal_port", "environment_version"}
_TEAM_FIELDS = {"id", "name", "slug"}

Converter = Callable[[Any, Col, BaseDatabaseWrapper], Any]


@dataclass(frozen=True)
class _Selected:
    """The columns read for one model, in the order of its concrete fields (from_db's)."""

    model: type[Model]
    columns: list[Col]

    @classmethod
    def of(cls, model: type[Model], alias: str, names: set[str] | None = None) -> "_Selected":
        fields = model._meta.concrete_fields
        return cls(model, [f.get_col(alias) for f in fields if names is None or f.attname in names])

    def instance(self, values: list[Any]) -> Model:
        names = [column.target.attname for column in self.columns]
        return self.model.from_db(connection.alias, names, values)


@cache
def _select_token() -> tuple[str, list[_Selected], list[tuple[Col, list[Converter]]]]:
    """The query, the columns it reads model by model, and each column's converters."""
    selected = [
        _Selected.of(DeployToken, "k"),
        _Selected.of(Application, "a", _APPLICATION_FIELDS),
        _Selected.of(Team, "t", _TEAM_FIELDS),
    ]
    columns = [column for model in selected for column in model.columns]
    converters = [
        (column, connection.ops.get_db_converters(column) + column.get_db_converters(connection))
        for column in columns
    ]
    quote = connection.ops.quote_name
    names = ", ".join(f"{c.alias}.{quote(c.target.column or c.target.attname)}" for c in columns)
    token, application, team = (quote(model.model._meta.db_table) for model in selected)
    # Names come from the models; the digest is a parameter.
    sql = (
        f"SELECT {names} FROM {token} k"  # noqa: S608
        f" JOIN {application} a ON a.id = k.application_id"
        f" JOIN {team} t ON t.id = a.team_id WHERE k.digest = %s"
    )
    return sql, selected, converters


def _server_bound_cursor() -> CursorWrapper:
    """Django's cursor, binding its parameters on the server, so the statement can be prepared.

    Django binds parameters in the client, so PostgreSQL parses and plans every query anew;
    for the token query the planning costs more than the lookup. Bound on the server, psycopg
    prepares it on its sixth run on a connection (``prepare_threshold``, which
    ``DATABASE_PREPARED_STATEMENTS`` sets); Django's own cursors never prepare. Django still
    checks the connection and makes the cursor (its wrapper, error translation, execute wrappers,
    query logging, timezone), only from another class; the log shows the query with ``$1``.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    # Django's checks first: they may replace a kept connection the server dropped.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    server = connection.connection
    client_binding = server.cursor_factory
    server.cursor_factory = psycopg.Cursor
    try:
        return connection.cursor()
    finally:
        server.cursor_factory = client_binding


def _token_row(sql: str, digest: str) -> tuple[Any, ...] | None:
    with _server_bound_cursor() as cursor:
        cursor.execute(sql, [digest])
        return cursor.fetchone()


def _find(digest: str) -> DeployToken | None:
    """The token with ``digest``, its application and team loaded (their other fields deferred)."""
    sql, selected, converters = _select_token()
    try:
        row = _token_row(sql, digest)
    except NotSupportedError as error:
        # A migration (by another process) changed a column the statement reads: PostgreSQL
        # refuses the prepared copy ("cached plan must not change result type"). Outside a
        # transaction, drop this connection's prepared statements (psycopg notices and forgets
        # them too) and ask again; in one, the rollback that follows drops them.
        stale = isinstance(error.__cause__, psycopg.errors.FeatureNotSupported)
        if not stale or connection.in_atomic_block:
            raise
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
        row = _token_row(sql, digest)
    if row is None:
        return None
    values = []
    for value, (column, convert) in zip(row, converters, strict=True):
        for converter in convert:
            value = converter(value, column, connection)
        values.append(value)
    instances = []
    for model in selected:
        instances.append(model.instance(values[: len(model.columns)]))
        values = values[len(model.columns) :]
    token = cast(DeployToken, instances[0])
    token.application = cast(Application, instances[1])
    token.application.team = cast(Team, instances[2])
    return token
