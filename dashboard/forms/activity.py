"""Filtering the activity feed by resource and by person."""

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from connections import activity
from connections.models import Activity, Application, Database, Team


class ActivityFilterForm(forms.Form):
    """The feed's filters, read from the query string. On a resource's own page the resource is
    fixed and only the person can be chosen. A value that names nothing filters nothing and
    says so next to its field."""

    resource = forms.ChoiceField(required=False, label="Resource")
    person = forms.ChoiceField(required=False, label="Person")

    def __init__(
        self,
        data: Any,
        *,
        team: Team,
        resource: Application | Database | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.team, self.fixed = team, resource
        self.resources: dict[str, Application | Database] = {}
        if resource is None:
            applications = list(team.applications.all())
            databases = list(team.databases.all())
            self.resources = {
                **{f"application:{app.slug}": app for app in applications},
                **{f"database:{db.slug}": db for db in databases},
            }
            cast(forms.ChoiceField, self.fields["resource"]).choices = [
                ("", "Every resource"),
                ("Applications", [(f"application:{a.slug}", a.name) for a in applications]),
                ("Databases", [(f"database:{d.slug}", d.name) for d in databases]),
            ]
        else:
            del self.fields["resource"]
        names = activity.actor_names(activity.feed(team, resource=resource))
        everyone = [("", "Everyone"), *((name, name) for name in names)]
        cast(forms.ChoiceField, self.fields["person"]).choices = everyone

    @property
    def filtered(self) -> bool:
        return bool(self.is_bound and any(self.data.get(name) for name in self.fields))

    def entries(self) -> QuerySet[Activity]:
        """The activity the valid filters select, newest first."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        resource = self.fixed or self.resources.get(cleaned.get("resource") or "")
        return activity.feed(self.team, resource=resource, actor_name=cleaned.get("person") or "")
