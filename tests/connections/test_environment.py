"""An application's environment, resolved for the build or for runtime: PORT from the platform, a
value per phase, linked variables that follow their database, references to the team's other
resources, errors that say what is wrong without revealing other teams, a cost that does not grow,
the version bumps that mark a restart, and the rules the database and the variable form keep."""

import json
import tracemalloc
from urllib.parse import unquote, urlsplit

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction

from connections import linking, variables
from connections.crypto import decrypt
from connections.environment import (
    UnresolvedEnvironment,
    bump_environments,
    cached_environment,
    connection_url,
    resolve_environment,
)
from connections.masking import MASK, mask_environment
from connections.models import Activity, Engine, LinkedField, Phase, Variable
from dashboard.forms.connections import VariableForm

BUILD, RUNTIME = Phase.BUILD, Phase.RUNTIME


def var(application, key, value="", *, build=False, runtime=True) -> Variable:
    return Variable.objects.create(
        application=application, key=key, value=value, build=build, runtime=runtime
    )


def link(actor, application, database, prefix=""):
    return linking.connect(actor, application, database, linking.proposed_keys(prefix))


def version(application) -> int:
    application.refresh_from_db()
    return application.environment_version


def unresolved(application, phase=RUNTIME) -> str:
    with pytest.raises(UnresolvedEnvironment) as caught:
        resolve_environment(application, phase)
    return str(caught.value)


@pytest.fixture
def api(make_application):
    return make_application(name="API", slug="api", internal_port=4000)


# PORT and phases


def test_port_is_the_internal_port_at_runtime_and_absent_during_the_build(make_application):
    application = make_application(internal_port=3000)
    assert resolve_environment(application, RUNTIME) == {"PORT": "3000"}
    assert resolve_environment(application, BUILD) == {}


def test_each_phase_gets_its_own_value_of_a_key(app):
    var(app, "API_URL", "https://build.example", build=True, runtime=False)
    var(app, "API_URL", "https://run.example")
    var(app, "SHARED", "both", build=True, runtime=True)
    assert resolve_environment(app, BUILD) == {
        "API_URL": "https://build.example",
        "SHARED": "both",
    }
    assert resolve_environment(app, RUNTIME)["API_URL"] == "https://run.example"
    assert resolve_environment(app, RUNTIME)["SHARED"] == "both"


# Linked variables


def test_linked_variables_give_the_databases_details_at_runtime_only(owner, app, database):
    link(owner, app, database)
    environment = resolve_environment(app, RUNTIME)
    assert environment["DB_HOST"] == "shop-db.acme.fra1.internal"
    assert (environment["DB_PORT"], environment["DB_NAME"], environment["DB_USER"]) == (
        "5432",
        database.database_name,
        database.username,
    )
    assert environment["DB_PASSWORD"] == database.password
    assert resolve_environment(app, BUILD) == {}


def test_linked_variables_follow_a_new_password_without_any_variable_edit(owner, app, database):
    link(owner, app, database)
    before = resolve_environment(app, RUNTIME)
    database.password = "n3w:p@ss/w#rd%"
    database.save()
    after = resolve_environment(app, RUNTIME)
    assert after["DB_PASSWORD"] == "n3w:p@ss/w#rd%" != before["DB_PASSWORD"]
    assert after["DATABASE_URL"] != before["DATABASE_URL"]
    assert unquote(urlsplit(after["DATABASE_URL"]).password) == "n3w:p@ss/w#rd%"


def test_connecting_without_variables_adds_nothing_to_the_environment(owner, app, database):
    linking.connect(owner, app, database, keys=None)
    assert resolve_environment(app, RUNTIME) == {"PORT": "8080"}


@pytest.mark.parametrize(
    ("engine", "engine_version", "scheme", "port"),
    [
        (Engine.POSTGRESQL, "16", "postgresql", 5432),
        (Engine.MYSQL, "8.4", "mysql", 3306),
        (Engine.MARIADB, "11.4", "mysql", 3306),
        (Engine.REDIS, "7.4", "redis", 6379),
    ],
)
def test_database_url_scheme_fits_the_engine(
    owner, app, make_database, engine, engine_version, scheme, port
):
    database = make_database(engine=engine, version=engine_version)
    link(owner, app, database)
    url = urlsplit(resolve_environment(app, RUNTIME)["DATABASE_URL"])
    assert (url.scheme, url.hostname, url.port) == (scheme, database.internal_host, port)
    assert unquote(url.password) == database.password


