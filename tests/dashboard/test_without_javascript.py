"""Without JavaScript every answer is a page: what htmx swaps into a page (a revealed secret, a
connection test) comes as a whole page of its own, with the way back; and a viewer is told why
the buttons that change things are missing."""

import pytest
from django.urls import reverse

from connections.models import Variable

HTMX = {"HX-Request": "true"}


@pytest.fixture
def answers(app, database):
    """Each answer htmx swaps in: its URL, what is posted, what it shows, and the page beneath."""
    Variable.objects.create(application=app, key="API_SECRET", value="s3cr3t-value")
    settings = reverse("application_settings", args=["acme", app.slug])
    overview = reverse("database_detail", args=["acme", database.slug])
    return {
        "variable_reveal": (
            reverse("variable_reveal", args=["acme", app.slug]),
            {"phase": "runtime", "key": "API_SECRET"},
            "s3cr3t-value",
            settings,
        ),
        "credentials_reveal": (
            reverse("credentials_reveal", args=["acme", database.slug]),
            {"endpoint": "internal"},
            'data-testid="revealed-password"',
            overview,
        ),
        "database_probe": (
            reverse("database_probe", args=["acme", database.slug]),
            {},
            "Not provisioned: there is no server to connect to.",
            overview,
        ),
    }


@pytest.mark.parametrize("name", ["variable_reveal", "credentials_reveal", "database_probe"])
def test_an_answer_is_a_whole_page_without_javascript(developer_client, answers, name):
    url, data, shown, back = answers[name]
    content = developer_client.post(url, data).content.decode()
    assert content.startswith("<!doctype html>")
    assert 'data-testid="fragment-page"' in content
    assert shown in content
    assert f'href="{back}"' in content


@pytest.mark.parametrize("name", ["variable_reveal", "credentials_reveal", "database_probe"])
def test_htmx_gets_only_the_fragment(developer_client, answers, name):
    url, data, shown, _ = answers[name]
    content = developer_client.post(url, data, headers=HTMX).content.decode()
    assert shown in content
    assert "<html" not in content


@pytest.mark.parametrize(
    "url_name", ["application_list", "database_list", "team_members", "team_activity"]
)
def test_a_viewer_is_told_the_pages_are_read_only(viewer_client, developer_client, url_name):
    url = reverse(url_name, args=["acme"])
    assert 'data-testid="read-only-note"' in viewer_client.get(url).content.decode()
    assert 'data-testid="read-only-note"' not in developer_client.get(url).content.decode()


def test_the_read_only_note_is_on_resource_pages_too(viewer_client, app, database):
    for url in (
        reverse("application_settings", args=["acme", app.slug]),
        reverse("database_detail", args=["acme", database.slug]),
    ):
        assert 'data-testid="read-only-note"' in viewer_client.get(url).content.decode()
