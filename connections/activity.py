"""The activity log's one entry point: every change in the domain goes through :func:`record`,
called by the domain function that makes the change, never by a view or a command."""

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import models
from django.db.models import Q

from connections.models import Activity, ActivityKind, Application, Database, Team

# A key naming one of these is a programming error: the log must never hold a secret.
SECRET_WORDS = ("password", "secret", "token", "admin_url", "value")


def _check_no_secret(changes: Mapping[str, Any], path: str = "") -> None:
    for key, value in changes.items():
        name = f"{path}{key}"
        if any(word in key.lower() for word in SECRET_WORDS):
            raise ValueError(f"Refusing to record {name!r}: the activity log never holds secrets.")
        if isinstance(value, Mapping):
            _check_no_secret(value, f"{name}.")


def record(
    actor: User | None,
    team: Team,
    kind: ActivityKind,
    target: models.Model | None = None,
    **changes: Any,
) -> Activity:
    """Record that ``actor`` made a change of ``kind`` to ``target`` in ``team``, with what
    changed; ``actor`` None means the system (or a deploy pipeline) did.

    ``kind`` must be an :class:`ActivityKind` (free text raises ``ValueError``). ``changes`` must
    be JSON-serialisable and may not name a secret (see ``SECRET_WORDS``): record *that* a
    password changed, never the password.
    """
    kind = ActivityKind(kind)
    _check_no_secret(changes)
    return Activity.objects.create(
        team=team,
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "system",
        verb=kind.value,
        target_type=(target._meta.model_name or "") if target is not None else "",
        target_id=target.pk if target is not None else None,
        target_label=str(target) if target is not None else "",
        changes=changes,
    )


def feed(
    team: Team, *, resource: Application | Database | None = None, actor_name: str = ""
) -> models.QuerySet[Activity]:
    """The team's activity, newest first: with ``resource``, only what concerns it (recorded
    against it, or naming it as the other side, as a connection names its application); with
    ``actor_name``, only what that person (or ``system``) did."""
    entries = Activity.objects.filter(team=team)
    if resource is not None:
        kind = resource._meta.model_name
        named = Q(**{f"changes__{kind}": resource.slug})
        entries = entries.filter(Q(target_type=kind, target_id=resource.pk) | named)
    if actor_name:
        entries = entries.filter(actor_name=actor_name)
    return entries


def actor_names(entries: models.QuerySet[Activity]) -> list[str]:
    """Who appears in ``entries``, by name whatever the case, in one query."""
    names = entries.order_by().values_list("actor_name", flat=True).distinct()
    return sorted(names, key=lambda name: (name.casefold(), name))
