"""Re-encrypt every secret with the first of FIELD_ENCRYPTION_KEYS.

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS (keeping the old ones after it), run
this command, then drop the old keys. Every model's encrypted columns are found by their field
class, so secrets added later need nothing here.
"""

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from connections.crypto import EncryptedTextField

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args: str, **options: Any) -> None:
        for model in apps.get_models():
            fields = [
                field.name
                for field in model._meta.concrete_fields
                if isinstance(field, EncryptedTextField)
            ]
            if not fields:
                continue
            with transaction.atomic():
                rows = list(model._default_manager.only("pk", *fields))
                # Reading decrypted with any key; saving encrypts with the first one.
                model._default_manager.bulk_update(rows, fields, batch_size=BATCH)
            self.stdout.write(f"{model._meta.label}: {len(rows)} rows, {', '.join(fields)}")
