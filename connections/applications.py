"""Changing applications: creating one, its commands, its internal port, moving database steps
out of the build, and what a deploy pipeline reports it deployed.

Each function takes the actor, changes one thing in one transaction, marks the environments it
alters as needing a restart, and records it.
"""

from django.contrib.auth.models import User
from django.db import transaction

from connections import activity, rotation
from connections.buildcheck import MovePlan
from connections.environment import bump_environments
from connections.errors import Refused
from connections.locking import lock
from connections.models import ActivityKind, Application, DeployToken

COMMANDS = ("build_command", "start_command")


@transaction.atomic
def create_application(actor: User, application: Application) -> Application:
    """Save a new application (already validated) and record its region and port."""
    application.save()
    activity.record(
        actor,
        application.team,
        ActivityKind.CREATED_APPLICATION,
        application,
        region=application.region.slug,
        internal_port=application.internal_port,
    )
    return application


@transaction.atomic
def change_commands(
    actor: User, application: Application, build_command: str, start_command: str
) -> list[str]:
    """Set the build and start commands; record, and return, which of them changed."""
    lock(application, *COMMANDS)
    wanted = dict(zip(COMMANDS, (build_command, start_command), strict=True))
    changed = sorted(
        name for name, command in wanted.items() if getattr(application, name) != command
    )
    for name, command in wanted.items():
        setattr(application, name, command)
    application.save(update_fields=[*COMMANDS, "updated_at"])
    activity.record(
        actor, application.team, ActivityKind.CHANGED_COMMANDS, application, changed=changed
    )
    return changed


@transaction.atomic
def change_port(actor: User, application: Application, port: int) -> bool:
    """Set the application's internal port (and so ``PORT``); returns whether it changed."""
    old = lock(application, "internal_port").internal_port
    if port == old:
        return False
    application.internal_port = port
    application.save(update_fields=["internal_port", "updated_at"])
    bump_environments(application.team, applications=[application])
    activity.record(
        actor, application.team, ActivityKind.CHANGED_PORT, application, old=old, new=port
    )
    return True


@transaction.atomic
def move_steps_to_start(actor: User, application: Application, plan: MovePlan) -> None:
    """Apply a previewed plan: the database steps leave the build for the start command."""
    application.build_command = plan.build_command
    application.start_command = plan.start_command
    application.save(update_fields=[*COMMANDS, "updated_at"])
    activity.record(
        actor, application.team, ActivityKind.MOVED_BUILD_STEPS, application, steps=plan.steps
    )


@transaction.atomic
def record_deployment(token: DeployToken, version: int) -> Application:
    """Record that the pipeline holding ``token`` deployed environment ``version`` of its
    application, so the pages say whether it needs a restart; old connection credentials that
    every application has now deployed past are revoked (:func:`rotation.settle`).

    Raises :class:`Refused` when ``version`` is not between 1 and the current version.
    """
    application = lock(token.application, "environment_version", "deployed_environment_version")
    if not 1 <= version <= application.environment_version:
        raise Refused(
            f"version must be between 1 and the current version, {application.environment_version}."
        )
    application.deployed_environment_version = version
    application.save(update_fields=["deployed_environment_version"])
    activity.record(
        None, application.team, ActivityKind.DEPLOYED, application, version=version, via=token.name
    )
    rotation.settle(application)
    return application


@transaction.atomic
def mark_restarted(actor: User, application: Application) -> bool:
    """Record that the application was restarted with its current environment, as a deploy
    pipeline's report would (settling credential rotations too); returns whether it needed it."""
    lock(application, "environment_version", "deployed_environment_version")
    needed = application.needs_restart
    application.deployed_environment_version = application.environment_version
    application.save(update_fields=["deployed_environment_version"])
    version = application.environment_version
    activity.record(
        actor, application.team, ActivityKind.MARKED_RESTARTED, application, version=version
    )
    rotation.settle(application)
    return needed
