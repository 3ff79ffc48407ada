from django.urls import include, path

from connections import api, network_views, views

team_urls = [
    path("apps/<slug:app>/", views.application_detail, name="application_detail"),
    path(
        "apps/<slug:app>/networking/", views.application_networking, name="application_networking"
    ),
    path("apps/<slug:app>/settings/", views.application_settings, name="application_settings"),
    path("apps/<slug:app>/connections/new/", views.connection_add, name="connection_add"),
    path(
        "apps/<slug:app>/connections/<slug:db>/remove/",
        views.connection_remove,
        name="connection_remove",
    ),
    path("apps/<slug:app>/port/", views.port_edit, name="port_edit"),
    path("apps/<slug:app>/variables/new/", views.variable_add, name="variable_add"),
    path("apps/<slug:app>/variables/reveal/", views.variable_reveal, name="variable_reveal"),
    path("apps/<slug:app>/variables/<uuid:variable>/", views.variable_edit, name="variable_edit"),
    path(
        "apps/<slug:app>/variables/<uuid:variable>/delete/",
        views.variable_delete,
        name="variable_delete",
    ),
    path("apps/<slug:app>/build-fix/", views.build_fix, name="build_fix"),
    path(
        "apps/<slug:app>/connections/<slug:db>/external-build-variables/",
        views.external_build_variables,
        name="external_build_variables",
    ),
    path("apps/<slug:app>/tokens/new/", views.token_create, name="token_create"),
    path("apps/<slug:app>/tokens/<uuid:token>/revoke/", views.token_revoke, name="token_revoke"),
    path("databases/<slug:db>/", views.database_detail, name="database_detail"),
    path("databases/<slug:db>/password/", views.password_change, name="password_change"),
    path("databases/<slug:db>/password/copies/", views.copy_replace, name="copy_replace"),
    path("databases/<slug:db>/probe/", views.database_probe, name="database_probe"),
    path("databases/<slug:db>/reveal/", views.credentials_reveal, name="credentials_reveal"),
    path("databases/<slug:db>/delete/", views.database_delete, name="database_delete"),
    path(
        "databases/<slug:db>/connections/new/",
        views.connection_add_for_database,
        name="connection_add_for_database",
    ),
    # The database's Network tab: exposure, firewall rules, reachability.
    path("databases/<slug:db>/network/", network_views.database_network, name="database_network"),
    path(
        "databases/<slug:db>/network/force-tls/", network_views.force_tls, name="network_force_tls"
    ),
    path(
        "databases/<slug:db>/network/internet/",
        network_views.internet_access,
        name="network_internet",
    ),
    path("databases/<slug:db>/network/rules/new/", network_views.rule_add, name="network_rule_add"),
    path(
        "databases/<slug:db>/network/rules/managed/",
        network_views.managed_rule_add,
        name="network_managed_rule_add",
    ),
    path(
        "databases/<slug:db>/network/rules/<uuid:rule>/remove/",
        network_views.rule_remove,
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
    path("t/<slug:team>/", include(team_urls)),
    path("api/", include(api_urls)),
]
