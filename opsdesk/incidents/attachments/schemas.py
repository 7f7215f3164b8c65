"""API shapes of attachments."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from opsdesk.directory.schemas import PersonRef
from opsdesk.incidents.schemas import NoteOut


class AttachmentOut(Schema):
    id: int
    incident_id: int
    note_id: int | None
    rca_id: int | None
    filename: str
    content_type: str = Field(..., description="Read from the file's bytes, not the one the client sent.")
    size: int
    sha256: str
    public: bool = Field(..., description="Visible to the customer.")
    uploaded_by: PersonRef | None = None
    created_at: datetime
    download: str = Field(..., description="Where to download it (always as an attachment).")
    version: int

    @staticmethod
    def resolve_download(obj) -> str:
        return f"/api/v1/attachments/{obj.pk}/download"


class NoteWithAttachmentsOut(NoteOut):
    attachments: list[AttachmentOut] = Field(..., description="The files posted with the note.")

    @staticmethod
    def resolve_attachments(obj) -> list:
        return obj.files
