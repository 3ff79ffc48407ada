"""The activity log: who did what, when; written only through :mod:`connections.activity`."""

from django.conf import settings
from django.db import models

from connections.models.teams import Team


class Activity(models.Model):
    """One recorded change: who, when, what. Written through :func:`connections.activity.record`."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="activities")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text so the record still reads right after the user or the target is deleted.
    actor_name = models.CharField(max_length=150)
    verb = models.CharField(max_length=60)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["team", "-created_at"], name="activity_team_recent"),
            models.Index(fields=["target_type", "target_id"], name="activity_target"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.verb} {self.target_label}".strip()
