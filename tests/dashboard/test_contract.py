"""The URL contract, checked for every route of ``dashboard.urls`` as the resolver lists it.

Anonymous visitors are sent to the login page. A member of another team gets a 404 for anything
of this team, and the 404 does not name it. A viewer reads every page and gets a 403 on every
change. A change is a POST: GET on a POST-only route is 405, a POST without a CSRF token is 403,
a GET changes nothing, and every change is recorded in the activity log (the lowest role
each change needs is the role table's, in test_roles). The deploy
pipelines' API answers 401 without a token and 404 to another application's token. Whatever is
refused changes nothing: no row, no activity record.

Every route needs a row in ROUTES (how to build its URL, what to send, who may use it), so a
route added without one fails ``test_every_route_has_a_row``. The admin is Django's own.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from connections import linking, teams, tokens
from connections.models import (
    Activity,
    Connection,
    Credential,
    CredentialState,
    DeployToken,
    FirewallRule,
    Invitation,
    Region,
    RegionRange,
    Variable,
)


class Access(enum.Enum):
    PUBLIC = "anyone"
    MEMBER = "a member of the team, whatever the role"
    CHANGER = "a member whose role may change things (viewers get 403)"
    TOKEN = "the application's deploy token"


@dataclass(frozen=True)
class World:
    """Team acme's resources every route points at, plus the tokens the API rows need."""

    region: Region
    variable: Variable
    token: DeployToken
    rule: FirewallRule
    secret: str
    sibling_secret: str  # another application of the same team
    stranger_secret: str  # an application of another team, with the same slug
    invitation: Invitation
    invitation_secret: str


Build = Callable[[World], dict]


def _fixed(values: dict) -> Build:
    return lambda world: values


def _nothing(world: World) -> dict:
    return {}


@dataclass(frozen=True)
class Route:
    methods: tuple[str, ...]
    access: Access
    kwargs: Build = _nothing
    # What a developer would send to make the change; the refusals send the same.
    data: Build = _nothing
    team: bool = True  # a route of one team: outsiders get 404
    recorded: bool = True  # a developer's POST with ``data`` writes an activity record


GET, POST, BOTH = ("GET",), ("POST",), ("GET", "POST")
TEAM = _fixed({"team": "acme"})
APP = _fixed({"team": "acme", "app": "web"})
STRONG_PASSWORD = "New-passw0rd,&*"


def _database(slug: str) -> Build:
    return _fixed({"team": "acme", "db": slug})


def _page(kwargs: Build) -> Route:
    return Route(GET, Access.MEMBER, kwargs)


def _change(methods: tuple[str, ...], kwargs: Build, data: dict | Build, **options) -> Route:
    return Route(
        methods, Access.CHANGER, kwargs, data if callable(data) else _fixed(data), **options
    )


