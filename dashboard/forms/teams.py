"""Forms for the people of a team: inviting and changing a role."""

from typing import Any, cast

from django import forms

from connections.models import Role


def _grantable(actor_role: Role) -> list[tuple[str, str]]:
    """The roles ``actor_role`` may give: an owner any, an admin any but owner."""
    return [(role.value, role.label) for role in Role if actor_role.at_least(role)]


class InvitationForm(forms.Form):
    role = forms.ChoiceField(label="Role", initial=Role.DEVELOPER)
    note = forms.CharField(
        label="Who it is for",
        max_length=100,
        required=False,
        help_text="A reminder for the team, such as a name or an e-mail address.",
    )

    def __init__(self, *args: Any, actor_role: Role, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = _grantable(actor_role)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role")

    def __init__(self, *args: Any, actor_role: Role, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = _grantable(actor_role)
