"""A strict Content Security Policy on every page; scripts carry the per-response nonce."""

import re

from django.urls import reverse


def _policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def test_login_page_has_a_strict_policy(client):
    policy = _policy(client.get(reverse("login")))
    assert policy["default-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"


def test_no_unsafe_inline_or_eval_anywhere(developer_client, team):
    header = developer_client.get(reverse("application_list", args=["acme"])).headers[
        "Content-Security-Policy"
    ]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header


def test_every_script_tag_carries_the_response_nonce(developer_client, team):
    response = developer_client.get(reverse("application_list", args=["acme"]))
    nonce = re.search(r"'nonce-([^']+)'", _policy(response)["script-src"]).group(1)
    scripts = re.findall(rb"<script[^>]*>", response.content)
    assert scripts
    assert all(f'nonce="{nonce}"'.encode() in tag for tag in scripts)


def test_no_inline_style_or_event_handler_attributes(developer_client, team, make_application):
    make_application()
    content = developer_client.get(reverse("application_list", args=["acme"])).content
    assert not re.search(rb"\sstyle=", content)
    assert not re.search(rb"\son[a-z]+=", content)


def test_htmx_is_served_from_our_own_static_files(developer_client, team):
    content = developer_client.get(reverse("application_list", args=["acme"])).content
    assert re.search(rb'<script src="/static/django_htmx/htmx[-.a-z0-9]*js"', content)