# References


def test_a_reference_to_a_database_gives_its_url_and_password(app, database):
    var(app, "PRIMARY_URL", "{{ shop-db.DATABASE_URL }}")
    var(app, "PRIMARY_PASSWORD", "{{ shop-db.DB_PASSWORD }}")
    environment = resolve_environment(app, RUNTIME)
    assert environment["PRIMARY_URL"] == connection_url(database)
    assert environment["PRIMARY_PASSWORD"] == database.password


@pytest.fixture
def cache_db(make_database):
    return make_database(name="Cache", slug="cache", engine=Engine.REDIS, version="7.4")


def test_a_redis_database_is_referenced_by_its_own_keys(app, cache_db):
    var(app, "CACHE", "{{ cache.REDIS_URL }}")
    var(app, "CACHE_PREFIX", "{{ cache.REDIS_KEY_PREFIX }}")
    environment = resolve_environment(app, RUNTIME)
    assert environment["CACHE"] == connection_url(cache_db)
    assert environment["CACHE"].startswith("redis://")
    assert environment["CACHE_PREFIX"] == cache_db.database_name


def test_a_redis_database_still_answers_to_the_sql_names(app, cache_db):
    var(app, "CACHE", "{{ cache.DATABASE_URL }}")
    assert resolve_environment(app, RUNTIME)["CACHE"] == connection_url(cache_db)


def test_an_unknown_key_of_a_database_names_the_keys_its_engine_offers(app, cache_db):
    var(app, "CACHE", "{{ cache.URL }}")
    message = unresolved(app)
    assert "cache offers REDIS_HOST, REDIS_PORT" in message
    assert "REDIS_URL, not URL" in message


def test_proposed_keys_follow_the_engine():
    assert linking.proposed_keys(engine=Engine.REDIS) == {
        LinkedField.HOST: "REDIS_HOST",
        LinkedField.PORT: "REDIS_PORT",
        LinkedField.NAME: "REDIS_KEY_PREFIX",
        LinkedField.USER: "REDIS_USER",
        LinkedField.PASSWORD: "REDIS_PASSWORD",
        LinkedField.URL: "REDIS_URL",
    }
    for engine in (Engine.POSTGRESQL, Engine.MYSQL, Engine.MARIADB):
        keys = linking.proposed_keys("SHOP_", engine=engine)
        assert (keys[LinkedField.HOST], keys[LinkedField.URL]) == (
            "SHOP_DB_HOST",
            "SHOP_DATABASE_URL",
        )


def test_connected_slugs_name_the_other_side(owner, app, database, make_database):
    make_database(name="Unused", slug="unused")
    link(owner, app, database)
    assert linking.connected_slugs(app) == {"shop-db"}
    assert linking.connected_slugs(database) == {app.slug}


def test_a_reference_to_a_database_follows_a_new_password(app, database):
    var(app, "PRIMARY_PASSWORD", "{{ shop-db.DB_PASSWORD }}")
    database.password = "rotated"
    database.save()
    assert resolve_environment(app, RUNTIME)["PRIMARY_PASSWORD"] == "rotated"


def test_a_reference_to_another_application_gives_its_value(app, api):
    var(api, "SECRET_KEY", "s3cret")
    var(app, "API_SECRET", "{{ api.SECRET_KEY }}")
    assert resolve_environment(app, RUNTIME)["API_SECRET"] == "s3cret"


def test_references_are_followed_through_another_application(app, api, database):
    var(api, "UPSTREAM", "{{ shop-db.DB_HOST }}")
    var(app, "VIA_API", "{{ api.UPSTREAM }}")
    assert resolve_environment(app, RUNTIME)["VIA_API"] == database.internal_host


