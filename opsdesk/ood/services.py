"""Writes of Operations on Demand (G1–G4). Each checks its permission, validates, writes in one
transaction and audits (L1) through the core helpers; a decision is told to the requester through
the outbox (L2) in the same transaction."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from opsdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from opsdesk.core.permissions import has_permission, require_permission
from opsdesk.core.services import lock_for_update, record_create, record_delete, record_update
from opsdesk.directory.choices import OnboardingState
from opsdesk.directory.models import CloudAccount, NamedContact, Organisation, ServicePlan, User
from opsdesk.ood import rules
from opsdesk.ood.choices import (
    DEFAULT_CURRENCY,
    MAX_ACCOUNTS_PER_LINE,
    MAX_LINES,
    ModificationState,
    OfferingState,
    Recurrence,
    RequestState,
)
from opsdesk.ood.models import (
    Engagement,
    EngagementAllocation,
    Modification,
    MonthClose,
    Offering,
    OfferingRate,
    OodRequest,
    RequestLine,
    StatementLine,
    TimeEntry,
)
from opsdesk.ood.notifications import (
    notify_decided,
    notify_modification_decided,
    notify_start_deadline,
    notify_threshold,
)
from opsdesk.sla.choices import DeadlineKind
from opsdesk.sla.deadlines import Rule, copies_write, deadline_meet, deadline_set
from opsdesk.sla.models import Deadline
from opsdesk.sla.services import warning_fraction
from opsdesk.sla.signals import Postpone

CATALOGUE = "ood.manage_catalogue"
REQUEST = "ood.request"
REVIEW = "ood.review"
LOG_TIME = "ood.log_time"
CLOSE_MONTH = "ood.close_month"

#: The owner type of an engagement's deadlines (sla.Deadline.owner_type).
DEADLINE_OWNER = "engagement"
#: Issue 10: the kick-off is due by the close of this many working days counted from the midnight
#: that opens the start date (see engagement_start_plan).
START_WORKING_DAYS = 1

OFFERING_EDITABLE = frozenset({"name", "description", "plans", "state", "regions"})
ACCOUNT_ID = re.compile(r"[0-9]{12}")


def provider_zone() -> ZoneInfo:
    """G4 counts days in the provider's own time zone (the deployment's, Europe/London by default)."""
    return ZoneInfo(settings.TIME_ZONE)


def approval_day(at: dt.datetime) -> dt.date:
    """The provider's calendar date of an instant: an approval at 23:30 UTC on 20 June is on the 21st
    in London (BST), so its engagement starts a month later."""
    return timezone.localtime(at, provider_zone()).date()


# --- catalogue (G1) ----------------------------------------------------------------------------


def _plans(value: Iterable[Any]) -> list[ServicePlan]:
    """Plans by code ("advanced") or id; an unknown one is named."""
    wanted = [value] if isinstance(value, str | int) else list(value)
    found: list[ServicePlan] = []
    for ref in wanted:
        plan = ServicePlan.objects.filter(code=str(ref)).first()
        if plan is None and str(ref).isdigit() and len(str(ref)) < 12:
            plan = ServicePlan.objects.filter(pk=int(ref)).first()
        if plan is None:
            known = ", ".join(ServicePlan.objects.values_list("code", flat=True))
            raise ValidationFailed.field("plans", f"Unknown service plan '{ref}'. Known plans: {known}.")
        if plan not in found:
            found.append(plan)
    if not found:
        raise ValidationFailed.field("plans", "An offering is available on at least one service plan.")
    return found


def offering_create(
    *,
    actor: Any,
    name: str,
    plans: Iterable[Any],
    description: str = "",
    state: str = OfferingState.ACTIVE,
    regions: Iterable[str] = (),
    rate: Any = None,
    currency: str = DEFAULT_CURRENCY,
    effective_from: dt.date | None = None,
) -> Offering:
    """G1: a new offering, with its first rate when one is given (from `effective_from`, else from
    the current month)."""
    require_permission(actor, CATALOGUE)
    offering = Offering(
        name=(name or "").strip(), description=description, state=state, regions=list(regions)
    )
    with transaction.atomic():
        record_create(actor=actor, obj=offering, m2m={"plans": _plans(plans)})
        if rate is not None:
            offering_rate_create(
                actor=actor,
                offering=offering,
                rate=rate,
                currency=currency,
                effective_from=effective_from or timezone.localdate().replace(day=1),
            )
    return offering


def offering_update(
    *, actor: Any, offering: Offering, expected_version: int | None = None, **changes: Any
) -> Offering:
    """Edits and retirement (`state="retired"`): a retired offering takes no new requests; its
    engagements carry on."""
    require_permission(actor, CATALOGUE)
    unknown = sorted(set(changes) - OFFERING_EDITABLE)
    if unknown:
        raise ValidationFailed(
            f"Cannot change: {', '.join(unknown)}.",
            [{"field": name, "message": "This field cannot be changed here."} for name in unknown],
        )
    changes = {k: v for k, v in changes.items() if v is not None}
    m2m = {"plans": _plans(changes.pop("plans"))} if "plans" in changes else None
    if "regions" in changes:
        changes["regions"] = list(changes["regions"])
    with transaction.atomic():
        return record_update(
            actor=actor, obj=offering, changes=changes, expected_version=expected_version, m2m=m2m
        )


def parse_money(value: Any, *, field: str = "rate") -> Decimal:
    """An exact amount of money: a decimal with at most 2 places, 0 or more, below 10^10."""
    if isinstance(value, bool) or isinstance(value, float):
        value = str(value) if isinstance(value, float) else value
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed.field(field, f"'{value}' is not an amount of money (e.g. 1450.00).")
    if not amount.is_finite() or amount < 0 or amount >= Decimal(10) ** 10:
        raise ValidationFailed.field(field, f"'{value}' is not an amount from 0 to 9,999,999,999.99.")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed.field(field, f"'{value}' has more than 2 decimal places.")
    return amount.quantize(Decimal("0.01"))


def offering_rate_create(
    *, actor: Any, offering: Offering, rate: Any, effective_from: dt.date, currency: str = DEFAULT_CURRENCY
) -> OfferingRate:
    """G1: a new rate per block from the first day of a month; earlier rates are kept, so each
    month is charged at the rate then in force."""
    require_permission(actor, CATALOGUE)
    amount = parse_money(rate)
    if OfferingRate.objects.filter(offering=offering, effective_from=effective_from).exists():
        raise ValidationFailed.field(
            "effective_from", f"{offering} already has a rate from {effective_from:%Y-%m-%d}."
        )
    row = OfferingRate(offering=offering, rate=amount, currency=currency, effective_from=effective_from)
    with transaction.atomic():
        return record_create(actor=actor, obj=row)


# --- requests (G2) -----------------------------------------------------------------------------


def _line_field(index: int, name: str) -> str:
    return f"lines.{index}.{name}"


def check_receiving_account(
    *, organisation: Organisation, submitting: CloudAccount, receiving: CloudAccount
) -> str | None:
    """G2's authorisation rule, the one place it is decided: why `submitting` may not request
    services for `receiving` on behalf of `organisation`, or None when it may.

    A request comes from the receiving account itself, or from an AWS Organizations management
    account in all-features mode for its own member accounts; every receiving account is one of the
    organisation's onboarded accounts."""
    shown = receiving.account_id
    if receiving.organisation_id != organisation.pk:
        return f"account {shown} belongs to another organisation."
    if receiving.onboarding_state != OnboardingState.ONBOARDED:
        return f"account {shown} is not onboarded (it is {receiving.get_onboarding_state_display().lower()})."
    if receiving.pk == submitting.pk:
        return None
    if not submitting.is_management_account:
        return (
            f"account {shown} can only be requested by itself or by its management account; "
            f"{submitting.account_id} is neither."
        )
    if not submitting.all_features:
        return (
            f"{submitting.account_id} is a management account not in all-features mode, so it cannot "
            f"request for account {shown}."
        )
    if receiving.management_account_id != submitting.pk:
        if receiving.management_account_id is None:
            return f"account {shown} is not a member account of {submitting.account_id}."
        return f"account {shown} is a member of another management account, not of {submitting.account_id}."
    return None


