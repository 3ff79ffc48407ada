"""Changing an application's variables: saving and deleting them, revealing a resolved value,
and replacing a copied old password with a reference that follows the database.

Each function changes one thing, marks the applications whose environment it alters as needing
a restart, and records it, in one transaction.
"""

import hashlib
import re

from django.contrib.auth.models import User
from django.db import transaction

from connections import activity
from connections.environment import TeamEnvironments, UnresolvedEnvironment, bump_environments
from connections.errors import Refused
from connections.locking import lock
from connections.models import KEY_PATTERN, ActivityKind, Application, Database, Variable


@transaction.atomic
def save_variable(actor: User, variable: Variable) -> Variable:
    """Save a new or edited variable (already validated) and record its key and phases."""
    creating = variable.pk is None
    variable.save()
    bump_environments(variable.application.team, applications=[variable.application])
    activity.record(
        actor,
        variable.application.team,
        ActivityKind.ADDED_VARIABLE if creating else ActivityKind.EDITED_VARIABLE,
        variable.application,
        key=variable.key,
        phases=[phase.value for phase in variable.phases],
    )
    return variable


@transaction.atomic
def delete_variable(actor: User, variable: Variable) -> None:
    """Delete a variable (linked or plain) and record its key."""
    application = variable.application
    variable.delete()
    bump_environments(application.team, applications=[application])
    activity.record(
        actor, application.team, ActivityKind.DELETED_VARIABLE, application, key=variable.key
    )


@transaction.atomic
def reveal_variable(
    actor: User, application: Application, phase: str, key: str
) -> tuple[str | None, str | None]:
    """The value ``key`` resolves to in ``phase``, or why the environment does not resolve, as
    ``(value, error)``; recorded as revealed by ``actor``.

    ``(None, None)`` when the phase has no such key; nothing is recorded then.
    """
    if not re.fullmatch(KEY_PATTERN, key):
        return None, None  # no variable can have it, even when the environment does not resolve
    try:
        environment = TeamEnvironments(application.team).resolve(application, phase)
        value, error = environment.get(key), None
    except UnresolvedEnvironment as exc:
        value, error = None, str(exc)
    if value is None and error is None:
        return None, None
    activity.record(
        actor, application.team, ActivityKind.REVEALED_VARIABLE, application, key=key, phase=phase
    )
    return value, error


@transaction.atomic
def reveal_environment(actor: User, application: Application, phase: str) -> dict[str, str]:
    """The environment ``application`` gets in ``phase``, every value resolved; recorded as
    revealed by ``actor``. Raises :class:`UnresolvedEnvironment` (nothing recorded, nothing
    revealed) when it does not resolve."""
    environment = TeamEnvironments(application.team).resolve(application, phase)
    activity.record(
        actor, application.team, ActivityKind.REVEALED_ENVIRONMENT, application, phase=phase
    )
    return environment


def reveal_stored_value(actor: User, variable: Variable) -> str:
    """The value of a plain variable as stored (references unresolved), for its edit form;
    recorded as revealed by ``actor``."""
    application = variable.application
    activity.record(
        actor, application.team, ActivityKind.REVEALED_VARIABLE, application, key=variable.key
    )
    return variable.value


def fingerprint(value: str) -> str:
    """A digest that tells whether a value changed, without keeping the value."""
    return hashlib.sha256(value.encode()).hexdigest()


class StaleCopy(Refused):
    """The variable changed since the copy was found; nothing was replaced."""


@transaction.atomic
def replace_copy(
    actor: User, variable: Variable, replacement: str, seen: str, database: Database
) -> None:
    """Replace a copied old password with a reference that follows ``database``.

    ``seen`` is the :func:`fingerprint` of the value when the copy was found; a variable that
    changed since, or is now needed during the build (where a database's internal details are
    refused), is left alone: :class:`StaleCopy` is raised.
    """
    lock(variable, "value", "build")
    if fingerprint(variable.value) != seen or variable.build:
        raise StaleCopy(f"{variable.key} changed since; update it by hand.")
    variable.value = replacement
    variable.save(update_fields=["value", "updated_at"])
    bump_environments(database.team, applications=[variable.application])
    activity.record(
        actor,
        database.team,
        ActivityKind.LINKED_COPIED_PASSWORD,
        variable.application,
        key=variable.key,
        database=database.slug,
    )
