"""Attachment endpoints (issue 9, item 4): upload as multipart/form-data to an incident (or one of its
notes) or an RCA, list, read, and download (always `Content-Disposition: attachment`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from opsdesk.core.api import ERRORS, IF_MATCH_OPTIONAL, created_with_etag, if_match_version, with_etag
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.attachments import selectors, services
from opsdesk.incidents.attachments.schemas import AttachmentOut, NoteWithAttachmentsOut
from opsdesk.incidents.attachments.views import download_response
from opsdesk.incidents.rca import selectors as rca_selectors

router = Router(tags=["attachments"])

UPLOAD_NOTE = (
    "multipart/form-data with `file`. At most OPSDESK_ATTACHMENT_MAX_BYTES (10 MB by default); the type "
    "is read from the bytes: executables, scripts and web pages (HTML, SVG, XML) are refused (422 on "
    "`file`), as are empty files."
)


@router.get("/incidents/{incident_id}/attachments", response={200: list[AttachmentOut], **ERRORS})
def attachment_list(request: HttpRequest, incident_id: int):
    incident = incident_selectors.incident_get(user=request.auth, pk=incident_id)
    return list(selectors.attachment_list(user=request.auth, incident=incident))


@router.post(
    "/incidents/{incident_id}/attachments",
    response={201: AttachmentOut, **ERRORS},
    description=UPLOAD_NOTE
    + " `note`: the id of one of the incident's notes to attach to (customers: public notes). `public`:"
    " staff choose whether the customer sees it (default: internal); on a note it follows the note.",
)
def attachment_add(
    request: HttpRequest,
    response: HttpResponse,
    incident_id: int,
    file: File[UploadedFile],
    note: Form[int | None] = None,
    public: Form[bool | None] = None,
):
    incident = incident_selectors.incident_get(user=request.auth, pk=incident_id)
    attachment = services.attachment_add(
        actor=request.auth, incident=incident, file=file, note=note, public=public
    )
    return created_with_etag(response, selectors.attachment_get(user=request.auth, pk=attachment.pk))


@router.post("/rcas/{rca_id}/attachments", response={201: AttachmentOut, **ERRORS}, description=UPLOAD_NOTE)
def attachment_add_to_rca(
    request: HttpRequest, response: HttpResponse, rca_id: int, file: File[UploadedFile]
):
    rca = rca_selectors.rca_get(user=request.auth, pk=rca_id)
    attachment = services.attachment_add_to_rca(actor=request.auth, rca=rca, file=file)
    return created_with_etag(response, selectors.attachment_get(user=request.auth, pk=attachment.pk))


@router.get("/attachments/{attachment_id}", response={200: AttachmentOut, **ERRORS})
def attachment_get(request: HttpRequest, response: HttpResponse, attachment_id: int):
    return with_etag(response, selectors.attachment_get(user=request.auth, pk=attachment_id))


@router.get(
    "/attachments/{attachment_id}/download",
    response={200: None, **ERRORS},
    description="The file, always as a download (`Content-Disposition: attachment`, "
    "`X-Content-Type-Options: nosniff`), to whoever may see the attachment.",
)
def attachment_download(request: HttpRequest, attachment_id: int):
    return download_response(selectors.attachment_get(user=request.auth, pk=attachment_id))


@router.post(
    "/incidents/{incident_id}/notes-with-attachments",
    response={201: NoteWithAttachmentsOut, **ERRORS},
    openapi_extra=IF_MATCH_OPTIONAL,
    description="A note with files in one request (POST /incidents/{incident_id}/notes takes JSON, so "
    "files need this multipart/form-data twin): `body`, `public` (customers: always public) and any "
    "number of `files` (at most 10). Every file is checked as an attachment is; if one is refused the "
    "answer is 422 on `files` naming it, and nothing is stored: no note, no file. The files are as "
    "visible as the note.",
)
def note_add(
    request: HttpRequest,
    incident_id: int,
    body: Form[str],
    public: Form[bool] = True,
    files: File[list[UploadedFile]] = None,
):
    incident = incident_selectors.incident_get(user=request.auth, pk=incident_id)
    note = services.note_add(
        actor=request.auth,
        incident=incident,
        body=body,
        public=public,
        files=files or [],
        expected_version=if_match_version(request, incident),
    )
    note.files = list(selectors.attachment_list(user=request.auth, incident=incident).filter(note=note))
    return Status(201, note)


@router.delete(
    "/attachments/{attachment_id}",
    response={204: None, **ERRORS},
    openapi_extra=IF_MATCH_OPTIONAL,
    description="Remove an attachment: staff any they can see, whoever attached it while the incident is "
    "open (403 for others, 409 once the incident is resolved or closed). The timeline then says "
    '"removed <name>" and by whom; the file is deleted from the storage when the removal commits.',
)
def attachment_remove(request: HttpRequest, attachment_id: int):
    attachment = selectors.attachment_get(user=request.auth, pk=attachment_id)
    services.attachment_remove(
        actor=request.auth, attachment=attachment, expected_version=if_match_version(request, attachment)
    )
    return Status(204, None)
