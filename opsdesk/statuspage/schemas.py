"""API shapes of the status page. Public shapes (Public*) carry nothing but what the public page
shows: no authors, no drafts, no internal fields (C8)."""

from __future__ import annotations

from datetime import datetime

from ninja import FilterSchema, Schema

from opsdesk.core.limits import Instant
from opsdesk.core.richtext import render_markdown
from opsdesk.directory.schemas import UserRef
from opsdesk.statuspage.choices import StatusImpact, StatusIncidentState


def _timeline(obj) -> list:
    timeline = getattr(obj, "timeline", None)
    if timeline is None:
        timeline = list(obj.updates.select_related("author").order_by("-posted_at", "-pk"))
    return timeline


# --- public ------------------------------------------------------------------------------------


class PublicStatusUpdateOut(Schema):
    id: int
    state: StatusIncidentState
    body: str
    body_html: str
    posted_at: datetime

    @staticmethod
    def resolve_body_html(obj) -> str:
        return render_markdown(obj.body)


class PublicIncidentOut(Schema):
    id: int
    title: str
    impact: StatusImpact
    state: StatusIncidentState
    components: list[str]
    started_at: datetime
    resolved_at: datetime | None
    updates: list[PublicStatusUpdateOut]

    @staticmethod
    def resolve_updates(obj) -> list:
        return _timeline(obj)


class PublicMaintenanceOut(Schema):
    """Provider-wide maintenance as the schedule holds it (E4): `state` is the maintenance's own
    (scheduled, in_progress, verifying, completed), `phase` the schedule's (planned, under_way, done)."""

    id: int
    title: str
    description: str
    description_html: str
    starts_at: datetime
    ends_at: datetime
    state: str
    phase: str
    under_way: bool = False
    components: list[str]

    @staticmethod
    def resolve_description_html(obj) -> str:
        return render_markdown(obj.description)


class OverallOut(Schema):
    indicator: str
    description: str


class StatusSummaryOut(Schema):
    status: OverallOut
    incidents: list[PublicIncidentOut]
    maintenance: list[PublicMaintenanceOut]
    recent: list[PublicIncidentOut]
    generated_at: datetime


# --- staff -------------------------------------------------------------------------------------


class StatusUpdateOut(PublicStatusUpdateOut):
    incident_id: int
    author: UserRef | None = None
    version: int
    created_at: datetime


class StatusIncidentOut(Schema):
    id: int
    title: str
    impact: StatusImpact
    state: StatusIncidentState
    components: list[str]
    started_at: datetime
    resolved_at: datetime | None
    published: bool
    updates: list[StatusUpdateOut]
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_updates(obj) -> list:
        return _timeline(obj)


class StatusIncidentIn(Schema):
    title: str
    impact: StatusImpact = StatusImpact.MINOR
    state: StatusIncidentState = StatusIncidentState.INVESTIGATING
    body: str
    components: list[str] = []
    published: bool = True
    started_at: Instant | None = None


class StatusIncidentPatch(Schema):
    title: str | None = None
    impact: StatusImpact | None = None
    components: list[str] | None = None
    published: bool | None = None
    started_at: Instant | None = None


class StatusUpdateIn(Schema):
    state: StatusIncidentState
    body: str


class StatusIncidentFilter(FilterSchema):
    state: str | None = None
    published: bool | None = None
    q: str | None = None
