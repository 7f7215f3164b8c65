"""Reads of billing reviews (issue 12 item 6, F4). Who sees them: billing staff, administrators and
the customer-facing managers (permission billing.view), and a customer user only when their named
contact is a billing contact, for their own organisation only (tenancy). Engineers and the service
desk have no business with customers' bills: 403."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from opsdesk.billing.importing import LONDON, TAG_KEY
from opsdesk.billing.models import BillingAlert, BillingThreshold, CostImport, DailyCost
from opsdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from opsdesk.core.permissions import has_permission, require_permission
from opsdesk.core.selectors import get_or_not_found, narrowed
from opsdesk.directory.models import CloudAccount, Organisation

VIEW = "billing.view"
IMPORT = "billing.import"
TREND_WEEKS = 12
TAG_FILTER = re.compile(r"^([^=]{1,128})=(.{0,200})$")


def require_view(user: Any) -> None:
    """billing.view, and for a customer their named contact must be a billing contact (F4)."""
    require_permission(user, VIEW)
    if not getattr(user, "is_provider_staff", False):
        contact = getattr(user, "contact", None)
        if contact is None or not contact.is_billing_contact or contact.retired_at is not None:
            raise PermissionDenied()


def may_view(user: Any) -> bool:
    try:
        require_view(user)
    except PermissionDenied:
        return False
    return True


def last_complete_week(today: dt.date | None = None) -> dt.date:
    """The Monday of the last complete Monday–Sunday week before `today` (Europe/London)."""
    today = today or timezone.now().astimezone(LONDON).date()
    return today - dt.timedelta(days=today.weekday() + 7)


def parse_tag(tag: str | None) -> tuple[str, str] | None:
    if not tag:
        return None
    match = TAG_FILTER.match(tag)
    if not match or not TAG_KEY.match(match.group(1)) or "__" in match.group(1) or "\x00" in tag:
        raise ValidationFailed.field("tag", "A tag filter is key=value (e.g. Environment=production).")
    return match.group(1), match.group(2)


def _costs(user: Any, organisation: Organisation, tag: str | None) -> QuerySet:
    qs = DailyCost.objects.restrict(user).filter(organisation=organisation)
    parsed = parse_tag(tag)
    if parsed is not None:
        qs = qs.filter(**{f"tags__{parsed[0]}": parsed[1]})
    return qs


def organisation_for(user: Any, organisation: Any) -> Organisation:
    """The organisation reviewed: the one asked for (inside the user's scope), or a customer's own."""
    require_view(user)
    if organisation in (None, ""):
        own = getattr(user, "customer_organisation_id", None)
        if own is None:
            raise ValidationFailed.field("organisation", "Choose an organisation.")
        organisation = own
    return get_or_not_found(Organisation.objects.restrict(user), organisation)


def organisation_choices(user: Any) -> QuerySet:
    require_view(user)
    return Organisation.objects.restrict(user).order_by("name")


def percent(change: Decimal, previous: Decimal) -> Decimal | None:
    if not previous:
        return None
    return (change * 100 / previous).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class ReviewRow:
    account: CloudAccount | None
    previous: Decimal
    current: Decimal

    @property
    def change(self) -> Decimal:
        return self.current - self.previous

    @property
    def change_percent(self) -> Decimal | None:
        return percent(self.change, self.previous)


@dataclass
class Review:
    organisation: Organisation
    week_start: dt.date
    tag: str
    rows: list[ReviewRow] = field(default_factory=list)
    total: ReviewRow | None = None

    @property
    def week_end(self) -> dt.date:
        return self.week_start + dt.timedelta(days=6)

    @property
    def previous_start(self) -> dt.date:
        return self.week_start - dt.timedelta(days=7)


def week_review(
    *, user: Any, organisation: Any, tag: str | None = None, week_start: dt.date | None = None
) -> Review:
    """F4: the last complete week against the week before, per account and for the organisation."""
    org = organisation_for(user, organisation)
    return review_of(org, _costs(user, org, tag), tag=tag or "", week_start=week_start)


def review_of(
    org: Organisation, costs: QuerySet, *, tag: str = "", week_start: dt.date | None = None
) -> Review:
    week = week_start or last_complete_week()
    prev = week - dt.timedelta(days=7)
    sums = (
        costs.filter(day__gte=prev, day__lte=week + dt.timedelta(days=6))
        .values("account")
        .annotate(
            previous=Sum("amount", filter=Q(day__lt=week), default=Decimal(0)),
            current=Sum("amount", filter=Q(day__gte=week), default=Decimal(0)),
        )
    )
    by_account = {s["account"]: s for s in sums}
    review = Review(organisation=org, week_start=week, tag=tag)
    zero = Decimal(0)
    for account in CloudAccount.objects.filter(organisation=org).order_by("account_id"):
        s = by_account.get(account.pk, {})
        review.rows.append(ReviewRow(account, s.get("previous") or zero, s.get("current") or zero))
    review.total = ReviewRow(
        None, sum((r.previous for r in review.rows), zero), sum((r.current for r in review.rows), zero)
    )
    return review


def weekly_trend(
    *, user: Any, organisation: Any, tag: str | None = None, weeks: int = TREND_WEEKS
) -> list[tuple[dt.date, Decimal]]:
    """The organisation's weekly totals for the last `weeks` complete weeks, oldest first."""
    org = organisation_for(user, organisation)
    last = last_complete_week()
    first = last - dt.timedelta(days=7 * (weeks - 1))
    totals = {first + dt.timedelta(days=7 * i): Decimal(0) for i in range(weeks)}
    days = (
        _costs(user, org, tag)
        .filter(day__gte=first, day__lte=last + dt.timedelta(days=6))
        .values("day")
        .annotate(total=Sum("amount"))
    )
    for row in days:
        monday = row["day"] - dt.timedelta(days=row["day"].weekday())
        totals[monday] += row["total"]
    return sorted(totals.items())


def cost_import_list(*, user: Any) -> QuerySet:
    if not getattr(user, "is_provider_staff", False):
        raise NotFound()
    require_permission(user, IMPORT)
    return CostImport.objects.select_related("imported_by")


def cost_import_get(*, user: Any, pk: Any) -> CostImport:
    return get_or_not_found(cost_import_list(user=user), pk)


def threshold_list(*, user: Any, organisation: Any = None) -> QuerySet:
    require_view(user)
    qs = BillingThreshold.objects.restrict(user).select_related("organisation", "account")
    return narrowed(qs, organisation_id=organisation)


def threshold_get(*, user: Any, pk: Any) -> BillingThreshold:
    return get_or_not_found(threshold_list(user=user), pk)


def billing_alert_list(*, user: Any, organisation: Any = None, state: str | None = None) -> QuerySet:
    require_view(user)
    qs = BillingAlert.objects.restrict(user).select_related("organisation", "account")
    return narrowed(qs, organisation_id=organisation, state=state)


def billing_alert_get(*, user: Any, pk: Any) -> BillingAlert:
    return get_or_not_found(billing_alert_list(user=user), pk)


def may_import(user: Any) -> bool:
    return getattr(user, "is_provider_staff", False) and has_permission(user, IMPORT)
