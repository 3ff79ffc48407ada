"""Forms for connections, variables, the application's port and deploy tokens."""

import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import QuerySet

from connections.environment import TeamEnvironments, UnresolvedEnvironment
from connections.linking import (
    PREFIX_PATTERN,
    clashing_keys,
    connected_slugs,
    key_error,
    proposed_keys,
    refusal,
)
from connections.models import Application, Database, Engine, LinkedField, Phase, Variable
from connections.passwords import generate_password, policy_failures
from dashboard.forms.resources import ApplicationPortField

BUILD_REFUSAL = (
    "Variables linked to an internal connection are available at runtime only: the internal "
    "network is not live during a build. Move the step that needs the database from the build "
    "command to the start command, or add a build-only variable with the same key filled from "
    "the database's external connection details."
)

# A variable's value as typed; references may make it longer once resolved, up to the limit
# the environment keeps (64 KiB).
MAX_VARIABLE_VALUE_LENGTH = 32 * 1024
# Longer than any password policy asks for, short enough for every engine's protocol.
MAX_PASSWORD_LENGTH = 256

EXTERNAL_RUNTIME_REFUSAL = (
    "This variable follows the database's external connection details, which exist for the "
    "build only. At runtime the application uses the internal connection's variables."
)


class ConnectionForm(forms.Form):
    """Pick the other side of a connection and, optionally, the keys of its variables.

    One side is fixed by the page the modal opened from; the other is chosen among the team's
    resources in the same region, those already connected shown but not offered. While the
    user chooses, :meth:`preview` proposes the keys of the chosen database's engine and shows
    the keys that clash with the application's variables. The server re-checks everything the
    modal offered.
    """

    other = forms.CharField(widget=forms.Select, max_length=100)
    add_variables = forms.BooleanField(
        required=False, initial=True, label="Add environment variables"
    )
    access = forms.ChoiceField(
        choices=[
            ("read-write", "Read and write"),
            ("read-only", "Read only"),
        ],
        initial="read-write",
        required=False,  # read-write unless chosen otherwise
        widget=forms.RadioSelect,
        label="Access",
        help_text="The connection gets its own user on the server, with rights on this "
        "database only.",
    )
    # Set once the modal warned that the application could not reach the database.
    acknowledged = forms.BooleanField(required=False, widget=forms.HiddenInput)
    add_rule = forms.BooleanField(required=False, initial=True)
    # The metaclass moves declared fields into base_fields, so Form.prefix itself stays None.
    prefix = forms.CharField(  # type: ignore[assignment]
        required=False,
        max_length=40,
        label="Key prefix",
        help_text="For an app that uses two databases, e.g. ANALYTICS_ gives ANALYTICS_DB_HOST.",
    )

    def __init__(
        self,
        *args: Any,
        application: Application | None = None,
        database: Database | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.application, self.database = application, database
        fixed: Application | Database
        others: QuerySet[Database] | QuerySet[Application]
        if application is not None:
            fixed, label, self.article = application, "Database", "a database"
            others = Database.objects.filter(team=application.team)
        elif database is not None:
            fixed, label, self.article = database, "Application", "an application"
            others = Application.objects.filter(team=database.team)
        else:
            raise TypeError("ConnectionForm needs an application or a database.")
        # Any resource of the team may be posted, so that a refusal can say why (another
        # region); only those of the same region are offered.
        self.candidates: dict[str, Application | Database] = {
            obj.slug: obj for obj in others.select_related("region")
        }
        self.fields["other"].label = label
        self.fields["other"].widget.choices = [
            (slug, obj.name)
            for slug, obj in self.candidates.items()
            if obj.region_id == fixed.region_id
        ]
        self.connected = connected_slugs(fixed)
        # Keys that clash with the chosen application's variables, shown while choosing.
        self.clashes: dict[str, str] = {}
        for field in LinkedField:
            self.fields[f"key_{field.value}"] = forms.CharField(
                label=field.label, required=False, max_length=255
            )

    @classmethod
    def preview(
        cls,
        data: Mapping[str, str] | None,
        *,
        application: Application | None = None,
        database: Database | None = None,
    ) -> "ConnectionForm":
        """The modal while the user chooses: first shown (``data`` None), or after a change of
        the choice, the prefix or a key (``data["refresh"]`` says which), validating nothing.

        A new prefix, or a database of another engine, proposes its keys; keys typed by hand
        stay. The keys that the chosen application already has at runtime are in ``clashes``.
        """
        form = cls(application=application, database=database)
        data = data or {}
        chosen = data.get("other", "")
        if chosen not in form.choosable():
            chosen = next(iter(form.choosable()), chosen)
        prefix = data.get("prefix", "").strip()
        valid = re.fullmatch(PREFIX_PATTERN, prefix) is not None
        engine = form.engine_of(chosen)
        proposed = proposed_keys(prefix if valid else "", engine=engine)
        refresh = data.get("refresh")
        keys = {}
        for field, key in proposed.items():
            typed = (data.get(f"key_{field.value}") or "").strip()
            # A key as some engine proposes it was not typed by hand: it follows the choice.
            proposal = typed in {f"{prefix}{field.default_key(other)}" for other in Engine}
            keep = typed and (refresh == "keys" or (refresh != "prefix" and not proposal))
            keys[f"key_{field.value}"] = typed if keep else key
        first = not data
        form.initial = {
            "other": chosen,
            "add_variables": first or bool(data.get("add_variables")),
            "add_rule": first or bool(data.get("add_rule")),
            "access": data.get("access") or "read-write",
            "prefix": prefix,
            **keys,
        }
        pair = form.pair(chosen)
        if pair is not None and form.initial["add_variables"]:
            # Only well-formed keys can clash; a typed key may hold anything, even a NUL.
            by_key = {key: name for name, key in keys.items() if not key_error(key)}
            for key in clashing_keys(pair[0], list(by_key), Phase.RUNTIME):
                form.clashes[by_key[key]] = _clash(pair[0], key)
        return form

    def choosable(self) -> list[str]:
        """The slugs offered that are not connected yet, in the order shown."""
        choices = self.fields["other"].widget.choices
        return [slug for slug, _ in choices if slug not in self.connected]

    def options(self) -> list[tuple[str, str, bool]]:
        """``(slug, name, already connected)`` for each resource offered."""
        choices = self.fields["other"].widget.choices
        return [(slug, name, slug in self.connected) for slug, name in choices]

    def connected_names(self) -> list[str]:
        """The names of the resources offered that are already connected."""
        return [name for _, name, connected in self.options() if connected]

    def engine_of(self, slug: str) -> str:
        """The engine of the database a choice of ``slug`` connects (PostgreSQL's keys when
        nothing is chosen)."""
        other = self.database or self.candidates.get(slug)
        return other.engine if isinstance(other, Database) else Engine.POSTGRESQL

    def pair(self, slug: str) -> tuple[Application, Database] | None:
        """The (application, database) a choice of ``slug`` would connect, if it can."""
        other = self.candidates.get(slug)
        if other is None:
            return None
        pair = self._pair_with(other)
        return None if refusal(*pair) else pair

    def _pair_with(self, other: Application | Database) -> tuple[Application, Database]:
        application = self.application or other
        database = self.database or other
        if not (isinstance(application, Application) and isinstance(database, Database)):
            raise TypeError(f"{other} is on the same side as the form's fixed resource.")
        return application, database

    def connection(self) -> tuple[Application, Database]:
        """The (application, database) a valid form connects."""
        if self.application is None or self.database is None:
            raise ValueError("Only a valid ConnectionForm names both sides.")
        return self.application, self.database

    @property
    def read_only(self) -> bool:
        return self.cleaned_data.get("access") == "read-only"

    def key_fields(self) -> list[tuple[LinkedField, forms.BoundField, str]]:
        """Each detail with its key's field and, while choosing, why the key clashes."""
        return [
            (field, self[f"key_{field.value}"], self.clashes.get(f"key_{field.value}", ""))
            for field in LinkedField
        ]

    def clean_other(self) -> str:
        slug = self.cleaned_data["other"]
        if slug not in self.candidates:
            raise forms.ValidationError(f"Choose {self.article} of this team.")
        return slug

    def clean_prefix(self) -> str:
        prefix = self.cleaned_data["prefix"].strip()
        if not re.fullmatch(PREFIX_PATTERN, prefix):
            raise forms.ValidationError(
                "Letters, digits and underscores, not starting with a digit."
            )
        return prefix

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        other = self.candidates.get(cleaned.get("other", ""))
        if other is None:
            return cleaned
        self.application, self.database = self._pair_with(other)
        reason = refusal(self.application, self.database)
        if reason:
            self.add_error("other", reason)
            return cleaned
        if cleaned.get("add_variables"):
            self._clean_keys(self.application, cleaned)
        return cleaned

    def _clean_keys(self, application: Application, cleaned: dict[str, Any]) -> None:
        keys: dict[LinkedField, str] = {}
        for field in LinkedField:
            name = f"key_{field.value}"
            key = (cleaned.get(name) or "").strip()
            error = key_error(key) if key else "Give this variable a key."
            if error:
                self.add_error(name, error)
            elif key in keys.values():
                self.add_error(name, f"{key} is used twice in this list.")
            keys[field] = key
        for field, key in keys.items():
            if key in clashing_keys(application, list(keys.values()), Phase.RUNTIME):
                self.add_error(f"key_{field.value}", _clash(application, key))
        cleaned["keys"] = keys


def _clash(application: Application, key: str) -> str:
    return f"{application.name} already has {key} at runtime. Pick another key or a prefix."


class VariableForm(forms.ModelForm[Variable]):
    """Add or edit a variable. A linked variable's value is not editable: only its key is."""

    value = forms.CharField(
        required=False,
        max_length=MAX_VARIABLE_VALUE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="May reference another resource of the team: {{ my-postgres.DATABASE_URL }}.",
    )

    class Meta:
        model = Variable
        fields = ["key", "value", "build", "runtime"]

    def __init__(
        self, *args: Any, application: Application, revealed: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instance.application = application
        self.application = application
        if self.instance.is_linked:
            del self.fields["value"]
        # An existing value is not sent to the browser until it is revealed (a recorded act);
        # until then the field starts empty, and left empty it keeps the value.
        editing = self.instance.pk is not None and "value" in self.fields
        self.revealed = editing and revealed
        self.masked = editing and not revealed
        if self.masked:
            self.initial["value"] = ""
            self.fields["value"].widget.attrs["placeholder"] = "Hidden: left empty, it stays."

    def clean_value(self) -> str:
        value = self.cleaned_data["value"]
        if self.masked and not value:
            return self.instance.value
        return value

    def clean_key(self) -> str:
        key = self.cleaned_data["key"].strip()
        error = key_error(key)
        if error:
            raise forms.ValidationError(error)
        return key

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        build, runtime = bool(cleaned.get("build")), bool(cleaned.get("runtime"))
        if self.instance.is_linked and not self.instance.external and build:
            self.add_error("build", BUILD_REFUSAL)
            return cleaned
        if self.instance.external and runtime:
            self.add_error("runtime", EXTERNAL_RUNTIME_REFUSAL)
            return cleaned
        if not build and not runtime:
            self.add_error(
                "runtime", "Make the variable available during the build, at runtime, or both."
            )
            return cleaned
        key = cleaned.get("key")
        if key:
            self._clean_uniqueness(key, build, runtime)
        if key and not self.errors:
            self._clean_references()
        return cleaned

    def _clean_uniqueness(self, key: str, build: bool, runtime: bool) -> None:
        others = Variable.objects.filter(application=self.application, key=key).exclude(
            pk=self.instance.pk
        )
        for phase, wanted in ((Phase.BUILD, build), (Phase.RUNTIME, runtime)):
            if wanted and others.filter(**{phase: True}).exists():
                when = "during the build" if phase == Phase.BUILD else "at runtime"
                self.add_error("key", f"{key} is already defined {when}.")

    def _clean_references(self) -> None:
        candidate = self.instance
        for name in ("key", "value", "build", "runtime"):
            if name in self.cleaned_data:
                setattr(candidate, name, self.cleaned_data[name])
        environments = TeamEnvironments(self.application.team)
        environments.replace_variable(candidate)
        for phase in candidate.phases:
            try:
                environments.value_of(self.application, phase, candidate)
            except UnresolvedEnvironment as error:
                self.add_error("value" if "value" in self.fields else "key", str(error))
                return

    # ModelForm would validate the unique constraints again with a generic message.
    def validate_constraints(self) -> None:
        return None


class PortForm(forms.ModelForm[Application]):
    internal_port = ApplicationPortField()

    class Meta:
        model = Application
        fields = ["internal_port"]


class DeployTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="Where the token will live, e.g. “GitHub Actions”."
    )


class ChangePasswordForm(forms.Form):
    """A new password typed by hand, or none with ``generate`` to have one made."""

    password = forms.CharField(
        required=False,
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        label="New password",
        # Kept when refused (a failed rule, a server that did not answer), masked, so the person
        # fixes it rather than typing it again; the modal's answers are never cached.
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True),
        help_text="At least 8 characters with a lowercase letter, an uppercase letter, a digit "
        "and one of , & * [ ] : ' $ ` \"",
    )

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if self.data.get("generate"):
            return generate_password()
        if not password:
            raise forms.ValidationError("Type a new password, or generate one.")
        failures = policy_failures(password)
        if failures:
            raise forms.ValidationError([f"Needs {rule}." for rule in failures])
        return password


class GraceForm(forms.Form):
    hours = forms.IntegerField(
        min_value=1,
        max_value=720,
        label="Grace period (hours)",
        help_text="How long an old connection credential keeps working at most after a "
        "rotation when applications do not report their deployment. 1 to 720 hours.",
    )
