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
from django.db import connection, transaction
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


def _prepared_cursor() -> CursorWrapper:
    """A cursor for the token query that PostgreSQL plans once per connection, not per call.

    Django binds parameters in the client, so PostgreSQL parses and plans every query anew;
    for this three-table join the planning costs more than the lookup. A cursor that binds on
    the server lets psycopg prepare the statement once the connection's ``prepare_threshold``
    allows it (``DATABASE_PREPARED_STATEMENTS``); Django's own cursors never prepare. It sits in
    the wrapper Django made, after Django's checks of the connection, so errors, execute
    wrappers and query logging behave as for any query.
    """
    cursor = connection.cursor()
    if connection.vendor == "postgresql":
        cursor.cursor.close()
        cursor.cursor = psycopg.Cursor(connection.connection)
    return cursor


def _find(digest: str) -> DeployToken | None:
    """The token with ``digest``, its application and team loaded (their other fields deferred)."""
    sql, selected, converters = _select_token()
    with _prepared_cursor() as cursor:
        cursor.execute(sql, [digest])
        row = cursor.fetchone()
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
