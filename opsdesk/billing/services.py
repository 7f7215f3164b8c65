"""Writes of billing reviews (issue 12 item 6, F4): cost imports, thresholds and billing alerts.

Re-import rule: an import replaces, for each account in it, every earlier daily cost of that account
on the days of that account's period in the file (its first to its last day). So the same file
imported twice, or a corrected file for the same period, replaces instead of doubling; other
accounts and other days are kept.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from opsdesk.billing import selectors, signals
from opsdesk.billing.choices import AlertState, ImportState
from opsdesk.billing.importing import read_costs
from opsdesk.billing.models import BillingAlert, BillingThreshold, CostImport, DailyCost
from opsdesk.core.errors import Conflict, ValidationFailed
from opsdesk.core.permissions import require_permission
from opsdesk.core.services import record_create, record_delete, record_update
from opsdesk.core.tenancy import object_in_scope
from opsdesk.directory.models import CloudAccount, Organisation, User
from opsdesk.notifications.services import notification_enqueue

logger = logging.getLogger("opsdesk.billing")

IMPORT = selectors.IMPORT
MANAGE = "billing.manage"
CHUNK = 2000


Accounts = dict[str, tuple[int, int]]


def _load(record: CostImport, file: IO[bytes]) -> tuple[Accounts, dict]:
    """Read the file into `record`'s figures and drop the daily costs it replaces; the caller's
    transaction holds it all. Returns ({AWS account id: (cloud account pk, organisation pk)}, the
    totals per (account, day, product, tags))."""
    accounts: Accounts = {}

    def known(account_id: str) -> bool:
        found = (
            CloudAccount.objects.filter(account_id=account_id).values_list("pk", "organisation_id").first()
        )
        if found:
            accounts[account_id] = found
        return found is not None

    totals = read_costs(file, known_account=known)
    if not totals.rows:
        raise ValidationFailed.field("file", "The file has a header and no cost lines.")
    record.sha256 = totals.sha256
    record.rows = totals.rows
    record.accounts = sorted(totals.periods)
    record.period_start = min(p[0] for p in totals.periods.values())
    record.period_end = max(p[1] for p in totals.periods.values())
    replaced = 0
    for account_id, (first, last) in totals.periods.items():
        replaced += DailyCost.objects.filter(
            account_id=accounts[account_id][0], day__gte=first, day__lte=last
        ).delete()[0]
    record.replaced = replaced
    record.cost_lines = len(totals.sums)
    record.total = sum(totals.sums.values(), Decimal(0))
    return accounts, totals.sums


def _write(record: CostImport, accounts: Accounts, sums: dict) -> None:
    """The daily costs of a loaded (and saved) record, then the reviews of its organisations."""
    batch: list[DailyCost] = []
    for (account_id, day, product, tags), amount in sums.items():
        account_pk, org_pk = accounts[account_id]
        batch.append(
            DailyCost(
                cost_import=record,
                organisation_id=org_pk,
                account_id=account_pk,
                day=day,
                product=product,
                tags=dict(tags),
                amount=amount,
            )
        )
        if len(batch) >= CHUNK:
            DailyCost.objects.bulk_create(batch)
            batch = []
    DailyCost.objects.bulk_create(batch)
    for org_pk in sorted({org for _, org in accounts.values()}):
        billing_alerts_evaluate(organisation=Organisation.objects.get(pk=org_pk))


def cost_import_run(*, actor: Any, file: IO[bytes], file_name: str) -> CostImport:
    """Import one cost file at once, all or nothing (`opsdesk billing import`): the first bad line
    fails the whole import, naming it, and nothing is recorded."""
    if actor is not None:  # None: the shell (`opsdesk billing import`), run by the operator
        require_permission(actor, IMPORT)
    with transaction.atomic():
        now = timezone.now()
        record = CostImport(
            file_name=(file_name or "costs.csv")[:255],
            imported_by=actor if getattr(actor, "pk", None) else None,
            state=ImportState.DONE,
            started_at=now,
            finished_at=now,
            attempts=1,
        )
        accounts, sums = _load(record, file)
        record.size = getattr(file, "tell", lambda: 0)() or 0
        record_create(actor=actor, obj=record, public=False)
        _write(record, accounts, sums)
    return record


# --- the import queue (uploads) ----------------------------------------------------------------


def _schedule(import_id: int) -> None:
    from opsdesk.billing.tasks import cost_import_process

    cost_import_process(import_id)


def _forget_file(key: str) -> None:
    if not key:
        return
    try:
        default_storage.delete(key)
    except Exception:  # a file left behind is tidied by hand; the import's state is what matters
        logger.warning("billing import file not deleted", extra={"key": key}, exc_info=True)


def cost_import_enqueue(*, actor: Any, file: Any, file_name: str) -> CostImport:
    """An uploaded cost file (page or API): stored through the attachments' storage and queued, in
    one transaction with its record; a worker imports it (cost_import_process), so the request
    does not wait for a large file. Nothing is stored when the record is not."""
    require_permission(actor, IMPORT)
    size = int(getattr(file, "size", 0) or 0)
    if size <= 0:
        raise ValidationFailed.field("file", "The file is empty.")
    key = default_storage.save(f"billing/imports/{uuid.uuid4().hex}.csv", file)
    try:
        with transaction.atomic():
            record = CostImport(
                file_name=(file_name or "costs.csv")[:255],
                imported_by=actor if getattr(actor, "pk", None) else None,
                state=ImportState.QUEUED,
                file_key=key,
                size=size,
            )
            record_create(actor=actor, obj=record, public=False)
            transaction.on_commit(lambda: _schedule(record.pk), robust=True)
    except BaseException:
        _forget_file(key)
        raise
    return record


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.BILLING_IMPORT_LEASE_SECONDS)


class _ClaimLost(Exception):
    """The lease ran out and the row was claimed again: this worker's import rolls back."""


