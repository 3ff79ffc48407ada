"""The Members page: invitations (shown once, expire, revoked), roles, removing, leaving."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connections import teams
from connections.errors import Refused
from connections.models import Activity, Invitation, Membership, Role
from tests.conftest import PASSWORD

HTMX = {"HX-Request": "true"}
NEW_PASSWORD = "a-Long-new-passphrase-42"


def _invite(client: Client, **data) -> str:
    response = client.post(
        reverse("invitation_create", args=["acme"]),
        {"role": "developer", "note": "Ada", **data},
        headers=HTMX,
    )
    assert response.status_code == 200
    return response.context["link"]


def _path(link: str) -> str:
    return link.removeprefix("http://testserver")


def test_members_page_lists_everyone_with_their_role(viewer_client, owner, developer):
    content = viewer_client.get(reverse("team_members", args=["acme"])).content.decode()
    assert 'data-testid="member-owner"' in content
    assert 'data-testid="member-developer"' in content
    assert "Invite someone" not in content
    assert 'data-testid="invitations"' not in content


def test_an_invitation_link_is_shown_once_and_stored_as_a_digest(team_admin_client, team):
    link = _invite(team_admin_client)
    secret = link.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert secret not in invitation.digest
    assert invitation.role == Role.DEVELOPER
    page = team_admin_client.get(reverse("team_members", args=["acme"])).content.decode()
    assert secret not in page
    assert "Ada" in page
    entry = Activity.objects.get(verb="invited someone to")
    assert entry.changes == {"role": "developer", "note": "Ada"}


def test_an_invitation_without_a_note_records_no_empty_note(team_admin_client):
    _invite(team_admin_client, note="")
    entry = Activity.objects.get(verb="invited someone to")
    assert entry.changes == {"role": "developer"}


def test_an_admin_may_not_invite_an_owner_but_an_owner_may(team_admin_client, owner_client):
    response = team_admin_client.post(
        reverse("invitation_create", args=["acme"]), {"role": "owner"}, headers=HTMX
    )
    assert "owner is not one of the available choices" in response.content.decode()
    assert not Invitation.objects.exists()
    _invite(owner_client, role="owner")
    assert Invitation.objects.get().role == Role.OWNER


def test_a_new_person_creates_an_account_and_joins(team_admin_client, team):
    path = _path(_invite(team_admin_client))
    visitor = Client()
    assert b"Create an account" in visitor.get(path).content
    response = visitor.post(
        path, {"username": "ada", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("application_list", args=["acme"])
    assert Membership.objects.get(user__username="ada").role == Role.DEVELOPER
    assert visitor.get(reverse("application_list", args=["acme"])).status_code == 200
    assert Activity.objects.filter(verb="joined", actor_name="ada").exists()


def test_a_weak_password_keeps_the_invitation_and_creates_nobody(team_admin_client):
    path = _path(_invite(team_admin_client))
    response = Client().post(path, {"username": "ada", "password1": "abc", "password2": "abc"})
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not get_user_model().objects.filter(username="ada").exists()
    assert Invitation.objects.get().accepted_at is None


def test_someone_with_an_account_joins_once_signed_in(team_admin_client, outsider, team):
    path = _path(_invite(team_admin_client, role="viewer"))
    client = Client()
    client.force_login(outsider)
    assert b"Join Acme" in client.get(path).content
    assert client.post(path).status_code == 302
    assert Membership.objects.get(team=team, user=outsider).role == Role.VIEWER


def test_a_link_works_once(team_admin_client, outsider):
    path = _path(_invite(team_admin_client))
    client = Client()
    client.force_login(outsider)
    client.post(path)
    assert client.get(path).status_code == 404


def test_a_member_is_told_they_already_belong(team_admin_client, developer_client):
    path = _path(_invite(team_admin_client))
    response = developer_client.post(path)
    assert "already a member of Acme" in response.content.decode()
    assert Invitation.objects.get().accepted_at is None


def test_an_expired_link_is_404_and_names_no_team(team_admin_client):
    path = _path(_invite(team_admin_client))
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(path)
    assert response.status_code == 404
    assert b"Acme" not in response.content


def test_a_revoked_link_stops_working(team_admin_client):
    path = _path(_invite(team_admin_client))
    invitation = Invitation.objects.get()
    response = team_admin_client.post(
        reverse("invitation_revoke", args=["acme", invitation.public_id]), headers=HTMX
    )
    assert response.status_code == 204
    assert Client().get(path).status_code == 404
    assert Activity.objects.filter(verb="revoked an invitation to").exists()


def test_an_admin_changes_a_role(team_admin_client, developer):
    url = reverse("member_role", args=["acme", "developer"])
    response = team_admin_client.post(url, {"role": "viewer"}, headers=HTMX)
    assert response.status_code == 204
    assert Membership.objects.get(user=developer).role == Role.VIEWER
    entry = Activity.objects.get(verb="changed the role of")
    assert entry.changes == {"old": "developer", "new": "viewer"}


def test_an_admin_may_not_touch_an_owner(team_admin_client, owner):
    url = reverse("member_role", args=["acme", "owner"])
    response = team_admin_client.post(url, {"role": "viewer"}, headers=HTMX)
    assert "Only an owner" in response.content.decode()
    assert Membership.objects.get(user=owner).role == Role.OWNER


def test_the_last_owner_cannot_be_demoted_removed_or_leave(owner_client, owner, team):
    second = get_user_model().objects.create_user("second", password=PASSWORD)
    Membership.objects.create(team=team, user=second, role=Role.OWNER)
    owner_client.post(reverse("member_role", args=["acme", "second"]), {"role": "admin"})
    assert Membership.objects.get(user=second).role == Role.ADMIN
    response = owner_client.post(reverse("team_leave", args=["acme"]), headers=HTMX)
    assert "last owner of Acme" in response.content.decode()
    with pytest.raises(Refused, match="last owner"):
        teams.remove_member(owner, Membership.objects.get(user=owner))
    with pytest.raises(Refused, match="last owner"):
        teams.change_role(owner, Membership.objects.get(user=owner), Role.ADMIN)
    assert Membership.objects.get(user=owner).role == Role.OWNER


def test_an_admin_removes_a_member(team_admin_client, developer, make_application):
    make_application(slug="web")
    response = team_admin_client.post(
        reverse("member_remove", args=["acme", "developer"]), headers=HTMX
    )
    assert response.status_code == 204
    assert not Membership.objects.filter(user=developer).exists()
    assert Activity.objects.filter(verb="removed", target_label="developer").exists()
    client = Client()
    client.force_login(developer)
    assert client.get(reverse("application_detail", args=["acme", "web"])).status_code == 404


def test_anyone_may_leave(viewer_client, viewer):
    response = viewer_client.post(reverse("team_leave", args=["acme"]))
    assert response.status_code == 302
    assert not Membership.objects.filter(user=viewer).exists()
    assert Activity.objects.filter(verb="left", actor_name="viewer").exists()
    assert viewer_client.get(reverse("team_members", args=["acme"])).status_code == 404


def test_the_members_list_refreshes_as_a_fragment(owner_client, owner):
    response = owner_client.get(
        reverse("team_members", args=["acme"]), headers={**HTMX, "HX-Target": "members"}
    )
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="members"')
    assert "What each role may do" not in content


def test_an_invitation_revoked_while_the_page_was_open_is_refused(team_admin_client, outsider):
    _invite(team_admin_client)
    invitation = Invitation.objects.get()
    Invitation.objects.all().delete()
    with pytest.raises(Refused, match="used, revoked or has expired"):
        teams.accept_invitation(outsider, invitation)
    assert not Membership.objects.filter(user=outsider, team__slug="acme").exists()


@pytest.mark.parametrize("name", ["member_role", "member_remove"])
@pytest.mark.parametrize("member", ["a\x00b", "no one", "développeur?"])
def test_a_name_no_person_can_have_is_404_before_any_query(team_admin_client, name, member):
    """A NUL byte would reach PostgreSQL (which refuses it) as a 500: the URL refuses it, and
    anything else Django's usernames cannot hold, first."""
    url = f"/t/acme/members/{quote(member)}/{name.removeprefix('member_')}/"
    assert team_admin_client.get(url).status_code == 404
    assert team_admin_client.post(url).status_code == 404


def test_a_username_with_every_allowed_character_reaches_its_page(team_admin_client, team):
    person = get_user_model().objects.create_user(username="dev.o+ps@acme-1_x", password=PASSWORD)
    Membership.objects.create(team=team, user=person, role=Role.VIEWER)
    url = reverse("member_role", args=["acme", person.username])
    assert team_admin_client.get(url).status_code == 200
