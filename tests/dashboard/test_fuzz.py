"""Whatever a member or a pipeline sends, the answer is never a 5xx: every form of the dashboard
and both API endpoints, fed by hypothesis with arbitrary text for their fields (and fields they do
not have), over SQLite or the PostgreSQL of DATABASE_URL."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections import tokens
from connections.models import Variable

# Text that has broken parsers before: nesting, escapes, references, long runs, odd characters.
NASTY = [
    "",
    "0",
    "-1",
    "99999999999999999999",
    "1e400",
    "NaN",
    "{{ shop.SECRET }}" * 50,
    "{{ shop-db.DATABASE_URL }}",
    "[" * 3000,
    '{"version": ' + "[" * 2000,
    "a" + " " * 5000 + "b",
    "flyway " * 2000,
    "0.0.0.0/0",
    "::/0",
    "203.0.113.0/24",
    "%zz%00\x00",
    "\u202e\ufeff\ud7ff",
    "'; DROP TABLE connections_application; --",
    "<script>alert(1)</script>",
]
text = st.one_of(st.sampled_from(NASTY), st.text(max_size=300))

# Each form's URL name, and the fields it reads (and some it does not).
FORMS = {
    "application_create": ["name", "slug", "region", "internal_port", "build_command"],
    "application_commands": ["build_command", "start_command"],
    "port_edit": ["internal_port"],
    "variable_add": ["key", "value", "build", "runtime"],
    "variable_edit": ["key", "value", "build", "runtime", "reveal", "revealed"],
    "variable_reveal": ["phase", "key"],
    "token_create": ["name"],
    "connection_add": ["other", "add_variables", "prefix", "key_host", "refresh", "acknowledged"],
    "connection_add_for_database": ["other", "add_variables", "prefix", "add_rule"],
    "build_fix": ["anything"],
    "database_create": ["name", "slug", "engine", "version", "region", "resource_model"],
    "password_change": ["password", "generate"],
    "copy_replace": ["copy"],
    "credentials_reveal": ["endpoint"],
    "database_probe": ["anything"],
    "database_delete": ["confirm"],
    "network_force_tls": ["state", "then"],
    "network_internet": ["state", "then"],
    "network_rule_add": ["network", "label", "confirm_everyone"],
    "network_managed_rule_add": ["region"],
    "database_network": ["source", "address", "tls"],
}
TEAM_ONLY = {"application_create", "database_create"}
DATABASE = {
    "database_create",
    "password_change",
    "copy_replace",
    "credentials_reveal",
    "database_probe",
    "database_delete",
    "network_force_tls",
    "network_internet",
    "network_rule_add",
    "network_managed_rule_add",
    "database_network",
    "connection_add_for_database",
}
RELAXED = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def cast(client_for, owner, make_application, make_database):
    app = make_application(name="Shop", slug="shop")
    database = make_database(name="Shop DB", slug="shop-db")
    variable = Variable.objects.create(application=app, key="SECRET", value="v", runtime=True)
    return client_for(owner), app, database, variable


def _url(name, app, database, variable):
    if name in TEAM_ONLY:
        return reverse(name, args=["acme"])
    if name == "variable_edit":
        return reverse(name, args=["acme", app.slug, variable.public_id])
    return reverse(name, args=["acme", database.slug if name in DATABASE else app.slug])


@pytest.mark.parametrize("name", sorted(FORMS))
def test_no_form_answers_a_5xx(cast, name):
    client, app, database, variable = cast
    url = _url(name, app, database, variable)
    fields = st.sampled_from([*FORMS[name], "extra"])

    @RELAXED
    @given(data=st.dictionaries(fields, text, max_size=6), htmx=st.booleans())
    def post(data, htmx):
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.post(url, data, headers=headers)
        assert response.status_code < 500, (data, response.status_code)
        response = client.get(url, data, headers=headers)
        assert response.status_code < 500, (data, response.status_code)

    post()


@pytest.mark.parametrize("name", sorted(FORMS))
@pytest.mark.parametrize("htmx", [False, True])
def test_a_nul_byte_in_every_field_is_refused_not_a_5xx(cast, name, htmx):
    """PostgreSQL refuses text holding NUL: no typed value may reach a query unchecked, and a
    modal that previews while choosing (``refresh``) queries with what was typed."""
    client, app, database, variable = cast
    url = _url(name, app, database, variable)
    headers = {"HX-Request": "true"} if htmx else {}
    for refresh in ["", "0", "keys", "prefix"]:
        data = {field: "%zz%00\x00" for field in FORMS[name]} | {"refresh": refresh}
        for response in [client.post(url, data, headers=headers), client.get(url, data)]:
            assert response.status_code < 500, (data, response.status_code)


@pytest.fixture
def pipeline(developer, make_application):
    app = make_application(name="Shop", slug="shop")
    return app, tokens.create_token(developer, app, "CI")[1]


def _json_values():
    return st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=20,
    )


@RELAXED
@given(
    body=st.one_of(
        st.binary(max_size=2000),
        st.sampled_from(NASTY).map(str.encode),
        _json_values().map(lambda value: json.dumps({"version": value}).encode()),
    ),
    content_type=st.sampled_from(["application/json", "text/plain", "application/octet-stream"]),
    authorised=st.booleans(),
)
def test_the_deployments_api_never_answers_a_5xx(pipeline, body, content_type, authorised):
    app, secret = pipeline
    url = reverse("api_deployments", args=["acme", app.slug])
    headers = {"Authorization": f"Bearer {secret if authorised else 'hbr_nope'}"}
    response = Client().post(url, body, content_type=content_type, headers=headers)
    assert response.status_code < 500


@RELAXED
@given(params=st.dictionaries(st.sampled_from(["phase", "format", "x"]), text, max_size=3))
def test_the_environment_api_never_answers_a_5xx(pipeline, params):
    app, secret = pipeline
    url = reverse("api_environment", args=["acme", app.slug])
    response = Client().get(url, params, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code < 500
