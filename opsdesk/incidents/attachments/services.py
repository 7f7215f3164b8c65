"""Writes of attachments (issue 9, item 4): the file is checked (size, type from its bytes), stored
through Django's storage API and recorded with its audit event in one transaction. Nothing is kept
on failure: a refused file is never written, and a file written before a failed insert is deleted."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from opsdesk.core.audit import audit_record, snapshot
from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from opsdesk.core.models import AuditAction
from opsdesk.core.permissions import require_permission
from opsdesk.core.services import lock_for_update, record_create, save_validated
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents import services as incident_services
from opsdesk.incidents.attachments import content
from opsdesk.incidents.attachments.models import Attachment
from opsdesk.incidents.models import Incident, IncidentNote

#: How many files one note may carry.
MAX_FILES_PER_NOTE = 10


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


#: The storage keys written by the service call under way (files_removed_on_rollback), so that every
#: file it wrote is deleted again if its transaction does not commit.
_written: ContextVar[list[str] | None] = ContextVar("attachment_files_written", default=None)


@contextmanager
def files_removed_on_rollback() -> Iterator[None]:
    """A transaction whose stored files go with it: every file _store writes inside is deleted from
    the storage if the block raises, including when the commit itself fails (the delete runs after
    the atomic block has exited). Nested uses join the outermost one, so a service storing several
    files (a note with its attachments) removes all of them when any later step fails."""
    if _written.get() is not None:
        with transaction.atomic():
            yield
        return
    keys: list[str] = []
    token = _written.set(keys)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        for key in keys:
            default_storage.delete(key)
        raise
    finally:
        _written.reset(token)


def _store(*, actor: Any, upload: Any, attachment: Attachment) -> Attachment:
    """Write the file under a name of our own (never the client's), then the row and its audit
    event; if the transaction rolls back the file is removed again (files_removed_on_rollback)."""
    checked, size = _checked(upload)
    attachment.filename = checked.filename
    attachment.content_type = checked.content_type
    attachment.size = size
    attachment.sha256 = _digest(upload)
    attachment.uploaded_by = actor
    key = f"incidents/{attachment.incident_id}/{uuid.uuid4().hex}"
    with files_removed_on_rollback():
        stored = default_storage.save(key, upload)
        _written.get().append(stored)
        attachment.file.name = stored
        return record_create(actor=actor, obj=attachment, public=attachment.public)


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


def attachment_add_from_email(
    *, incident: Incident, note: IncidentNote | None, filename: str, data: bytes
) -> Attachment:
    """C5 (issue 12 item 5): a file that came attached to a customer's email, kept on the incident
    (on its note when the email became one) under the same rules as an upload: size and type read
    from the bytes; a refused file raises ValidationFailed on `file`. Public: the customer sent it."""
    from django.core.files.base import ContentFile

    upload = ContentFile(data, name=content.clean_filename(filename or "attachment") or "attachment")
    attachment = Attachment(incident=incident, note=note, public=True)
    return _store(actor=None, upload=upload, attachment=attachment)


def attachment_add_to_rca(*, actor: Any, rca: Any, file: Any) -> Attachment:
    """A file on a root-cause analysis (C6): written by provider staff, seen by whoever may see the
    report."""
    require_permission(actor, "incidents.rca")
    attachment = Attachment(incident_id=rca.incident_id, rca=rca, public=True)
    return _store(actor=actor, upload=file, attachment=attachment)


def note_add(
    *,
    actor: Any,
    incident: Incident,
    body: str,
    public: bool = True,
    files: list[Any] | None = None,
    expected_version: int | None = None,
) -> IncidentNote:
    """A note (incidents.services.incident_add_note) with its files, in one transaction: every file is
    checked first (a refused one is a `files` error naming it, and nothing is written); then the
    note and each file, as visible as the note. If anything fails, neither the note nor any file is
    kept (the stored files are deleted: files_removed_on_rollback)."""
    require_permission(actor, incident_selectors.step_permission(actor, "note"))
    uploads = [f for f in files or [] if f is not None]
    if len(uploads) > MAX_FILES_PER_NOTE:
        raise ValidationFailed.field(
            "files", f"At most {MAX_FILES_PER_NOTE} files can be attached to a note."
        )
    problems = []
    for upload in uploads:
        try:
            _checked(upload)
        except ValidationFailed as exc:
            name = content.clean_filename(getattr(upload, "name", "") or "")
            problems += [{"field": "files", "message": f"{name}: {e['message']}"} for e in exc.errors]
    if problems:
        raise ValidationFailed("; ".join(f"files: {p['message']}" for p in problems), problems)
    with files_removed_on_rollback():
        note = incident_services.incident_add_note(
            actor=actor, incident=incident, body=body, public=public, expected_version=expected_version
        )
        for upload in uploads:
            _store(
                actor=actor,
                upload=upload,
                attachment=Attachment(incident_id=incident.pk, note=note, public=note.public),
            )
        return note


def check_removable(actor: Any, attachment: Attachment) -> None:
    """Staff (who may update incidents) remove any attachment they can see; whoever attached a
    file may remove it while the incident is open. PermissionDenied or Conflict otherwise."""
    require_permission(actor, "incidents.update")
    if actor.is_provider_staff:
        return
    if attachment.uploaded_by_id != actor.pk:
        raise PermissionDenied("Only who attached a file, or the service desk, may remove it.")
    if not attachment.incident.is_open:
        raise Conflict("The incident is no longer open: ask the service desk to remove the file.")


def may_remove(actor: Any, attachment: Attachment) -> bool:
    try:
        check_removable(actor, attachment)
    except (PermissionDenied, Conflict):
        return False
    return True


def attachment_remove(
    *, actor: Any, attachment: Attachment, expected_version: int | None = None
) -> Attachment:
    """Remove an attachment (`attachment` as the actor's selector found it: another tenant's is a
    404 before this). The row is kept, marked removed, so the timeline says "removed <name>" and
    by whom; the removal is audited; the stored file is deleted once the transaction commits (a
    rolled-back removal leaves it in place)."""
    check_removable(actor, attachment)
    with transaction.atomic():
        locked = lock_for_update(attachment, expected_version)
        if locked.removed_at is not None:
            raise NotFound()
        before = snapshot(locked)
        locked.removed_at = timezone.now()
        locked.removed_by = actor
        locked.version += 1
        save_validated(locked)
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            obj=locked,
            before=before,
            after=snapshot(locked),
            public=locked.public,
            note=f"Removed {locked.filename}",
        )
        key = locked.file.name
        transaction.on_commit(lambda: default_storage.delete(key))
        return locked
