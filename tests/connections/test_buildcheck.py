"""Build steps that need the database are spotted, and a plan moves them to the front of the start
command, where the internal network is live; everything else stays in the build."""

import pytest

from connections.buildcheck import database_steps, plan_move_to_start, split_steps


@pytest.mark.parametrize(
    "command",
    [
        "prisma migrate deploy",
        "npx prisma migrate deploy",
        "python manage.py migrate",
        "bundle exec rails db:migrate",
        "php artisan migrate --force",
        "alembic upgrade head",
        "npx knex migrate:latest",
        "npx sequelize-cli db:migrate",
        "flyway -url=jdbc:postgresql://shop-db:5432/shop -user=shop migrate",
        "mix ecto.migrate",
    ],
)
def test_a_migration_step_is_detected(command):
    assert database_steps(command) == [command]


def test_only_the_database_step_of_a_combined_command_is_detected():
    command = "npm ci && npx prisma migrate deploy && npm run build"
    assert database_steps(command) == ["npx prisma migrate deploy"]


@pytest.mark.parametrize(
    "command",
    [
        "npm ci && npm run build",
        "pip install -r requirements.txt",
        "go build ./...",
        "python manage.py collectstatic --noinput",
        "cargo build --release",
        "",
    ],
)
def test_a_build_without_database_steps_is_left_alone(command):
    assert database_steps(command) == []
    assert plan_move_to_start(command, "npm start") is None


@pytest.mark.parametrize(
    "command",
    [
        "npm ci && npm run build",
        "npm ci; npm run build",
        "npm ci\nnpm run build",
        "  npm ci  &&\n  npm run build  \n",
    ],
)
def test_split_steps_cuts_on_separators_and_trims(command):
    assert split_steps(command) == ["npm ci", "npm run build"]


def test_plan_moves_the_migration_to_the_front_of_the_start_command():
    plan = plan_move_to_start("npm ci && npx prisma migrate deploy && npm run build", "npm start")
    assert plan.steps == ["npx prisma migrate deploy"]
    assert plan.build_command == "npm ci && npm run build"
    assert plan.start_command == "npx prisma migrate deploy && npm start"


def test_plan_with_an_empty_start_command_starts_with_just_the_steps():
    plan = plan_move_to_start("npm ci && npx prisma migrate deploy && npm run build", "  ")
    assert plan.start_command == "npx prisma migrate deploy"
    assert plan.build_command == "npm ci && npm run build"


def test_plan_keeps_several_steps_in_their_order():
    plan = plan_move_to_start(
        "pip install -r requirements.txt && python manage.py migrate && "
        "python manage.py loaddata fixtures.json && python manage.py collectstatic --noinput",
        "gunicorn app.wsgi",
    )
    assert plan.build_command == (
        "pip install -r requirements.txt && python manage.py collectstatic --noinput"
    )
    assert plan.start_command == (
        "python manage.py migrate && python manage.py loaddata fixtures.json && gunicorn app.wsgi"
    )


def test_plan_of_a_build_made_only_of_migrations_leaves_an_empty_build():
    plan = plan_move_to_start("alembic upgrade head", "uvicorn main:app")
    assert (plan.build_command, plan.start_command) == (
        "",
        "alembic upgrade head && uvicorn main:app",
    )


def test_no_plan_that_would_turn_a_fallback_into_a_sequence():
    # `a || b` runs b only when a fails; rewriting it as `a && b` changes what the build does,
    # so no one-click move is offered (the warning still names the step).
    command = "npm ci || npm install && npx prisma migrate deploy"
    assert plan_move_to_start(command, "npm start") is None
    assert database_steps(command) == ["npx prisma migrate deploy"]


@pytest.mark.parametrize(
    ("command", "detected"),
    [
        ("flyway -url=jdbc:postgresql://db/shop migrate", True),
        ("flyway info", False),
        ("liquibase --changelog-file=x.xml update", True),
        ("npx typeorm -d src/data.ts migration:run", True),
        ("goose -dir db postgres up", True),
        ("migrate -path db -database postgres://db up", True),
        ("migrate -path db up", False),
        ("up goose", False),
    ],
)
def test_a_tool_with_options_before_its_subcommand_is_detected(command, detected):
    assert database_steps(command) == ([command] if detected else [])


# Commands an attacker would type to make a backtracking pattern retry from every position: the
# first word of a two-word rule over and over without the second, and a long run of blanks
# between two words (which ``\s*`` around the separator retried). Each is 100,000 characters,
# five times what the form accepts, as a command saved before the limit would be.
@pytest.mark.parametrize(
    ("command", "steps"),
    [
        ("flyway " * 14_286, []),
        ("flyway " * 14_285 + "migrate", ["flyway " * 14_285 + "migrate"]),
        ("goose " * 16_667, []),
        ("a" + " " * 100_000 + "b", []),
        ("prisma migrate deploy;" * 4_546, ["prisma migrate deploy"] * 4_546),
    ],
    ids=["first-word-repeated", "second-word-at-the-end", "goose", "blanks", "many-steps"],
)
def test_a_long_hostile_command_gets_the_right_answer(command, steps):
    assert database_steps(command) == [step.strip() for step in steps]
