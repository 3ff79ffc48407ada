"""The operators' side: every model, searchable, with secrets never shown in clear."""

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from dashboard.engines import admin_url_problem
from dashboard.masking import mask_url
from dashboard.models import (
    Activity,
    Application,
    Database,
    DatabaseServer,
    Membership,
    Region,
    Team,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows that change only through the dashboard, where each change is applied where it
    must be and recorded: operators may read them here, never add, edit or delete."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
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

    def clean(self) -> dict:
        cleaned = super().clean()
        url, engine = cleaned.get("admin_url"), cleaned.get("engine")
        if url and engine:
            problem = admin_url_problem(url, engine)
            if problem:
                self.add_error("admin_url", problem)
        return cleaned


@admin.register(DatabaseServer)
class DatabaseServerAdmin(admin.ModelAdmin):
    form = DatabaseServerForm
    list_display = ["name", "engine", "region", "masked_admin_url", "internal_host", "public_host"]
    list_filter = ["engine", "region"]
    search_fields = ["name", "internal_host", "public_host"]
    list_select_related = ["region"]

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
