"""An application's environment for a phase, resolved: the one function every reader uses.

A variable is plain (a value, which may hold references such as ``{{ my-postgres.DATABASE_URL }}``
or ``{{ api.SECRET_KEY }}``) or linked (it follows one field of a connected database). ``PORT`` is
always present at runtime with the application's internal port. A reference to an unknown name or
a cycle raises :class:`UnresolvedEnvironment`: never a silent empty string.
"""

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

from cryptography.fernet import InvalidToken
from django.core.cache import cache
from django.db.models import F, Q

from connections.crypto import decrypt, encrypt
from connections.engines import SQL_VARIABLE_KEYS
from connections.models import (
    Application,
    Credential,
    Database,
    Engine,
    LinkedField,
    Phase,
    Team,
    Variable,
)

REFERENCE = re.compile(
    r"\{\{\s*(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*\}\}"
)


# Environments are for configuration; a value this long means references multiply each other.
MAX_VALUE_LENGTH = 64 * 1024

# How long a resolved environment stays cached. Its version makes an entry exact; this bounds
# what changes without a new version (a row edited by hand).
CACHE_SECONDS = 300


class UnresolvedEnvironment(Exception):
    """A value that cannot be resolved; the message says which and why, never a secret."""


def endpoint(database: Database, *, external: bool = False) -> tuple[str, int]:
    """Host and port of the internal connection, or of the external one when it is on."""
    if not external:
        return database.internal_host, database.internal_port
    if not database.internet_access or database.public_endpoint is None:
        raise UnresolvedEnvironment(
            f"{database.name} has Internet access off, so its external connection details are "
            "unavailable. Turn on Internet access in the database's Network tab, or remove this "
            "variable."
        )
    return database.public_endpoint


def login_of(database: Database, credential: Credential | None = None) -> tuple[str, str]:
    """User and password: a connection's own credential, or the database's main user."""
    if credential is not None:
        return credential.username, credential.password
    return database.username, database.password


def connection_url(
    database: Database, *, external: bool = False, credential: Credential | None = None
) -> str:
    """The connection URL, with user and password percent-encoded so it parses back; as
    ``credential``'s user when given, else as the main user."""
    host, port = endpoint(database, external=external)
    if ":" in host:
        host = f"[{host}]"
    username, secret = login_of(database, credential)
    user = quote(username, safe="")
    password = quote(secret, safe="")
    spec = Engine(database.engine).spec
    path = quote(database.database_name, safe="") if spec.url_path_is_database else "0"
    if database.force_tls:
        scheme, query = spec.tls_url_scheme, spec.tls_url_query
    else:
        scheme, query = spec.url_scheme, ""
    return f"{scheme}://{user}:{password}@{host}:{port}/{path}{query}"


def linked_value(
    database: Database,
    field: str,
    *,
    external: bool = False,
    credential: Credential | None = None,
) -> str:
    """The current value of one connection detail of ``database``, with ``credential``'s user
    and password when given (a connection's own), else the main user's."""
    match LinkedField(field):
        case LinkedField.HOST:
            return endpoint(database, external=external)[0]
        case LinkedField.PORT:
            return str(endpoint(database, external=external)[1])
        case LinkedField.NAME:
            return database.database_name
        case LinkedField.USER:
            return login_of(database, credential)[0]
        case LinkedField.PASSWORD:
            return login_of(database, credential)[1]
        case LinkedField.URL:
            return connection_url(database, external=external, credential=credential)


def reference_keys(database: Database) -> dict[str, LinkedField]:
    """The names under which ``database``'s connection details can be referenced, its engine's
    keys first (``{{ cache.REDIS_URL }}``). The SQL names (``DATABASE_URL``…) work for every
    engine: they were every engine's before engines had keys of their own."""
    names = {field.default_key(database.engine): field for field in LinkedField}
    for field in LinkedField:
        names.setdefault(SQL_VARIABLE_KEYS[field.value], field)
    return names


def references_in(value: str) -> list[tuple[str, str]]:
    """The ``(slug, key)`` pairs a value refers to."""
    return [(m["slug"], m["key"]) for m in REFERENCE.finditer(value)]


@dataclass(frozen=True)
class _Frame:
    slug: str
    phase: str
    key: str

    def __str__(self) -> str:
        return f"{self.slug}.{self.key}"