ROUTES: dict[str, Route] = {
    "home": Route(GET, Access.MEMBER, team=False),
    "login": Route(BOTH, Access.PUBLIC, team=False),
    "logout": Route(POST, Access.PUBLIC, team=False),
    # Applications
    "application_list": _page(TEAM),
    "application_create": _change(
        BOTH,
        TEAM,
        lambda world: {
            "name": "Billing",
            "slug": "",
            "region": world.region.pk,
            "internal_port": "8080",
        },
    ),
    "application_detail": _page(APP),
    "application_networking": _page(APP),
    "application_settings": _page(APP),
    "application_rename": _change(BOTH, APP, {"name": "Web two"}),
    "application_restart": _change(POST, APP, {}),
    "application_delete": _change(
        BOTH, _fixed({"team": "acme", "app": "blog"}), {"confirm": "blog"}
    ),
    "application_commands": _change(
        BOTH, APP, {"build_command": "npm ci", "start_command": "npm start"}
    ),
    "port_edit": _change(BOTH, APP, {"internal_port": "9000"}),
    "build_fix": _change(BOTH, APP, {}),
    "connection_add": _change(BOTH, APP, {"other": "spare"}),
    "connection_remove": _change(BOTH, _fixed({"team": "acme", "app": "web", "db": "main"}), {}),
    "external_build_variables": _change(
        POST, _fixed({"team": "acme", "app": "web", "db": "main"}), {}
    ),
    "variable_add": _change(BOTH, APP, {"key": "NEW_KEY", "value": "1", "runtime": "on"}),
    "variable_edit": _change(
        BOTH,
        lambda world: {"team": "acme", "app": "web", "variable": world.variable.public_id},
        {"key": "API_SECRET", "value": "new", "runtime": "on"},
    ),
    "variable_delete": _change(
        POST,
        lambda world: {"team": "acme", "app": "web", "variable": world.variable.public_id},
        {},
    ),
    "variable_reveal": _change(POST, APP, {"phase": "runtime", "key": "API_SECRET"}),
    "environment_reveal": _change(POST, APP, {"phase": "runtime", "format": "dotenv"}),
    "token_create": _change(BOTH, APP, {"name": "Release"}),
    "token_revoke": _change(
        POST, lambda world: {"team": "acme", "app": "web", "token": world.token.public_id}, {}
    ),
    # Databases
    "database_list": _page(TEAM),
    "database_create": _change(
        BOTH,
        TEAM,
        # No Redis server is registered: the database is recorded as not provisioned.
        lambda world: {
            "name": "Cache",
            "slug": "",
            "engine": "redis",
            "version": "7.4",
            "region": world.region.pk,
            "resource_model": "shared",
        },
    ),
    "database_detail": _page(_database("main")),
    "database_rename": _change(BOTH, _database("spare"), {"name": "Spare two"}),
    "database_activity": _page(_database("main")),
    "password_change": _change(BOTH, _database("spare"), {"password": STRONG_PASSWORD}),
    # Its signed token comes from a password change: test_password_change.py replaces copies.
    "copy_replace": _change(POST, _database("spare"), {"copy": "forged"}, recorded=False),
    # Provisioning needs a real server: test_enforcement.py provisions one.
    "database_provision": _change(POST, _database("spare"), {}, recorded=False),
    "database_probe": Route(POST, Access.MEMBER, _database("spare")),
    "credentials_reveal": _change(POST, _database("main"), {"endpoint": "internal"}),
    "database_delete": _change(BOTH, _database("spare"), {"confirm": "spare"}),
    "connection_add_for_database": _change(BOTH, _database("spare"), {"other": "web"}),
    # Connection credentials: web's connection to main holds one in use and an old one.
    "credentials_rotate": _change(BOTH, _database("main"), {}),
    "connection_rotate": _change(BOTH, _fixed({"team": "acme", "app": "web", "db": "main"}), {}),
    "credentials_revoke_old": _change(BOTH, _database("main"), {}),
    "connection_revoke_old": _change(
        BOTH, _fixed({"team": "acme", "app": "web", "db": "main"}), {}
    ),
    "credential_grace": _change(BOTH, _database("main"), {"hours": "48"}),
    "team_activity": _page(TEAM),
    # Members and invitations
    "team_members": _page(TEAM),
    "invitation_create": _change(BOTH, TEAM, {"role": "developer"}),
    "invitation_revoke": _change(
        POST, lambda world: {"team": "acme", "invitation": world.invitation.public_id}, {}
    ),
    "member_role": _change(
        BOTH, _fixed({"team": "acme", "member": "viewer"}), {"role": "developer"}
    ),
    "member_remove": _change(BOTH, _fixed({"team": "acme", "member": "viewer"}), {}),
    # Every member may leave, viewers included: its modal is a page for all of them; leaving
    # itself (a recorded POST) is tested in test_members.py.
    "team_leave": Route(GET, Access.MEMBER, TEAM),
    # The link itself is the credential: a person without an account follows it to sign up.
    "invitation_accept": Route(
        BOTH, Access.PUBLIC, lambda world: {"secret": world.invitation_secret}, team=False
    ),
    # A database's network
    "database_network": _page(_database("ledger")),
    "network_force_tls": _change(BOTH, _database("spare"), {"state": "on"}),
    "network_internet": _change(BOTH, _database("main"), {"state": "off"}),
    "network_rule_add": _change(
        BOTH, _database("ledger"), {"network": "198.51.100.0/24", "label": "Partner"}
    ),
    "network_managed_rule_add": _change(BOTH, _database("ledger"), {"region": "fra1"}),
    "network_rule_remove": _change(
        BOTH, lambda world: {"team": "acme", "db": "ledger", "rule": world.rule.public_id}, {}
    ),
    # The deploy pipelines' API
    "api_environment": Route(GET, Access.TOKEN, APP),
    "api_deployments": Route(POST, Access.TOKEN, APP, _fixed({"version": 1})),
}


