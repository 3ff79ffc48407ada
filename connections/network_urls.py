"""URLs of the database's Network tab (network exposure), mounted under t/<team>/."""

from django.urls import path

from connections import network_views

urlpatterns = [
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
