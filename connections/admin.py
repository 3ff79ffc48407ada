"""The operators' side of connections: the platform's region ranges, which they keep; the teams'
firewall rules, connections and variables, which they may read but change only through the
dashboard (so that each change is recorded, applied where it must be, and never shows a secret);
and deploy tokens, which they may revoke."""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from connections import exposure, tokens
from connections.models import Connection, DeployToken, FirewallRule, RegionRange, Variable
from dashboard.admin import ReadOnlyAdmin


class RegionRangeForm(forms.ModelForm):
    """Ranges are validated and normalised like rules, and never overlap another region's:
    an address belongs to at most one region."""

    class Meta:
        model = RegionRange
        fields = ["region", "network", "label"]

    def clean_network(self) -> str:
        try:
            network = exposure.parse_network(self.cleaned_data["network"])
        except exposure.InvalidNetwork as error:
            raise forms.ValidationError(str(error)) from None
        others = RegionRange.objects.exclude(pk=self.instance.pk).select_related("region")
        region = self.cleaned_data.get("region")
        for other in others:
            if other.ip_network.version == network.version and other.ip_network.overlaps(network):
                if region is not None and other.region_id == region.pk:
                    message = f"It overlaps {other.network}, already a range of this region."
                else:
                    message = f"It overlaps {other.network}, a range of {other.region.name}."
                raise forms.ValidationError(message)
        return str(network)


@admin.register(RegionRange)
class RegionRangeAdmin(admin.ModelAdmin):
    form = RegionRangeForm
    list_display = ["network", "region", "label", "created_at"]
    list_filter = ["region"]
    search_fields = ["network", "label", "region__name", "region__slug"]
    list_select_related = ["region"]

    # A rule may now reach beyond the platform, or no longer: recompute every exposure.
    @transaction.atomic
    def save_model(
        self, request: HttpRequest, obj: RegionRange, form: object, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        exposure.resync_internet_access(request.user)

    @transaction.atomic
    def delete_model(self, request: HttpRequest, obj: RegionRange) -> None:
        super().delete_model(request, obj)
        exposure.resync_internet_access(request.user)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        super().delete_queryset(request, queryset)
        exposure.resync_internet_access(request.user)


class ManagedFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("managed", "Managed (region)"), ("cidr", "CIDR range")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "managed":
            return queryset.filter(region__isnull=False)
        if self.value() == "cidr":
            return queryset.filter(region__isnull=True)
        return queryset


@admin.register(FirewallRule)
class FirewallRuleAdmin(ReadOnlyAdmin):
    list_display = ["label", "source", "database", "team", "created_at"]
    list_filter = [ManagedFilter, "region", "database__region"]
    search_fields = ["label", "network", "database__name", "database__slug", "database__team__name"]
    list_select_related = ["database__team", "region"]
    readonly_fields = ["public_id", "database", "network", "region", "label", "created_at"]

    @admin.display(description="Team", ordering="database__team__name")
    def team(self, rule: FirewallRule) -> str:
        return rule.database.team.name


@admin.register(Connection)
class ConnectionAdmin(ReadOnlyAdmin):
    list_display = ["application", "database", "team", "created_at"]
    list_filter = ["database__engine", "application__region"]
    search_fields = ["application__slug", "database__slug", "application__team__name"]
    list_select_related = ["application__team", "database"]

    @admin.display(description="Team", ordering="application__team__name")
    def team(self, connection: Connection) -> str:
        return connection.application.team.name


@admin.register(Variable)
class VariableAdmin(ReadOnlyAdmin):
    """Keys and where they come from; values are secrets and never shown here."""

    list_display = ["key", "application", "build", "runtime", "linked_to"]
    list_filter = ["build", "runtime", "external"]
    search_fields = ["key", "application__slug", "application__team__name"]
    list_select_related = ["application", "connection__database"]
    fields = ["key", "application", "build", "runtime", "linked_to"]
    readonly_fields = fields

    @admin.display(description="Linked to")
    def linked_to(self, variable: Variable) -> str:
        if not variable.is_linked:
            return "—"
        side = "external" if variable.external else "internal"
        return f"{variable.connection.database} · {variable.linked_field} ({side})"


@admin.register(DeployToken)
class DeployTokenAdmin(admin.ModelAdmin):
    """Tokens can be revoked here; their secret exists nowhere but with whoever holds it."""

    list_display = ["name", "prefix", "application", "created_by", "created_at", "last_used_at"]
    search_fields = ["name", "prefix", "application__slug"]
    list_select_related = ["application", "created_by"]
    fields = ["name", "prefix", "application", "created_by", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request: object) -> bool:
        return False

    # Revoking from here is recorded in the team's activity like revoking from the dashboard.
    def delete_model(self, request: HttpRequest, obj: DeployToken) -> None:
        tokens.revoke_token(request.user, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[DeployToken]) -> None:
        for token in queryset.select_related("application__team"):
            tokens.revoke_token(request.user, token)
