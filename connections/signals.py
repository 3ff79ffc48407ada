"""Keeping environments in step with changes made outside the dashboard's own flows.

Operators edit database servers in the admin; when a server's endpoints move, every linked
variable and reference to its databases resolves to something new, so the applications that
depend on them need a restart. ``dashboard`` cannot call into ``connections``, hence a signal.
"""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from connections.environment import bump_environments
from connections.models import DatabaseServer

ENDPOINT_FIELDS = ("internal_host", "internal_port", "public_host", "public_port")


def _endpoints(server: DatabaseServer) -> tuple:
    return tuple(getattr(server, name) for name in ENDPOINT_FIELDS)


@receiver(pre_save, sender=DatabaseServer)
def remember_endpoints(sender: type, instance: DatabaseServer, **kwargs: object) -> None:
    previous = DatabaseServer.objects.filter(pk=instance.pk).first() if instance.pk else None
    instance._previous_endpoints = _endpoints(previous) if previous else None


@receiver(post_save, sender=DatabaseServer)
def bump_after_endpoint_change(sender: type, instance: DatabaseServer, **kwargs: object) -> None:
    previous = getattr(instance, "_previous_endpoints", None)
    if previous is None or previous == _endpoints(instance):
        return
    databases = list(instance.databases.select_related("team"))
    for team in {database.team for database in databases}:
        bump_environments(team, databases=[db for db in databases if db.team_id == team.pk])
