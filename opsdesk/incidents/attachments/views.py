"""Attachment pages (issue 9, item 4): the upload forms posted from the incident and RCA pages, and
the download, which is the same for pages and the API: always a download, never rendered inline."""

from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from opsdesk.core.errors import Conflict, PreconditionFailed, ValidationFailed
from opsdesk.core.ui.crud import int_param
from opsdesk.core.ui.views import apply_service_errors, require, ui_view
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.attachments import forms, selectors, services
from opsdesk.incidents.attachments.models import Attachment
from opsdesk.incidents.rca import selectors as rca_selectors


def download_response(attachment: Attachment) -> FileResponse:
    """The file as a download: `Content-Disposition: attachment` whatever its type, no sniffing, and a
    sandbox policy in case a browser opens it anyway."""
    response = FileResponse(
        default_storage.open(attachment.file.name, "rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@ui_view
def download(request, pk: int):
    return download_response(selectors.attachment_get(user=request.user, pk=pk))


def _report(request, form, done: str) -> None:
    if form.errors:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
    else:
        messages.success(request, done)


def _run(request, form, action) -> None:
    if form.is_valid():
        try:
            attachment = action(form)
        except ValidationFailed as exc:
            apply_service_errors(form, exc)
        else:
            _report(request, form, f"{attachment.filename} attached.")
            return
    _report(request, form, "")


@require_POST
@ui_view
def upload(request, pk: int):
    incident = incident_selectors.incident_get(user=request.user, pk=pk)
    require(request.user, "incidents.update")
    form = forms.AttachmentForm(request.POST, request.FILES, user=request.user, incident=incident)
    _run(
        request,
        form,
        lambda f: services.attachment_add(actor=request.user, incident=incident, **f.service_arguments()),
    )
    return redirect(reverse("incidents:detail", args=[incident.pk]) + "#attachments")


@require_POST
@ui_view
def upload_to_rca(request, pk: int):
    rca = rca_selectors.rca_get(user=request.user, pk=pk)
    require(request.user, "incidents.rca")
    form = forms.RcaAttachmentForm(request.POST, request.FILES)
    _run(
        request,
        form,
        lambda f: services.attachment_add_to_rca(actor=request.user, rca=rca, file=f.cleaned_data["file"]),
    )
    return redirect(reverse("incidents:rca_detail", args=[rca.pk]) + "#attachments")


def _page_of(attachment: Attachment) -> str:
    if attachment.rca_id:
        return reverse("incidents:rca_detail", args=[attachment.rca_id]) + "#attachments"
    return reverse("incidents:detail", args=[attachment.incident_id]) + "#attachments"


@ui_view
def remove(request, pk: int):
    """Remove an attachment: GET asks to confirm, POST removes (services.attachment_remove)."""
    attachment = selectors.attachment_get(user=request.user, pk=pk)
    services.check_removable(request.user, attachment)
    back = _page_of(attachment)
    error = ""
    if request.method == "POST":
        try:
            services.attachment_remove(
                actor=request.user, attachment=attachment, expected_version=int_param(request, "version")
            )
        except (Conflict, PreconditionFailed) as exc:
            error = exc.detail
        else:
            messages.success(request, f"{attachment.filename} removed.")
            return redirect(back)
    return render(
        request,
        "core/delete.html",
        {
            "title": f"Remove {attachment.filename}?",
            "object": attachment,
            "cancel_url": back,
            "error": error,
        },
        status=409 if error else 200,
    )