def _blocks(value: Any) -> int | None:
    """A whole number of at least 1, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value() or abs(value) > rules.ALLOCATED_MAX:
            return None
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}", value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if 1 <= number <= rules.ALLOCATED_MAX else None


def _account_ids(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v for v in re.split(r"[\s,]+", value) if v]
    return [str(v).strip() for v in (value or [])]


class _Errors(list):
    def add(self, field: str, message: str) -> None:
        self.append({"field": field, "message": message})


def _resolve_lines(
    *, organisation: Organisation, submitting: CloudAccount | None, lines: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], _Errors]:
    """Every line checked, every refusal collected (each naming its line and field)."""
    errors = _Errors()
    resolved: list[dict[str, Any]] = []
    if not lines:
        errors.add("lines", "A request has at least one line.")
        return resolved, errors
    if len(lines) > MAX_LINES:
        errors.add("lines", f"A request has at most {MAX_LINES} lines.")
        return resolved, errors
    plan = organisation.service_plan
    for index, line in enumerate(lines):
        label = f"Line {index + 1}"
        ok = True
        offering = None
        ref = line.get("offering")
        if isinstance(ref, Offering):
            offering = ref
        elif ref not in (None, "") and str(ref).isdigit() and len(str(ref)) < 12:
            offering = Offering.objects.filter(pk=int(ref)).first()
        if offering is None:
            errors.add(_line_field(index, "offering"), f"{label}: unknown offering '{ref}'.")
            ok = False
        elif offering.state != OfferingState.ACTIVE:
            errors.add(_line_field(index, "offering"), f"{label}: offering “{offering}” is retired.")
            ok = False
        elif not offering.plans.filter(pk=plan.pk).exists():
            errors.add(
                _line_field(index, "offering"),
                f"{label}: offering “{offering}” is not available on the {plan} plan.",
            )
            ok = False
        blocks = _blocks(line.get("blocks"))
        if blocks is None:
            errors.add(
                _line_field(index, "blocks"),
                f"{label}: '{line.get('blocks')}' is not a whole number of blocks from 1 to "
                f"{rules.ALLOCATED_MAX:,}.",
            )
            ok = False
        recurrence = line.get("recurrence") or ""
        if recurrence not in Recurrence.values:
            errors.add(
                _line_field(index, "recurrence"),
                f"{label}: recurrence '{recurrence}' is not one of: {', '.join(Recurrence.values)}.",
            )
            ok = False
        ids = _account_ids(line.get("accounts"))
        accounts: list[CloudAccount] = []
        field = _line_field(index, "accounts")
        if not ids:
            errors.add(field, f"{label}: name at least one receiving account id.")
            ok = False
        elif len(ids) > MAX_ACCOUNTS_PER_LINE:
            errors.add(field, f"{label}: at most {MAX_ACCOUNTS_PER_LINE} accounts.")
            ok = False
        else:
            bad = [i for i in ids if not ACCOUNT_ID.fullmatch(i)]
            if bad:
                shown = ", ".join(f"'{b[:20]}'" for b in bad[:5])
                errors.add(field, f"{label}: {shown} is not an AWS account id (exactly 12 digits).")
                ok = False
            elif len(set(ids)) != len(ids):
                errors.add(field, f"{label}: an account is listed twice.")
                ok = False
            else:
                found = {a.account_id: a for a in CloudAccount.objects.filter(account_id__in=ids)}
                for account_id in ids:
                    account = found.get(account_id)
                    if account is None:
                        errors.add(field, f"{label}: account {account_id} is not a known account.")
                        ok = False
                        continue
                    if submitting is not None:
                        problem = check_receiving_account(
                            organisation=organisation, submitting=submitting, receiving=account
                        )
                        if problem:
                            errors.add(field, f"{label}: {problem}")
                            ok = False
                            continue
                    if offering is not None and offering.regions:
                        outside = [r for r in account.regions if r not in offering.regions]
                        if account.regions and len(outside) == len(account.regions):
                            errors.add(
                                field,
                                f"{label}: account {account_id} runs in {', '.join(account.regions)}; "
                                f"“{offering}” is limited to {', '.join(offering.regions)}.",
                            )
                            ok = False
                            continue
                    accounts.append(account)
        if ok:
            resolved.append(
                {"offering": offering, "blocks": blocks, "recurrence": recurrence, "accounts": accounts}
            )
    return resolved, errors


def _small_id(value: Any) -> bool:
    """A primary key as a client may give one: digits, within a 64-bit column."""
    return str(value).isdigit() and len(str(value)) < 19


def _submitter(actor: Any, organisation: Any, contact: Any) -> tuple[Organisation, NamedContact]:
    """A customer submits as their own named contact, for their own organisation; staff name the
    organisation and the named contact they act for."""
    if actor.is_provider_staff:
        org = organisation
        if not isinstance(org, Organisation):
            org = (
                Organisation.objects.filter(pk=organisation).first() if str(organisation).isdigit() else None
            )
        if org is None:
            raise ValidationFailed.field("organisation", "Name the organisation the request is for.")
        person = contact
        if not isinstance(person, NamedContact):
            person = (
                NamedContact.objects.filter(pk=contact, organisation=org).first()
                if _small_id(contact)
                else None
            )
        if person is None or person.organisation_id != org.pk:
            raise ValidationFailed.field(
                "contact", f"Name the named contact of {org} the request is made on behalf of."
            )
    else:
        person = NamedContact.objects.filter(pk=actor.contact_id).select_related("organisation").first()
        if person is None:
            raise PermissionDenied("Only a named contact of the customer may request operations on demand.")
        org = person.organisation
        if organisation not in (None, "", org.pk, org) or contact not in (None, "", person.pk, person):
            raise ValidationFailed.field(
                "organisation", "A customer requests for their own organisation only."
            )
    if person.retired_at is not None:
        raise ValidationFailed.field("contact", f"{person} is no longer a named contact.")
    return org, person


def ood_request_create(
    *,
    actor: Any,
    submitting_account: str,
    lines: Sequence[Mapping[str, Any]],
    organisation: Any = None,
    contact: Any = None,
    notes: str = "",
) -> OodRequest:
    """G2: a request of one or more lines, each an offering, whole blocks a month, the receiving
    accounts and the recurrence. Refused as a whole, with every line's problem named, when any
    line breaks a rule; nothing is started (G3 decides)."""
    require_permission(actor, REQUEST)
    org, person = _submitter(actor, organisation, contact)
    ref = str(submitting_account or "").strip()
    submitting = None
    if not ACCOUNT_ID.fullmatch(ref):
        problem = f"'{ref[:20]}' is not an AWS account id (exactly 12 digits)."
    else:
        submitting = CloudAccount.objects.filter(account_id=ref).first()
        problem = None
        if submitting is None or submitting.organisation_id != org.pk:
            problem = f"account {ref} is not an account of {org}."
            submitting = None
        elif submitting.onboarding_state != OnboardingState.ONBOARDED:
            problem = f"account {ref} is not onboarded, so it cannot submit requests."
            submitting = None
    resolved, errors = _resolve_lines(organisation=org, submitting=submitting, lines=lines)
    if problem:
        errors.insert(0, {"field": "submitting_account", "message": f"Submitting account: {problem}"})
    if errors:
        raise ValidationFailed("; ".join(e["message"] for e in errors), errors)
    request = OodRequest(
        organisation=org, contact=person, submitted_by=actor, submitting_account=submitting, notes=notes
    )
    with transaction.atomic():
        record_create(actor=actor, obj=request)
        for position, line in enumerate(resolved, start=1):
            record_create(
                actor=actor,
                obj=RequestLine(
                    request=request,
                    position=position,
                    offering=line["offering"],
                    blocks=line["blocks"],
                    recurrence=line["recurrence"],
                ),
                m2m={"accounts": line["accounts"]},
            )
    return request


# --- review (G3) and engagements (G4) ----------------------------------------------------------


def _decidable(actor: Any, request: OodRequest, expected_version: int | None) -> OodRequest:
    require_permission(actor, REVIEW)
    locked = lock_for_update(request, expected_version)
    if locked.is_decided:
        raise Conflict(
            f"{locked.reference} was already {locked.get_state_display().lower()}; a decision is final."
        )
    return locked


def _line_decisions(
    request: OodRequest, decisions: Sequence[Mapping[str, Any]] | None
) -> tuple[list[tuple[RequestLine, int, list[CloudAccount], str]], bool]:
    """Per line: the blocks and accounts approved (all unless a decision narrows them) and the
    reason; and whether anything was narrowed. A line left out of `decisions` is approved whole."""
    decisions = [d.dict() if hasattr(d, "dict") else dict(d) for d in decisions or []]
    lines = list(request.lines.select_related("offering").prefetch_related("accounts").order_by("position"))
    by_position = {line.position: line for line in lines}
    given: dict[int, Mapping[str, Any]] = {}
    errors = _Errors()
    for index, decision in enumerate(decisions or []):
        position = decision.get("line")
        if position not in by_position:
            errors.add(f"lines.{index}.line", f"The request has no line {position}.")
            continue
        if position in given:
            errors.add(f"lines.{index}.line", f"Line {position} is decided twice.")
            continue
        given[position] = decision
    out: list[tuple[RequestLine, int, list[CloudAccount], str]] = []
    narrowed = False
    for line in lines:
        decision = given.get(line.position, {})
        index = next((i for i, d in enumerate(decisions or []) if d.get("line") == line.position), 0)
        label = f"Line {line.position}"
        requested = list(line.accounts.all())
        reason = (decision.get("reason") or "").strip()
        if decision.get("declined"):
            blocks, accounts = 0, []
        else:
            blocks = decision.get("blocks", line.blocks)
            if blocks is None:
                blocks = line.blocks
            whole = _blocks(blocks)
            if whole is None:
                errors.add(
                    f"lines.{index}.blocks", f"{label}: '{blocks}' is not a whole number of blocks ≥ 1."
                )
                continue
            if whole > line.blocks:
                errors.add(
                    f"lines.{index}.blocks",
                    f"{label}: cannot approve {whole} blocks; {line.blocks} were requested.",
                )
                continue
            blocks = whole
            ids = decision.get("accounts")
            if ids is None:
                accounts = requested
            else:
                wanted = _account_ids(ids)
                by_id = {a.account_id: a for a in requested}
                unknown = [i for i in wanted if i not in by_id]
                if unknown:
                    errors.add(
                        f"lines.{index}.accounts",
                        f"{label}: {', '.join(u[:20] for u in unknown[:5])} was not requested on this line.",
                    )
                    continue
                if not wanted:
                    errors.add(
                        f"lines.{index}.accounts",
                        f"{label}: approve at least one account, or decline the line.",
                    )
                    continue
                accounts = [by_id[i] for i in dict.fromkeys(wanted)]
            problems = [
                problem
                for account in accounts
                if (
                    problem := check_receiving_account(
                        organisation=request.organisation,
                        submitting=request.submitting_account,
                        receiving=account,
                    )
                )
            ]
            if problems:
                errors.add(
                    f"lines.{index}.accounts",
                    f"{label}: {problems[0]} Approve the other accounts, or decline the line.",
                )
                continue
        partial = blocks < line.blocks or len(accounts) < len(requested)
        if partial and not reason:
            errors.add(
                f"lines.{index}.reason",
                f"{label}: say why it is approved only in part (fewer blocks or accounts, or declined).",
            )
            continue
        narrowed = narrowed or partial
        out.append((line, blocks, accounts, reason))
    if errors:
        raise ValidationFailed("; ".join(e["message"] for e in errors), errors)
    return out, narrowed


def ood_request_approve(
    *,
    actor: Any,
    request: OodRequest,
    lines: Sequence[Mapping[str, Any]] | None = None,
    reason: str = "",
    agreed_start: dt.date | None = None,
    agreed_with: str = "",
    expected_version: int | None = None,
) -> OodRequest:
    """G3/G4: approve, whole or in part (per line, fewer blocks and/or fewer accounts, with a
    reason; a line may be declined), then start one engagement per approved line and account on the
    G4 date from today's date in the provider's zone, or on a mutually agreed start date recorded
    with who agreed it. The requester is told through the outbox."""
    now = timezone.now()
    today = approval_day(now)
    agreed_with = (agreed_with or "").strip()
    if agreed_start is not None:
        if not agreed_with:
            raise ValidationFailed.field("agreed_with", "Say who agreed the start date with the provider.")
        if agreed_start < today:
            raise ValidationFailed.field(
                "agreed_start", f"An engagement cannot start before its approval ({today:%Y-%m-%d})."
            )
    elif agreed_with:
        raise ValidationFailed.field("agreed_start", "Give the mutually agreed start date.")
    with transaction.atomic():
        locked = _decidable(actor, request, expected_version)
        decided, narrowed = _line_decisions(locked, lines)
        if not any(blocks for _, blocks, _, _ in decided):
            raise ValidationFailed.field("lines", "Nothing is approved; deny the request instead.")
        start = agreed_start or rules.engagement_start(today)
        for line, blocks, accounts, line_reason in decided:
            record_update(
                actor=actor,
                obj=line,
                changes={"approved_blocks": blocks, "decision_reason": line_reason},
                m2m={"approved_accounts": accounts},
            )
            for account in accounts:
                engagement = record_create(
                    actor=actor,
                    obj=Engagement(
                        organisation=locked.organisation,
                        line=line,
                        offering=line.offering,
                        account=account,
                        recurrence=line.recurrence,
                        start_date=start,
                        end_month=start.replace(day=1) if line.recurrence == Recurrence.ONE_TIME else None,
                        agreed_start=agreed_start is not None,
                        agreed_with=agreed_with,
                        approved_on=today,
                    ),
                )
                record_create(
                    actor=actor,
                    obj=EngagementAllocation(
                        engagement=engagement, from_month=start.replace(day=1), blocks=blocks
                    ),
                )
                start_deadline_set(engagement)
        state = RequestState.PARTIALLY_APPROVED if narrowed else RequestState.APPROVED
        locked = record_update(
            actor=actor,
            obj=locked,
            changes={"state": state, "decided_by": actor, "decided_at": now, "decision_reason": reason},
        )
        notify_decided(locked, start=start)
    return locked


def ood_request_deny(
    *, actor: Any, request: OodRequest, reason: str, expected_version: int | None = None
) -> OodRequest:
    """G3: a denial says why; nothing starts. The requester is told through the outbox."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.field("reason", "Say why the request is denied.")
    with transaction.atomic():
        locked = _decidable(actor, request, expected_version)
        locked = record_update(
            actor=actor,
            obj=locked,
            changes={
                "state": RequestState.DENIED,
                "decided_by": actor,
                "decided_at": timezone.now(),
                "decision_reason": reason,
            },
        )
        notify_decided(locked, start=None)
    return locked