def _route_names(resolver: URLResolver) -> list[str]:
    """Every route's name under ``resolver``, except the admin's; an unnamed one by its path."""
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace != "admin":
                names.extend(_route_names(pattern))
        elif isinstance(pattern, URLPattern) and pattern.lookup_str != "django.views.static.serve":
            names.append(pattern.name or f"unnamed route {pattern.pattern}")
    return names


def test_every_route_has_a_row():
    names = _route_names(get_resolver())
    assert len(names) == len(set(names)), "two routes share a name"
    assert set(names) == set(ROUTES)


# The world every route points at ---------------------------------------------------------------

BUILD_WITH_MIGRATION = "npm ci && npx prisma migrate deploy && npm run build"


@pytest.fixture
def world(
    owner,
    developer,
    viewer,
    outsider,
    other_team,
    region,
    other_region,
    make_application,
    make_database,
    make_server,
) -> World:
    RegionRange.objects.create(region=region, network="10.20.0.0/16")
    RegionRange.objects.create(region=other_region, network="10.30.0.0/16")
    web = make_application(
        name="Web", slug="web", build_command=BUILD_WITH_MIGRATION, start_command="npm start"
    )
    # Its server (documentation addresses) gives the external details a public endpoint.
    main = make_database(
        name="Main", slug="main", server=make_server(), force_tls=True, internet_access=True
    )
    make_database(name="Spare", slug="spare")
    ledger = make_database(
        name="Ledger",
        slug="ledger",
        resource_model="dedicated",
        force_tls=True,
        internet_access=True,  # its one rule admits addresses on the Internet
    )
    connection = linking.connect(developer, web, main, linking.proposed_keys())
    # As if its server had created web's credential, and a rotation had retired an older one.
    in_use = connection.credentials.get()
    Credential.objects.filter(pk=in_use.pk).update(pending=False)
    Connection.objects.filter(pk=connection.pk).update(credential=in_use)
    Credential.objects.create(
        database=main,
        connection=connection,
        application_name=web.name,
        username="web_old",
        state=CredentialState.RETIRING,
        pending=False,
    )
    token, secret = tokens.create_token(developer, web, "CI")
    _, sibling_secret = tokens.create_token(developer, make_application(slug="blog"), "CI")
    stranger = make_application(team=other_team, slug="web")
    _, stranger_secret = tokens.create_token(outsider, stranger, "CI")
    invitation, invitation_secret = teams.invite(owner, owner.memberships.get().team, "developer")
    return World(
        invitation=invitation,
        invitation_secret=invitation_secret,
        region=region,
        variable=Variable.objects.create(application=web, key="API_SECRET", value="s3cr3t"),
        token=token,
        rule=FirewallRule.objects.create(database=ledger, network="203.0.113.0/24", label="Office"),
        secret=secret,
        sibling_secret=sibling_secret,
        stranger_secret=stranger_secret,
    )


def _rows(*ignored: str) -> dict[str, list[dict]]:
    """Every row of the domain but the ``ignored`` columns, to compare before and after."""
    return {
        model.__name__: [
            {column: value for column, value in row.items() if column not in ignored}
            for row in model.objects.order_by("pk").values()
        ]
        for model in apps.get_app_config("connections").get_models()
    }


@dataclass
class Call:
    """One route of the world, called with its row's data."""

    name: str
    world: World
    headers: dict = field(default_factory=dict)

    @property
    def route(self) -> Route:
        return ROUTES[self.name]

    def __call__(self, client: Client, method: str):
        path = reverse(self.name, kwargs=self.route.kwargs(self.world))
        data = self.route.data(self.world)
        if method == "GET":
            return client.get(path, data, headers=self.headers)
        if self.route.access is Access.TOKEN:
            return client.post(path, data, content_type="application/json", headers=self.headers)
        return client.post(path, data, headers=self.headers)


@pytest.fixture
def call(world) -> Callable[..., Call]:
    return lambda name, **headers: Call(name, world, headers)


def _names(keep: Callable[[Route], bool]) -> list[str]:
    return [name for name, route in ROUTES.items() if keep(route)]


def _signed_in(route: Route) -> bool:
    return route.access in (Access.MEMBER, Access.CHANGER)


def _post_only(route: Route) -> bool:
    return route.methods == POST


# Sessions --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", _names(_signed_in))
def test_anonymous_visitor_is_sent_to_login(client, call, name):
    before = _rows()
    for method in ROUTES[name].methods:
        response = call(name)(client, method)
        assert response.status_code == 302, method
        assert response.url.startswith(reverse("login") + "?next="), method
    assert _rows() == before


