"""Deploy tokens: created once, stored as a digest, checked on every API call."""

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Model
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


# Every deploy call reads its token with the application and team, in one query. Compiling that
# join through the ORM costs more than running it, on the API's busiest path, so the SQL is
# written once; the token's own columns still go through the ORM's converters (raw()), and the
# application's and team's are numbers and text, which need none.
_APPLICATION_FIELDS = ("id", "team_id", "name", "slug", "internal_port", "environment_version")
_TEAM_FIELDS = ("id", "name", "slug")


def _columns(model: type[Model], alias: str, names: tuple[str, ...] | None = None) -> list[str]:
    """``alias.column`` for each concrete field of ``model`` (only ``names``, aliased, if given)."""
    quote = connection.ops.quote_name
    return [
        f"{alias}.{quote(field.column or field.attname)}"
        + ("" if names is None else f" AS {quote(f'{alias}_{field.attname}')}")
        for field in model._meta.concrete_fields
        if names is None or field.attname in names
    ]


@cache
def _select_token() -> str:
    quote = connection.ops.quote_name
    selected = _columns(DeployToken, "k")
    selected += _columns(Application, "a", _APPLICATION_FIELDS)
    selected += _columns(Team, "t", _TEAM_FIELDS)
    token, application, team = (
        quote(model._meta.db_table) for model in (DeployToken, Application, Team)
    )
    # Names come from the models; the digest is a parameter.
    return (
        f"SELECT {', '.join(selected)} FROM {token} k"  # noqa: S608
        f" JOIN {application} a ON a.id = k.application_id"
        f" JOIN {team} t ON t.id = a.team_id WHERE k.digest = %s"
    )


def _find(digest: str) -> DeployToken | None:
    """The token with ``digest``, its application and team loaded (their other fields deferred)."""
    token = next(iter(DeployToken.objects.raw(_select_token(), [digest])), None)
    if token is None:
        return None
    application = Application.from_db(
        connection.alias,
        list(_APPLICATION_FIELDS),
        [getattr(token, f"a_{name}") for name in _APPLICATION_FIELDS],
    )
    application.team = Team.from_db(
        connection.alias, list(_TEAM_FIELDS), [getattr(token, f"t_{name}") for name in _TEAM_FIELDS]
    )
    token.application = application
    return token
