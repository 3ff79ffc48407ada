"""Admin URLs after they are saved (a password that would not parse as written is refused with
the way to write it: tests/connections/test_admin.py): the admin list masks the password whatever
characters it holds, and no driver text a team member reads holds anything of the admin's URL,
password or user."""

import pytest
from django.urls import reverse
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from connections.engines.base import operator_detail, probe_failure
from connections.masking import MASK, mask_url
from connections.models import DatabaseServer

SKELETON = f"postgresql://admin:{MASK}@db.internal:5432/postgres"


@settings(max_examples=300, deadline=None)
@given(password=st.text(min_size=4, max_size=40))
def test_the_admin_list_never_shows_a_password_whatever_it_holds(password):
    assume(password not in SKELETON)
    masked = mask_url(f"postgresql://admin:{password}@db.internal:5432/postgres")
    assert password not in masked


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://admin:12/x@db.internal:5432/postgres",
        "postgresql://admin:pa#ss@db.internal:5432/postgres",
        "postgresql://admin:12?x@db.internal:5432/postgres",
    ],
)
def test_a_password_that_spilled_out_of_the_user_part_is_masked_whole(url):
    assert mask_url(url) == f"postgresql://{MASK}"


def test_driver_text_is_scrubbed_of_the_admin_password_as_written_and_decoded():
    server = DatabaseServer(admin_url="postgresql://root:Pw%2Fx%zz@127.0.0.1:1/postgres")
    error = Exception(
        'invalid percent-encoded token: "Pw%2Fx%zz"; password Pw/x%zz for user "root" '
        "in postgresql://root:Pw%2Fx%zz@127.0.0.1:1/postgres"
    )
    detail = operator_detail(error, server)
    assert "Pw" not in detail
    probe = probe_failure(error, server).error
    assert "Pw" not in probe
    assert '"root"' not in probe
    assert "the admin user" in probe


@pytest.fixture
def legacy_server(make_server):
    """A server saved before admin URLs were checked: its password has a bad escape. Loopback
    addresses on a closed port, so nothing leaves the machine."""
    return make_server(
        admin_url="postgresql://admin:Adm1n%zz-S3cret@127.0.0.1:1/postgres",
        internal_host="127.0.0.1",
        internal_port=1,
    )


def test_no_team_page_shows_the_admin_password_of_a_legacy_server(
    client_for, owner, make_database, legacy_server
):
    client = client_for(owner)
    database = make_database(slug="shop-db", server=legacy_server)
    args = ["acme", database.slug]
    answers = [
        client.post(reverse("password_change", args=args), {"generate": "1"}),
        client.post(reverse("database_delete", args=args), {"confirm": database.slug}),
        client.post(reverse("database_probe", args=args)),
    ]
    for response in answers:
        assert response.status_code == 200
        content = response.content.decode()
        assert "Adm1n" not in content
        assert "S3cret" not in content
