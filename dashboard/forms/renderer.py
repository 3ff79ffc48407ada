"""How forms render: with the project's templates, every field through ``forms/field.html``."""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """``{{ form.field.as_field_group }}`` gives the label, the input, the help and the errors."""

    field_template_name = "forms/field.html"
