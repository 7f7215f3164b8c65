"""API shapes of maintenance (E1–E4, D6). Instants travel as ISO 8601 with their offset;
an agreed window's times are wall-clock times in its own time zone."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema

from opsdesk.core.api import StateEventOut
from opsdesk.core.limits import Id, Instant
from opsdesk.maintenance.choices import (
    ContactMethod,
    EmergencyReason,
    ImpactLevel,
    MaintenanceState,
    NoticeCategory,
    NoticeState,
)

States = Literal[tuple(MaintenanceState.values)]  # type: ignore[valid-type]
Reasons = Literal[tuple(["", *EmergencyReason.values])]  # type: ignore[valid-type]
NoticeStates = Literal[tuple(NoticeState.values)]  # type: ignore[valid-type]
Categories = Literal[tuple(NoticeCategory.values)]  # type: ignore[valid-type]
Impacts = Literal[tuple(ImpactLevel.values)]  # type: ignore[valid-type]
Methods = Literal[tuple(ContactMethod.values)]  # type: ignore[valid-type]


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


# --- E1: cloud-provider notices ---------------------------------------------------------------------


class HealthNoticeEventOut(StateEventOut):
    pass


class HealthNoticeOut(Schema):
    id: int
    event_arn: str
    aws_account_id: str = Field(..., description="The AWS account the event is about (12 digits).")
    organisation: int | None = Field(..., alias="organisation_id", description="None: unmatched account.")
    organisation_name: str | None
    account: int | None = Field(..., alias="account_id", description="The directory's cloud account.")
    accounts: list[int] = Field(..., description="Every affected cloud account of the organisation.")
    services: list[int]
    event_id: str = Field(..., description="The EventBridge id of the latest delivery.")
    aws_service: str
    event_type_code: str
    category: str
    category_label: str
    region: str
    status_code: str = Field(..., description="AWS's own status of the event: open, upcoming, closed.")
    start_time: dt.datetime
    end_time: dt.datetime | None
    last_updated_time: dt.datetime | None
    description: str
    resources: list[str]
    affected_entities: list[str]
    deliveries: int = Field(..., description="How many times AWS delivered this event (de-duplicated).")
    first_received_at: dt.datetime
    last_received_at: dt.datetime
    state: str = Field(..., description="Triage: new, assessed, contacted, closed, dismissed.")
    state_label: str
    impact_level: str
    impact_assessment: str
    assessed_at: dt.datetime | None
    contact: int | None = Field(..., alias="contact_id")
    contact_name: str | None
    contact_method: str
    contacted_at: dt.datetime | None
    contact_note: str
    closed_at: dt.datetime | None
    dismiss_reason: str
    change_id: int | None = Field(..., description="The change raised from the notice.")
    change_reference: str
    timeline: list[HealthNoticeEventOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_organisation_name(obj) -> str | None:
        return obj.organisation.name if obj.organisation_id else None

    @staticmethod
    def resolve_accounts(obj) -> list[int]:
        return [a.pk for a in obj.accounts.all()]

    @staticmethod
    def resolve_services(obj) -> list[int]:
        return [s.pk for s in obj.services.all()]

    @staticmethod
    def resolve_category_label(obj) -> str:
        return obj.get_category_display()

    @staticmethod
    def resolve_state_label(obj) -> str:
        return obj.get_state_display()

    @staticmethod
    def resolve_contact_name(obj) -> str | None:
        return obj.contact.name if obj.contact_id else None

    @staticmethod
    def resolve_timeline(obj) -> list:
        return list(obj.events.all())


class HealthNoticeFilter(Schema):
    organisation: Id | None = None
    state: NoticeStates | None = None  # type: ignore[valid-type]
    category: Categories | None = None  # type: ignore[valid-type]
    unmatched: bool | None = Field(None, description="Only notices whose account matches no organisation.")
    q: str | None = Field(None, max_length=200, description="Event type code, AWS service or account id.")


class HealthNoticeAssessIn(Schema):
    impact_level: Impacts  # type: ignore[valid-type]
    impact_assessment: str = Field(..., min_length=1, max_length=10_000)


class HealthNoticeContactIn(Schema):
    contact: Id = Field(..., description="A named contact of the notice's organisation.")
    method: Methods  # type: ignore[valid-type]
    contacted_at: Instant | None = Field(None, description="When; now unless given.")
    note: str = Field("", max_length=1000)


class HealthNoticeCloseIn(Schema):
    note: str = Field("", max_length=1000)


class HealthNoticeDismissIn(Schema):
    reason: str = Field(..., min_length=1, max_length=1000)


_TEXT = {"type": "string"}
_ACCOUNT = {"type": "string", "pattern": "^[0-9]{12}$"}
_AWS_TIME = {
    "type": "string",
    "description": "ISO 8601 with its zone, or the RFC 2822 form AWS Health uses "
    "(Sun, 06 Dec 2026 02:00:00 GMT).",
}

#: The request body of POST /maintenance/health-events, documented by hand: the event is taken as
#: EventBridge sends it and validated by the intake service (which the alarm intake also calls).
HEALTH_EVENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "title": "HealthEventIn",
                    "type": "object",
                    "description": "An EventBridge event from AWS Health (source aws.health).",
                    "required": ["id", "detail-type", "source", "account", "time", "detail"],
                    "properties": {
                        "version": _TEXT,
                        "id": {"type": "string", "maxLength": 128},
                        "detail-type": {"type": "string", "enum": ["AWS Health Event"]},
                        "source": {"type": "string", "enum": ["aws.health"]},
                        "account": _ACCOUNT,
                        "time": {"type": "string", "format": "date-time"},
                        "region": {"type": "string", "maxLength": 32},
                        "resources": {"type": "array", "items": _TEXT, "maxItems": 1000},
                        "detail": {
                            "type": "object",
                            "required": [
                                "eventArn",
                                "service",
                                "eventTypeCode",
                                "eventTypeCategory",
                                "startTime",
                            ],
                            "properties": {
                                "eventArn": {"type": "string", "pattern": "^arn:aws[a-z-]*:health:"},
                                "service": {"type": "string", "maxLength": 64},
                                "eventTypeCode": {"type": "string", "maxLength": 200},
                                "eventTypeCategory": {"type": "string", "enum": NoticeCategory.values},
                                "startTime": _AWS_TIME,
                                "endTime": _AWS_TIME,
                                "lastUpdatedTime": _AWS_TIME,
                                "statusCode": {"type": "string", "enum": ["open", "upcoming", "closed"]},
                                "eventRegion": {"type": "string", "maxLength": 32},
                                "affectedAccount": _ACCOUNT,
                                "eventDescription": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {"language": _TEXT, "latestDescription": _TEXT},
                                    },
                                },
                                "affectedEntities": {
                                    "type": "array",
                                    "maxItems": 1000,
                                    "items": {
                                        "type": "object",
                                        "required": ["entityValue"],
                                        "properties": {"entityValue": _TEXT, "awsAccountId": _ACCOUNT},
                                    },
                                },
                            },
                        },
                    },
                }
            }
        },
    }
}