def can_review(user: Any) -> bool:
    return has_permission(user, REVIEW)


# --- the engagement start (G4, issue 10) -------------------------------------------------------


def engagement_start_plan(engagement: Engagement) -> tuple[dt.datetime, Rule]:
    """Issue 10: when the provider must have started an engagement (kick-off: an engineer assigned,
    first contact made) — by the close of business of the first working day on or after its start
    date, on its organisation's calendar.

    Stored as an sla deadline (kind engagement_start) that starts at the midnight opening the start
    date in the calendar's zone, with a rule of START_WORKING_DAYS working days: from a closed
    instant, B7's working days end at the closing of the n-th working day (engine
    add_business_days), so a start on a Saturday or a bank holiday is due at the close of the next
    working day, and a closure added to the calendar later moves the due time with every other
    deadline (B5). The warning (the organisation's warning fraction of that working day) comes on
    the start day itself; the sweep warns and breaches it once (B6)."""
    calendar = engagement.organisation.calendar
    midnight = dt.datetime.combine(engagement.start_date, dt.time(0), tzinfo=ZoneInfo(calendar.timezone))
    return midnight, Rule(working_days=START_WORKING_DAYS)


def start_deadline_set(engagement: Engagement) -> Deadline:
    """Set (or move, when the start date changes) the engagement-start deadline and its copy."""
    start, rule = engagement_start_plan(engagement)
    org = engagement.organisation
    deadline = deadline_set(
        owner_type=DEADLINE_OWNER,
        owner_id=engagement.pk,
        kind=DeadlineKind.ENGAGEMENT_START,
        calendar=org.calendar,
        start=start,
        rule=rule,
        warning_fraction=warning_fraction(org),
    )
    Engagement.objects.filter(pk=engagement.pk).update(start_due_at=deadline.due_at)
    engagement.start_due_at = deadline.due_at
    return deadline


