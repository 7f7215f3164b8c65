"""Writes of attachments (issue 9, item 4): the file is checked (size, type from its bytes), stored
through Django's storage API and recorded with its audit event in one transaction. Nothing is kept
on failure: a refused file is never written, and a file written before a failed insert is deleted."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction

from opsdesk.core.errors import ValidationFailed
from opsdesk.core.permissions import require_permission
from opsdesk.core.services import record_create
from opsdesk.incidents.attachments import content
from opsdesk.incidents.attachments.models import Attachment
from opsdesk.incidents.models import Incident, IncidentNote


def attachment_max_bytes() -> int:
    """OPSDESK_ATTACHMENT_MAX_BYTES (10 MB by default)."""
    return settings.ATTACHMENT_MAX_BYTES


def _size_label(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def _checked(upload: Any) -> tuple[content.Checked, int]:
    """The upload's name and type as read from its bytes, and its size; ValidationFailed on `file`
    when it must not be kept."""
    if upload is None:
        raise ValidationFailed.field("file", "Choose a file to attach.")
    size = int(getattr(upload, "size", 0) or 0)
    if size <= 0:
        raise ValidationFailed.field("file", "The file is empty.")
    limit = attachment_max_bytes()
    if size > limit:
        raise ValidationFailed.field(
            "file", f"The file is {_size_label(size)}; attachments may be at most {_size_label(limit)}."
        )
    upload.seek(0)
    head = upload.read(content.HEAD_BYTES)
    upload.seek(0)
    try:
        return content.check(getattr(upload, "name", "") or "", head), size
    except content.Refused as exc:
        raise ValidationFailed.field("file", str(exc))


def _digest(upload: Any) -> str:
    sha = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b""):
        sha.update(chunk)
    upload.seek(0)
    return sha.hexdigest()


def _store(*, actor: Any, upload: Any, attachment: Attachment) -> Attachment:
    """Write the file under a name of our own (never the client's), then the row and its audit
    event; if the row cannot be written the file is removed again."""
    checked, size = _checked(upload)
    attachment.filename = checked.filename
    attachment.content_type = checked.content_type
    attachment.size = size
    attachment.sha256 = _digest(upload)
    attachment.uploaded_by = actor
    key = f"incidents/{attachment.incident_id}/{uuid.uuid4().hex}"
    with transaction.atomic():
        stored = default_storage.save(key, upload)
        try:
            attachment.file.name = stored
            return record_create(actor=actor, obj=attachment, public=attachment.public)
        except BaseException:
            default_storage.delete(stored)
            raise


def attachment_add(
    *,
    actor: Any,
    incident: Incident,
    file: Any,
    public: bool | None = None,
    note: int | IncidentNote | None = None,
) -> Attachment:
    """A file on an incident (C5), or on one of its notes. Whoever may add notes may attach files;
    a customer's attachment is always visible to the customer, and a customer attaches only to the
    incident or a public note. On a note the attachment is as visible as the note; on the incident
    staff choose (internal unless said otherwise)."""
    require_permission(actor, "incidents.update")
    customer = not actor.is_provider_staff
    note_obj = None
    if note is not None:
        note_id = note.pk if isinstance(note, IncidentNote) else note
        qs = IncidentNote.objects.restrict(actor).filter(incident=incident)
        if customer:
            qs = qs.filter(public=True)
        note_obj = qs.filter(pk=note_id).first() if str(note_id).isdigit() else None
        if note_obj is None:
            raise ValidationFailed.field("note", "No such note on this incident.")
    if customer and public is False:
        raise ValidationFailed.field("public", "Customers' attachments are always visible to them.")
    visible = note_obj.public if note_obj is not None else (True if customer else bool(public))
    attachment = Attachment(incident=incident, note=note_obj, public=visible)
    return _store(actor=actor, upload=file, attachment=attachment)


def attachment_add_to_rca(*, actor: Any, rca: Any, file: Any) -> Attachment:
    """A file on a root-cause analysis (C6): written by provider staff, seen by whoever may see the
    report."""
    require_permission(actor, "incidents.rca")
    attachment = Attachment(incident_id=rca.incident_id, rca=rca, public=True)
    return _store(actor=actor, upload=file, attachment=attachment)