def _finish(record: CostImport, token: uuid.UUID, now: dt.datetime, **changes: Any) -> bool:
    """Mark the claimed row, by the current claim only (a stale worker's token matches nothing)."""
    return bool(
        CostImport.objects.filter(pk=record.pk, state=ImportState.RUNNING, claim_token=token).update(
            claim_token=None,
            lease_until=None,
            file_key="",
            finished_at=now,
            version=F("version") + 1,
            updated_at=now,
            **changes,
        )
    )


def cost_import_process(import_id: int, *, now: dt.datetime | None = None) -> bool:
    """The queued import's work (the Huey task): claim the row (queued → running, a lease and a
    fresh token), read the stored file and write its costs and the record's figures in one
    transaction, then done; a bad file is failed with its line named and nothing imported. Safe to
    run twice: a row not queued is left alone."""
    now = now or timezone.now()
    token = uuid.uuid4()
    claimed = CostImport.objects.filter(pk=import_id, state=ImportState.QUEUED).update(
        state=ImportState.RUNNING,
        claim_token=token,
        lease_until=now + _lease(),
        attempts=F("attempts") + 1,
        started_at=now,
        version=F("version") + 1,
        updated_at=now,
    )
    if not claimed:
        return False
    record = CostImport.objects.get(pk=import_id)
    key = record.file_key
    try:
        with default_storage.open(key, "rb") as handle, transaction.atomic():
            accounts, sums = _load(record, handle)
            figures = {
                name: getattr(record, name)
                for name in (
                    "sha256",
                    "rows",
                    "accounts",
                    "period_start",
                    "period_end",
                    "replaced",
                    "cost_lines",
                    "total",
                )
            }
            if not _finish(record, token, now, state=ImportState.DONE, error="", error_field="", **figures):
                raise _ClaimLost()
            _write(record, accounts, sums)
    except _ClaimLost:
        logger.warning("billing import claim lost before it was marked", extra={"import": import_id})
        return False
    except ValidationFailed as exc:  # the file's fault: named, nothing imported, not retried
        first = exc.errors[0] if exc.errors else {"field": "file", "message": exc.detail}
        _finish(
            record,
            token,
            timezone.now(),
            state=ImportState.FAILED,
            error_field=first["field"][:255],
            error=first["message"][:2000],
        )
        _forget_file(key)
        return False
    except Exception as exc:  # ours (storage, database): failed visibly, the cause in the log
        logger.exception("billing import stopped", extra={"import": import_id})
        _finish(
            record,
            token,
            timezone.now(),
            state=ImportState.FAILED,
            error_field="file",
            error=f"The import stopped ({type(exc).__name__}); nothing was imported. Upload the file again.",
        )
        _forget_file(key)
        return False
    _forget_file(key)
    return True


