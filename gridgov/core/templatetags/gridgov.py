from django import template

register = template.Library()


@register.filter
def with_error_state(field):
    """Renders a form field; a field with errors is marked aria-invalid and takes the focus, so that on a
    long page the user lands on what needs fixing."""
    if not getattr(field, "errors", None):
        return field
    return field.as_widget(attrs={"aria-invalid": "true", "autofocus": True})
