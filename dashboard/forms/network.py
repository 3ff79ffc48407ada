"""Forms of the database's Network tab: firewall rules and the reachability check. They parse
what was typed; :mod:`connections.network` decides, and its refusals land next to the field."""

from typing import Any, cast

from django import forms

from connections.models import Application, Region
from connections.network import (
    MAX_INPUT_LENGTH,
    MAX_LABEL_LENGTH,
    ExposureRefused,
    Firewall,
    InvalidNetwork,
    Verdict,
    clean_rule_label,
    parse_address,
    parse_network,
)


class RuleForm(forms.Form):
    """A CIDR rule: a range or one address, and a label saying who connects from there."""

    network = forms.CharField(
        label="IP range or address",
        max_length=MAX_INPUT_LENGTH,
        help_text="IPv4 or IPv6, e.g. 203.0.113.0/24, 2001:db8::/48, or 198.51.100.7 alone.",
        widget=forms.TextInput(
            attrs={"spellcheck": "false", "autocomplete": "off", "placeholder": "203.0.113.0/24"}
        ),
    )
    label = forms.CharField(
        max_length=MAX_LABEL_LENGTH,
        help_text="Who or what connects from there, e.g. Office VPN or Metabase.",
        widget=forms.TextInput(attrs={"placeholder": "Office VPN"}),
    )
    confirm_everyone = forms.BooleanField(required=False, label="Allow everyone on the Internet")

    def clean_network(self) -> str:
        try:
            return str(parse_network(self.cleaned_data["network"]))
        except InvalidNetwork as error:
            raise forms.ValidationError(str(error)) from None

    def clean_label(self) -> str:
        try:
            return clean_rule_label(self.cleaned_data["label"])
        except ExposureRefused as refusal:
            raise forms.ValidationError(str(refusal)) from None

    @property
    def asks_for_everyone(self) -> bool:
        """The range typed is the whole Internet: show the confirmation."""
        return "confirm_everyone" in self.errors or bool(self.data.get("confirm_everyone"))


class ManagedRuleForm(forms.Form):
    """A managed rule: one platform region, among those the database does not allow yet."""

    region = forms.ChoiceField(label="Region")

    def __init__(self, *args: Any, regions: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.regions = {region.slug: region for region in regions}
        cast(forms.ChoiceField, self.fields["region"]).choices = [(r.slug, r.name) for r in regions]

    def clean_region(self) -> Region:
        return self.regions[self.cleaned_data["region"]]


class ReachabilityForm(forms.Form):
    """Who is asking: one of the team's applications, or an address with or without TLS."""

    source = forms.ChoiceField(label="From", required=False)
    address = forms.CharField(
        label="Address",
        required=False,
        max_length=MAX_INPUT_LENGTH,
        widget=forms.TextInput(
            attrs={"spellcheck": "false", "autocomplete": "off", "placeholder": "203.0.113.7"}
        ),
    )
    tls = forms.BooleanField(label="Connects with TLS", required=False, initial=True)

    def __init__(self, *args: Any, applications: list[Application], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.applications = {app.slug: app for app in applications}
        choices: list[tuple[str, str | list[tuple[str, str]]]] = [("", "An IP address")]
        if applications:
            choices.append(("Applications", [(app.slug, app.name) for app in applications]))
        cast(forms.ChoiceField, self.fields["source"]).choices = choices

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("source"):
            data["application"] = self.applications[data["source"]]
        elif "address" in data:
            try:
                data["address"] = parse_address(data["address"])
            except InvalidNetwork as error:
                self.add_error("address", str(error))
        return data

    def verdict(self, firewall: Firewall) -> Verdict:
        data = self.cleaned_data
        if "application" in data:
            return firewall.for_application(data["application"])
        return firewall.for_address(data["address"], tls=data["tls"])
