"""Showing that a secret exists without showing the secret."""

from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from connections.models import RESERVED_KEYS

MASK = "••••••••"


def mask_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """The same keys in the same order, every value masked but those the platform sets from the
    application's own settings (``PORT``), which are never a secret."""
    return {key: value if key in RESERVED_KEYS else MASK for key, value in environment.items()}


def mask_url(url: str) -> str:
    """A connection URL with its password masked and its query (which may hold one) hidden.

    Never fails: a URL that does not parse is masked whole after its scheme, and so is one whose
    user part spilled into the path, query or fragment (a /, ? or # left unencoded in the
    password), whatever characters the password holds.
    """
    whole = f"{url.partition('://')[0]}://{MASK}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return whole
    if "#" in url or "@" in parts.path + parts.query:
        return whole
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    if parts.username is not None or parts.password is not None:
        secret = f":{MASK}" if parts.password is not None else ""
        netloc = f"{parts.username or ''}{secret}@{netloc}"
    return urlunsplit(parts._replace(netloc=netloc, query=MASK if parts.query else ""))
