"""Template helpers of the campaign pages: the names of a visit form's inputs, and dictionary lookups."""

from django import template
from django.utils.translation import gettext as _

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


@register.filter
def metres(value) -> str:
    """A walking distance for the round: "80 米", "1.2 公里"."""
    if value is None:
        return ""
    if value < 1000:
        return _("%(n)d 米") % {"n": round(value, -1) if value >= 100 else value}
    return _("%(n)s 公里") % {"n": f"{value / 1000:.1f}"}
