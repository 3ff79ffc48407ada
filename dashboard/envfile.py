"""The project's ``.env`` file: settings read it for what the environment leaves unset, and
``manage.py demo`` writes one on a laptop, so that every command run in the project folder
afterwards (``env``, ``runenv``, ``db_worker``, ``runserver``) has the demo's keys.

Nothing here imports Django: ``manage.py`` writes the file before the settings load, since the
keys that encrypt what the demo stores must be the ones every later command reads.
"""

import base64
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parent.parent
VARIABLE = "ENV_FILE"  # another file, or empty for none (the test suite reads none)

# The throwaway key DEBUG falls back to without FIELD_ENCRYPTION_KEYS. Only for a laptop.
DEBUG_ENCRYPTION_KEY = base64.urlsafe_b64encode(b"dev-only-key-never-in-production").decode()

HEADER = """\
# Written by `manage.py demo` for this laptop, never for production (keep it out of git).
# Every manage.py command run in this folder reads it; variables set in the environment win.
"""


def env_file() -> Path | None:
    """The file settings read: ``ENV_FILE`` when set (none when empty), else ``.env`` in the
    project folder."""
    chosen = os.environ.get(VARIABLE)
    if chosen is None:
        return BASE_DIR / ".env"
    return Path(chosen) if chosen.strip() else None


def write_laptop_env(path: Path | None = None) -> bool:
    """Write a laptop's ``.env`` (DEBUG on, a new SECRET_KEY, a new encryption key) unless the
    file exists already; readable by its owner only. Returns whether it was written.

    When an earlier demo left its SQLite store, the throwaway key it was encrypted with comes
    second, so that what it stored still decrypts (``rotate_encryption_keys`` re-encrypts it).
    """
    path = path or env_file()
    if path is None or path.exists():
        return False
    keys = [Fernet.generate_key().decode()]
    if "DATABASE_URL" not in os.environ and (BASE_DIR / "db.sqlite3").exists():
        keys.append(DEBUG_ENCRYPTION_KEY)
    lines = [
        "DEBUG=true",
        f"SECRET_KEY={secrets.token_urlsafe(50)}",
        f"FIELD_ENCRYPTION_KEYS={','.join(keys)}",
    ]
    # Opened 0600 from the start: the keys are never readable by anyone else.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(HEADER + "\n".join(lines) + "\n")
    return True
