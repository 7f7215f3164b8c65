"""Writes of the status page (C8). Each checks "statuspage.manage", validates, writes in one
transaction and audits (L1) through the core helpers. Provider-wide maintenance (E4) is written by
the maintenance app (provider maintenance with no organisation); this page only reads it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from opsdesk.core.errors import ValidationFailed
from opsdesk.core.permissions import require_permission
from opsdesk.core.services import lock_for_update, record_create, record_update
from opsdesk.statuspage.choices import INCIDENT_STATE_ORDER, StatusIncidentState
from opsdesk.statuspage.models import StatusIncident, StatusUpdate

PERMISSION = "statuspage.manage"

#: Fields of an incident that are edited directly; its state moves only by posting an update.
INCIDENT_EDITABLE = frozenset({"title", "impact", "components", "published", "started_at"})


def _components(value: Iterable[str] | None) -> list[str]:
    """Trimmed names, blanks dropped; duplicates and sizes are left to the model's validator."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.splitlines()
    return [
        v.strip() if isinstance(v, str) else v for v in value if not (isinstance(v, str) and not v.strip())
    ]


def _editable(actor: Any, changes: dict[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    """The changes of an edit, refused unless the actor manages the status page and every field is
    one the edit may change; components normalised as on create."""
    require_permission(actor, PERMISSION)
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationFailed(
            f"Cannot change: {', '.join(unknown)}.",
            [{"field": name, "message": "This field cannot be changed here."} for name in unknown],
        )
    if "components" in changes:
        return {**changes, "components": _components(changes["components"])}
    return changes


def allowed_next_states(current: str) -> list[str]:
    """C8: any forward step (or another update in the same state); nothing after resolved."""
    if current == StatusIncidentState.RESOLVED:
        return []
    return INCIDENT_STATE_ORDER[INCIDENT_STATE_ORDER.index(current) :]


def _check_incident_transition(current: str, new: str) -> None:
    if new not in INCIDENT_STATE_ORDER:
        raise ValidationFailed.field(
            "state", f"Unknown state '{new}'. Known states: {', '.join(INCIDENT_STATE_ORDER)}."
        )
    if current == StatusIncidentState.RESOLVED:
        raise ValidationFailed.field("state", "The incident is resolved; a resolved incident is final.")
    if new not in allowed_next_states(current):
        labels = ", ".join(StatusIncidentState(s).label.lower() for s in allowed_next_states(current))
        raise ValidationFailed.field(
            "state",
            f"Cannot go back from {StatusIncidentState(current).label.lower()} to "
            f"{StatusIncidentState(new).label.lower()}; allowed: {labels}.",
        )


# --- incidents (C8) ----------------------------------------------------------------------------


def status_incident_create(
    *,
    actor: Any,
    title: str,
    impact: str,
    body: str,
    components: Iterable[str] | None = None,
    state: str = StatusIncidentState.INVESTIGATING,
    published: bool = True,
    started_at: dt.datetime | None = None,
) -> StatusIncident:
    """A new incident and its first timeline entry, together or not at all."""
    require_permission(actor, PERMISSION)
    if state not in INCIDENT_STATE_ORDER:
        raise ValidationFailed.field(
            "state", f"Unknown state '{state}'. Known states: {', '.join(INCIDENT_STATE_ORDER)}."
        )
    now = timezone.now()
    incident = StatusIncident(
        title=title,
        impact=impact,
        state=state,
        components=_components(components),
        published=published,
        started_at=started_at or now,
        resolved_at=now if state == StatusIncidentState.RESOLVED else None,
    )
    with transaction.atomic():
        record_create(actor=actor, obj=incident)
        _post(actor=actor, incident=incident, state=state, body=body, posted_at=now)
    return incident


def status_incident_update(
    *, actor: Any, incident: StatusIncident, expected_version: int | None = None, **changes: Any
) -> StatusIncident:
    """Corrections to the headline (title, impact, components, publication); not the state."""
    changes = _editable(actor, changes, INCIDENT_EDITABLE)
    with transaction.atomic():
        return record_update(actor=actor, obj=incident, changes=changes, expected_version=expected_version)


def _post(
    *, actor: Any, incident: StatusIncident, state: str, body: str, posted_at: dt.datetime
) -> StatusUpdate:
    update = StatusUpdate(incident=incident, state=state, body=body, posted_at=posted_at, author=actor)
    return record_create(actor=actor, obj=update)


def status_incident_post_update(
    *,
    actor: Any,
    incident: StatusIncident,
    state: str,
    body: str,
    expected_version: int | None = None,
) -> StatusUpdate:
    """C8: every state change is a posted update. Forward-only; resolving stamps resolved_at.

    The incident row is locked first, so two people posting at once are serialised and the second
    is checked against the state the first left behind.
    """
    require_permission(actor, PERMISSION)
    with transaction.atomic():
        locked = lock_for_update(incident, expected_version)
        _check_incident_transition(locked.state, state)
        now = timezone.now()
        if state != locked.state:
            changes: dict[str, Any] = {"state": state}
            if state == StatusIncidentState.RESOLVED:
                changes["resolved_at"] = max(now, locked.started_at)
            locked = record_update(actor=actor, obj=locked, changes=changes)
        return _post(actor=actor, incident=locked, state=state, body=body, posted_at=now)
