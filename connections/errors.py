"""The domain's one way of saying no."""


class Refused(Exception):
    """A change the domain refuses; the message says why, in words for the user.

    ``field`` names the form field the message belongs next to, if any.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