def test_several_references_in_one_value_keep_the_surrounding_text(app, api, database):
    var(api, "KEY", "k")
    var(app, "DSN", "host={{ shop-db.DB_HOST }} port={{ shop-db.DB_PORT }} key={{ api.KEY }}!")
    assert resolve_environment(app, RUNTIME)["DSN"] == (
        f"host={database.internal_host} port=5432 key=k!"
    )


def test_whitespace_inside_the_braces_is_allowed(app, api):
    var(api, "KEY", "k")
    var(app, "SPACED", "[{{  api.KEY  }}][{{api.KEY}}]")
    assert resolve_environment(app, RUNTIME)["SPACED"] == "[k][k]"


def test_another_applications_port_is_its_internal_port_at_runtime(app, api):
    var(app, "API_ADDRESS", "http://api.internal:{{ api.PORT }}")
    assert resolve_environment(app, RUNTIME)["API_ADDRESS"] == "http://api.internal:4000"


# Errors


def test_an_unknown_name_is_an_error_naming_it(app):
    var(app, "X", "{{ nowhere.KEY }}")
    message = unresolved(app)
    assert "{{ nowhere.KEY }}" in message
    assert "no application or database named 'nowhere'" in message


@pytest.mark.parametrize("factory", ["make_application", "make_database"])
def test_another_teams_resource_reads_exactly_as_an_unknown_one(
    request, app, make_application, other_team, factory
):
    request.getfixturevalue(factory)(team=other_team, name="Globex Secret", slug="hidden")
    var(app, "X", "{{ hidden.DATABASE_URL }}")
    foreign = unresolved(app)
    elsewhere = make_application()
    var(elsewhere, "X", "{{ ghost.DATABASE_URL }}")
    unknown = unresolved(elsewhere)
    assert foreign.replace("hidden", "SLUG") == unknown.replace("ghost", "SLUG")
    assert "globex" not in foreign.lower()


def test_an_unknown_database_field_is_an_error_listing_the_fields(app, database):
    var(app, "X", "{{ shop-db.PASSWORD }}")
    message = unresolved(app)
    assert "{{ shop-db.PASSWORD }}" in message
    assert "DB_PASSWORD" in message
    assert "DATABASE_URL" in message


def test_a_key_the_other_application_has_only_at_runtime_is_missing_during_the_build(app, api):
    var(api, "KEY", "runtime only")
    var(app, "FROM_API", "{{ api.KEY }}", build=True, runtime=False)
    message = unresolved(app, BUILD)
    assert "{{ api.KEY }}" in message
    assert "api has no variable KEY available during the build" in message


def test_a_cycle_across_two_applications_is_an_error_naming_the_path(app, api):
    var(app, "X", "{{ api.Y }}")
    var(api, "Y", "{{ storefront.X }}")
    assert "storefront.X → api.Y → storefront.X" in unresolved(app)
    assert "api.Y → storefront.X → api.Y" in unresolved(api)


def test_a_variable_referencing_itself_is_a_cycle(app):
    var(app, "X", "prefix {{ storefront.X }}")
    assert "storefront.X → storefront.X" in unresolved(app)


# Cost


def test_resolution_cost_does_not_grow_with_variables_and_connections(
    owner, app, api, make_database, django_assert_max_num_queries, django_assert_num_queries
):
    def add(number: int) -> None:
        database = make_database()
        link(owner, app, database, prefix=f"N{number}_")
        var(api, f"KEY_{number}", f"value {number}", build=True)
        var(
            app,
            f"VAR_{number}",
            f"{{{{ api.KEY_{number} }}}} {{{{ {database.slug}.DATABASE_URL }}}}",
        )
        # A database's internal details are refused during the build; other references are not.
        var(app, f"BUILD_{number}", f"{{{{ api.KEY_{number} }}}}", build=True, runtime=False)

    add(0)
    one = {}
    for phase in (BUILD, RUNTIME):
        with django_assert_max_num_queries(3) as captured:
            resolve_environment(app, phase)
        one[phase] = len(captured)
    for number in range(1, 30):
        add(number)
    for phase in (BUILD, RUNTIME):
        with django_assert_num_queries(one[phase]):
            resolve_environment(app, phase)
    assert len(resolve_environment(app, RUNTIME)) == 1 + 30 + 30 * len(LinkedField)


