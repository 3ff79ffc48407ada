"""Who is in a team: invitations, roles, removing members and leaving.

A team always keeps an owner: no change here leaves it without one. Only an owner may make
someone an owner or change or remove an owner; admins manage everyone else.
"""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from connections import activity
from connections.errors import Refused
from connections.locking import lock
from connections.models import ActivityKind, Invitation, Membership, Role, Team

INVITATION_LIFETIME = timedelta(days=7)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _role_of(actor: User, team: Team) -> Role:
    membership = Membership.objects.filter(team=team, user_id=actor.pk).first()
    if membership is None:
        raise Refused("Only members of the team may do that.")
    return Role(membership.role)


def _check_may_manage(actor_role: Role, *roles: str) -> None:
    if Role.OWNER in roles and actor_role is not Role.OWNER:
        raise Refused("Only an owner may make someone an owner or change an owner.", field="role")


def _keeps_an_owner(team: Team, leaving: Membership) -> None:
    # The team's row is the lock: two changes at once cannot both take away the last owner.
    lock(team, "name")
    owners = team.memberships.filter(role=Role.OWNER).exclude(pk=leaving.pk)
    if leaving.role == Role.OWNER and not owners.exists():
        raise Refused(
            f"{leaving.user.get_username()} is the last owner of {team.name}: make someone else "
            "an owner first."
        )


def _usable() -> QuerySet[Invitation]:
    return Invitation.objects.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())


def pending_invitations(team: Team) -> QuerySet[Invitation]:
    """The team's invitations that may still be used, newest first."""
    return _usable().filter(team=team)


@transaction.atomic
def invite(actor: User, team: Team, role: str, note: str = "") -> tuple[Invitation, str]:
    """Create an invitation to ``team`` with ``role``; return it with its secret, which is part
    of the link and never shown again. It expires after :data:`INVITATION_LIFETIME`."""
    _check_may_manage(_role_of(actor, team), role)
    secret = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        team=team,
        role=role,
        note=note,
        digest=_digest(secret),
        created_by=actor,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    details = {"note": note} if note else {}
    activity.record(actor, team, ActivityKind.INVITED, team, role=role, **details)
    return invitation, secret


@transaction.atomic
def revoke_invitation(actor: User, invitation: Invitation) -> None:
    """Delete an invitation: its link stops working."""
    invitation.delete()
    team, role = invitation.team, invitation.role
    activity.record(actor, team, ActivityKind.REVOKED_INVITATION, team, role=role)


def find_invitation(secret: str) -> Invitation | None:
    """The invitation a link's secret names, if it may still be used."""
    if not secret:
        return None
    return _usable().select_related("team").filter(digest=_digest(secret)).first()


@transaction.atomic
def accept_invitation(user: User, invitation: Invitation) -> Membership:
    """Make ``user`` a member with the invitation's role; the invitation is then used up."""
    gone = Refused("This invitation has been used, revoked or has expired.")
    try:
        lock(invitation)  # a link clicked twice at once joins once
    except Invitation.DoesNotExist:
        raise gone from None
    if invitation.accepted_at is not None or invitation.expires_at <= timezone.now():
        raise gone
    team = invitation.team
    if Membership.objects.filter(team=team, user_id=user.pk).exists():
        raise Refused(f"You are already a member of {team.name}.")
    membership = Membership.objects.create(team=team, user=user, role=invitation.role)
    invitation.accepted_by, invitation.accepted_at = user, timezone.now()
    invitation.save(update_fields=["accepted_by", "accepted_at"])
    activity.record(user, team, ActivityKind.JOINED, team, role=invitation.role)
    return membership


@transaction.atomic
def join_with_new_account(invitation: Invitation, username: str, password: str) -> Membership:
    """Create an account (the password already checked against the validators) and accept the
    invitation with it, together or not at all."""
    user = get_user_model().objects.create_user(username=username, password=password)
    return accept_invitation(user, invitation)


@transaction.atomic
def change_role(actor: User, membership: Membership, role: str) -> None:
    """Give a member another role; never takes the team's last owner away."""
    team = membership.team
    _check_may_manage(_role_of(actor, team), membership.role, role)
    old = membership.role
    if old == role:
        return
    if role != Role.OWNER:
        _keeps_an_owner(team, membership)
    membership.role = role
    membership.save(update_fields=["role"])
    activity.record(actor, team, ActivityKind.CHANGED_ROLE, membership.user, old=old, new=role)


@transaction.atomic
def remove_member(actor: User, membership: Membership) -> None:
    """Take a member out of the team; never its last owner."""
    team = membership.team
    _check_may_manage(_role_of(actor, team), membership.role)
    _keeps_an_owner(team, membership)
    membership.delete()
    activity.record(actor, team, ActivityKind.REMOVED_MEMBER, membership.user, role=membership.role)


@transaction.atomic
def leave_team(user: User, team: Team) -> None:
    """The person leaves the team; its last owner must hand the team over first."""
    membership = Membership.objects.select_related("user").get(team=team, user_id=user.pk)
    _keeps_an_owner(team, membership)
    membership.delete()
    activity.record(user, team, ActivityKind.LEFT, team, role=membership.role)
