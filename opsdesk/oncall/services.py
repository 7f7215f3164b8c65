"""Writes of on-call (issue 9 item 1): teams, rotas, overrides and escalation policies (kept by
"oncall.manage"), and pages: raised by the domains through `page_raise`, worked by the policy's
steps (`pages_claim` + `page_run`, by the Huey tasks and their sweep), acknowledged by a recipient.

The page engine follows the outbox (architecture.md, "Durable work"): a page is a row committed
with its cause; a worker claims it with a lease and a token, runs the steps that are due and
writes where it got to, all in one transaction; a worker that dies leaves the lease to run out and
the minute sweep claims the page again. Every delivery carries a dedup key of (page, cycle, step,
person), so a step run twice pages nobody twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.audit import audit_record
from opsdesk.core.errors import PermissionDenied, PreconditionFailed, ValidationFailed
from opsdesk.core.limits import check_window
from opsdesk.core.models import AuditAction
from opsdesk.core.permissions import PERMISSIONS, require_permission
from opsdesk.core.services import record_create, record_delete, record_update
from opsdesk.directory.models import User
from opsdesk.notifications.services import notification_enqueue
from opsdesk.oncall import schedule as maths
from opsdesk.oncall import selectors
from opsdesk.oncall.choices import (
    MAX_REPEATS,
    MAX_STEPS,
    MAX_WAIT_MINUTES,
    NOTIFY_ACTIONS,
    AckVia,
    PageCause,
    PageState,
    StepAction,
)
from opsdesk.oncall.models import (
    EscalationPolicy,
    EscalationPolicyRota,
    Page,
    PageRecipient,
    Rota,
    RotaOverride,
    Team,
)

MANAGE = "oncall.manage"
#: How long a worker holds a claimed page; the sweep takes it back after that.
LEASE = dt.timedelta(minutes=2)
#: Pages claimed per sweep run.
SWEEP_BATCH = 200
#: How long an emailed acknowledgement link works.
ACK_LINK_MAX_AGE = dt.timedelta(days=7)
ACK_SALT = "opsdesk.oncall.page-ack"
EVENT = "oncall.page"


def _fmt(at: dt.datetime) -> str:
    return at.astimezone(selectors.provider_zone()).strftime("%a %d %b %Y %H:%M %Z")


def _unknown(changes: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationFailed(
            f"Cannot change: {', '.join(unknown)}.",
            [{"field": name, "message": "This field cannot be changed here."} for name in unknown],
        )


def _staff_users(field: str, values: Iterable[Any]) -> list[User]:
    """Users by id (or User), in the order given: active provider staff only, each once."""
    ids: list[int] = []
    for value in values or ():
        pk = value.pk if isinstance(value, User) else value
        if not isinstance(pk, int) and not (isinstance(pk, str) and pk.isdigit()):
            raise ValidationFailed.field(field, f"Not a user id: {value!r}.")
        if int(pk) in ids:
            raise ValidationFailed.field(field, "A person is listed twice.")
        ids.append(int(pk))
    found = User.objects.in_bulk(ids)
    users = []
    for pk in ids:
        user = found.get(pk)
        if user is None or not user.is_active or not user.is_provider_staff:
            raise ValidationFailed.field(field, f"No active member of staff with id {pk}.")
        users.append(user)
    return users


def _object(model: Any, field: str, value: Any, noun: str) -> Any:
    if isinstance(value, model):
        return value
    obj = model.objects.filter(pk=value).first() if str(value).isdigit() else None
    if obj is None:
        raise ValidationFailed.field(field, f"No {noun} with id {value!r}.")
    return obj


# --- teams ------------------------------------------------------------------------------------


def team_create(*, actor: Any, name: str, description: str = "", members: Iterable[Any] = ()) -> Team:
    require_permission(actor, MANAGE)
    people = _staff_users("members", members)
    with transaction.atomic():
        return record_create(
            actor=actor, obj=Team(name=name, description=description), m2m={"members": people}
        )


def team_update(*, actor: Any, team: Team, expected_version: int | None = None, **changes: Any) -> Team:
    require_permission(actor, MANAGE)
    _unknown(changes, {"name", "description", "members"})
    m2m = {"members": _staff_users("members", changes.pop("members"))} if "members" in changes else None
    with transaction.atomic():
        return record_update(
            actor=actor, obj=team, changes=changes, expected_version=expected_version, m2m=m2m
        )


def team_delete(*, actor: Any, team: Team, expected_version: int | None = None) -> None:
    require_permission(actor, MANAGE)
    with transaction.atomic():
        record_delete(actor=actor, obj=team, expected_version=expected_version)


# --- rotas ------------------------------------------------------------------------------------


def _participants(team: Team, values: Iterable[Any]) -> list[int]:
    people = _staff_users("participants", values)
    if not people:
        raise ValidationFailed.field("participants", "A rota needs at least one participant.")
    members = set(team.members.values_list("pk", flat=True))
    outside = [p.full_name or p.email for p in people if p.pk not in members]
    if outside:
        raise ValidationFailed.field(
            "participants",
            f"Not a member of team {team.name}: {', '.join(outside)}. Add them to the team first.",
        )
    return [p.pk for p in people]


def _check_period(rota: Rota) -> None:
    """The pages send dates no schema bounded: a rota in year 1 or 9999 is refused like the API's."""
    check_window(rota.starts_on, field="starts_on")
    if rota.ends_on is not None:
        check_window(rota.ends_on, field="ends_on")


