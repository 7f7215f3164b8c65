"""Model validation that turns Django's errors into ValidationFailed with one entry per field."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models

from opsdesk.core.errors import ValidationFailed


def text_errors(obj: models.Model) -> dict[str, list[str]]:
    """NUL characters and oversized text, which full_clean does not catch for every field type."""
    errors: dict[str, list[str]] = {}
    for field in obj._meta.concrete_fields:
        if not isinstance(field, models.CharField | models.TextField):
            continue
        value = getattr(obj, field.attname, None)
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            errors.setdefault(field.name, []).append("Null characters are not allowed.")
        if isinstance(field, models.TextField) and field.max_length and len(value) > field.max_length:
            errors.setdefault(field.name, []).append(
                f"Ensure this value has at most {field.max_length} characters (it has {len(value)})."
            )
    return errors


def validate_instance(obj: models.Model, *, exclude: Iterable[str] | None = None) -> None:
    """full_clean plus the text checks; raises ValidationFailed naming every bad field."""
    errors = text_errors(obj)
    try:
        obj.full_clean(exclude=[*(exclude or []), *errors])
    except DjangoValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationFailed.from_django(DjangoValidationError(errors))


def reject_nul(**values: str | None) -> None:
    """For free-standing string inputs that never reach a model field."""
    for name, value in values.items():
        if isinstance(value, str) and "\x00" in value:
            raise ValidationFailed.field(name, "Null characters are not allowed.")
