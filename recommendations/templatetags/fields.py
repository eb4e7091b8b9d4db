"""Form controls as the shared field partial renders them."""

from django import template
from django.forms import BoundField

register = template.Library()


@register.filter
def control(field: BoundField) -> str:
    """The field's control. While its form has errors the error summary takes the focus
    when the page loads, so no control keeps an `autofocus` of its own (a page may
    autofocus one element only): Django's sign-in form puts one on the username."""
    if field.form.errors and field.field.widget.attrs.get("autofocus"):
        return field.as_widget(attrs={"autofocus": False})
    return field