@pytest.mark.parametrize("name", _names(lambda r: r.access is Access.PUBLIC and "GET" in r.methods))
def test_public_pages_need_no_sign_in(client, call, name):
    assert call(name)(client, "GET").status_code == 200


@pytest.mark.parametrize("name", _names(lambda r: _signed_in(r) and r.team))
def test_outsider_gets_404_that_does_not_name_the_team(client_for, outsider, call, name):
    before = _rows()
    for htmx in (False, True):
        client = client_for(outsider, htmx=htmx)
        for method in ROUTES[name].methods:
            response = call(name)(client, method)
            assert response.status_code == 404, (method, htmx)
            assert b"Acme" not in response.content, (method, htmx)
    assert _rows() == before


@pytest.mark.parametrize("name", _names(lambda r: r.access is Access.CHANGER))
def test_viewer_gets_403_on_every_change(client_for, viewer, call, name):
    before = _rows()
    for htmx in (False, True):
        client = client_for(viewer, htmx=htmx)
        for method in ROUTES[name].methods:
            assert call(name)(client, method).status_code == 403, (method, htmx)
    assert _rows() == before


@pytest.mark.parametrize("name", _names(lambda r: r.access is Access.MEMBER and r.team))
def test_viewer_reads_every_page(viewer_client, call, name):
    for method in ROUTES[name].methods:
        assert call(name)(viewer_client, method).status_code == 200, method


@pytest.mark.parametrize("name", _names(lambda r: _post_only(r) and r.access is not Access.TOKEN))
def test_get_on_a_post_only_route_is_405(owner_client, call, name):
    before = _rows()
    assert call(name)(owner_client, "GET").status_code == 405
    assert _rows() == before


@pytest.mark.parametrize(
    "name", _names(lambda r: "POST" in r.methods and r.access is not Access.TOKEN)
)
def test_post_without_a_csrf_token_is_403(csrf_client, call, name):
    client = (
        Client(enforce_csrf_checks=True) if ROUTES[name].access is Access.PUBLIC else csrf_client
    )
    before = _rows()
    assert call(name)(client, "POST").status_code == 403
    assert _rows() == before


@pytest.mark.parametrize("name", _names(lambda r: _signed_in(r) and r.team and "GET" in r.methods))
def test_get_changes_nothing(owner_client, call, name):
    """A GET, even with the data a change would send, only shows."""
    before = _rows()
    assert call(name)(owner_client, "GET").status_code == 200
    assert _rows() == before


@pytest.mark.parametrize("name", _names(lambda r: r.access is Access.CHANGER and r.recorded))
def test_every_change_is_recorded(owner_client, call, name):
    """What the refusals above send would have changed something, and it is recorded."""
    records = Activity.objects.count()
    assert call(name)(owner_client, "POST").status_code < 400
    assert Activity.objects.count() > records


# The deploy pipelines' API ---------------------------------------------------------------------


def _token(route: Route) -> bool:
    return route.access is Access.TOKEN


def _bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("name", _names(_token))
def test_api_without_a_token_is_401(client, developer, call, name):
    before = _rows()
    (method,) = ROUTES[name].methods
    assert call(name)(client, method).status_code == 401
    client.force_login(developer)  # a session is no deploy token
    assert call(name)(client, method).status_code == 401
    assert _rows() == before


@pytest.mark.parametrize("name", _names(_token))
def test_api_with_another_applications_token_is_404(client, world, call, name):
    # The token was used, so its last use is recorded; nothing else changes.
    before = _rows("last_used_at")
    (method,) = ROUTES[name].methods
    for secret in (world.sibling_secret, world.stranger_secret):
        assert call(name, **_bearer(secret))(client, method).status_code == 404
    assert _rows("last_used_at") == before


@pytest.mark.parametrize("name", _names(_token))
def test_api_answers_its_own_token_without_a_csrf_token(world, call, name):
    """Token-authorised, no cookies: CSRF does not apply. A change is recorded."""
    records = Activity.objects.count()
    (method,) = ROUTES[name].methods
    response = call(name, **_bearer(world.secret))(Client(enforce_csrf_checks=True), method)
    assert response.status_code == 200
    assert Activity.objects.count() == records + (method == "POST")


@pytest.mark.parametrize("name", _names(lambda r: _token(r) and _post_only(r)))
def test_get_on_a_post_only_api_route_is_405(client, world, call, name):
    assert call(name, **_bearer(world.secret))(client, "GET").status_code == 405