def test_resolution_reads_nothing_of_the_teams_other_applications(
    owner, app, api, database, make_application, django_assert_num_queries
):
    var(api, "KEY", "k")
    var(app, "FROM_API", "{{ api.KEY }} {{ api.PORT }} {{ shop-db.DB_HOST }}")
    link(owner, app, database)
    for number in range(20):
        other = make_application(slug=f"other-{number}")
        link(owner, other, database)
        var(other, "KEY", f"{{{{ api.KEY }}}} {number}")
    # The application's variables with its linked database (the one referred to); the
    # variables it refers to, which hold no references of their own.
    with django_assert_num_queries(2):
        environment = resolve_environment(app, RUNTIME)
    assert environment["FROM_API"] == f"k 4000 {database.internal_host}"


def test_a_reference_to_another_applications_linked_variable_follows_the_database(
    owner, app, make_application, database
):
    linked = make_application(slug="linked")
    link(owner, linked, database)
    var(app, "VIA_LINKED", "{{ linked.DB_HOST }}:{{ linked.PORT }}")
    assert resolve_environment(app, RUNTIME)["VIA_LINKED"] == f"{database.internal_host}:8080"


# The cache of resolved environments


def test_a_cached_environment_is_kept_encrypted(app):
    var(app, "API_SECRET", "s3cret-value")
    assert cached_environment(app, RUNTIME)["API_SECRET"] == "s3cret-value"
    entry = cache.get(f"environment:{app.pk}:{app.environment_version}:runtime")
    assert "s3cret-value" not in entry
    assert json.loads(decrypt(entry))["API_SECRET"] == "s3cret-value"


def test_a_cached_environment_follows_a_new_version(owner, app):
    variable = var(app, "KEY", "old")
    assert cached_environment(app, RUNTIME)["KEY"] == "old"
    variable.value = "new"
    variables.save_variable(owner, variable)
    app.refresh_from_db()
    assert cached_environment(app, RUNTIME)["KEY"] == "new"


# Bumping the environment version


def test_bumping_an_application_adds_one_to_its_version(team, app):
    before = version(app)
    assert bump_environments(team, applications=[app]) == {app.pk}
    assert version(app) == before + 1


def test_bumping_reaches_referencing_applications_transitively_and_no_others(
    team, make_application
):
    # Named so that C is looked at before B, which only becomes affected through A.
    c = make_application(name="Alpha", slug="c")
    b = make_application(name="Beta", slug="b")
    a = make_application(name="Gamma", slug="a")
    unrelated = make_application(name="Delta", slug="unrelated")
    var(a, "KEY", "k")
    var(b, "FROM_A", "{{ a.KEY }}")
    var(c, "FROM_B", "{{ b.FROM_A }}")
    var(unrelated, "PLAIN", "no reference to a, b or c")
    apps = (a, b, c, unrelated)
    before = [version(x) for x in apps]
    assert bump_environments(team, applications=[a]) == {a.pk, b.pk, c.pk}
    assert [version(x) - old for x, old in zip(apps, before, strict=True)] == [1, 1, 1, 0]


def test_bumping_a_database_reaches_linked_and_referencing_applications(
    owner, team, database, make_application
):
    linked = make_application(slug="linked")
    referencing = make_application(slug="referencing")
    downstream = make_application(slug="downstream")
    unrelated = make_application(slug="unrelated")
    link(owner, linked, database)
    var(referencing, "URL", "{{ shop-db.DATABASE_URL }}")
    var(downstream, "HOST", "{{ linked.DB_HOST }}")
    apps = (linked, referencing, downstream, unrelated)
    before = [version(x) for x in apps]
    bump_environments(team, databases=[database])
    assert [version(x) - old for x, old in zip(apps, before, strict=True)] == [1, 1, 1, 0]


# Database constraints


def _refused(**fields) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Variable.objects.create(**fields)


