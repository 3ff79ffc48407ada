"""Every input is bounded before it is worked on: each text field of each form has a length limit,
an over-long command or value is refused next to its field, and a body past the upload limit is
a 400 before anything parses it."""

import inspect

import pytest
from django import forms
from django.urls import reverse

from dashboard.forms import connections, network, resources
from dashboard.forms.connections import MAX_VARIABLE_VALUE_LENGTH
from dashboard.forms.resources import MAX_COMMAND_LENGTH

FORM_MODULES = (connections, network, resources)


def _form_classes():
    for module in FORM_MODULES:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


@pytest.mark.parametrize("form_class", list(_form_classes()), ids=lambda cls: cls.__name__)
def test_every_text_field_of_every_form_has_a_length_limit(form_class):
    unbounded = [
        name
        for name, field in form_class.base_fields.items()
        if isinstance(field, forms.CharField) and field.max_length is None
    ]
    assert unbounded == []


@pytest.fixture
def app(make_application):
    return make_application(name="Shop", slug="shop")


def test_a_build_command_of_100000_characters_is_refused_next_to_the_field(developer_client, app):
    url = reverse("application_commands", args=["acme", app.slug])
    command = "flyway migrate " * 6_667 + "up"  # 100,007 characters, none stripped
    response = developer_client.post(url, {"build_command": command, "start_command": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors["build_command"] == [
        f"Ensure this value has at most {MAX_COMMAND_LENGTH} characters (it has {len(command)})."
    ]
    app.refresh_from_db()
    assert app.build_command == ""


def test_a_variable_value_past_its_limit_is_refused_next_to_the_field(developer_client, app):
    url = reverse("variable_add", args=["acme", app.slug])
    value = "x" * (MAX_VARIABLE_VALUE_LENGTH + 1)
    response = developer_client.post(url, {"key": "BIG", "value": value, "runtime": "on"})
    assert response.status_code == 200
    assert "at most 32768 characters" in response.context["form"].errors["value"][0]
    assert not app.variables.exists()


def test_a_body_past_the_upload_limit_is_a_400_before_it_is_parsed(developer_client, app):
    url = reverse("variable_add", args=["acme", app.slug])
    response = developer_client.post(url, {"key": "BIG", "value": "x" * 300_000})
    assert response.status_code == 400
    assert not app.variables.exists()
