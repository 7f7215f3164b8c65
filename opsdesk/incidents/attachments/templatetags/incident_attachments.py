"""The attachment blocks of the incident and RCA pages, included by tag so those pages (and their
views) need not know how attachments are listed or uploaded."""

from __future__ import annotations

from typing import Any

from django import template

from opsdesk.core.permissions import has_permission
from opsdesk.incidents.attachments import forms, selectors
from opsdesk.incidents.attachments.services import attachment_max_bytes, may_remove

register = template.Library()


def _listed(user: Any, qs: Any) -> list[Any]:
    rows = list(qs)
    for attachment in rows:
        attachment.removable = may_remove(user, attachment)
    return rows


@register.inclusion_tag("attachments/_incident.html", takes_context=True)
def incident_attachments(context: dict[str, Any], incident: Any) -> dict[str, Any]:
    user = context["request"].user
    can_upload = has_permission(user, "incidents.update")
    return {
        "attachments": _listed(user, selectors.attachment_list(user=user, incident=incident)),
        "form": forms.AttachmentForm(user=user, incident=incident) if can_upload else None,
        "action": "incidents:attachment_upload",
        "target": incident,
        "max_mb": attachment_max_bytes() // (1024 * 1024),
        "csrf_token": context.get("csrf_token"),
        "staff": user.is_provider_staff,
    }


@register.inclusion_tag("attachments/_incident.html", takes_context=True)
def rca_attachments(context: dict[str, Any], rca: Any) -> dict[str, Any]:
    user = context["request"].user
    return {
        "attachments": _listed(user, selectors.attachment_list(user=user, rca=rca)),
        "form": forms.RcaAttachmentForm() if has_permission(user, "incidents.rca") else None,
        "action": "incidents:rca_attachment_upload",
        "target": rca,
        "max_mb": attachment_max_bytes() // (1024 * 1024),
        "csrf_token": context.get("csrf_token"),
        "staff": user.is_provider_staff,
    }
