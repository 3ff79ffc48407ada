"""Showing an activity record's changes in words."""

from django import template

register = template.Library()


@register.filter
def change_name(key: str) -> str:
    """``resource_model`` → ``resource model``."""
    return key.replace("_", " ")


@register.filter
def change_value(value: object) -> str:
    """Lists as comma-separated words, booleans as on/off, anything else as text."""
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
