"""Showing that a secret exists without showing the secret."""

from urllib.parse import urlsplit, urlunsplit

MASK = "••••••••"


def mask_url(url: str) -> str:
    """Replace the password of a connection URL with a mask; keep the rest readable."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:{MASK}@{host}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))
