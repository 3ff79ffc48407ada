"""Changes that ripple through environments.

Each function saves one change, marks the applications whose environment it alters as needing
a restart, and records it in the activity log, all in one transaction, so views only parse,
authorise and call one of these.
"""

import hashlib

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from connections import activity, provisioning
from connections.buildcheck import MovePlan
from connections.environment import bump_environments
from connections.models import Application, Database, Variable


@transaction.atomic
def save_variable(actor: AbstractBaseUser, variable: Variable) -> Variable:
    """Save a new or edited variable (already validated) and record its key and phases."""
    creating = variable.pk is None
    variable.save()
    bump_environments(variable.application.team, applications=[variable.application])
    activity.record(
        actor,
        variable.application.team,
        "added variable" if creating else "edited variable",
        variable.application,
        key=variable.key,
        phases=[phase.value for phase in variable.phases],
    )
    return variable


@transaction.atomic
def delete_variable(actor: AbstractBaseUser, variable: Variable) -> None:
    application = variable.application
    variable.delete()
    bump_environments(application.team, applications=[application])
    activity.record(actor, application.team, "deleted variable", application, key=variable.key)


@transaction.atomic
def change_port(actor: AbstractBaseUser, application: Application, port: int) -> bool:
    """Set the application's internal port (and so ``PORT``); returns whether it changed."""
    old = Application.objects.get(pk=application.pk).internal_port
    if port == old:
        return False
    application.internal_port = port
    application.save(update_fields=["internal_port", "updated_at"])
    bump_environments(application.team, applications=[application])
    activity.record(
        actor, application.team, "changed the internal port of", application, old=old, new=port
    )
    return True


@transaction.atomic
def move_steps_to_start(actor: AbstractBaseUser, application: Application, plan: MovePlan) -> None:
    """Apply a previewed plan: the database steps leave the build for the start command."""
    application.build_command = plan.build_command
    application.start_command = plan.start_command
    application.save(update_fields=["build_command", "start_command", "updated_at"])
    activity.record(
        actor,
        application.team,
        "moved database steps to the start command of",
        application,
        steps=plan.steps,
    )


def fingerprint(value: str) -> str:
    """A digest that tells whether a value changed, without keeping the value."""
    return hashlib.sha256(value.encode()).hexdigest()


class StaleCopy(Exception):
    """The variable changed since the copy was found; nothing was replaced."""


@transaction.atomic
def replace_copy(
    actor: AbstractBaseUser, variable: Variable, replacement: str, seen: str, database: Database
) -> None:
    """Replace a copied old password with a reference that follows ``database``.

    ``seen`` is the :func:`fingerprint` of the value when the copy was found; a variable that
    changed since, or is now needed during the build (where a database's internal details are
    refused), is left alone.
    """
    variable = (
        Variable.objects.select_for_update().select_related("application").get(pk=variable.pk)
    )
    if fingerprint(variable.value) != seen or variable.build:
        raise StaleCopy(f"{variable.key} changed since; update it by hand.")
    variable.value = replacement
    variable.save(update_fields=["value", "updated_at"])
    bump_environments(database.team, applications=[variable.application])
    activity.record(
        actor,
        database.team,
        "linked a copied password of",
        variable.application,
        key=variable.key,
        database=database.slug,
    )


@transaction.atomic
def delete_database(actor: AbstractBaseUser, database: Database) -> None:
    """Drop the database on its server, then forget it; the apps that used it need a restart.

    Raises :class:`connections.engines.EngineError` (nothing deleted) when the server refuses.
    """
    bump_environments(database.team, databases=[database])
    activity.record(
        actor,
        database.team,
        "deleted database",
        database,
        server=database.server.name if database.server else "not provisioned",
    )
    provisioning.drop(database)