def engagement_start_due_copy(*, moved: Any) -> int:
    """B5: the engagements whose start deadline a calendar change moved get the new due time."""
    return copies_write(
        model=Engagement, moved=moved, fields={DeadlineKind.ENGAGEMENT_START: "start_due_at"}
    )


def _staff_member(value: Any, *, field: str) -> Any:
    if isinstance(value, User):
        user = value
    elif _small_id(value):
        user = User.objects.filter(pk=int(value)).first()
    else:
        user = None
    if user is None or not user.is_active or not user.is_provider_staff:
        raise ValidationFailed.field(field, f"'{str(value)[:20]}' is not an active member of staff.")
    return user


def _mark_started(actor: Any, locked: Engagement, engineer: Any, now: dt.datetime) -> Engagement:
    locked = record_update(
        actor=actor,
        obj=locked,
        changes={"started_at": now, "started_by": actor, "engineer": engineer},
    )
    deadline_meet(owner_type=DEADLINE_OWNER, owner_id=locked.pk, kind=DeadlineKind.ENGAGEMENT_START, at=now)
    return locked


def engagement_start(
    *, actor: Any, engagement: Engagement, engineer: Any = None, expected_version: int | None = None
) -> Engagement:
    """Issue 10: staff record the kick-off (an engineer assigned, first contact made): who started
    it and when, and the engineer (the actor unless another is named). Meets the engagement-start
    deadline — on time or late, as the deadline shows. Once only."""
    require_permission(actor, LOG_TIME)
    assigned = actor if engineer in (None, "") else _staff_member(engineer, field="engineer")
    with transaction.atomic():
        locked = lock_for_update(engagement, expected_version)
        if locked.started_at is not None:
            started = timezone.localtime(locked.started_at, provider_zone())
            raise Conflict(f"The engagement was already started on {started:%Y-%m-%d %H:%M}.")
        return _mark_started(actor, locked, assigned, timezone.now())