def cost_import_sweep(*, now: dt.datetime | None = None, dispatch: Any = None) -> int:
    """The periodic sweep: an import whose worker died (lease expired) goes back to the queue, or
    fails after BILLING_IMPORT_MAX_ATTEMPTS; a queued import whose hand-off never reached the
    queue (or that went back to it) is dispatched again. Returns how many were dispatched."""
    now = now or timezone.now()
    dispatch = dispatch or _schedule
    expired = CostImport.objects.filter(state=ImportState.RUNNING, lease_until__lt=now)
    common = {"claim_token": None, "lease_until": None, "version": F("version") + 1, "updated_at": now}
    expired.filter(attempts__gte=settings.BILLING_IMPORT_MAX_ATTEMPTS).update(
        state=ImportState.FAILED,
        error_field="file",
        error="The worker stopped before the import finished, every time it was tried; nothing was "
        "imported. Upload the file again.",
        file_key="",
        finished_at=now,
        **common,
    )
    expired.update(state=ImportState.QUEUED, **common)
    waiting = CostImport.objects.filter(
        state=ImportState.QUEUED, updated_at__lte=now - dt.timedelta(seconds=60)
    ).values_list("pk", flat=True)
    ids = list(waiting.order_by("pk")[:100])
    for pk in ids:
        dispatch(pk)
    return len(ids)


# --- thresholds --------------------------------------------------------------------------------


def _threshold_fields(organisation: Any, account: Any, percent: Any, amount: Any) -> dict[str, Any]:
    if percent in ("", None) and amount in ("", None):
        raise ValidationFailed.field("percent", "Give a percentage, an amount, or both.")
    return {"organisation": organisation, "account": account, "percent": percent, "amount": amount}


def _resolve(actor: Any, organisation: Any, account: Any) -> tuple[Organisation, CloudAccount | None]:
    if not isinstance(organisation, Organisation):
        organisation = Organisation.objects.restrict(actor).filter(pk=organisation).first()
        if organisation is None:
            raise ValidationFailed.field("organisation", "No such organisation.")
    if account not in (None, "") and not isinstance(account, CloudAccount):
        account = CloudAccount.objects.filter(pk=account, organisation=organisation).first()
        if account is None:
            raise ValidationFailed.field("account", "Not a cloud account of this organisation.")
    if isinstance(account, CloudAccount) and account.organisation_id != organisation.pk:
        raise ValidationFailed.field("account", "Not a cloud account of this organisation.")
    return organisation, account or None


def _check_numbers(percent: Any, amount: Any) -> None:
    for name, value in (("percent", percent), ("amount", amount)):
        if value is not None and not (Decimal(0) < Decimal(value) < Decimal("1e9")):
            raise ValidationFailed.field(name, "Must be more than 0.")


def threshold_create(
    *, actor: Any, organisation: Any, account: Any = None, percent: Any = None, amount: Any = None
) -> BillingThreshold:
    require_permission(actor, MANAGE)
    org, acct = _resolve(actor, organisation, account)
    _check_numbers(percent, amount)
    threshold = BillingThreshold(**_threshold_fields(org, acct, percent, amount))
    try:
        with transaction.atomic():
            record_create(actor=actor, obj=threshold)
    except IntegrityError:
        raise Conflict("This organisation (or account) already has a threshold: edit it.")
    return threshold


def threshold_update(
    *, actor: Any, threshold: BillingThreshold, expected_version: int | None = None, **changes: Any
) -> BillingThreshold:
    require_permission(actor, MANAGE)
    unknown = set(changes) - {"percent", "amount"}
    if unknown:
        raise ValidationFailed.field(sorted(unknown)[0], "This field cannot be changed.")
    percent = changes.get("percent", threshold.percent)
    amount = changes.get("amount", threshold.amount)
    _check_numbers(percent, amount)
    _threshold_fields(threshold.organisation, threshold.account, percent, amount)
    with transaction.atomic():
        return record_update(actor=actor, obj=threshold, changes=changes, expected_version=expected_version)


def threshold_delete(*, actor: Any, threshold: BillingThreshold, expected_version: int | None = None) -> None:
    require_permission(actor, MANAGE)
    with transaction.atomic():
        pk, organisation, account = threshold.pk, threshold.organisation, threshold.account
        record_delete(actor=actor, obj=threshold, expected_version=expected_version)
        signals.threshold_removed.send(
            sender=BillingThreshold, threshold_id=pk, organisation=organisation, account=account
        )


# --- alerts ------------------------------------------------------------------------------------


def crossed(threshold: BillingThreshold, previous: Decimal, current: Decimal) -> str:
    """Which of the threshold's limits the change (up or down) reaches: "percentage", "amount",
    both, or "" (none). A percentage needs a previous week with costs."""
    change = abs(current - previous)
    hits = []
    if threshold.percent is not None and previous and change * 100 >= threshold.percent * abs(previous):
        hits.append("percentage")
    if threshold.amount is not None and change and change >= threshold.amount:
        hits.append("amount")
    return " and ".join(hits)


def _recipients(organisation: Organisation) -> list[str]:
    staff = User.objects.filter(role="billing", is_active=True).values_list("email", flat=True)
    contacts = organisation.contacts.filter(is_billing_contact=True, retired_at__isnull=True).values_list(
        "email", flat=True
    )
    return sorted({e for e in [*staff, *contacts] if e})


