"""The operators' side: teams, regions, servers and region ranges, which they keep; everything
the dashboard changes (applications, databases, connections, variables, firewall rules), which
they may read here but change only through the dashboard, so that each change is recorded and
applied where it must be; deploy tokens and invitations, which they may revoke.
Secrets are never shown."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from connections import enforcement, network, servers, teams, tokens
from connections.engines import admin_url_problem
from connections.masking import mask_url
from connections.models import (
    Activity,
    Application,
    Connection,
    Credential,
    Database,
    DatabaseServer,
    DeployToken,
    FirewallRule,
    Invitation,
    Membership,
    Region,
    RegionRange,
    Team,
    Variable,
)


def _operator(request: HttpRequest) -> User:
    """The signed-in operator: the admin site lets no one else reach a ModelAdmin."""
    if not isinstance(request.user, User):
        raise PermissionDenied("Sign in to the admin site first.")
    return request.user


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows that change only through the dashboard, where each change is applied where it
    must be and recorded: operators may read them here, never add, edit or delete."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role", "created_at"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__email", "team__name"]
    list_select_related = ["user", "team"]
    autocomplete_fields = ["user", "team"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "team", "region", "internal_port", "updated_at"]
    list_filter = ["region", "team"]
    search_fields = ["name", "slug", "team__name"]
    list_select_related = ["team", "region"]
    autocomplete_fields = ["team"]


@admin.register(Database)
class DatabaseAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "slug",
        "team",
        "engine",
        "version",
        "region",
        "resource_model",
        "server",
        "internet_access",
    ]
    list_filter = ["engine", "resource_model", "region", "internet_access", "force_tls"]
    search_fields = ["name", "slug", "team__name", "database_name", "username"]
    list_select_related = ["team", "region", "server"]
    autocomplete_fields = ["team"]
    # Read-only: databases are created, changed and dropped on their servers by the dashboard.
    exclude = ["password"]
    readonly_fields = ["password_status"]

    @admin.display(description="Password")
    def password_status(self, database: Database) -> str:
        return "set (change it from the database's Overview)" if database.password else "not set"


class DatabaseServerForm(forms.ModelForm):
    """The admin URL is write-only: it is never sent back to the browser."""

    admin_url = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. Leave empty to keep the current URL.",
    )

    class Meta:
        model = DatabaseServer
        fields = [
            "name",
            "engine",
            "region",
            "admin_url",
            "internal_host",
            "internal_port",
            "public_host",
            "public_port",
        ]

    def clean_admin_url(self) -> str:
        url = self.cleaned_data["admin_url"].strip()
        if url:
            return url
        if self.instance.pk:
            return self.instance.admin_url
        raise forms.ValidationError("A new server needs its admin connection URL.")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        url, engine = cleaned.get("admin_url"), cleaned.get("engine")
        if url and engine:
            problem = admin_url_problem(url, engine)
            if problem:
                self.add_error("admin_url", problem)
        if not self.errors:
            # Connect before saving: a server that cannot be reached, or that is another
            # engine than the one chosen, is never registered.
            candidate = DatabaseServer(admin_url=cleaned["admin_url"], engine=cleaned["engine"])
            try:
                self.report = servers.inspect(candidate)
            except servers.ServerRefused as refusal:
                self.add_error(None, f"The server was not saved. {refusal}")
        return cleaned


@admin.register(DatabaseServer)
class DatabaseServerAdmin(admin.ModelAdmin):
    form = DatabaseServerForm
    list_display = [
        "name",
        "engine",
        "reported_version",
        "region",
        "health",
        "can_enforce",
        "checked_at",
        "masked_admin_url",
        "internal_host",
        "public_host",
    ]
    list_filter = ["engine", "region", "health", "can_enforce"]
    search_fields = ["name", "internal_host", "public_host"]
    list_select_related = ["region"]
    readonly_fields = [
        "reported_version",
        "supports_tls",
        "can_enforce",
        "enforce_problem",
        "health",
        "check_report",
        "checked_at",
    ]

    # Saved through the domain: moving a server's endpoints changes the environments that
    # follow its databases.
    def save_model(
        self, request: HttpRequest, obj: DatabaseServer, form: DatabaseServerForm, change: bool
    ) -> None:
        servers.note_report(obj, form.report)
        servers.save_server(obj)

    @admin.display(description="Admin URL")
    def masked_admin_url(self, server: DatabaseServer) -> str:
        return mask_url(server.admin_url)


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "team", "actor_name", "verb", "target_type", "target_label"]
    list_filter = ["verb", "target_type", "team"]
    search_fields = ["actor_name", "verb", "target_label"]
    date_hierarchy = "created_at"
    list_select_related = ["team"]


class RegionRangeForm(forms.ModelForm):
    """Ranges are validated and normalised like rules, and never overlap another region's:
    an address belongs to at most one region."""

    class Meta:
        model = RegionRange
        fields = ["region", "network", "label"]

    def clean_network(self) -> str:
        try:
            parsed = network.parse_network(self.cleaned_data["network"])
        except network.InvalidNetwork as error:
            raise forms.ValidationError(str(error)) from None
        others = RegionRange.objects.exclude(pk=self.instance.pk).select_related("region")
        region = self.cleaned_data.get("region")
        for other in others:
            if other.ip_network.version == parsed.version and other.ip_network.overlaps(parsed):
                if region is not None and other.region_id == region.pk:
                    message = f"It overlaps {other.network}, already a range of this region."
                else:
                    message = f"It overlaps {other.network}, a range of {other.region.name}."
                raise forms.ValidationError(message)
        return str(parsed)


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
        self,
        request: HttpRequest,
        obj: RegionRange,
        form: forms.ModelForm[RegionRange],
        change: bool,
    ) -> None:
        super().save_model(request, obj, form, change)
        network.resync_internet_access(_operator(request))
        enforcement.enforce_region(obj.region)

    @transaction.atomic
    def delete_model(self, request: HttpRequest, obj: RegionRange) -> None:
        super().delete_model(request, obj)
        network.resync_internet_access(_operator(request))
        enforcement.enforce_region(obj.region)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        regions = {item.region for item in queryset.select_related("region")}
        super().delete_queryset(request, queryset)
        network.resync_internet_access(_operator(request))
        for region in regions:
            enforcement.enforce_region(region)


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


@admin.register(Credential)
class CredentialAdmin(ReadOnlyAdmin):
    """Connection credentials as the servers should hold them; passwords are never shown."""

    list_display = ["username", "application_name", "database", "read_only", "state", "pending"]
    list_filter = ["state", "pending", "read_only", "database__engine"]
    search_fields = ["username", "application_name", "database__slug", "database__team__name"]
    list_select_related = ["database"]
    readonly_fields = (
        "username",
        "application_name",
        "database",
        "read_only",
        "state",
        "pending",
        "problem",
        "attempts",
        "revoke_after",
        "revoked_because",
        "created_at",
        "applied_at",
        "revoked_at",
    )
    fields = readonly_fields


@admin.register(Variable)
class VariableAdmin(ReadOnlyAdmin):
    """Keys and where they come from; values are secrets and never shown here."""

    list_display = ["key", "application", "build", "runtime", "linked_to"]
    list_filter = ["build", "runtime", "external"]
    search_fields = ["key", "application__slug", "application__team__name"]
    list_select_related = ["application", "connection__database"]
    readonly_fields = ("key", "application", "build", "runtime", "linked_to")
    fields = readonly_fields

    @admin.display(description="Linked to")
    def linked_to(self, variable: Variable) -> str:
        if variable.connection is None:
            return "—"
        side = "external" if variable.external else "internal"
        return f"{variable.connection.database} · {variable.linked_field} ({side})"


@admin.register(DeployToken)
class DeployTokenAdmin(admin.ModelAdmin):
    """Tokens can be revoked here; their secret exists nowhere but with whoever holds it."""

    list_display = ["name", "prefix", "application", "created_by", "created_at", "last_used_at"]
    search_fields = ["name", "prefix", "application__slug"]
    list_select_related = ["application", "created_by"]
    readonly_fields = ("name", "prefix", "application", "created_by", "created_at", "last_used_at")
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # Revoking from here is recorded in the team's activity like revoking from the dashboard.
    def delete_model(self, request: HttpRequest, obj: DeployToken) -> None:
        tokens.revoke_token(_operator(request), obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[DeployToken]) -> None:
        for token in queryset.select_related("application__team"):
            tokens.revoke_token(_operator(request), token)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations can be revoked here; their link exists nowhere but with whoever holds it."""

    list_display = ["team", "role", "note", "created_by", "created_at", "expires_at", "accepted_by"]
    list_filter = ["role"]
    search_fields = ["team__slug", "note"]
    list_select_related = ["team", "created_by", "accepted_by"]
    fields = ("team", "role", "note", "created_by", "created_at", "expires_at", "accepted_by")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Invitation) -> None:
        teams.revoke_invitation(_operator(request), obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        for invitation in queryset.select_related("team"):
            teams.revoke_invitation(_operator(request), invitation)