def test_a_linked_variable_cannot_be_available_during_the_build(owner, app, database):
    connection = linking.connect(owner, app, database, keys=None)
    linked = {"connection": connection, "linked_field": LinkedField.URL, "runtime": True}
    _refused(application=app, key="DATABASE_URL", build=True, **linked)
    assert Variable.objects.create(application=app, key="DATABASE_URL", build=False, **linked)


def test_port_cannot_be_a_variable(app):
    _refused(application=app, key="PORT", value="1234")


@pytest.mark.parametrize("key", ["1ABC", "MY-KEY", "MY KEY", "", "ABC\n"])
def test_a_key_must_be_a_posix_name(app, key):
    _refused(application=app, key=key, value="x")


def test_a_key_is_defined_once_at_runtime(app):
    var(app, "KEY", "first")
    _refused(application=app, key="KEY", value="second", runtime=True)


def test_a_key_is_defined_once_during_the_build(app):
    var(app, "KEY", "first", build=True, runtime=False)
    _refused(application=app, key="KEY", value="second", build=True, runtime=False)


def test_a_key_may_have_one_build_value_and_one_runtime_value(app):
    var(app, "KEY", "build", build=True, runtime=False)
    var(app, "KEY", "runtime")
    assert Variable.objects.filter(application=app, key="KEY").count() == 2


def test_a_variable_must_be_in_some_phase(app):
    _refused(application=app, key="KEY", value="x", build=False, runtime=False)


# The variable form


def form_for(application, instance=None, **data) -> VariableForm:
    return VariableForm(data, instance=instance or Variable(), application=application)


def test_form_refuses_port_saying_the_platform_sets_it(app):
    form = form_for(app, key="PORT", value="1", runtime="on")
    assert not form.is_valid()
    assert "platform" in form.errors["key"][0]


@pytest.mark.parametrize("key", ["1ABC", "MY-KEY"])
def test_form_refuses_a_key_that_is_not_a_posix_name(app, key):
    form = form_for(app, key=key, value="1", runtime="on")
    assert not form.is_valid()
    assert "letters, digits and underscores" in form.errors["key"][0]


@pytest.mark.parametrize(
    ("phase", "when"), [("build", "during the build"), ("runtime", "at runtime")]
)
def test_form_refuses_a_key_already_defined_in_the_same_phase(app, phase, when):
    var(app, "API_URL", "first", build=phase == "build", runtime=phase == "runtime")
    form = form_for(app, key="API_URL", value="second", **{phase: "on"})
    assert not form.is_valid()
    assert form.errors["key"] == [f"API_URL is already defined {when}."]


def test_form_accepts_the_same_key_in_the_other_phase(app):
    var(app, "API_URL", "at runtime")
    form = form_for(app, key="API_URL", value="during the build", build="on")
    assert form.is_valid(), form.errors
    form.save()
    assert resolve_environment(app, BUILD) == {"API_URL": "during the build"}
    assert resolve_environment(app, RUNTIME)["API_URL"] == "at runtime"


def test_form_lets_a_variable_keep_its_own_key_when_edited(app):
    existing = var(app, "API_URL", "old")
    form = form_for(app, instance=existing, key="API_URL", value="new", runtime="on")
    assert form.is_valid(), form.errors
    form.save()
    assert resolve_environment(app, RUNTIME)["API_URL"] == "new"


def test_form_refuses_a_variable_in_no_phase(app):
    form = form_for(app, key="KEY", value="x")
    assert not form.is_valid()
    assert "runtime" in form.errors


def test_form_refuses_an_unknown_reference_with_the_message(app):
    form = form_for(app, key="X", value="{{ nowhere.KEY }}", runtime="on")
    assert not form.is_valid()
    assert "no application or database named 'nowhere'" in form.errors["value"][0]
    assert not Variable.objects.exists()


def test_form_refuses_a_value_that_closes_a_cycle(app, api):
    var(api, "Y", "{{ storefront.X }}")
    form = form_for(app, key="X", value="{{ api.Y }}", runtime="on")
    assert not form.is_valid()
    assert "storefront.X → api.Y → storefront.X" in form.errors["value"][0]


def test_form_refuses_a_build_reference_to_a_runtime_only_key(app, api):
    var(api, "KEY", "runtime only")
    form = form_for(app, key="FROM_API", value="{{ api.KEY }}", build="on")
    assert not form.is_valid()
    assert "during the build" in form.errors["value"][0]


