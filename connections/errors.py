"""The domain's one refusal style.

A change the domain will not make raises a :class:`Refused` (or a subclass naming the idea it
belongs to). The message is a sentence for the person who asked, safe to show; ``field`` names
the form field it belongs next to, when there is one, so a page can put any refusal in its
place the same way.
"""


class Refused(Exception):
    """A change refused, and why, in words for the user. Nothing was changed."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
