"""The upload forms of the incident and RCA pages."""

from __future__ import annotations

from typing import Any

from django import forms

from opsdesk.core.ui.forms import ServiceErrorsForm
from opsdesk.incidents import selectors as incident_selectors


def _note_label(note: Any) -> str:
    kind = "Note" if note.public else "Internal note"
    return f"{kind} of {note.created_at:%d %b %H:%M} by {note.author or 'opsdesk'}"


class AttachmentForm(ServiceErrorsForm):
    """On the incident page: a file, on the incident or one of its notes; staff say who sees it."""

    file = forms.FileField(allow_empty_file=True, label="File")
    note = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Attach to")
    public = forms.TypedChoiceField(
        required=False,
        coerce=lambda v: v == "public",
        empty_value=False,
        label="Who sees it",
        choices=[("internal", "Staff only (internal)"), ("public", "The customer too")],
        help_text="On a note, the file is as visible as the note.",
    )

    def __init__(self, *args: Any, user: Any, incident: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        notes = incident_selectors.incident_notes(user=user, incident=incident)
        self.fields["note"].choices = [("", "The incident")] + [(str(n.pk), _note_label(n)) for n in notes]
        if not user.is_provider_staff:
            del self.fields["public"]

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"file": data["file"], "note": data.get("note"), "public": data.get("public")}


class RcaAttachmentForm(ServiceErrorsForm):
    file = forms.FileField(allow_empty_file=True, label="File")