def engagement_agree_start(
    *,
    actor: Any,
    engagement: Engagement,
    start_date: Any,
    agreed_with: str,
    expected_version: int | None = None,
) -> Engagement:
    """G4: staff record a mutually agreed start date (with who agreed it) for an engagement not yet
    started: its start, its first allocation's month (and a one-time engagement's month) and its
    engagement-start deadline move with it."""
    require_permission(actor, REVIEW)
    agreed_with = (agreed_with or "").strip()
    if not agreed_with:
        raise ValidationFailed.field("agreed_with", "Say who agreed the start date with the provider.")
    day = start_date
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day.strip())
        except ValueError:
            raise ValidationFailed.field("start_date", f"'{day[:20]}' is not a date (YYYY-MM-DD).")
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise ValidationFailed.field("start_date", "Give the agreed start date (YYYY-MM-DD).")
    with transaction.atomic():
        locked = lock_for_update(engagement, expected_version)
        if locked.started_at is not None:
            raise Conflict("The engagement has started; its start date no longer changes.")
        if day < locked.approved_on:
            raise ValidationFailed.field(
                "start_date",
                f"An engagement cannot start before its approval ({locked.approved_on:%Y-%m-%d}).",
            )
        if locked.time_entries.exists():
            raise ValidationFailed.field(
                "start_date", "Time is logged against it; its start date no longer changes."
            )
        allocations = list(locked.allocations.all())
        if len(allocations) != 1:
            raise ValidationFailed.field(
                "start_date", "Its allocation was modified; change the start through a modification."
            )
        month = day.replace(day=1)
        changes: dict[str, Any] = {"start_date": day, "agreed_start": True, "agreed_with": agreed_with}
        if locked.recurrence == Recurrence.ONE_TIME:
            changes["end_month"] = month
        elif locked.end_month is not None and locked.end_month < month:
            raise ValidationFailed.field("start_date", f"It ends in {locked.end_month:%Y-%m}.")
        locked = record_update(actor=actor, obj=locked, changes=changes)
        if allocations[0].from_month != month:
            record_update(actor=actor, obj=allocations[0], changes={"from_month": month})
        start_deadline_set(locked)
    return locked


def engagement_start_missed(*, deadline: Deadline, breached: bool) -> None:
    """B6: the sweep found an engagement not started at its warning instant or its due time: its
    CSDM and the service desk are told through the outbox (once each, the dedup key). Runs in the
    sweep's transaction, which holds the deadline: the engagement is locked without waiting, and
    one busy (a kick-off being recorded) postpones the record to the next run (sla.signals). An
    engagement started meanwhile is left alone."""
    mine = Engagement.objects.filter(pk=deadline.owner_id)
    engagement = (
        mine.select_for_update(skip_locked=True, of=("self",))
        .select_related("organisation__csdm", "offering", "account", "engineer")
        .first()
    )
    if engagement is None:
        if mine.exists():
            raise Postpone()
        return
    if engagement.started_at is None:
        notify_start_deadline(engagement, due_at=deadline.due_at, breached=breached)


# --- time (G6) ---------------------------------------------------------------------------------


def month_is_closed(organisation_id: int, month: dt.date) -> bool:
    return MonthClose.objects.filter(organisation_id=organisation_id, month=month.replace(day=1)).exists()


def _work_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationFailed.field("work_date", f"'{value[:20]}' is not a date (YYYY-MM-DD).")
    if not isinstance(value, dt.date):
        raise ValidationFailed.field("work_date", "Give the date the work was done (YYYY-MM-DD).")
    return value


def _entry_hours(value: Any) -> Decimal:
    if str(value).strip().startswith("-"):
        raise ValidationFailed.field("hours", f"'{str(value)[:20]}' is negative; log at least 0.25 hours.")
    try:
        hours = rules.parse_hours(value, field="hours")
    except rules.RuleError as exc:
        raise ValidationFailed.field("hours", exc.message)
    if hours <= 0:
        raise ValidationFailed.field("hours", f"'{value}' is not more than 0; log at least 0.25 hours.")
    if hours > 24:
        raise ValidationFailed.field("hours", f"'{value}' is more than the 24 hours of one work date.")
    return hours


def _check_entry(engagement: Engagement, work_date: dt.date, account: Any) -> CloudAccount:
    """The G6 rules of one entry: not in the future, the engagement's own account, the engagement
    active on the work date, the month still open. Each refusal names its field."""
    today = timezone.localdate()
    if work_date > today:
        raise ValidationFailed.field(
            "work_date", f"{work_date:%Y-%m-%d} is in the future; time is logged for work done."
        )
    if account in (None, ""):
        found = engagement.account
    elif isinstance(account, CloudAccount):
        found = account
    else:
        ref = str(account).strip()
        found = CloudAccount.objects.filter(account_id=ref).first() if ACCOUNT_ID.fullmatch(ref) else None
        if found is None:
            raise ValidationFailed.field("account", f"'{ref[:20]}' is not a known AWS account id.")
    if found.pk != engagement.account_id:
        raise ValidationFailed.field(
            "account",
            f"account {found.account_id} is not on this engagement "
            f"(it serves {engagement.account.account_id}).",
        )
    if work_date < engagement.start_date:
        raise ValidationFailed.field(
            "work_date",
            f"the engagement is not active on {work_date:%Y-%m-%d}; "
            f"it starts on {engagement.start_date:%Y-%m-%d}.",
        )
    if engagement.end_month is not None and work_date.replace(day=1) > engagement.end_month:
        raise ValidationFailed.field(
            "work_date",
            f"the engagement is not active on {work_date:%Y-%m-%d}; "
            f"its last month is {engagement.end_month:%Y-%m}.",
        )
    if month_is_closed(engagement.organisation_id, work_date):
        raise ValidationFailed.field(
            "work_date",
            f"{work_date:%Y-%m} is closed (invoiced) for {engagement.organisation}; "
            "its figures no longer change.",
        )
    return found


