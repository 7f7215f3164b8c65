"""E1 "a notification may raise a change": the one place that composes the maintenance and changes
domains, which never import each other. Raising a change from an AWS Health notice is three calls in
one transaction: maintenance locks the notice and says whether a change may be raised from it
(matched, the named contact already contacted, none raised yet) and what the change says
(`health_notice_change_proposal`); changes creates the provider-initiated planned change
(`change_create`, its own rules, audit and deadlines); maintenance records the change's id and
reference on the notice (`health_notice_link_change`). Any refusal rolls all three back.

The API operation (`POST /api/v1/maintenance/notices/{notice_id}/raise-change`, wired in
config/api.py) and the page (the notice's "Raise a change" button) both call `notice_raise_change`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Router

from opsdesk.changes import selectors as change_selectors
from opsdesk.changes import services as change_services
from opsdesk.changes.choices import ChangeLevel
from opsdesk.changes.schemas import ChangeOut
from opsdesk.core.api import ERRORS, IF_MATCH_OPTIONAL, created_with_etag, if_match_version
from opsdesk.core.ui.crud import bound
from opsdesk.core.ui.forms import VersionedForm
from opsdesk.core.ui.views import form_page, require, ui_view
from opsdesk.maintenance import selectors as maintenance_selectors
from opsdesk.maintenance import services as maintenance_services

VIEW = maintenance_services.VIEW
TRIAGE = maintenance_services.TRIAGE


def notice_raise_change(*, actor: Any, health_notice: Any, expected_version: int | None = None) -> Any:
    """The change raised from the notice (a level-2, provider-initiated RFC for its organisation,
    services and accounts, with AWS's window for a scheduled change), linked to the notice."""
    with transaction.atomic():
        locked = maintenance_services.health_notice_raise_check(
            actor=actor, health_notice=health_notice, expected_version=expected_version
        )
        proposal = maintenance_selectors.health_notice_change_proposal(locked)
        change = change_services.change_create(
            actor=actor, level=ChangeLevel.PLANNED, provider_initiated=True, **proposal
        )
        maintenance_services.health_notice_link_change(
            actor=actor, health_notice=locked, change_id=change.pk, change_reference=change.reference
        )
    return change


# --- API -------------------------------------------------------------------------------------------

router = Router(tags=["maintenance"])


@router.post(
    "/maintenance/notices/{notice_id}/raise-change",
    response={201: ChangeOut, **ERRORS},
    openapi_extra=IF_MATCH_OPTIONAL,
)
def health_notice_raise_change(request: HttpRequest, response: HttpResponse, notice_id: int):
    """E1/D1: raise a provider-initiated planned change from the notice, prefilled from it (title,
    AWS's description, the impact assessed, the organisation's affected services and accounts, the
    contact made, and AWS's window for a scheduled change still ahead), and link it to the notice.
    Needs the contact with the named contact recorded first; once per notice (409 after)."""
    notice = maintenance_selectors.health_notice_get(user=request.auth, pk=notice_id)
    change = notice_raise_change(
        actor=request.auth, health_notice=notice, expected_version=if_match_version(request, notice)
    )
    return created_with_etag(response, change_selectors.change_get(user=request.auth, pk=change.pk))


# --- page ------------------------------------------------------------------------------------------


class RaiseChangeForm(VersionedForm):
    """Confirms the raise with the version of the notice the page showed."""


@ui_view
def notice_raise_change_page(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, VIEW)
    notice = maintenance_selectors.health_notice_get(user=request.user, pk=pk)
    require(request.user, TRIAGE)
    form = RaiseChangeForm(bound(request), initial={"version": notice.version})
    detail = reverse("maintenance:notice_detail", args=[notice.pk])
    proposal = maintenance_selectors.health_notice_change_proposal(notice)
    window = ""
    if proposal["requested_start"] is not None:
        window = f" Requested window: AWS's {proposal['requested_start']:%d %b %Y %H:%M}–"
        window += f"{proposal['requested_end']:%d %b %Y %H:%M} UTC."
    return form_page(
        request,
        form,
        lambda data: notice_raise_change(
            actor=request.user, health_notice=notice, expected_version=data["version"]
        ),
        success=lambda change: reverse("changes:change_detail", args=[change.pk]),
        message=lambda change: f"Change {change.reference} raised from the AWS Health notice.",
        title=f"Raise a change · {notice.event_type_code}",
        submit="Raise the change",
        cancel_url=detail,
        intro=f"A planned (level 2), provider-initiated change for "
        f"{notice.organisation or 'no organisation'}: “{proposal['title']}”, with AWS's description, "
        f"the impact assessed and the contact made.{window}",
    )