def billing_alerts_evaluate(
    *, organisation: Organisation, week_start: dt.date | None = None
) -> list[BillingAlert]:
    """F4: raise a billing alert for each threshold of the organisation the week's change crosses
    (once per organisation/account and week), and notify billing staff and the customer's billing
    contacts through the outbox. Called on import and by the weekly task. Every threshold reviewed
    is told to the alert pipeline through signals.threshold_reviewed (over it: an alarm; back
    under it: OK), composed by the shell."""
    thresholds = list(BillingThreshold.objects.filter(organisation=organisation).select_related("account"))
    if not thresholds:
        return []
    review = selectors.review_of(
        organisation, DailyCost.objects.filter(organisation=organisation), week_start=week_start
    )
    rows = {r.account.pk: r for r in review.rows if r.account is not None}
    raised = []
    with transaction.atomic():
        for threshold in thresholds:
            row = review.total if threshold.account_id is None else rows.get(threshold.account_id)
            if row is None:
                continue
            hit = crossed(threshold, row.previous, row.current)
            alert = None
            exists = BillingAlert.objects.filter(
                organisation=organisation, account_id=threshold.account_id, week_start=review.week_start
            )
            if hit and not exists.exists():
                alert = _raise(organisation, threshold, review.week_start, row, hit)
                raised.append(alert)
            later = BillingAlert.objects.filter(
                organisation=organisation, account_id=threshold.account_id, week_start__gt=review.week_start
            )
            signals.threshold_reviewed.send(
                sender=BillingThreshold,
                review=signals.ThresholdReviewed(
                    threshold_id=threshold.pk,
                    organisation=organisation,
                    account=threshold.account,
                    week_start=review.week_start,
                    previous=row.previous,
                    current=row.current,
                    change=row.change,
                    change_percent=row.change_percent,
                    crossed=hit,
                    raised=alert,
                    superseded=later.exists(),
                ),
            )
    return raised


def _raise(
    organisation: Organisation, threshold: BillingThreshold, week_start: dt.date, row: Any, hit: str
) -> BillingAlert:
    alert = BillingAlert.objects.create(
        organisation=organisation,
        account_id=threshold.account_id,
        threshold=threshold,
        week_start=week_start,
        previous=row.previous,
        current=row.current,
        change=row.change,
        change_percent=row.change_percent,
        crossed=hit,
    )
    _notify(alert)
    return alert


def _notify(alert: BillingAlert) -> None:
    what = f"account {alert.account.account_id}" if alert.account else "all accounts"
    pct = f" ({alert.change_percent:+}%)" if alert.change_percent is not None else ""
    notification_enqueue(
        event="billing.alert",
        organisation=alert.organisation,
        recipients=_recipients(alert.organisation),
        subject=f"[Billing] {alert.organisation.name}: week of {alert.week_start} changed by "
        f"{alert.change:+.2f}{pct}",
        body=(
            f"The AWS costs of {alert.organisation.name} ({what}) for the week starting "
            f"{alert.week_start} were {alert.current:.2f}, against {alert.previous:.2f} the week "
            f"before: a change of {alert.change:+.2f}{pct}, crossing the {alert.crossed} threshold.\n"
        ),
        payload={
            "billing_alert": alert.pk,
            "organisation": alert.organisation_id,
            "account": alert.account.account_id if alert.account else None,
            "week_start": alert.week_start.isoformat(),
            "previous": str(alert.previous),
            "current": str(alert.current),
            "change": str(alert.change),
            "crossed": alert.crossed,
        },
        dedup_key=f"billing-alert:{alert.pk}",
    )


def billing_alerts_weekly() -> int:
    """The weekly run: every organisation with a threshold, for the last complete week."""
    orgs = Organisation.objects.filter(pk__in=BillingThreshold.objects.values("organisation_id")).order_by(
        "pk"
    )
    return sum(len(billing_alerts_evaluate(organisation=org)) for org in orgs)


def billing_alert_acknowledge(
    *, actor: Any, alert: BillingAlert, expected_version: int | None = None
) -> BillingAlert:
    selectors.require_view(actor)
    if alert.state != AlertState.OPEN:
        raise Conflict("This billing alert is already acknowledged.")
    with transaction.atomic():
        done = record_update(
            actor=actor,
            obj=alert,
            changes={
                "state": AlertState.ACKNOWLEDGED,
                "acknowledged_by": actor,
                "acknowledged_at": timezone.now(),
            },
            expected_version=expected_version,
        )
        if not object_in_scope(actor, done):
            raise Conflict("Out of scope.")
    return done