def time_entry_create(
    *,
    actor: Any,
    engagement: Any,
    work_date: Any,
    hours: Any,
    description: str,
    account: Any = None,
) -> TimeEntry:
    """G6: an engineer logs hours (quarter hours, more than 0) worked on a date against an
    engagement's account. Counted in the work date's month; refused, naming the field, when that
    month is closed, the date is in the future or outside the engagement, or the account is not the
    engagement's. Crossing the threshold of the month's allocation notifies (once a month)."""
    require_permission(actor, LOG_TIME)
    day = _work_date(work_date)
    amount = _entry_hours(hours)
    description = (description or "").strip()
    if not description:
        raise ValidationFailed.field("description", "Say what the time was spent on.")
    pk = engagement.pk if isinstance(engagement, Engagement) else engagement
    with transaction.atomic():
        locked = (
            Engagement.objects.restrict(actor).select_for_update().filter(pk=pk).first()
            if _small_id(pk)
            else None
        )
        if locked is None:
            raise ValidationFailed.field("engagement", f"Unknown engagement '{str(pk)[:20]}'.")
        found = _check_entry(locked, day, account)
        if locked.started_at is None:  # the first time logged is the kick-off, if none was recorded
            locked = _mark_started(actor, locked, actor, timezone.now())
        entry = record_create(
            actor=actor,
            obj=TimeEntry(
                organisation_id=locked.organisation_id,
                engagement=locked,
                account=found,
                engineer=actor,
                work_date=day,
                month=day.replace(day=1),
                hours=amount,
                description=description,
            ),
            public=False,
        )
        _notify_threshold(locked, day.replace(day=1))
    return entry


def _entry_open(entry: TimeEntry) -> None:
    if month_is_closed(entry.organisation_id, entry.month):
        raise ValidationFailed.field(
            "work_date", f"{entry.month:%Y-%m} is closed (invoiced); its entries no longer change."
        )


def time_entry_update(
    *, actor: Any, time_entry: TimeEntry, expected_version: int | None = None, **changes: Any
) -> TimeEntry:
    """Corrections while the entry's month (and the new month) is open; audited."""
    require_permission(actor, LOG_TIME)
    unknown = sorted(set(changes) - {"work_date", "hours", "description"})
    if unknown:
        raise ValidationFailed(
            f"Cannot change: {', '.join(unknown)}.",
            [{"field": name, "message": "This field cannot be changed here."} for name in unknown],
        )
    changes = {k: v for k, v in changes.items() if v is not None}
    with transaction.atomic():
        engagement = Engagement.objects.select_for_update().select_related("account", "organisation").get(
            pk=time_entry.engagement_id
        )
        _entry_open(time_entry)
        if "work_date" in changes:
            day = _work_date(changes["work_date"])
            _check_entry(engagement, day, engagement.account)
            changes.update(work_date=day, month=day.replace(day=1))
        if "hours" in changes:
            changes["hours"] = _entry_hours(changes["hours"])
        if "description" in changes:
            changes["description"] = str(changes["description"]).strip()
            if not changes["description"]:
                raise ValidationFailed.field("description", "Say what the time was spent on.")
        entry = record_update(
            actor=actor, obj=time_entry, changes=changes, expected_version=expected_version, public=False
        )
        _notify_threshold(engagement, entry.month)
    return entry


def time_entry_delete(*, actor: Any, time_entry: TimeEntry, expected_version: int | None = None) -> None:
    """An entry made in error is removed while its month is open; audited."""
    require_permission(actor, LOG_TIME)
    with transaction.atomic():
        Engagement.objects.select_for_update().filter(pk=time_entry.engagement_id).first()
        _entry_open(time_entry)
        record_delete(actor=actor, obj=time_entry, expected_version=expected_version)


def threshold_percent() -> Decimal:
    return Decimal(str(getattr(settings, "OPSDESK_OOD_THRESHOLD_PERCENT", 80)))


def _notify_threshold(engagement: Engagement, month: dt.date) -> None:
    """G6: once the month's hours reach the threshold share of its allocated hours, the CSDM and the
    billing contacts hear of it (once per engagement-month: the outbox's dedup key)."""
    from django.db.models import Sum

    allocated = engagement.blocks_in(month)
    if not allocated:
        return
    used = TimeEntry.objects.filter(engagement=engagement, month=month).aggregate(h=Sum("hours"))["h"] or 0
    limit = rules.BLOCK_HOURS * allocated * threshold_percent() / 100
    if used >= limit:
        notify_threshold(engagement, month, used=Decimal(used), allocated_hours=rules.BLOCK_HOURS * allocated)


def month_close(*, actor: Any, organisation: Any, month: Any) -> MonthClose:
    """G6: billing staff close (invoice) an organisation's month once it has ended. The statement's
    lines are stored as they stand, and from then on the month's figures never change: entries into
    it are refused. Closing twice is refused; the close is audited."""
    from opsdesk.ood import selectors

    require_permission(actor, CLOSE_MONTH)
    first = selectors.parse_month(month)
    if first == timezone.localdate().replace(day=1):
        raise ValidationFailed.field("month", f"{first:%Y-%m} has not ended yet; close it from next month.")
    org = organisation
    if not isinstance(org, Organisation):
        org = Organisation.objects.filter(pk=organisation).first() if _small_id(organisation) else None
    if org is None:
        raise ValidationFailed.field("organisation", f"Unknown organisation '{str(organisation)[:20]}'.")
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=org.pk).first()
        if MonthClose.objects.filter(organisation=org, month=first).exists():
            raise Conflict(f"{first:%Y-%m} is already closed for {org}; a closed month never changes.")
        close = record_create(
            actor=actor,
            obj=MonthClose(organisation=org, month=first, closed_by=actor, closed_at=timezone.now()),
            public=False,
        )
        StatementLine.objects.bulk_create(
            StatementLine(
                close=close,
                engagement=line.engagement,
                offering=line.offering,
                account=line.account,
                recurrence=line.recurrence,
                allocated_blocks=line.allocated_blocks,
                hours_used=line.hours_used,
                billed_blocks=line.billed_blocks,
                overrun_hours=line.overrun_hours,
                rate=line.rate or Decimal(0),
                currency=line.currency,
                amount=line.amount,
            )
            for line in selectors.month_figures(user=actor, month=first, organisation=org.pk)
        )
    return close


# --- modifications (G5) ------------------------------------------------------------------------

#: How far ahead a change may be asked for; keeps a mistyped year from being read as a real date.
MODIFICATION_HORIZON_DAYS = 3 * 366


