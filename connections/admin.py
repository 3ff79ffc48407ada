"""The operators' side of network exposure: the platform's region ranges, which they keep, and
the teams' firewall rules, which they may read but change only through the dashboard (so that
each change is recorded and a database's Internet exposure stays in step with its rules)."""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from connections import exposure
from connections.models import FirewallRule, RegionRange


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
class FirewallRuleAdmin(admin.ModelAdmin):
    list_display = ["label", "source", "database", "team", "created_at"]
    list_filter = [ManagedFilter, "region", "database__region"]
    search_fields = ["label", "network", "database__name", "database__slug", "database__team__name"]
    list_select_related = ["database__team", "region"]
    readonly_fields = ["public_id", "database", "network", "region", "label", "created_at"]

    @admin.display(description="Team", ordering="database__team__name")
    def team(self, rule: FirewallRule) -> str:
        return rule.database.team.name

    # Rules are the teams' to change, through the dashboard, where each change is recorded.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
