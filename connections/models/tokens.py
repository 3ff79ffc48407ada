"""Deploy tokens: how a pipeline reads one application's environment."""

import uuid

from django.conf import settings
from django.db import models

from connections.models.resources import Application


class DeployToken(models.Model):
    """A secret that lets a deploy pipeline read one application's environment.

    Only a SHA-256 digest is stored: tokens are long random strings, so a slow hash adds nothing,
    and the token itself is shown once, when it is created.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="deploy_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=12, help_text="The token's first characters, to tell it apart."
    )
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
