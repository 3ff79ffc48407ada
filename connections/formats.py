"""Writing a resolved environment as JSON, dotenv or shell ``export`` lines.

Each format reads back to exactly the same values, whatever characters they hold:
- JSON, by any JSON parser;
- dotenv, by python-dotenv with interpolation off (values are single-quoted with ``\\`` and
  ``'`` escaped; python-dotenv would otherwise expand ``${NAME}`` in any quoting);
- shell, by ``bash``/``sh`` sourcing it (POSIX single quotes through :func:`shlex.quote`).
"""

import json
import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connections.models import Application

FORMATS = ("json", "dotenv", "shell")
CONTENT_TYPES = {
    "json": "application/json",
    "dotenv": "text/plain; charset=utf-8",
    "shell": "text/x-shellscript; charset=utf-8",
}


def meta_for(application: "Application", phase: str) -> dict[str, object]:
    """What a rendering says about itself: the application, the phase, the environment version."""
    return {
        "application": f"{application.team.slug}/{application.slug}",
        "phase": phase,
        "version": application.environment_version,
    }


def _dotenv_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def render(environment: Mapping[str, str], fmt: str, *, meta: Mapping[str, object]) -> str:
    """``environment`` in ``fmt``; ``meta`` (phase, version…) goes in as data or as comments."""
    if fmt == "json":
        return json.dumps({**meta, "variables": dict(environment)}, ensure_ascii=False, indent=2)
    header = "".join(f"# {name}: {value}\n" for name, value in meta.items())
    if fmt == "dotenv":
        return header + "".join(f"{k}={_dotenv_quote(v)}\n" for k, v in environment.items())
    if fmt == "shell":
        return header + "".join(f"export {k}={shlex.quote(v)}\n" for k, v in environment.items())
    raise ValueError(f"Unknown format {fmt!r}; choose one of {', '.join(FORMATS)}.")
