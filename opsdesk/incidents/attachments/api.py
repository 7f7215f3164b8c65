"""Attachment endpoints (issue 9, item 4): upload as multipart/form-data to an incident (or one of its
notes) or an RCA, list, read, and download (always `Content-Disposition: attachment`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router
from ninja.files import UploadedFile

from opsdesk.core.api import ERRORS, created_with_etag, with_etag
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.attachments import selectors, services
from opsdesk.incidents.attachments.schemas import AttachmentOut
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
