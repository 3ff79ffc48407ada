"""The one way a change locks what it decides on.

A change reads a row, decides, then writes. Two people changing the same row at once must not
both decide on what they read before the other wrote: each change locks the row first, rereads
it, and only then decides.
"""

from django.db import OperationalError, connection
from django.db.models import F, Model

from connections.errors import Refused


class Busy(Refused):
    """Another change to the same row is under way and this store cannot wait for it."""


def lock[M: Model](instance: M, *fields: str) -> M:
    """Lock ``instance``'s row until the transaction ends and reread ``fields`` into it (every
    field when none is named); returns ``instance``. Call it inside ``transaction.atomic``.

    On PostgreSQL a second change of the row waits for this one. SQLite has no row locks: there
    the lock is its one write lock, taken by a write that changes nothing, and a change that
    cannot get it raises :class:`Busy` before anything happened.
    """
    model = type(instance)
    rows = model._default_manager.filter(pk=instance.pk)
    key = model._meta.pk.attname
    try:
        if not connection.features.has_select_for_update:
            rows.update(**{key: F(key)})
        instance.refresh_from_db(fields=fields or None, from_queryset=rows.select_for_update())
    except OperationalError:
        raise Busy(
            f"Nothing was changed: another change to this {model._meta.verbose_name} is under "
            "way. Try again in a moment."
        ) from None
    return instance
