"""API shapes of maintenance (E2, E3, E4, D6). Instants travel as ISO 8601 with their offset;
an agreed window's times are wall-clock times in its own time zone."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema

from opsdesk.core.api import StateEventOut
from opsdesk.core.limits import Instant
from opsdesk.maintenance.choices import EmergencyReason, MaintenanceState

States = Literal[tuple(MaintenanceState.values)]  # type: ignore[valid-type]
Reasons = Literal[tuple(["", *EmergencyReason.values])]  # type: ignore[valid-type]


class WindowOut(Schema):
    id: int
    organisation: int = Field(..., alias="organisation_id")
    organisation_name: str
    weekday: int = Field(..., description="0 = Monday … 6 = Sunday.")
    weekday_label: str
    start: dt.time
    end: dt.time = Field(..., description="At or before start: the window runs into the next day.")
    timezone: str
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_organisation_name(obj) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_weekday_label(obj) -> str:
        return obj.get_weekday_display()


class WindowFilter(Schema):
    organisation: int | None = None


class WindowIn(Schema):
    organisation: int
    weekday: int = Field(..., ge=0, le=6)
    start: dt.time
    end: dt.time
    timezone: str = Field("Europe/London", max_length=64)
    notes: str = Field("", max_length=1000)


class WindowPatch(Schema):
    weekday: int = Field(None, ge=0, le=6)
    start: dt.time = None
    end: dt.time = None
    timezone: str = Field(None, max_length=64)
    notes: str = Field(None, max_length=1000)


class BlackoutOut(Schema):
    id: int
    organisation: int = Field(..., alias="organisation_id")
    organisation_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_organisation_name(obj) -> str:
        return obj.organisation.name


class BlackoutFilter(Schema):
    organisation: int | None = None
    starts_from: Instant | None = Field(None, description="Only those still running at or after this.")
    starts_before: Instant | None = None


class BlackoutIn(Schema):
    organisation: int
    starts_at: Instant
    ends_at: Instant
    reason: str = Field(..., min_length=1, max_length=300)


class BlackoutPatch(Schema):
    starts_at: Instant = None
    ends_at: Instant = None
    reason: str = Field(None, min_length=1, max_length=300)


class MaintenanceEventOut(StateEventOut):
    pass


class ProviderMaintenanceOut(Schema):
    id: int
    organisation: int | None = Field(
        ..., alias="organisation_id", description="None: provider-wide maintenance (every organisation)."
    )
    organisation_name: str
    provider_wide: bool
    components: list[str] = Field(..., description="Provider-wide: the status-page components affected.")
    published: bool = Field(..., description="Provider-wide: shown on the public status page.")
    title: str
    description: str
    services: list[int]
    starts_at: dt.datetime
    ends_at: dt.datetime
    state: str
    state_label: str
    in_window: bool = Field(..., description="Inside the organisation's agreed window (E2).")
    is_emergency: bool
    emergency_reason: str
    emergency_detail: str
    notice_given_at: dt.datetime
    notice_period_ends_on: dt.date = Field(
        ..., description="The 10th working day after the notice: the earliest out-of-window start."
    )
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    ended_early: bool
    completed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    timeline: list[MaintenanceEventOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_organisation_name(obj) -> str:
        return obj.organisation.name if obj.organisation_id else "Provider-wide"

    @staticmethod
    def resolve_state_label(obj) -> str:
        return obj.get_state_display()

    @staticmethod
    def resolve_services(obj) -> list[int]:
        return [s.pk for s in obj.services.all()]

    @staticmethod
    def resolve_timeline(obj) -> list:
        return list(obj.events.all())


class ProviderMaintenanceFilter(Schema):
    organisation: int | None = None
    state: str | None = None
    emergency: bool | None = None
    q: str | None = Field(None, max_length=200)
    starts_from: Instant | None = Field(None, description="Only those still running at or after this.")
    starts_before: Instant | None = None


class ProviderMaintenanceIn(Schema):
    organisation: int | None = Field(
        ...,
        description="None: provider-wide (staff only; 10 working days' notice on the provider's calendar).",
    )
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    services: list[int] = Field(default_factory=list, max_length=200)
    starts_at: Instant
    ends_at: Instant
    is_emergency: bool = False
    emergency_reason: Reasons = ""  # type: ignore[valid-type]
    emergency_detail: str = Field("", max_length=1000)
    components: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=20, description="Provider-wide only: status-page components."
    )
    published: bool = Field(True, description="Provider-wide only: shown on the public status page.")


class ProviderMaintenancePatch(Schema):
    title: str = Field(None, min_length=1, max_length=200)
    description: str = Field(None, max_length=10_000)
    components: list[Annotated[str, Field(max_length=100)]] = Field(None, max_length=20)
    published: bool = Field(None)


class MaintenanceNoteIn(Schema):
    note: str = Field("", max_length=1000)


class MaintenanceCancelIn(Schema):
    reason: str = Field(..., min_length=1, max_length=1000)


class CustomerWindowOut(Schema):
    id: int
    organisation: int = Field(..., alias="organisation_id")
    organisation_name: str
    title: str
    description: str
    services: list[int]
    accounts: list[int]
    starts_at: dt.datetime
    ends_at: dt.datetime
    declared_by: str | None
    contact: int | None = Field(..., alias="contact_id")
    cancelled_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_organisation_name(obj) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_services(obj) -> list[int]:
        return [s.pk for s in obj.services.all()]

    @staticmethod
    def resolve_accounts(obj) -> list[int]:
        return [a.pk for a in obj.accounts.all()]

    @staticmethod
    def resolve_declared_by(obj) -> str | None:
        return (obj.declared_by.full_name or obj.declared_by.email) if obj.declared_by_id else None


class CustomerWindowFilter(Schema):
    organisation: int | None = None
    cancelled: bool | None = None
    starts_from: Instant | None = Field(None, description="Only those still running at or after this.")
    starts_before: Instant | None = None


class CustomerWindowIn(Schema):
    organisation: int | None = Field(None, description="A customer's own organisation when left out.")
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    services: list[int] = Field(default_factory=list, max_length=200)
    accounts: list[int] = Field(default_factory=list, max_length=200)
    starts_at: Instant
    ends_at: Instant


class CustomerWindowCancelIn(Schema):
    reason: str = Field("", max_length=1000)


class OverlapQuery(Schema):
    organisation: int
    starts_at: Instant
    ends_at: Instant
    services: list[int] = Field(default_factory=list, max_length=200)
    exclude_maintenance: int | None = None


class ScheduledWindowOut(Schema):
    """A window as the schedule holds it (a change's, from the changes domain)."""

    source: str
    source_id: int
    kind: str
    reference: str
    title: str
    state: str
    phase: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    organisation: int | None = Field(..., alias="organisation_id")
    url: str


class OverlapsOut(Schema):
    any: bool
    blackouts: list[BlackoutOut]
    maintenance: list[ProviderMaintenanceOut]
    customer_windows: list[CustomerWindowOut]
    changes: list[ScheduledWindowOut]


class IcalFeedOut(Schema):
    organisation: int = Field(..., alias="organisation_id")
    url: str = Field(..., description="The feed's secret address; rotate it to revoke every copy.")
    rotated_at: dt.datetime | None