def _check_overrides_inside(rota: Rota) -> None:
    """A rota's period may not shrink away from its overrides (they would silently do nothing)."""
    pattern = selectors.rota_pattern(rota)
    start, end = maths.period_start(pattern), maths.period_end(pattern)
    outside = rota.overrides.filter(Q(starts_at__lt=start) | (Q(ends_at__gt=end) if end else Q(pk__in=[])))
    if outside.exists():
        raise ValidationFailed.field(
            "ends_on" if end else "starts_on",
            f"{outside.count()} override(s) would fall outside the rota's period; move or delete them first.",
        )


def rota_create(
    *,
    actor: Any,
    team: Any,
    name: str,
    handover_time: dt.time,
    starts_on: dt.date,
    participants: Iterable[Any],
    handover: str = "weekly",
    ends_on: dt.date | None = None,
) -> Rota:
    require_permission(actor, MANAGE)
    team = _object(Team, "team", team, "team")
    rota = Rota(
        team=team,
        name=name,
        handover=handover,
        handover_time=handover_time,
        starts_on=starts_on,
        ends_on=ends_on,
        participants=_participants(team, participants),
    )
    _check_period(rota)
    with transaction.atomic():
        return record_create(actor=actor, obj=rota)


def rota_update(*, actor: Any, rota: Rota, expected_version: int | None = None, **changes: Any) -> Rota:
    require_permission(actor, MANAGE)
    _unknown(changes, {"team", "name", "handover", "handover_time", "starts_on", "ends_on", "participants"})
    if "team" in changes:
        changes["team"] = _object(Team, "team", changes["team"], "team")
    team = changes.get("team", rota.team)
    if "participants" in changes or "team" in changes:
        changes["participants"] = _participants(team, changes.get("participants", rota.participants))
    with transaction.atomic():
        updated = record_update(actor=actor, obj=rota, changes=changes, expected_version=expected_version)
        _check_period(updated)
        _check_overrides_inside(updated)
        return updated


def rota_delete(*, actor: Any, rota: Rota, expected_version: int | None = None) -> None:
    """Refused while an escalation policy's steps notify the rota (found by its references, kept
    with the steps), naming the policies."""
    require_permission(actor, MANAGE)
    with transaction.atomic():
        used = list(
            EscalationPolicy.objects.filter(rota_refs__rota=rota)
            .order_by("name")
            .values_list("name", flat=True)
        )
        if used:
            noun = "policy" if len(used) == 1 else "policies"
            raise ValidationFailed.field(
                "__all__",
                f"Rota {rota.name} is used by escalation {noun} {', '.join(used)}; "
                "remove it from their steps first.",
            )
        record_delete(actor=actor, obj=rota, expected_version=expected_version)


# --- overrides --------------------------------------------------------------------------------