def _engagement_for(actor: Any, engagement: Any, *, lock: bool = False) -> Engagement:
    """The engagement as the actor may see it (another tenant's is as unknown as a missing one)."""
    pk = engagement.pk if isinstance(engagement, Engagement) else engagement
    qs = Engagement.objects.restrict(actor).select_related(
        "organisation", "offering", "account", "line__request__submitting_account"
    )
    if lock:
        qs = qs.select_for_update(of=("self",))
    found = qs.filter(pk=pk).first() if _small_id(pk) else None
    if found is None:
        raise ValidationFailed.field("engagement", f"Unknown engagement '{str(pk)[:20]}'.")
    return found


def _requested_day(value: Any, today: dt.date, errors: _Errors) -> dt.date | None:
    day = value
    if isinstance(day, dt.datetime):
        day = day.date()
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day.strip())
        except ValueError:
            errors.add("requested_date", f"'{day[:20]}' is not a date (YYYY-MM-DD).")
            return None
    if not isinstance(day, dt.date):
        errors.add("requested_date", "Give the date the change should take effect (YYYY-MM-DD).")
        return None
    if day < today:
        errors.add(
            "requested_date",
            f"{day:%Y-%m-%d} is in the past; a change takes effect from today ({today:%Y-%m-%d}) on.",
        )
        return None
    if (day - today).days > MODIFICATION_HORIZON_DAYS:
        errors.add("requested_date", f"{day:%Y-%m-%d} is more than three years ahead.")
        return None
    return day


def _named_accounts(field: str, value: Any, errors: _Errors) -> list[CloudAccount]:
    """Accounts by their 12-digit ids; a malformed, repeated or unknown id is named."""
    ids = _account_ids(value)
    if len(ids) > MAX_ACCOUNTS_PER_LINE:
        errors.add(field, f"At most {MAX_ACCOUNTS_PER_LINE} accounts.")
        return []
    bad = [i for i in ids if not ACCOUNT_ID.fullmatch(i)]
    if bad:
        shown = ", ".join(f"'{b[:20]}'" for b in bad[:5])
        errors.add(field, f"{shown} is not an AWS account id (exactly 12 digits).")
        return []
    if len(set(ids)) != len(ids):
        errors.add(field, "An account is listed twice.")
        return []
    found = {a.account_id: a for a in CloudAccount.objects.filter(account_id__in=ids)}
    for account_id in ids:
        if account_id not in found:
            errors.add(field, f"account {account_id} is not a known account.")
    return [found[i] for i in ids if i in found]


def _current_blocks(engagement: Engagement) -> int:
    """The blocks of the engagement's latest allocation: what it has from then on."""
    rows = list(engagement.allocations.all())
    return max(rows, key=lambda a: a.from_month).blocks if rows else 0


def _check_addable(engagement: Engagement, accounts: Sequence[CloudAccount], errors: _Errors) -> None:
    """G2's rule for every added account, as if the line's submitting account asked for it; and
    one engagement per line and account."""
    line = engagement.line
    taken = set(Engagement.objects.filter(line=line).values_list("account_id", flat=True))
    offering = engagement.offering
    for account in accounts:
        problem = check_receiving_account(
            organisation=engagement.organisation,
            submitting=line.request.submitting_account,
            receiving=account,
        )
        if problem:
            errors.add("add_accounts", f"Add: {problem}")
        elif account.pk in taken:
            errors.add(
                "add_accounts",
                f"Add: account {account.account_id} already has an engagement on this request line.",
            )
        elif offering.regions and account.regions and not set(account.regions) & set(offering.regions):
            errors.add(
                "add_accounts",
                f"Add: account {account.account_id} runs in {', '.join(account.regions)}; "
                f"“{offering}” is limited to {', '.join(offering.regions)}.",
            )


def _removable(
    engagement: Engagement, accounts: Sequence[CloudAccount], errors: _Errors
) -> list[Engagement]:
    """The running engagements of the line that the removed accounts end."""
    running = {
        e.account_id: e
        for e in Engagement.objects.filter(line=engagement.line, end_month__isnull=True).select_related(
            "account"
        )
    }
    out = []
    for account in accounts:
        if account.pk == engagement.account_id:
            errors.add(
                "remove_accounts",
                f"Remove: account {account.account_id} is this engagement's own account; "
                "ask for the end of the engagement instead.",
            )
        elif account.pk not in running:
            errors.add(
                "remove_accounts",
                f"Remove: account {account.account_id} has no running engagement on this request line.",
            )
        else:
            out.append(running[account.pk])
    return out


def _changeable(engagement: Engagement, *, end: bool, errors: _Errors) -> bool:
    """A one-time engagement, or a monthly one whose end month is set, takes no modification."""
    field = "end" if end else "engagement"
    if engagement.recurrence == Recurrence.ONE_TIME:
        errors.add(
            field,
            f"“{engagement}” is a one-time engagement: it serves {engagement.start_month:%B %Y} and ends by "
            "itself; request a new engagement instead.",
        )
        return False
    if engagement.end_month is not None:
        errors.add(field, f"“{engagement}” already ends with {engagement.end_month:%B %Y}.")
        return False
    return True


