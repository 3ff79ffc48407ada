"""Renaming and deleting applications and databases, and what would break first.

Slugs never change: URLs, ``{{ slug.KEY }}`` references and the deploy API name a resource by
its slug, so a rename only changes what people read.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from connections import activity, linking
from connections.environment import bump_environments, references_in
from connections.locking import lock
from connections.models import ActivityKind, Application, Database, Variable


@dataclass(frozen=True)
class Reference:
    """A variable of another application whose value names the resource."""

    application: Application
    key: str
    reference: str


def references_to(resource: Application | Database) -> list[Reference]:
    """Every ``{{ slug.KEY }}`` of the team's other applications that names ``resource``, which
    stops resolving once it is gone, sorted by application and key."""
    # Values are encrypted at rest: the database cannot search them, so they are read here.
    variables = Variable.objects.filter(
        application__team_id=resource.team_id, connection__isnull=True
    ).select_related("application")
    if isinstance(resource, Application):
        variables = variables.exclude(application_id=resource.pk)
    found = [
        Reference(variable.application, variable.key, f"{{{{ {slug}.{key} }}}}")
        for variable in variables
        for slug, key in references_in(variable.value)
        if slug == resource.slug
    ]
    return sorted(found, key=lambda r: (r.application.name.lower(), r.key.lower(), r.reference))


@transaction.atomic
def rename(actor: User, resource: Application | Database, name: str) -> bool:
    """Give an application or a database another name (its slug stays); returns whether the name
    changed."""
    old = lock(resource, "name").name
    if name == old:
        return False
    resource.name = name
    resource.save(update_fields=["name", "updated_at"])
    kind = (
        ActivityKind.RENAMED_APPLICATION
        if isinstance(resource, Application)
        else ActivityKind.RENAMED_DATABASE
    )
    activity.record(actor, resource.team, kind, resource, old=old, new=name)
    return True


@transaction.atomic
def delete_application(actor: User, application: Application) -> None:
    """Delete an application: its connections go first (each recorded, their credentials with
    them), then its variables and deploy tokens. Applications that referenced it are marked as
    needing a restart: their environment no longer resolves."""
    for connection in application.connections.select_related("database", "application__team"):
        linking.disconnect(actor, connection)
    bump_environments(application.team, applications=[application])
    activity.record(
        actor,
        application.team,
        ActivityKind.DELETED_APPLICATION,
        application,
        references=[r.reference for r in references_to(application)],
    )
    application.delete()
