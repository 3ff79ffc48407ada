"""Every URL of the dashboard: the team's pages and modals, the deploy pipelines' API, the
operators' admin. Paths and names are a contract: browsers, pipelines and tests rely on them."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from dashboard import api
from dashboard.views import (
    applications,
    connections,
    credentials,
    databases,
    network,
    teams,
    tokens,
    variables,
)


class UsernameConverter:
    """A person's username as Django's validator allows it (letters, digits, @ . + - _):
    anything else in the URL is a 404 before a query is made."""

    regex = r"[\w.@+-]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UsernameConverter, "username")

team_urls = [
    path("apps/", applications.application_list, name="application_list"),
    path("apps/new/", applications.application_create, name="application_create"),
    path(
        "apps/<slug:app>/commands/", applications.application_commands, name="application_commands"
    ),
    path("databases/", databases.database_list, name="database_list"),
    path("databases/new/", databases.database_create, name="database_create"),
    path("databases/<slug:db>/activity/", databases.database_activity, name="database_activity"),
    path("activity/", teams.team_activity, name="team_activity"),
    path("members/", teams.team_members, name="team_members"),
    path("members/invite/", teams.invitation_create, name="invitation_create"),
    path(
        "invitations/<uuid:invitation>/revoke/",
        teams.invitation_revoke,
        name="invitation_revoke",
    ),
    path("members/<username:member>/role/", teams.member_role, name="member_role"),
    path("members/<username:member>/remove/", teams.member_remove, name="member_remove"),
    path("leave/", teams.team_leave, name="team_leave"),
    path("apps/<slug:app>/", applications.application_detail, name="application_detail"),
    path(
        "apps/<slug:app>/networking/",
        applications.application_networking,
        name="application_networking",
    ),
    path(
        "apps/<slug:app>/settings/", applications.application_settings, name="application_settings"
    ),
    path("apps/<slug:app>/connections/new/", connections.connection_add, name="connection_add"),
    path(
        "apps/<slug:app>/connections/<slug:db>/remove/",
        connections.connection_remove,
        name="connection_remove",
    ),
    path("apps/<slug:app>/port/", applications.port_edit, name="port_edit"),
    path(
        "apps/<slug:app>/restarted/", applications.application_restart, name="application_restart"
    ),
    path("apps/<slug:app>/rename/", applications.application_rename, name="application_rename"),
    path("apps/<slug:app>/delete/", applications.application_delete, name="application_delete"),
    path("apps/<slug:app>/variables/new/", variables.variable_add, name="variable_add"),
    path("apps/<slug:app>/variables/reveal/", variables.variable_reveal, name="variable_reveal"),
    path(
        "apps/<slug:app>/environment/reveal/",
        applications.environment_reveal,
        name="environment_reveal",
    ),
    path(
        "apps/<slug:app>/variables/<uuid:variable>/", variables.variable_edit, name="variable_edit"
    ),
    path(
        "apps/<slug:app>/variables/<uuid:variable>/delete/",
        variables.variable_delete,
        name="variable_delete",
    ),
    path("apps/<slug:app>/build-fix/", applications.build_fix, name="build_fix"),
    path(
        "apps/<slug:app>/connections/<slug:db>/external-build-variables/",
        connections.external_build_variables,
        name="external_build_variables",
    ),
    path("apps/<slug:app>/tokens/new/", tokens.token_create, name="token_create"),
    path("apps/<slug:app>/tokens/<uuid:token>/revoke/", tokens.token_revoke, name="token_revoke"),
    path("databases/<slug:db>/", databases.database_detail, name="database_detail"),
    path("databases/<slug:db>/password/", databases.password_change, name="password_change"),
    path("databases/<slug:db>/password/copies/", databases.copy_replace, name="copy_replace"),
    path("databases/<slug:db>/probe/", databases.database_probe, name="database_probe"),
    path("databases/<slug:db>/reveal/", databases.credentials_reveal, name="credentials_reveal"),
    path("databases/<slug:db>/delete/", databases.database_delete, name="database_delete"),
    path("databases/<slug:db>/rename/", databases.database_rename, name="database_rename"),
    path("databases/<slug:db>/provision/", databases.database_provision, name="database_provision"),
    path(
        "databases/<slug:db>/connections/new/",
        connections.connection_add_for_database,
        name="connection_add_for_database",
    ),
    # Connection credentials: rotating them, revoking the old ones, the team's grace period.
    path(
        "databases/<slug:db>/credentials/rotate/",
        credentials.credentials_rotate,
        name="credentials_rotate",
    ),
    path(
        "apps/<slug:app>/connections/<slug:db>/rotate/",
        credentials.credentials_rotate,
        name="connection_rotate",
    ),
    path(
        "databases/<slug:db>/credentials/revoke-old/",
        credentials.credentials_revoke_old,
        name="credentials_revoke_old",
    ),
    path(
        "apps/<slug:app>/connections/<slug:db>/revoke-old/",
        credentials.credentials_revoke_old,
        name="connection_revoke_old",
    ),
    path(
        "databases/<slug:db>/credentials/grace/",
        credentials.credential_grace,
        name="credential_grace",
    ),
    # The database's Network tab: exposure, firewall rules, reachability.
    path("databases/<slug:db>/network/", network.database_network, name="database_network"),
    path("databases/<slug:db>/network/force-tls/", network.force_tls, name="network_force_tls"),
    path(
        "databases/<slug:db>/network/internet/",
        network.internet_access,
        name="network_internet",
    ),
    path("databases/<slug:db>/network/rules/new/", network.rule_add, name="network_rule_add"),
    path(
        "databases/<slug:db>/network/rules/managed/",
        network.managed_rule_add,
        name="network_managed_rule_add",
    ),
    path(
        "databases/<slug:db>/network/rules/<uuid:rule>/remove/",
        network.rule_remove,
        name="network_rule_remove",
    ),
]

api_urls = [
    path(
        "applications/<slug:team>/<slug:app>/environment", api.environment, name="api_environment"
    ),
    path(
        "applications/<slug:team>/<slug:app>/deployments", api.deployments, name="api_deployments"
    ),
]

urlpatterns = [
    path("", teams.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("invitations/<str:secret>/", teams.invitation_accept, name="invitation_accept"),
    path("t/<slug:team>/", include(team_urls)),
    path("api/", include(api_urls)),
    path("admin/", admin.site.urls),
]