def _check_override(o: RotaOverride) -> None:
    check_window(o.starts_at, field="starts_at")
    check_window(o.ends_at, field="ends_at")
    if o.starts_at and o.ends_at and o.ends_at <= o.starts_at:
        raise ValidationFailed.field("ends_at", "An override must end after it starts.")
    pattern = selectors.rota_pattern(o.rota)
    start, end = maths.period_start(pattern), maths.period_end(pattern)
    if o.starts_at < start:
        raise ValidationFailed.field(
            "starts_at",
            f"The rota {o.rota.name} starts at {_fmt(start)}; an override cannot start before it.",
        )
    if end is not None and o.ends_at > end:
        raise ValidationFailed.field(
            "ends_at", f"The rota {o.rota.name} ends at {_fmt(end)}; an override cannot run past it."
        )


def rota_override_create(
    *, actor: Any, rota: Any, user: Any, starts_at: dt.datetime, ends_at: dt.datetime, reason: str = ""
) -> RotaOverride:
    """A swap or holiday cover inside the rota's period, by an active member of staff."""
    require_permission(actor, MANAGE)
    rota = _object(Rota, "rota", rota, "rota")
    (person,) = _staff_users("user", [user])
    override = RotaOverride(rota=rota, user=person, starts_at=starts_at, ends_at=ends_at, reason=reason)
    _check_override(override)
    with transaction.atomic():
        return record_create(actor=actor, obj=override)


def rota_override_update(
    *, actor: Any, rota_override: RotaOverride, expected_version: int | None = None, **changes: Any
) -> RotaOverride:
    require_permission(actor, MANAGE)
    _unknown(changes, {"user", "starts_at", "ends_at", "reason"})
    if "user" in changes:
        (changes["user"],) = _staff_users("user", [changes["user"]])
    probe = RotaOverride(
        rota=rota_override.rota,
        user=changes.get("user", rota_override.user),
        starts_at=changes.get("starts_at", rota_override.starts_at),
        ends_at=changes.get("ends_at", rota_override.ends_at),
    )
    _check_override(probe)
    with transaction.atomic():
        return record_update(
            actor=actor, obj=rota_override, changes=changes, expected_version=expected_version
        )


def rota_override_delete(
    *, actor: Any, rota_override: RotaOverride, expected_version: int | None = None
) -> None:
    require_permission(actor, MANAGE)
    with transaction.atomic():
        record_delete(actor=actor, obj=rota_override, expected_version=expected_version)


# --- escalation policies ------------------------------------------------------------------------


