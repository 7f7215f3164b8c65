"""On-call as data (issue 9 item 1, in the spirit of PagerDuty and Grafana OnCall): teams of
provider staff, rotas that hand over daily or weekly in the provider's time zone, overrides for
swaps and holidays, escalation policies of ordered steps, and the pages they deliver.

None of these belongs to an organisation (tenant_path = None): they are the provider's own
arrangements, seen and changed by staff only ("oncall.view" / "oncall.manage"). A page keeps the
organisation it is about for reference and for the outbox's webhook scope.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from opsdesk.core.models import BaseModel
from opsdesk.oncall.choices import AckVia, Handover, PageCause, PageState


class Team(BaseModel):
    """People paged together, and the fallback of a policy when nobody is on call."""

    tenant_path = None

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="oncall_teams", blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Rota(BaseModel):
    """Who of a team is on call when: participants take turns in order, handing over every day or
    every week at `handover_time` (wall-clock, in the provider's zone, settings.TIME_ZONE) from
    `starts_on`, until the end of `ends_on` when given. The maths is opsdesk.oncall.schedule."""

    tenant_path = None

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="rotas")
    name = models.CharField(max_length=100, unique=True)
    handover = models.CharField(max_length=10, choices=Handover.choices, default=Handover.WEEKLY)
    handover_time = models.TimeField(help_text="Wall-clock time of the hand-over, provider's time zone.")
    starts_on = models.DateField(help_text="The first hand-over (weekly rotas hand over on this weekday).")
    ends_on = models.DateField(null=True, blank=True, help_text="Empty: the rota runs on.")
    #: User ids in turn order (JSON keeps the order and audits as one value); each is a team member.
    participants = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="oncall_rota_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RotaOverride(BaseModel):
    """A swap or holiday cover: `user` is on call instead of whoever the rota says, from `starts_at`
    to `ends_at`."""

    tenant_path = None

    rota = models.ForeignKey(Rota, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="oncall_override_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["rota", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.rota} · {self.user}"


class EscalationPolicy(BaseModel):
    """Who is told, in which order, until someone acknowledges: `steps` is an ordered list of
    {"action": "notify_rota", "rota": id} / {"action": "notify_user", "user": id} /
    {"action": "notify_team", "team": id} / {"action": "wait", "minutes": n}; after the last step
    the list runs again `repeat_count` more times. Nobody on call for a rota step: the policy's
    `team` is paged instead and the page is flagged. The default policy pages every cause but
    security events, which the security policy (`is_security`, at most one) pages."""

    tenant_path = None

    name = models.CharField(max_length=100, unique=True)
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        related_name="policies",
        help_text="The fallback when nobody is on call.",
    )
    steps = models.JSONField(default=list)
    repeat_count = models.PositiveSmallIntegerField(default=0)
    is_default = models.BooleanField(default=False, help_text="Used for every page.")
    #: F2: "routed by the RACI when that exists, until then to the provider's security on-call
    #: rota": the one policy that pages security events (page_raise(policy=…) by the shell).
    is_security = models.BooleanField(default=False, help_text="Pages security events (F2).")

    class Meta:
        ordering = ["name", "pk"]
        verbose_name_plural = "escalation policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="oncall_one_default_policy"
            ),
            models.UniqueConstraint(
                fields=["is_security"], condition=Q(is_security=True), name="oncall_one_security_policy"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EscalationPolicyRota(models.Model):
    """A rota a policy's steps notify: kept with the steps by the policy's services, so "which
    policies use this rota" is a query (and a rota in use cannot be deleted: PROTECT)."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="rota_refs")
    rota = models.ForeignKey(Rota, on_delete=models.PROTECT, related_name="policy_refs")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["policy", "rota"], name="oncall_policy_rota_once"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} → {self.rota}"


class Page(BaseModel):
    """One call for a human's attention about one cause of one thing (an incident, an escalation,
    an RCA): raised once per (source, cause), then worked by the policy's steps until acknowledged.

    The row is the work (architecture.md, "Durable work"): `next_step_at` is when the next step is
    due, and a worker claims the page with a lease (`lease_until`, `claim_token`) before running
    steps; the sweep takes back pages whose lease ran out. Each delivery carries a dedup key of
    (page, cycle, step, person), so a step run twice notifies nobody twice.
    """

    tenant_path = None

    source_type = models.CharField(max_length=30)
    source_id = models.PositiveBigIntegerField()
    incident_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    cause = models.CharField(max_length=40, choices=PageCause.choices)
    #: What tells two pages of one cause on one source apart (an escalation's level, a priority
    #: raise): each distinct occurrence pages once, a repeat of the same one is de-duplicated.
    occurrence = models.CharField(max_length=80, blank=True, default="")
    organisation = models.ForeignKey(
        "directory.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    priority = models.CharField(max_length=4, blank=True)
    title = models.CharField(max_length=255)
    body = models.TextField(blank=True, max_length=10_000)
    url = models.CharField(max_length=500, blank=True, help_text="The page of what it is about.")
    policy = models.ForeignKey(
        EscalationPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="pages"
    )
    state = models.CharField(max_length=16, choices=PageState.choices, default=PageState.OPEN)
    raised_at = models.DateTimeField()
    step_index = models.PositiveSmallIntegerField(default=0)
    cycle = models.PositiveSmallIntegerField(default=0)
    next_step_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Times a worker claimed this page.")
    #: Nobody was on call (or the policy was missing): who was paged instead is said here.
    flagged = models.BooleanField(default=False)
    flag_reason = models.TextField(blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_via = models.CharField(max_length=8, choices=AckVia.choices, blank=True)
    #: Stopped unacknowledged because what it was about no longer needs anyone (pages_stop).
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id", "cause", "occurrence"],
                name="oncall_page_once_per_occurrence",
            ),
            models.CheckConstraint(
                condition=(Q(state=PageState.ACKNOWLEDGED) & Q(acknowledged_at__isnull=False))
                | (Q(state=PageState.OPEN) & Q(acknowledged_at__isnull=True) & Q(stopped_at__isnull=True))
                | (
                    Q(state=PageState.STOPPED) & Q(acknowledged_at__isnull=True) & Q(stopped_at__isnull=False)
                ),
                name="oncall_page_state_matches_times",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_step_at"]),
            models.Index(fields=["state", "lease_until"]),
        ]

    def __str__(self) -> str:
        return self.title


class PageRecipient(models.Model):
    """Who a page was sent to, by which step of which cycle: the people who may acknowledge it."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cycle = models.PositiveSmallIntegerField()
    step = models.PositiveSmallIntegerField()
    notified_at = models.DateTimeField()
    fallback = models.BooleanField(default=False, help_text="Paged because nobody was on call.")

    class Meta:
        ordering = ["notified_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["page", "user", "cycle", "step"], name="oncall_recipient_once"),
        ]

    def __str__(self) -> str:
        return f"{self.page} → {self.user}"
