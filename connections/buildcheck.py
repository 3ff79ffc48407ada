"""Spotting build steps that need the database, which an internal connection cannot serve.

The internal network is not live during a build, so a migration in the build command fails when
the application reaches its database over an internal connection. We find such steps and offer to
move them to the start command, where the network is there.
"""

import re
from dataclasses import dataclass

# Commands that usually talk to the database. Each matches one step of a shell command line.
DATABASE_STEP_PATTERNS = [
    r"\bprisma\s+(migrate|db\s+(push|seed))",
    r"\bmanage\.py\s+(migrate|loaddata|createcachetable)\b",
    r"\b(rails|rake)\s+db:\w+",
    r"\bartisan\s+(migrate|db:seed)",
    r"\balembic\s+upgrade\b",
    r"\bflask\s+db\s+upgrade\b",
    r"\bknex\s+(migrate|seed):",
    r"\bsequelize(-cli)?\s+db:(migrate|seed)",
    r"\bflyway\b.*\bmigrate\b",
    r"\bliquibase\b.*\bupdate\b",
    r"\btypeorm\b.*\bmigration:run\b",
    r"\bdrizzle-kit\s+(migrate|push)\b",
    r"\bmix\s+ecto\.(migrate|setup)\b",
    r"\bgoose\b.*\bup\b",
    r"\bdbmate\s+(up|migrate)\b",
    r"\bmigrate\s+.*-database\b",
    r"\bdoctrine:migrations:migrate\b",
]
_DATABASE_STEP = re.compile("|".join(f"(?:{p})" for p in DATABASE_STEP_PATTERNS))
_SEPARATOR = re.compile(r"\s*(?:&&|\|\||;|\n)\s*")


def split_steps(command: str) -> list[str]:
    """The steps of a command line, split on ``&&``, ``||``, ``;`` and new lines."""
    return [step for step in _SEPARATOR.split(command.strip()) if step]


def database_steps(command: str) -> list[str]:
    """The steps of ``command`` that need a database."""
    return [step for step in split_steps(command) if _DATABASE_STEP.search(step)]


@dataclass(frozen=True)
class MovePlan:
    """What the build and start commands become when the database steps move to the start."""

    steps: list[str]
    build_command: str
    start_command: str


def plan_move_to_start(build_command: str, start_command: str) -> MovePlan | None:
    """Move the database steps from the build command to the front of the start command.

    Steps are rejoined with ``&&``, so a command with ``||`` fallbacks gets no plan: rejoining
    would change what runs when a step fails. Such a command is for a person to edit.
    """
    steps = database_steps(build_command)
    if not steps or "||" in build_command:
        return None
    remaining = [step for step in split_steps(build_command) if step not in steps]
    start = [*steps, start_command.strip()] if start_command.strip() else steps
    return MovePlan(
        steps=steps, build_command=" && ".join(remaining), start_command=" && ".join(start)
    )