def _step(number: int, raw: Any) -> dict[str, Any]:
    def bad(message: str) -> ValidationFailed:
        return ValidationFailed.field("steps", f"Step {number}: {message}")

    if not isinstance(raw, dict):
        raise bad("must be an object with an action.")
    action = raw.get("action")
    if action not in StepAction.values:
        raise bad(f"unknown action {action!r}; one of {', '.join(StepAction.values)}.")
    if action == StepAction.WAIT:
        minutes = raw.get("minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_WAIT_MINUTES:
            raise bad(f"wait between 1 and {MAX_WAIT_MINUTES} whole minutes.")
        return {"action": StepAction.WAIT.value, "minutes": minutes}
    key, model, noun = {
        StepAction.NOTIFY_ROTA: ("rota", Rota, "rota"),
        StepAction.NOTIFY_TEAM: ("team", Team, "team"),
        StepAction.NOTIFY_USER: ("user", User, "person"),
    }[action]
    value = raw.get(key)
    target = (
        model.objects.filter(pk=value).first()
        if isinstance(value, int) and not isinstance(value, bool)
        else None
    )
    if target is None or (model is User and not (target.is_active and target.is_provider_staff)):
        raise bad(f"no {noun} with id {value!r}.")
    return {"action": StepAction(action).value, key: target.pk}


def _steps(raw: Any, repeat_count: int) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed.field("steps", "An escalation policy needs at least one step.")
    if len(raw) > MAX_STEPS:
        raise ValidationFailed.field("steps", f"At most {MAX_STEPS} steps.")
    steps = [_step(n, s) for n, s in enumerate(raw, start=1)]
    if not any(s["action"] in NOTIFY_ACTIONS for s in steps):
        raise ValidationFailed.field("steps", "An escalation policy must notify someone: add a notify step.")
    if repeat_count and not any(s["action"] == StepAction.WAIT for s in steps):
        raise ValidationFailed.field(
            "repeat_count", "Repeating needs a wait step, or everyone is paged at once."
        )
    return steps


def _repeat(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_REPEATS:
        raise ValidationFailed.field("repeat_count", f"Between 0 and {MAX_REPEATS}.")
    return value


def _rota_refs(policy: EscalationPolicy) -> None:
    """The policy's references to the rotas its steps notify, as its steps now say."""
    wanted = {s["rota"] for s in policy.steps if s.get("action") == StepAction.NOTIFY_ROTA}
    EscalationPolicyRota.objects.filter(policy=policy).exclude(rota_id__in=wanted).delete()
    have = set(EscalationPolicyRota.objects.filter(policy=policy).values_list("rota_id", flat=True))
    EscalationPolicyRota.objects.bulk_create(
        [EscalationPolicyRota(policy=policy, rota_id=pk) for pk in sorted(wanted - have)]
    )


def _only_one(policy: EscalationPolicy, flag: str) -> None:
    """The default and the security policy are one each: marking one takes it from the previous."""
    if getattr(policy, flag):
        EscalationPolicy.objects.filter(**{flag: True}).exclude(pk=policy.pk).update(
            **{flag: False}, version=F("version") + 1
        )


def escalation_policy_create(
    *,
    actor: Any,
    name: str,
    team: Any,
    steps: Any,
    repeat_count: int = 0,
    is_default: bool = False,
    is_security: bool = False,
) -> EscalationPolicy:
    """A policy of ordered steps; making it the default (or the security policy, F2) takes that
    from the previous one."""
    require_permission(actor, MANAGE)
    repeat = _repeat(repeat_count)
    policy = EscalationPolicy(
        name=name,
        team=_object(Team, "team", team, "team"),
        steps=_steps(steps, repeat),
        repeat_count=repeat,
        is_default=is_default,
        is_security=is_security,
    )
    with transaction.atomic():
        _only_one(policy, "is_default")
        _only_one(policy, "is_security")
        created = record_create(actor=actor, obj=policy)
        _rota_refs(created)
        return created


def escalation_policy_update(
    *, actor: Any, escalation_policy: EscalationPolicy, expected_version: int | None = None, **changes: Any
) -> EscalationPolicy:
    require_permission(actor, MANAGE)
    _unknown(changes, {"name", "team", "steps", "repeat_count", "is_default", "is_security"})
    if "team" in changes:
        changes["team"] = _object(Team, "team", changes["team"], "team")
    repeat = _repeat(changes.get("repeat_count", escalation_policy.repeat_count))
    changes["steps"] = _steps(changes.get("steps", escalation_policy.steps), repeat)
    with transaction.atomic():
        for flag in ("is_default", "is_security"):
            if changes.get(flag):
                _only_one(EscalationPolicy(pk=escalation_policy.pk, **{flag: True}), flag)
        updated = record_update(
            actor=actor, obj=escalation_policy, changes=changes, expected_version=expected_version
        )
        _rota_refs(updated)
        return updated


def escalation_policy_delete(
    *, actor: Any, escalation_policy: EscalationPolicy, expected_version: int | None = None
) -> None:
    require_permission(actor, MANAGE)
    with transaction.atomic():
        record_delete(actor=actor, obj=escalation_policy, expected_version=expected_version)


# --- pages: raising ----------------------------------------------------------------------------


def _schedule_run(page_id: int) -> None:
    from opsdesk.oncall.tasks import advance_page

    advance_page(page_id)


def page_raise(
    *,
    source_type: str,
    source_id: int,
    cause: str,
    title: str,
    body: str = "",
    url: str = "",
    organisation: Any = None,
    priority: str = "",
    incident_id: int | None = None,
    occurrence: str = "",
    at: dt.datetime | None = None,
    actor: Any = None,
    policy: EscalationPolicy | None = None,
) -> Page:
    """Issue 9 item 1, "a human is always told": one page per (source, cause, occurrence), in the
    caller's transaction; a repeat returns the page already raised. `occurrence` tells apart
    distinct events of one cause on one source (an escalation level's target, a priority raise).
    Its first step runs on commit (and the sweep runs it if that hand-off is lost). `policy`: the
    policy that works it (the security policy for F2 events); by default the default policy, and
    without one the page is flagged and goes to the on-call managers. `actor`: whose action
    raised it (none for a sweep), for the audit log."""
    if cause not in PageCause.values:
        raise ValidationFailed.field("cause", f"Unknown cause {cause!r}.")
    key = {"source_type": source_type, "source_id": source_id, "cause": cause, "occurrence": occurrence[:80]}
    with transaction.atomic():
        existing = Page.objects.filter(**key).first()
        if existing is not None:
            return existing
        now = at or timezone.now()
        policy = policy or selectors.default_policy()
        page = Page(
            **key,
            title=" ".join(title.split())[:255],
            body=body[:10_000],
            url=url[:500],
            organisation=organisation,
            priority=priority,
            incident_id=incident_id,
            policy=policy,
            raised_at=now,
            next_step_at=now,
            flagged=policy is None,
            flag_reason="" if policy else "No default escalation policy: sent to the on-call managers.",
        )
        try:
            with transaction.atomic():
                page.save()
        except IntegrityError:
            return Page.objects.get(**key)
        audit_record(actor=actor, action=AuditAction.CREATE, obj=page, public=False)
        transaction.on_commit(lambda: _schedule_run(page.pk), robust=True)
    return page


def pages_stop(
    *,
    reason: str,
    incident_id: int | None = None,
    source_type: str | None = None,
    source_id: int | None = None,
    causes: Iterable[str] | None = None,
    at: dt.datetime | None = None,
    actor: Any = None,
) -> int:
    """Stop the open (unacknowledged) pages of what no longer needs anyone: those of an incident
    (`incident_id`) or of one source (`source_type` + `source_id`), of the given `causes` (all when
    None). Each is marked stopped with the reason and the time, audited; neither the policy nor the
    sweep notifies it again. In the caller's transaction; returns how many were stopped."""
    if incident_id is None and source_id is None:
        raise ValueError("pages_stop needs an incident or a source.")
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise ValidationFailed.field("reason", "Say why the pages stop.")
    pages = Page.objects.filter(state=PageState.OPEN)
    if incident_id is not None:
        pages = pages.filter(incident_id=incident_id)
    if source_type is not None:
        pages = pages.filter(source_type=source_type, source_id=source_id)
    if causes is not None:
        pages = pages.filter(cause__in=list(causes))
    now = at or timezone.now()
    stopped = 0
    with transaction.atomic():
        for page in pages.select_for_update().order_by("pk"):
            record_update(
                actor=actor,
                obj=page,
                changes={
                    "state": PageState.STOPPED,
                    "stopped_at": now,
                    "stop_reason": reason,
                    "next_step_at": None,
                    "claim_token": None,
                    "lease_until": None,
                },
                public=False,
            )
            stopped += 1
    return stopped


# --- pages: working the policy -----------------------------------------------------------------


def pages_claim(*, now: dt.datetime | None = None, page_id: int | None = None, limit: int = SWEEP_BATCH):
    """Claim open pages whose next step is due and whose lease (if any) ran out: each gets a new
    token and a lease, committed before any step runs. Returns (page id, token) pairs."""
    now = now or timezone.now()
    due = Page.objects.filter(state=PageState.OPEN, next_step_at__lte=now).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    if page_id is not None:
        due = due.filter(pk=page_id)
    claimed = []
    with transaction.atomic():
        ids = list(
            due.select_for_update(skip_locked=True)
            .order_by("next_step_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        for pk in ids:
            token = uuid.uuid4()
            Page.objects.filter(pk=pk).update(
                claim_token=token, lease_until=now + LEASE, attempts=F("attempts") + 1
            )
            claimed.append((pk, token))
    return claimed


def page_run(*, page_id: int, token: uuid.UUID, now: dt.datetime | None = None) -> int:
    """Run the due steps of a claimed page, in one transaction with where it got to; nothing if the
    claim was lost (the sweep gave the page to another worker). Returns how many people were paged."""
    now = now or timezone.now()
    with transaction.atomic():
        page = (
            Page.objects.select_for_update(of=("self",))
            .select_related("policy", "policy__team", "organisation")
            .filter(pk=page_id, claim_token=token)
            .first()
        )
        if page is None:
            return 0
        paged = 0
        if page.state == PageState.OPEN and page.next_step_at is not None and page.next_step_at <= now:
            paged = _run_steps(page, now)
        page.claim_token = None
        page.lease_until = None
        page.save(
            update_fields=[
                "step_index",
                "cycle",
                "next_step_at",
                "flagged",
                "flag_reason",
                "claim_token",
                "lease_until",
                "updated_at",
            ]
        )
    return paged


def pages_sweep(*, now: dt.datetime | None = None) -> int:
    """The minute sweep: claim every due page (including those of dead workers, once their lease
    ran out) and run it. Safe to run twice at once: a page is claimed by one run only."""
    now = now or timezone.now()
    return sum(page_run(page_id=pk, token=token, now=now) for pk, token in pages_claim(now=now))


def _run_steps(page: Page, now: dt.datetime) -> int:
    policy = page.policy
    if policy is None:
        page.next_step_at = None
        return _deliver(page, _managers(), now, step=0, fallback=True)
    steps = policy.steps
    paged = 0
    for _ in range((len(steps) + 1) * (policy.repeat_count + 1) + 1):
        if page.step_index >= len(steps):
            if page.cycle < policy.repeat_count:
                page.cycle += 1
                page.step_index = 0
                continue
            page.next_step_at = None
            return paged
        step = steps[page.step_index]
        if step["action"] == StepAction.WAIT:
            page.step_index += 1
            page.next_step_at = now + dt.timedelta(minutes=step["minutes"])
            return paged
        people, fallback = _recipients(page, policy, step, now)
        paged += _deliver(page, people, now, step=page.step_index, fallback=fallback)
        page.step_index += 1
    page.next_step_at = None
    return paged


def _flag(page: Page, reason: str) -> None:
    page.flagged = True
    page.flag_reason = f"{page.flag_reason}\n{reason}".strip()[:5000]


def _managers() -> list[User]:
    return list(User.objects.filter(is_active=True, role__in=PERMISSIONS[MANAGE]).order_by("pk"))


def _active(users: Iterable[User]) -> list[User]:
    return [u for u in users if u.is_active]


def _recipients(
    page: Page, policy: EscalationPolicy, step: dict[str, Any], now: dt.datetime
) -> tuple[list[User], bool]:
    """Who a notify step reaches; when that is nobody, the policy's team (flagged), and when the
    team is empty too, the on-call managers: never nobody in silence."""
    action = step["action"]
    reason = ""
    people: list[User] = []
    if action == StepAction.NOTIFY_ROTA:
        rota = Rota.objects.filter(pk=step.get("rota")).first()
        on = selectors.rota_oncall(rota=rota, at=now).now if rota else None
        if on is not None:
            people = [on.user]
        else:
            name = rota.name if rota else f"#{step.get('rota')} (deleted)"
            reason = f"Nobody on call on rota {name} at {_fmt(now)}"
    elif action == StepAction.NOTIFY_USER:
        people = _active(User.objects.filter(pk=step.get("user")))
        if not people:
            reason = f"The person of step {page.step_index + 1} cannot be paged (inactive or removed)"
    elif action == StepAction.NOTIFY_TEAM:
        team = Team.objects.filter(pk=step.get("team")).first()
        people = _active(team.members.order_by("pk")) if team else []
        if not people:
            reason = f"Team {team.name if team else '(deleted)'} has no active member"
    if people:
        return people, False
    fallback = _active(policy.team.members.order_by("pk"))
    if fallback:
        _flag(page, f"{reason}: sent to team {policy.team.name}.")
        return fallback, True
    _flag(page, f"{reason}, and team {policy.team.name} has no active member: sent to the on-call managers.")
    return _managers(), True


def ack_token(page: Page, user: User) -> str:
    return signing.dumps({"p": page.pk, "u": user.pk}, salt=ACK_SALT, compress=True)


def ack_url(page: Page, user: User) -> str:
    base = settings.OPSDESK_BASE_URL.rstrip("/")
    return f"{base}{reverse('oncall:page_ack_link', args=[ack_token(page, user)])}"


def _deliver(page: Page, people: list[User], now: dt.datetime, *, step: int, fallback: bool) -> int:
    """One email (with the person's own acknowledgement link) and the signed webhooks per person,
    each once per (page, cycle, step, person)."""
    if not people:
        _flag(page, "Nobody could be paged: no active on-call manager.")
        return 0
    cause = PageCause(page.cause).label
    base = settings.OPSDESK_BASE_URL.rstrip("/")
    count = 0
    for person in people:
        try:
            with transaction.atomic():
                PageRecipient.objects.create(
                    page=page, user=person, cycle=page.cycle, step=step, notified_at=now, fallback=fallback
                )
        except IntegrityError:
            continue
        repeat = f" (reminder {page.cycle})" if page.cycle else ""
        body = (
            f"{cause}{repeat}: {page.title}\n\n{page.body}\n\n"
            + (f"Open it: {base}{page.url}\n" if page.url else "")
            + f"Acknowledge this page: {ack_url(page, person)}\n\n"
            "Until someone acknowledges, the escalation policy pages the next people in turn.\n"
        )
        notification_enqueue(
            event=EVENT,
            organisation=page.organisation,
            recipients=[person.email],
            subject=f"[PAGE{' ' + page.priority if page.priority else ''}] {page.title}",
            body=body,
            payload={
                "page": page.pk,
                "cause": page.cause,
                "title": page.title,
                "priority": page.priority,
                "incident": page.incident_id,
                "url": f"{base}{page.url}" if page.url else "",
                "recipient": {"id": person.pk, "name": person.full_name, "email": person.email},
                "cycle": page.cycle,
                "step": step + 1,
                "fallback": fallback,
            },
            dedup_key=f"{EVENT}:{page.pk}:{page.cycle}:{step}:{person.pk}",
            confidential=True,
        )
        count += 1
    return count


# --- pages: acknowledging ---------------------------------------------------------------------


def page_acknowledge(
    *,
    actor: Any,
    page: Page,
    via: str = AckVia.UI,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Page:
    """Stops the policy. Only someone the page was sent to may acknowledge it (issue 9, "Bad input":
    an acknowledgement of someone else's page is refused, naming who it was sent to)."""
    require_permission(actor, selectors.VIEW)
    with transaction.atomic():
        locked = Page.objects.select_for_update().get(pk=page.pk)
        if expected_version is not None and locked.version != expected_version:
            raise PreconditionFailed()
        if locked.state == PageState.ACKNOWLEDGED:
            who = locked.acknowledged_by.full_name if locked.acknowledged_by else "someone"
            raise ValidationFailed.field(
                "page", f"Already acknowledged by {who} at {_fmt(locked.acknowledged_at)}."
            )
        if locked.state == PageState.STOPPED:
            raise ValidationFailed.field(
                "page", f"This page stopped at {_fmt(locked.stopped_at)}: {locked.stop_reason}"
            )
        recipients = selectors.page_recipients(locked)
        if actor.pk not in {r.user_id for r in recipients}:
            names = sorted({r.user.full_name or r.user.email for r in recipients})
            sent = f"sent to {', '.join(names)}" if names else "not sent to anyone yet"
            raise PermissionDenied(f"This page was {sent}; only a person it was sent to can acknowledge it.")
        return record_update(
            actor=actor,
            obj=locked,
            changes={
                "state": PageState.ACKNOWLEDGED,
                "acknowledged_at": at or timezone.now(),
                "acknowledged_by": actor,
                "acknowledged_via": via,
                "next_step_at": None,
            },
            public=False,
        )


def page_from_ack_token(token: str) -> tuple[Page, User]:
    """The page and person an emailed link was made for; a forged, altered or expired link is
    refused as such."""
    try:
        data = signing.loads(token, salt=ACK_SALT, max_age=ACK_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationFailed.field(
            "token", "This acknowledgement link has expired; acknowledge from the page."
        )
    except signing.BadSignature:
        raise ValidationFailed.field("token", "This acknowledgement link is not valid.")
    page = Page.objects.filter(pk=data.get("p")).first()
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if page is None or user is None:
        raise ValidationFailed.field("token", "This acknowledgement link is not valid.")
    return page, user


def page_acknowledge_by_link(*, token: str) -> Page:
    page, user = page_from_ack_token(token)
    return page_acknowledge(actor=user, page=page, via=AckVia.EMAIL)
