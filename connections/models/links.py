"""How resources reach each other: internal connections and the variables of an application's
environment, typed by hand or linked to a connection."""

import uuid

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from connections.crypto import EncryptedTextField
from connections.engines import Engine
from connections.models.base import KEY_PATTERN
from connections.models.resources import Application, Database

RESERVED_KEYS = frozenset({"PORT"})


class Phase(models.TextChoices):
    BUILD = "build", "Build"
    RUNTIME = "runtime", "Runtime"


class LinkedField(models.TextChoices):
    """The connection details a linked variable can follow."""

    HOST = "host", "Host"
    PORT = "port", "Port"
    NAME = "name", "Database name"
    USER = "user", "User"
    PASSWORD = "password", "Password"
    URL = "url", "Connection URL"

    def default_key(self, engine: str) -> str:
        """The key a variable following this detail of an ``engine`` database is proposed
        under: ``DATABASE_URL`` for the SQL engines, ``REDIS_URL`` for Redis."""
        return Engine(engine).spec.variable_keys[self.value]

    @property
    def is_secret(self) -> bool:
        return self in (LinkedField.PASSWORD, LinkedField.URL)


class Connection(models.Model):
    """An internal connection: an application reaching a database over the regional network."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="connections"
    )
    database = models.ForeignKey(Database, on_delete=models.CASCADE, related_name="connections")
    # Read-only connections get SELECT-only rights; chosen when the connection is added.
    read_only = models.BooleanField(default=False)
    # The credential its linked variables hold now: none until the server created its first
    # one, and then the database's main user stands in.
    credential = models.ForeignKey(
        "Credential", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "database"], name="one_connection_per_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} → {self.database}"


class Variable(models.Model):
    """A key of an application's environment, for the build, at runtime, or both.

    A plain variable holds a value (which may reference other resources, ``{{ slug.KEY }}``). A
    linked variable holds no value: it follows one field of its connection's database, so it
    always shows the current details. A link to the internal details is runtime-only, because
    the internal network is not live during a build; a link to the external details is
    build-only, the way out for a build step that needs the database.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="variables")
    key = models.CharField(max_length=255)
    value = EncryptedTextField(blank=True)
    build = models.BooleanField("available during the build", default=False)
    runtime = models.BooleanField("available at runtime", default=True)
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.CASCADE, related_name="variables"
    )
    linked_field = models.CharField(max_length=20, choices=LinkedField.choices, blank=True)
    # A linked variable follows the internal details (runtime only) or, as the way out for a
    # build that needs the database, the external ones (build only).
    external = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [Lower("key"), "key", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(key__regex=KEY_PATTERN), name="variable_key_posix"),
            models.CheckConstraint(
                condition=~Q(key__in=sorted(RESERVED_KEYS)), name="variable_key_not_reserved"
            ),
            models.CheckConstraint(
                condition=Q(build=True) | Q(runtime=True), name="variable_in_some_phase"
            ),
            models.CheckConstraint(
                condition=Q(connection__isnull=True, linked_field="")
                | Q(connection__isnull=False, linked_field__in=LinkedField.values),
                name="variable_linked_field_iff_connection",
            ),
            models.CheckConstraint(
                condition=Q(connection__isnull=True) | Q(external=True) | Q(build=False),
                name="variable_internal_link_is_runtime_only",
            ),
            models.CheckConstraint(
                condition=Q(external=False) | Q(connection__isnull=False, runtime=False),
                name="variable_external_link_is_build_only",
            ),
            models.UniqueConstraint(
                fields=["application", "key"],
                condition=Q(build=True),
                name="variable_key_once_at_build",
            ),
            models.UniqueConstraint(
                fields=["application", "key"],
                condition=Q(runtime=True),
                name="variable_key_once_at_runtime",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def is_linked(self) -> bool:
        return self.connection_id is not None

    @property
    def phases(self) -> list[Phase]:
        return [phase for phase in Phase if getattr(self, phase.value)]