def modification_create(
    *,
    actor: Any,
    engagement: Any,
    requested_date: Any,
    blocks: Any = None,
    end: bool = False,
    add_accounts: Any = (),
    remove_accounts: Any = (),
    follows: Any = None,
    contact: Any = None,
    notes: str = "",
) -> Modification:
    """G5: a request to change a monthly engagement from a requested effective date (today or
    later): new blocks a month (different from the current ones), accounts added to its request
    line (each checked by G2's rule) or removed from it, or its end. Every problem is named by its
    field; nothing changes before the review. After scoping, `follows` links the request that
    carries the change to the one sent to scoping."""
    require_permission(actor, REQUEST)
    found = _engagement_for(actor, engagement)
    org, person = _submitter(actor, found.organisation, contact)
    errors = _Errors()
    today = approval_day(timezone.now())
    day = _requested_day(requested_date, today, errors)
    end = bool(end)
    changeable = _changeable(found, end=end, errors=errors)
    new_blocks = None
    if blocks not in (None, ""):
        new_blocks = _blocks(blocks)
        current = _current_blocks(found)
        if new_blocks is None:
            errors.add(
                "blocks",
                f"'{str(blocks)[:20]}' is not a whole number of blocks from 1 to {rules.ALLOCATED_MAX:,}; "
                "to stop the engagement, ask for its end.",
            )
        elif new_blocks == current:
            errors.add(
                "blocks", f"The engagement already has {current} block(s) a month; nothing would change."
            )
        elif end:
            errors.add("blocks", "An engagement that ends takes no new blocks; ask for one or the other.")
    added = _named_accounts("add_accounts", add_accounts, errors)
    removed = _named_accounts("remove_accounts", remove_accounts, errors)
    if changeable:
        _check_addable(found, added, errors)
        _removable(found, removed, errors)
    named = _account_ids(add_accounts) or _account_ids(remove_accounts)
    if blocks in (None, "") and not end and not named:
        errors.add(
            "changes",
            "Name at least one change: blocks a month, accounts to add or remove, or the end of the "
            "engagement.",
        )
    earlier = None
    if follows not in (None, ""):
        ref = follows.pk if isinstance(follows, Modification) else follows
        earlier = Modification.objects.restrict(actor).filter(pk=ref).first() if _small_id(ref) else None
        if earlier is None:
            errors.add("follows", f"Unknown modification '{str(ref)[:20]}'.")
        elif earlier.engagement_id != found.pk:
            errors.add("follows", f"{earlier.reference} is a modification of another engagement.")
        elif earlier.state != ModificationState.SCOPING_REQUIRED:
            errors.add(
                "follows",
                f"{earlier.reference} is {earlier.get_state_display().lower()}; only a modification sent "
                "to scoping is followed by a second request.",
            )
    if errors:
        raise ValidationFailed("; ".join(e["message"] for e in errors), errors)
    modification = Modification(
        organisation=org,
        engagement=found,
        contact=person,
        submitted_by=actor,
        follows=earlier,
        requested_date=day,
        blocks=new_blocks,
        end=end,
        notes=(notes or "").strip(),
    )
    with transaction.atomic():
        record_create(
            actor=actor, obj=modification, m2m={"add_accounts": added, "remove_accounts": removed}
        )
    return modification


def _modification_decidable(
    actor: Any, modification: Modification, expected_version: int | None
) -> Modification:
    require_permission(actor, REVIEW)
    locked = lock_for_update(modification, expected_version)
    if locked.is_decided:
        raise Conflict(
            f"{locked.reference} was already {locked.get_state_display().lower()}; a decision is final."
        )
    return locked


def _decided(actor: Any, locked: Modification, state: str, reason: str, **more: Any) -> Modification:
    decided = record_update(
        actor=actor,
        obj=locked,
        changes={
            "state": state,
            "decided_by": actor,
            "decided_at": timezone.now(),
            "decision_reason": reason,
            **more,
        },
    )
    notify_modification_decided(decided)
    return decided


def modification_approve(
    *, actor: Any, modification: Modification, reason: str = "", expected_version: int | None = None
) -> Modification:
    """G5: approve a modification. It takes effect on the G4 date from today (in the provider's
    zone), or the month start on or after the requested date when that is later: new blocks are a
    new allocation row from that month (the earlier ones kept); an ended engagement or removed
    account gets its end month (the month before); an added account gets a new engagement on the
    same request line from that month. Everything is checked again under lock, and refused whole."""
    today = approval_day(timezone.now())
    with transaction.atomic():
        locked = _modification_decidable(actor, modification, expected_version)
        engagement = _engagement_for(actor, locked.engagement_id, lock=True)
        # Not before the engagement's own first month: a change to one not yet started applies from it.
        effective = max(rules.modification_effective(today, locked.requested_date), engagement.start_month)
        last_served = rules.first_of_month_after(effective, -1)
        errors = _Errors()
        added = list(locked.add_accounts.all())
        removed: list[Engagement] = []
        if _changeable(engagement, end=locked.end, errors=errors):
            _check_addable(engagement, added, errors)
            removed = _removable(engagement, list(locked.remove_accounts.all()), errors)
        if locked.end and last_served < engagement.start_month:
            errors.add(
                "end",
                f"The end would take effect from {effective:%B %Y}, before the engagement has served its "
                f"first month ({engagement.start_month:%B %Y}).",
            )
        for other in removed:
            if last_served < other.start_month:
                errors.add(
                    "remove_accounts",
                    f"Remove: the engagement of account {other.account.account_id} starts in "
                    f"{other.start_month:%B %Y}, after the removal would take effect ({effective:%B %Y}).",
                )
        if locked.blocks is not None and engagement.allocations.filter(from_month=effective).exists():
            errors.add(
                "blocks",
                f"The engagement already has an allocation from {effective:%B %Y}; it is kept as history, "
                "so this change cannot take effect that month.",
            )
        if errors:
            raise ValidationFailed("; ".join(e["message"] for e in errors), errors)
        if locked.blocks is not None:
            record_create(
                actor=actor,
                obj=EngagementAllocation(
                    engagement=engagement, from_month=effective, blocks=locked.blocks, modification=locked
                ),
            )
        if locked.end:
            record_update(actor=actor, obj=engagement, changes={"end_month": last_served})
        for other in removed:
            record_update(actor=actor, obj=other, changes={"end_month": last_served})
        blocks = locked.blocks or engagement.blocks_in(effective) or _current_blocks(engagement)
        for account in added:
            started = record_create(
                actor=actor,
                obj=Engagement(
                    organisation=engagement.organisation,
                    line=engagement.line,
                    offering=engagement.offering,
                    account=account,
                    recurrence=engagement.recurrence,
                    start_date=effective,
                    approved_on=today,
                ),
            )
            record_create(
                actor=actor,
                obj=EngagementAllocation(
                    engagement=started, from_month=effective, blocks=blocks, modification=locked
                ),
            )
            start_deadline_set(started)
        return _decided(
            actor, locked, ModificationState.APPROVED, (reason or "").strip(), effective_month=effective
        )


def modification_require_scoping(
    *, actor: Any, modification: Modification, reason: str, expected_version: int | None = None
) -> Modification:
    """G5: the change needs a scoping exercise with the CSDM first; nothing changes. A second
    modification that `follows` this one carries the change once scoped."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.field("reason", "Say what the CSDM needs to scope with the customer.")
    with transaction.atomic():
        locked = _modification_decidable(actor, modification, expected_version)
        return _decided(actor, locked, ModificationState.SCOPING_REQUIRED, reason)


def modification_deny(
    *, actor: Any, modification: Modification, reason: str, expected_version: int | None = None
) -> Modification:
    """G5: a denial says why; the engagement is unchanged."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.field("reason", "Say why the modification is denied.")
    with transaction.atomic():
        locked = _modification_decidable(actor, modification, expected_version)
        return _decided(actor, locked, ModificationState.DENIED, reason)
