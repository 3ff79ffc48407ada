"""Deploy tokens: created once, stored as a digest, checked on every API call."""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from connections import activity
from connections.models import ActivityKind, Application, DeployToken

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
    try:
        token = DeployToken.objects.select_related("application__team").get(
            digest=_digest(secret.strip())
        )
    except DeployToken.DoesNotExist:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now
        DeployToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
