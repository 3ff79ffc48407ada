"""Login is throttled per user and address (django-axes): guessing from one address locks that
user out from there, with a message, while the right password from elsewhere still works, and
the lock lifts once the cool-off has passed."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

ATTACKER = "203.0.113.66"
ELSEWHERE = "198.51.100.7"


def _login(address, username, password):
    client = Client(REMOTE_ADDR=address)
    return client, client.post(reverse("login"), {"username": username, "password": password})


def _logged_in(client):
    return client.get(reverse("home")).wsgi_request.user.is_authenticated


def test_thirty_wrong_passwords_from_one_address_are_throttled(developer):
    answers = [_login(ATTACKER, developer.username, f"guess-{n}")[1] for n in range(30)]
    limit = settings.AXES_FAILURE_LIMIT
    assert [r.status_code for r in answers[: limit - 1]] == [200] * (limit - 1)
    assert {r.status_code for r in answers[limit - 1 :]} == {429}
    content = answers[-1].content.decode()
    assert "Too many failed attempts to log in as this user from your address" in content
    assert 'data-testid="locked-out"' in content
    # The right password from the same address is refused too until the cool-off.
    client, response = _login(ATTACKER, developer.username, PASSWORD)
    assert response.status_code == 429
    assert not _logged_in(client)


def test_the_right_password_from_another_address_still_works(developer):
    for n in range(30):
        _login(ATTACKER, developer.username, f"guess-{n}")
    client, response = _login(ELSEWHERE, developer.username, PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


def test_the_lock_lifts_after_the_cool_off(developer):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(ATTACKER, developer.username, f"guess-{n}")
    assert _login(ATTACKER, developer.username, PASSWORD)[1].status_code == 429
    # Time passes: the last attempt is now older than the cool-off.
    past = settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - past)
    client, response = _login(ATTACKER, developer.username, PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


def test_a_failed_attempt_does_not_store_the_password(developer):
    _login(ATTACKER, developer.username, "my-secret-guess")
    attempt = AccessAttempt.objects.get()
    assert "my-secret-guess" not in str(attempt.post_data)


@pytest.mark.parametrize("username", ["nobody", "developer"])
def test_wrong_logins_under_the_limit_get_the_usual_message(username, developer):
    response = _login(ATTACKER, username, "wrong")[1]
    assert response.status_code == 200
    assert 'data-testid="locked-out"' not in response.content.decode()
