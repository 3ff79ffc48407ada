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
    r"\bdrizzle-kit\s+(migrate|push)\b",
    r"\bmix\s+ecto\.(migrate|setup)\b",
    r"\bdbmate\s+(up|migrate)\b",
    r"\bdoctrine:migrations:migrate\b",
]
# Tools whose subcommand may come after any options: the first word, then the second anywhere
# after it. They are two searches, not one ``first.*then`` pattern: a search for that retries the
# ``.*`` from every occurrence of the first word, which is quadratic in the step's length.
DATABASE_STEP_PAIRS = [
    (r"\bflyway\b", r"\bmigrate\b"),
    (r"\bliquibase\b", r"\bupdate\b"),
    (r"\btypeorm\b", r"\bmigration:run\b"),
    (r"\bgoose\b", r"\bup\b"),
    (r"\bmigrate\s+", r"-database\b"),
]
# Every alternative starts with a word boundary and a fixed word, so each position of a step is
# tried against a bounded amount of pattern: the search is linear in the step's length.
_DATABASE_STEP = re.compile("|".join(f"(?:{p})" for p in DATABASE_STEP_PATTERNS))
_DATABASE_STEP_PAIRS = [(re.compile(a), re.compile(b)) for a, b in DATABASE_STEP_PAIRS]
# The separators alone: whitespace around them is stripped from each step afterwards, since
# ``\s*`` on both sides of the separator is retried across a long run of blanks (quadratic).
_SEPARATOR = re.compile(r"&&|\|\||;|\n")


def split_steps(command: str) -> list[str]:
    """The steps of a command line, split on ``&&``, ``||``, ``;`` and new lines."""
    return [step for step in (part.strip() for part in _SEPARATOR.split(command)) if step]


def needs_database(step: str) -> bool:
    """Whether one step of a command line usually talks to the database."""
    if _DATABASE_STEP.search(step):
        return True
    for first, then in _DATABASE_STEP_PAIRS:
        # The earliest occurrence of the first word leaves the most room for the second.
        found = first.search(step)
        if found and then.search(step, found.end()):
            return True
    return False


def database_steps(command: str) -> list[str]:
    """The steps of ``command`` that need a database."""
    return [step for step in split_steps(command) if needs_database(step)]


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
    moved = set(steps)
    remaining = [step for step in split_steps(build_command) if step not in moved]
    start = [*steps, start_command.strip()] if start_command.strip() else steps
    return MovePlan(
        steps=steps, build_command=" && ".join(remaining), start_command=" && ".join(start)
    )
