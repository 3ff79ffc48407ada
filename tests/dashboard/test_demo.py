"""`manage.py demo --no-serve` prepares a realistic team and can run again safely."""

from io import StringIO

from django.contrib.auth import authenticate
from django.core.management import call_command

from connections.models import Activity, Application, Database, Membership, Role, Team


def _run() -> str:
    out = StringIO()
    call_command("demo", "--no-serve", stdout=out)
    return out.getvalue()


def _counts() -> tuple[int, ...]:
    models = (Team, Membership, Application, Database, Activity)
    return tuple(model.objects.count() for model in models)


def test_demo_creates_three_roles_and_prints_their_logins(db):
    output = _run()
    roles = set(Membership.objects.filter(team__slug="acme").values_list("role", flat=True))
    assert roles == {Role.OWNER, Role.DEVELOPER, Role.VIEWER}
    assert "dev-demo-pass" in output
    assert authenticate(username="viewer", password="viewer-demo-pass") is not None


def test_demo_has_resources_to_look_at(db):
    _run()
    assert Application.objects.filter(team__slug="acme").count() >= 3
    assert set(Database.objects.values_list("engine", flat=True)) >= {"postgresql", "redis"}


def test_running_demo_twice_changes_nothing(db):
    _run()
    first = _counts()
    _run()
    assert _counts() == first
