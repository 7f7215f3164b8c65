"""Form bases and widgets shared by every domain's pages: inline service errors, the version an
edit was opened at (L3), a search box, and a select fast enough for hundreds of options."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe

#: The empty first choice of a filter.
ANY = [("", "Any")]


class FilterForm(forms.Form):
    """The filters of a list page, built with the user (whose choices may depend on what they see)."""

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user


class ServiceErrorsForm(forms.Form):
    """Marks fields with errors for assistive technology and Pico's red outline."""

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{name}-error"}
                )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (`<input type=file multiple>`), cleaned to a list (empty when none
    was chosen). Empty files are let through so the service refuses them by name."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        items = data if isinstance(data, list | tuple) else [data]
        cleaned = [super(MultipleFileField, self).clean(item, initial) for item in items if item]
        if self.required and not cleaned:
            raise ValidationError(self.error_messages["required"], code="required")
        return cleaned


class VersionedForm(ServiceErrorsForm):
    """Carries the version the user saw, so a stale edit is refused instead of overwriting (L3)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class SearchInput(forms.TextInput):
    input_type = "search"


def search_field(placeholder: str) -> forms.CharField:
    """The free-text search box of a list page's filters."""
    return forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=SearchInput(attrs={"placeholder": placeholder, "aria-label": "Search"}),
    )


def _escape(value: Any) -> str:
    """Django's conditional_escape without making a SafeString of every option."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


class FastSelect(forms.Select):
    """A <select> rendered in Python rather than one template per option: a filter listing
    hundreds of organisations costs well under a millisecond instead of tens (no option groups)."""

    #: (value, label) pairs, kept as given: Select's own `choices` normalises them on every form.
    choices: list = []

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs or {})
        final["name"] = name
        values = value if isinstance(value, list | tuple) else [value]
        selected = {str(v) for v in values if v not in (None, "")}
        options = "".join(
            f'<option value="{_escape(v)}"{" selected" * (str(v) in selected)}>{_escape(label)}</option>'
            for v, label in self.choices
        )
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")


class FastChoiceField(forms.Field):
    """One of many choices (hundreds of organisations in a filter): the choices are kept as given,
    checked by a set lookup and rendered by FastSelect. A ChoiceField normalises and copies them on
    every form, which costs milliseconds a page at that size. `coerce` types the value."""

    widget = FastSelect
    default_error_messages = {
        "invalid_choice": "Select a valid choice. %(value)s is not one of the available choices.",
    }

    def __init__(self, *, coerce: Callable[[str], Any] = str, choices: Iterable = (), **kwargs: Any):
        super().__init__(**kwargs)
        self.coerce = coerce
        self.choices = choices

    @property
    def choices(self) -> list:
        return self.widget.choices

    @choices.setter
    def choices(self, value: Iterable) -> None:
        self.widget.choices = list(value)
        self._values = {str(v) for v, _ in self.widget.choices}

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        if str(value) not in self._values:
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )
        return self.coerce(value)