class TeamEnvironments:
    """Resolves the environments of one team's applications, reading only what they need.

    An application's variables are read when it is first asked about. The references they hold
    are then followed a level at a time, each level in at most three queries (the referenced
    variables, the databases, the applications referenced only for their port), so the cost
    grows with the depth of references, never with the number of applications, databases or
    variables in the team. Only :meth:`dependents` reads the whole team.
    """

    def __init__(self, team: Team) -> None:
        self.team = team
        self._applications: dict[str, Application] = {}
        self._databases: dict[str, Database] = {}
        self._databases_by_id: dict[int, Database] = {}
        self._absent: set[str] = set()  # names of nothing in this team
        # Every variable of the applications read whole...
        self._variables: dict[int, list[Variable]] = {}
        # ...and, of the others, every variable of the (application, key) pairs referenced.
        self._by_key: dict[tuple[int, str], list[Variable]] = {}
        self._followed: set[tuple[int, str | None]] = set()
        # Each (application, phase, key) is resolved once, however many values refer to it.
        self._resolved: dict[_Frame, str] = {}

    def variables_of(self, application: Application, phase: str | None = None) -> list[Variable]:
        """The application's variables, for one phase or all of them, sorted by key, whatever
        its case (``api_key`` between ``ALLOWED_HOSTS`` and ``DATABASE_URL``)."""
        self._read(application, phase)
        variables = self._variables[application.pk]
        if phase is not None:
            variables = [v for v in variables if getattr(v, phase)]
        return sorted(variables, key=lambda v: (v.key.casefold(), v.key, v.pk or 0))

    def replace_variable(self, candidate: Variable) -> None:
        """Resolve as if ``candidate`` were saved (replacing the variable it edits, if any)."""
        application = candidate.application
        self._read(application)
        variables = self._variables[application.pk]
        edited = next((v for v in variables if v.pk is not None and v.pk == candidate.pk), None)
        if edited is not None and edited.connection_id == candidate.connection_id:
            candidate.connection = edited.connection  # with its database, already read
        variables[:] = [v for v in variables if v is not edited]
        variables.append(candidate)
        self._resolved.clear()

    def resolve(self, application: Application, phase: str) -> dict[str, str]:
        """The environment ``application`` gets in ``phase``, every reference resolved."""
        environment: dict[str, str] = {}
        if phase == Phase.RUNTIME:
            environment["PORT"] = str(application.internal_port)
        for variable in self.variables_of(application, phase):
            environment[variable.key] = self.value_of(application, phase, variable)
        return environment

    def value_of(
        self, application: Application, phase: str, variable: Variable, stack: tuple = ()
    ) -> str:
        """The resolved value of one variable in ``phase``."""
        frame = _Frame(application.slug, phase, variable.key)
        if frame in stack:
            path = " → ".join(str(f) for f in (*stack[stack.index(frame) :], frame))
            raise UnresolvedEnvironment(f"References go round in a circle: {path}.")
        if variable.connection is not None:
            connection = variable.connection
            return linked_value(
                connection.database,
                variable.linked_field,
                external=variable.external,
                credential=connection.credential,
            )
        if frame not in self._resolved:
            self._resolved[frame] = self._expand(application, phase, variable, (*stack, frame))
        return self._resolved[frame]

    def _expand(
        self, application: Application, phase: str, variable: Variable, stack: tuple
    ) -> str:
        """The value with its references replaced, refused as soon as it grows past the limit:
        a short value with many references to long ones never builds its whole expansion."""
        pieces, size = [], 0
        for piece in self._pieces(variable.value, phase, stack):
            size += len(piece)
            if size > MAX_VALUE_LENGTH:
                raise UnresolvedEnvironment(
                    f"{stack[-1]} resolves to more than {MAX_VALUE_LENGTH // 1024} KiB: its "
                    "references repeat each other."
                )
            pieces.append(piece)
        return "".join(pieces)

    def _pieces(self, value: str, phase: str, stack: tuple) -> Iterator[str]:
        """The text between references and what each reference resolves to, in order."""
        start = 0
        for match in REFERENCE.finditer(value):
            yield value[start : match.start()]
            yield self._follow(match["slug"], match["key"], phase, stack)
            start = match.end()
        yield value[start:]

    def _follow(self, slug: str, key: str, phase: str, stack: tuple) -> str:
        if not self._known(slug, key):  # a reference read since (an edited variable's)
            self._fetch({(slug, key)}, set())
        if slug in self._applications:
            target = self._applications[slug]
            if key == "PORT" and phase == Phase.RUNTIME:
                return str(target.internal_port)
            for variable in self._variables_named(target, key):
                if getattr(variable, phase):
                    return self.value_of(target, phase, variable, stack)
            raise UnresolvedEnvironment(
                f"{{{{ {slug}.{key} }}}}: {slug} has no variable {key} available "
                f"{'during the build' if phase == Phase.BUILD else 'at runtime'}."
            )
        if slug in self._databases:
            if phase == Phase.BUILD:
                raise UnresolvedEnvironment(
                    f"{{{{ {slug}.{key} }}}}: a database's internal connection details cannot be "
                    "used during the build, because the internal network is not live then. Move "
                    "the step that needs the database to the start command, or make this "
                    "variable available at runtime only."
                )
            database = self._databases[slug]
            names = reference_keys(database)
            if key not in names:
                offered = ", ".join(field.default_key(database.engine) for field in LinkedField)
                raise UnresolvedEnvironment(
                    f"{{{{ {slug}.{key} }}}}: {slug} offers {offered}, not {key}."
                )
            return linked_value(database, names[key])
        raise UnresolvedEnvironment(
            f"{{{{ {slug}.{key} }}}}: there is no application or database named {slug!r} "
            "in this team."
        )

    # Reading what is needed

    def _read(self, application: Application, phase: str | None = None) -> None:
        """Read the application's variables, then what those of ``phase`` refer to."""
        if application.pk not in self._variables:
            self._add_application(application)
            # With the databases they are linked to: often the ones referenced too.
            variables = list(
                Variable.objects.filter(application=application).select_related(
                    "connection__database__region",
                    "connection__database__server",
                    "connection__credential",
                )
            )
            for variable in variables:
                variable.application = application
                if variable.connection is not None:
                    self._add_database(variable.connection.database)
            self._variables[application.pk] = variables
        if {(application.pk, phase), (application.pk, None)} & self._followed:
            return
        self._followed.add((application.pk, phase))
        own = [v for v in self._variables[application.pk] if phase is None or getattr(v, phase)]
        pending = own
        database_ids = {v.connection.database_id for v in own if v.connection is not None}
        while pending:
            wanted = {
                (slug, key)
                for variable in pending
                if not variable.is_linked
                for slug, key in references_in(variable.value)
                if not self._known(slug, key)
            }
            pending = self._fetch(wanted, database_ids) if wanted or database_ids else []
            database_ids = set()
        self._attach_databases(own)

    def _known(self, slug: str, key: str) -> bool:
        if slug in self._absent or slug in self._databases:
            return True
        application = self._applications.get(slug)
        return application is not None and (
            key == "PORT"
            or application.pk in self._variables
            or (application.pk, key) in self._by_key
        )

    def _fetch(self, wanted: set[tuple[str, str]], database_ids: set[int]) -> list[Variable]:
        """Read the referenced ``(slug, key)`` pairs and databases; return the variables read
        for those pairs, whose own references are the next level."""
        slugs = {slug for slug, _ in wanted}
        keys = {key for _, key in wanted if key != "PORT"}  # PORT is never a variable
        fetched: dict[tuple[int, str], list[Variable]] = {}
        if keys:
            for variable in Variable.objects.filter(
                application__team=self.team, application__slug__in=slugs, key__in=keys
            ).select_related("application", "connection__credential"):
                variable.application = self._add_application(variable.application)
                fetched.setdefault((variable.application.pk, variable.key), []).append(variable)
        # Every variable of a fetched pair came back: the pairs are complete, even when empty.
        for slug, key in wanted:
            if slug in self._applications:
                fetched.setdefault((self._applications[slug].pk, key), [])
        found: list[Variable] = []
        for pair, variables in fetched.items():
            if pair[0] not in self._variables and pair not in self._by_key:
                self._by_key[pair] = variables
                found += variables
        database_ids = database_ids | {
            v.connection.database_id for v in found if v.connection is not None
        }
        database_ids -= self._databases_by_id.keys()
        unplaced = {slug for slug in slugs if slug not in self._applications}
        if unplaced or database_ids:
            for database in Database.objects.filter(
                Q(slug__in=unplaced) | Q(pk__in=database_ids), team=self.team
            ).select_related("region", "server"):
                self._add_database(database)
            unplaced -= self._databases.keys()
        if unplaced:  # applications referenced for their port only, or names of nothing
            for application in Application.objects.filter(team=self.team, slug__in=unplaced):
                self._add_application(application)
                for slug, key in wanted:
                    if slug == application.slug:
                        self._by_key.setdefault((application.pk, key), [])
            self._absent |= unplaced - self._applications.keys()
        self._attach_databases(found)
        return [v for v in found if (v.application.slug, v.key) in wanted]

    def _add_application(self, application: Application) -> Application:
        known = self._applications.setdefault(application.slug, application)
        known.team = self.team
        return known

    def _add_database(self, database: Database) -> Database:
        known = self._databases_by_id.setdefault(database.pk, database)
        self._databases[known.slug] = known
        known.team = self.team
        return known

    def _attach_databases(self, variables: Iterable[Variable]) -> None:
        for variable in variables:
            if variable.connection is not None:
                variable.connection.database = self._databases_by_id[
                    variable.connection.database_id
                ]

    def _variables_named(self, application: Application, key: str) -> list[Variable]:
        if application.pk in self._variables:
            return [v for v in self._variables[application.pk] if v.key == key]
        return self._by_key.get((application.pk, key), [])

    # Reading the whole team

    def dependents(
        self,
        applications: Iterable[Application] = (),
        databases: Iterable[Database] = (),
        *,
        main_user_only: bool = False,
    ) -> set[int]:
        """Ids of the applications whose environment depends on any of the given resources:
        the applications themselves, those linked to the databases, and every application
        that references one of those, transitively. With ``main_user_only`` (what changed is
        the databases' main user), links through a connection that holds its own credential
        do not count. Reads the whole team, in two queries."""
        team = {app.pk: app for app in Application.objects.filter(team=self.team)}
        variables: dict[int, list[Variable]] = defaultdict(list)
        for variable in Variable.objects.filter(application__team=self.team).select_related(
            "connection"
        ):
            variables[variable.application_id].append(variable)
        changed = {app.slug for app in applications} | {db.slug for db in databases}
        database_ids = {db.pk for db in databases}
        affected = {app.pk for app in applications}
        for application in team.values():
            if any(
                v.connection is not None
                and v.connection.database_id in database_ids
                and not (main_user_only and v.connection.credential_id is not None)
                for v in variables[application.pk]
            ):
                affected.add(application.pk)
                changed.add(application.slug)
        grew = True
        while grew:
            grew = False
            for application in team.values():
                if application.pk in affected:
                    continue
                referenced = {
                    slug
                    for v in variables[application.pk]
                    if not v.is_linked
                    for slug, _ in references_in(v.value)
                }
                if referenced & changed:
                    affected.add(application.pk)
                    changed.add(application.slug)
                    grew = True
        return affected


