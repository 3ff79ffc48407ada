"""Forms for creating the team's resources."""

import re
from typing import Any, cast

from django import forms
from django.db.models import Model
from django.utils.text import slugify

from connections.models import SLUG_PATTERN, Application, Database, Engine, Region, Team

RESERVED_APP_PORTS = frozenset({22, 25})

# A build or start command is a line or a few, not a script: longer ones are refused before any
# check reads them.
MAX_COMMAND_LENGTH = 10_000


def _command_field(widget: type[forms.Widget], **attrs: str) -> forms.CharField:
    return forms.CharField(required=False, max_length=MAX_COMMAND_LENGTH, widget=widget(attrs))


PORT_RANGE = "A port is a number from 1 to 65535."


class ApplicationPortField(forms.IntegerField):
    """The port an application listens on: 1 to 65535, except the ports the platform keeps for
    itself. Anything else, -1 as 0 as a word, gets the one same message."""

    default_error_messages = {
        "invalid": PORT_RANGE,
        "min_value": PORT_RANGE,
        "max_value": PORT_RANGE,
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Internal port")
        kwargs.setdefault(
            "help_text", "The port the application listens on; the platform sets PORT."
        )
        super().__init__(min_value=1, max_value=65535, **kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value in RESERVED_APP_PORTS:
            raise forms.ValidationError(f"Port {value} is reserved by the platform.")


def _unique_slug_in_team(team: Team, slug: str, *, exclude: Model) -> None:
    """Applications and databases share one namespace per team, so references stay unambiguous."""
    clash = (
        Application.objects.filter(team=team, slug=slug).exclude(pk=exclude.pk).exists()
        or Database.objects.filter(team=team, slug=slug).exclude(pk=exclude.pk).exists()
    )
    if clash:
        raise forms.ValidationError(
            "Another application or database of this team already uses this slug."
        )


class ResourceForm[M: Application | Database](forms.ModelForm[M]):
    """Shared by the create forms: the slug defaults to the name and is unique in the team."""

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.team = team
        self.fields["slug"].required = False
        self.fields[
            "slug"
        ].help_text = "Lowercase letters, digits and dashes. Left empty: from the name."
        region = cast(forms.ModelChoiceField[Region], self.fields["region"])
        region.queryset = Region.objects.all()
        region.empty_label = None

    def clean_slug(self) -> str:
        slug = self.cleaned_data.get("slug")
        if not slug:
            # From the name: slugify keeps underscores, which slugs here do not allow.
            slug = re.sub(r"[-_]+", "-", slugify(self.data.get("name", ""))).strip("-")
            if not slug:
                raise forms.ValidationError("Give a name or a slug made of letters and digits.")
        if not re.fullmatch(SLUG_PATTERN, slug):
            raise forms.ValidationError(
                "Use lowercase letters, digits and single dashes, e.g. orders-api."
            )
        _unique_slug_in_team(self.team, slug, exclude=self.instance)
        return slug

    def save(self, commit: bool = True) -> M:
        self.instance.team = self.team
        return super().save(commit=commit)


class ApplicationForm(ResourceForm[Application]):
    internal_port = ApplicationPortField()
    build_command = _command_field(forms.TextInput, placeholder="npm ci && npm run build")
    start_command = _command_field(forms.TextInput, placeholder="npm start")

    class Meta:
        model = Application
        fields = ["name", "slug", "region", "internal_port", "build_command", "start_command"]


class DatabaseForm(ResourceForm[Database]):
    class Meta:
        model = Database
        fields = ["name", "slug", "engine", "version", "region", "resource_model"]
        widgets = {"resource_model": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"] = forms.ChoiceField(
            choices=[
                (
                    engine.label,
                    [(version, f"{engine.label} {version}") for version in engine.versions],
                )
                for engine in Engine
            ],
            help_text="The version must belong to the engine.",
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        engine, version = cleaned.get("engine"), cleaned.get("version")
        if engine and version and version not in Engine(engine).versions:
            offered = ", ".join(Engine(engine).versions)
            self.add_error("version", f"{Engine(engine).label} comes in versions {offered}.")
        return cleaned

    def save(self, commit: bool = True) -> Database:
        self.instance.slug = self.cleaned_data["slug"]
        self.instance.derive_identifiers()
        return super().save(commit=commit)


class CommandsForm(forms.ModelForm[Application]):
    """The build and start commands of an application."""

    build_command = _command_field(forms.Textarea, rows="2", spellcheck="false")
    start_command = _command_field(forms.Textarea, rows="2", spellcheck="false")

    class Meta:
        model = Application
        fields = ["build_command", "start_command"]


class RenameForm(forms.Form):
    """A new name for an application or a database; its slug stays."""

    name = forms.CharField(label="Name", max_length=100)

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class DeleteForm(forms.Form):
    """Deleting is confirmed by typing the resource's slug."""

    confirm = forms.CharField(max_length=100)

    def __init__(self, *args: Any, slug: str, noun: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slug = slug
        self.fields["confirm"].label = f"Type the {noun}'s slug to confirm"

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].strip()
        if typed != self.slug:
            raise forms.ValidationError(f"Type {self.slug} exactly to delete it.")
        return typed
