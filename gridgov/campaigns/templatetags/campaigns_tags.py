"""Template helpers of the campaign pages: the names of a visit form's inputs, and dictionary lookups."""

from django import template

register = template.Library()


@register.simple_tag
def answer_name(campaign_id, key) -> str:
    return f"a-{campaign_id}-{key}"


@register.simple_tag
def error_key(campaign_id, key) -> str:
    return f"answers.{campaign_id}.{key}"


@register.filter
def lookup(mapping, key):
    if not mapping:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None
