"""The home page sends a member to a team; switching teams is remembered."""

from django.urls import reverse

from connections.models import Application, Membership, Role


def test_home_sends_a_member_to_their_team(developer_client, team):
    assert developer_client.get(reverse("home")).url == reverse("application_list", args=["acme"])


def test_home_remembers_the_team_last_visited(developer_client, developer, other_team):
    Membership.objects.create(team=other_team, user=developer, role=Role.VIEWER)
    developer_client.get(reverse("database_list", args=["globex"]))
    assert developer_client.get(reverse("home")).url == reverse("application_list", args=["globex"])


def test_switcher_lists_every_team_of_the_user(developer_client, developer, other_team):
    Membership.objects.create(team=other_team, user=developer, role=Role.VIEWER)
    content = developer_client.get(reverse("application_list", args=["acme"])).content
    assert b"Globex" in content
    assert b"Acme" in content


def test_a_user_without_a_team_is_told_what_to_do(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("loner", password="x-password-1"))
    assert b"not in a team yet" in client.get(reverse("home")).content


def test_a_first_visit_lands_on_the_team_with_the_most_resources(
    developer_client, developer, other_team, make_application, region
):
    # acme is the developer's first team, but globex has more to look at.
    Membership.objects.create(team=other_team, user=developer, role=Role.VIEWER)
    make_application(slug="one")
    for slug in ("a", "b"):
        Application.objects.create(team=other_team, region=region, name=slug, slug=slug)
    assert developer_client.get(reverse("home")).url == reverse("application_list", args=["globex"])


def test_the_team_last_visited_wins_over_the_busiest(
    developer_client, developer, other_team, region
):
    Membership.objects.create(team=other_team, user=developer, role=Role.VIEWER)
    Application.objects.create(team=other_team, region=region, name="a", slug="a")
    developer_client.get(reverse("application_list", args=["acme"]))
    assert developer_client.get(reverse("home")).url == reverse("application_list", args=["acme"])