def test_form_refuses_ticking_build_on_a_linked_variable_and_says_both_ways_out(
    owner, app, database
):
    link(owner, app, database)
    linked = Variable.objects.get(application=app, key="DATABASE_URL")
    form = form_for(app, instance=linked, key="DATABASE_URL", build="on", runtime="on")
    assert not form.is_valid()
    message = form.errors["build"][0]
    assert "start command" in message
    assert "external" in message
    linked.refresh_from_db()
    assert not linked.build


def test_form_renames_a_linked_variable_and_keeps_it_linked(owner, app, database):
    link(owner, app, database)
    linked = Variable.objects.get(application=app, key="DATABASE_URL")
    form = form_for(app, instance=linked, key="PRIMARY_DATABASE_URL", runtime="on")
    assert form.is_valid(), form.errors
    form.save()
    linked.refresh_from_db()
    assert (linked.key, linked.is_linked, linked.linked_field) == (
        "PRIMARY_DATABASE_URL",
        True,
        LinkedField.URL,
    )
    environment = resolve_environment(app, RUNTIME)
    assert environment["PRIMARY_DATABASE_URL"] == connection_url(database)
    assert "DATABASE_URL" not in environment


def test_references_that_double_at_each_step_are_refused_quickly(app):
    # V0 is 1 KiB; each Vn holds Vn-1 twice: 2**30 KiB by V30 if nothing stopped it.
    var(app, "V0", "x" * 1024)
    for n in range(1, 31):
        var(app, f"V{n}", f"{{{{ {app.slug}.V{n - 1} }}}}{{{{ {app.slug}.V{n - 1} }}}}")
    with pytest.raises(UnresolvedEnvironment, match="more than 64 KiB"):
        resolve_environment(app, RUNTIME)


def test_many_references_to_a_long_value_are_refused_before_they_are_expanded(app):
    # A 20 KB value referring a thousand times to a 60 KiB one would expand to 60 MiB.
    var(app, "LONG", "x" * 60 * 1024)
    var(app, "MANY", f"{{{{ {app.slug}.LONG }}}}" * 1000)
    tracemalloc.start()
    try:
        with pytest.raises(UnresolvedEnvironment, match="more than 64 KiB"):
            resolve_environment(app, RUNTIME)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024


@pytest.mark.parametrize(
    ("engine", "version", "start", "end"),
    [
        ("postgresql", "16", "postgresql://", "?sslmode=require"),
        ("mariadb", "11.4", "mysql://", "?ssl-mode=REQUIRED"),
        ("redis", "7.4", "rediss://", "/0"),
    ],
)
def test_with_force_tls_the_url_asks_for_tls(make_database, engine, version, start, end):
    from connections.environment import connection_url

    url = connection_url(make_database(engine=engine, version=version, force_tls=True))
    assert url.startswith(start)
    assert url.endswith(end)


# Revealing and masking a whole environment


def test_revealing_an_environment_returns_it_and_records_who_and_which_phase(
    developer, app, database
):
    var(app, "SECRET", "{{ shop-db.DB_PASSWORD }}")
    environment = variables.reveal_environment(developer, app, RUNTIME)
    assert environment == resolve_environment(app, RUNTIME)
    entry = Activity.objects.get()
    assert (entry.actor, entry.verb, entry.changes) == (
        developer,
        "revealed the environment of",
        {"phase": "runtime"},
    )


def test_an_environment_that_does_not_resolve_is_not_revealed_nor_recorded(developer, app):
    var(app, "BROKEN", "{{ nope.KEY }}")
    with pytest.raises(UnresolvedEnvironment):
        variables.reveal_environment(developer, app, RUNTIME)
    assert not Activity.objects.exists()


def test_masking_keeps_the_keys_and_the_platforms_port_only():
    masked = mask_environment({"PORT": "8080", "B": "secret", "a": "x"})
    assert masked == {"PORT": "8080", "B": MASK, "a": MASK}
    assert list(masked) == ["PORT", "B", "a"]
