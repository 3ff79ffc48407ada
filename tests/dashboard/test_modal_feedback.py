"""A modal refused for bad input shows the form again with what was typed and the error next to
the field, and a modal form disables itself and drops a second submit while it waits."""

import pytest
from django.urls import reverse

HTMX = {"HX-Request": "true"}


@pytest.mark.parametrize(
    ("url_name", "data", "kept", "error"),
    [
        (
            "variable_add",
            {"key": "1-BAD", "value": "typed-value-42", "runtime": "on"},
            "typed-value-42",
            'id="id_key-error"',
        ),
        ("port_edit", {"internal_port": "70000"}, 'value="70000"', 'id="id_internal_port-error"'),
    ],
)
def test_a_refused_modal_keeps_what_was_typed(developer_client, app, url_name, data, kept, error):
    response = developer_client.post(reverse(url_name, args=["acme", app.slug]), data, headers=HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert kept in content
    assert error in content


def test_a_modal_form_disables_itself_and_drops_a_second_submit(developer_client, app):
    content = developer_client.get(
        reverse("port_edit", args=["acme", app.slug]), headers=HTMX
    ).content.decode()
    assert 'hx-disabled-elt="find .modal-fields"' in content
    assert 'hx-sync="this:drop"' in content
    assert '<fieldset class="modal-fields"' in content
