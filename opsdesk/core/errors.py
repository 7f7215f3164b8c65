"""One error family for services, turned into one JSON shape by the API and into form errors by views.

Shape (L3): {"detail": "...", "errors": [{"field": "...", "message": "..."}]}.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError


class ApplicationError(Exception):
    status_code = 400
    default_detail = "The request could not be processed."

    def __init__(self, detail: str | None = None, errors: Iterable[Mapping[str, str]] | None = None):
        self.detail = detail or self.default_detail
        self.errors = [dict(e) for e in (errors or [])]
        super().__init__(self.detail)

    def as_dict(self) -> dict:
        return {"detail": self.detail, "errors": self.errors}


class ValidationFailed(ApplicationError):
    status_code = 422
    default_detail = "Invalid input."

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", [{"field": field, "message": message}])

    @classmethod
    def from_django(cls, exc: DjangoValidationError) -> ValidationFailed:
        errors: list[dict[str, str]] = []
        if hasattr(exc, "error_dict"):
            for field, field_errors in exc.message_dict.items():
                name = "__all__" if field == NON_FIELD_ERRORS else field
                errors.extend({"field": name, "message": m} for m in field_errors)
        else:
            errors.extend({"field": "__all__", "message": m} for m in exc.messages)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or cls.default_detail
        return cls(detail, errors)


class NotFound(ApplicationError):
    status_code = 404
    default_detail = "Not found."


class PermissionDenied(ApplicationError):
    status_code = 403
    default_detail = "You do not have permission to perform this action."


class Conflict(ApplicationError):
    status_code = 409
    default_detail = "Conflict."


class PreconditionFailed(ApplicationError):
    status_code = 412
    default_detail = "The object was changed by someone else; fetch it again and retry with the new ETag."


class PreconditionRequired(ApplicationError):
    status_code = 428
    default_detail = "This update needs an If-Match header carrying the object's ETag."