def resolve_environment(application: Application, phase: str) -> dict[str, str]:
    """The environment ``application`` gets in ``phase`` (``build`` or ``runtime``)."""
    return TeamEnvironments(application.team).resolve(application, phase)


def cached_environment(application: Application, phase: str) -> dict[str, str]:
    """:func:`resolve_environment`, resolved at most once per environment version.

    ``application`` must have been read just now: every change to what an environment resolves
    to gives it a new version, so the entry for a version stays right. The cache may be shared
    between processes (``CACHE_URL``), so an entry is encrypted with the field encryption keys:
    no secret lies in it in clear.
    """
    key = f"environment:{application.pk}:{application.environment_version}:{phase}"
    entry = cache.get(key)
    if entry is not None:
        try:
            return json.loads(decrypt(entry))
        except InvalidToken:  # encrypted with a key since retired: resolve again
            pass
    environment = resolve_environment(application, phase)
    cache.set(key, encrypt(json.dumps(environment)), CACHE_SECONDS)
    return environment


def bump_environments(
    team: Team,
    applications: Iterable[Application] = (),
    databases: Iterable[Database] = (),
    *,
    main_user_only: bool = False,
) -> set[int]:
    """Mark every application whose environment depends on the given resources as changed
    (see :meth:`TeamEnvironments.dependents` for ``main_user_only``).

    Call it after the change, inside the same transaction. Returns the ids it bumped.
    """
    affected = TeamEnvironments(team).dependents(
        applications, databases, main_user_only=main_user_only
    )
    Application.objects.filter(pk__in=affected).update(
        environment_version=F("environment_version") + 1
    )
    return affected
