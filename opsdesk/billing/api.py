"""Billing review endpoints (issue 12 item 6, F4): the week-on-week review, cost imports (list,
multipart upload), billing alerts and thresholds (the CRUD kit). Thin: parse, call, answer."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from opsdesk.billing import schemas, selectors, services
from opsdesk.core.api import ERRORS
from opsdesk.core.crud import declare, routes
from opsdesk.core.limits import Id

router = Router(tags=["billing"])


class ReviewQuery(Schema):
    organisation: Id | None = Field(None, description="Required for staff; a customer's own by default.")
    tag: str | None = Field(None, max_length=330, description="key=value, e.g. Environment=production.")


def _row(row) -> dict:
    return {
        "account_id": row.account.account_id if row.account else None,
        "account_name": row.account.name if row.account else "",
        "previous": row.previous,
        "current": row.current,
        "change": row.change,
        "change_percent": row.change_percent,
    }


@router.get("/billing/reviews", response={200: schemas.ReviewOut, **ERRORS})
def billing_review(request: HttpRequest, query: Query[ReviewQuery]):
    """The last complete week (Monday–Sunday, Europe/London) against the week before, per account and
    for the organisation, optionally for one tag; with the 12-week trend."""
    review = selectors.week_review(user=request.auth, organisation=query.organisation, tag=query.tag)
    trend = selectors.weekly_trend(user=request.auth, organisation=review.organisation.pk, tag=query.tag)
    return {
        "organisation_id": review.organisation.pk,
        "tag": review.tag,
        "week_start": review.week_start,
        "previous_week_start": review.previous_start,
        "accounts": [_row(r) for r in review.rows],
        "total": _row(review.total),
        "trend": [{"week_start": w, "total": t} for w, t in trend],
    }


IMPORTS = declare(
    "cost_import",
    "/billing/imports",
    ("list", "get"),
    selectors=selectors,
    services=services,
    schemas=schemas,
    id="import_id",
    ordering=("created_at",),
)
ALERTS = declare(
    "billing_alert",
    "/billing/alerts",
    ("list", "get"),
    selectors=selectors,
    services=services,
    schemas=schemas,
    id="alert_id",
    ordering=("week_start", "created_at"),
)
THRESHOLDS = declare(
    "threshold",
    "/billing/thresholds",
    selectors=selectors,
    services=services,
    schemas=schemas,
    ordering=("created_at",),
)


@router.post("/billing/imports", response={202: schemas.CostImportOut, **ERRORS})
def cost_import_upload(request: HttpRequest, file: File[UploadedFile]):
    """Upload a cost CSV (multipart/form-data, `file`): stored and queued (202, state `queued`); a
    worker imports it, read as a stream, in one transaction. Follow it at
    `GET /billing/imports/{import_id}`: `done`, or `failed` with the first bad line named in `error`
    (and its column in `error_field`) and nothing imported. The accounts' days in the file replace
    earlier imports'."""
    return Status(
        202, services.cost_import_enqueue(actor=request.auth, file=file, file_name=file.name or "")
    )


routes(router, IMPORTS, ALERTS, THRESHOLDS, module=__name__)


@router.post("/billing/alerts/{alert_id}/acknowledge", response={200: schemas.BillingAlertOut, **ERRORS})
def billing_alert_acknowledge(request: HttpRequest, alert_id: int):
    alert = selectors.billing_alert_get(user=request.auth, pk=alert_id)
    return services.billing_alert_acknowledge(actor=request.auth, alert=alert)
