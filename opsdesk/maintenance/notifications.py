"""What provider maintenance tells the organisation's named contacts (E2), through the outbox (L2),
inside the caller's transaction and with a dedup key, so a retried request sends nothing twice."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from opsdesk.core import humanize
from opsdesk.directory.models import NamedContact, Organisation, Service
from opsdesk.maintenance.models import ProviderMaintenance
from opsdesk.notifications.services import notification_enqueue


def recipients(
    maintenance: ProviderMaintenance, services: Iterable[Service] = (), *, organisation_id: int | None = None
) -> list[str]:
    """The named contacts of the affected services and the organisation's technical contacts and
    change approvers; without any, every current named contact of the organisation."""
    ids = [s.pk for s in services]
    org = organisation_id if organisation_id is not None else maintenance.organisation_id
    current = NamedContact.objects.filter(organisation=org, retired_at__isnull=True)
    named = current.filter(
        Q(is_technical_in_hours=True)
        | Q(is_technical_out_of_hours=True)
        | Q(is_change_approver=True)
        | Q(services__in=ids)
    ).distinct()
    people = list(named.order_by("pk")) or list(current.order_by("pk"))
    return list(dict.fromkeys(c.email for c in people if c.email))


def _when(maintenance: ProviderMaintenance) -> str:
    zone = humanize.provider_zone()
    return f"{humanize.when(maintenance.starts_at, zone)} to {humanize.when(maintenance.ends_at, zone)}"


def _organisations(maintenance: ProviderMaintenance) -> list[Organisation]:
    """Whom a notice goes to: the maintenance's organisation, or, provider-wide, every organisation
    (one message each, to its own named contacts: no customer sees another's addresses)."""
    if maintenance.organisation_id is not None:
        return [maintenance.organisation]
    return list(Organisation.objects.order_by("pk"))


def notify_scheduled(maintenance: ProviderMaintenance, *, services: Iterable[Service] = ()) -> None:
    services = list(services)
    kind = "within your agreed maintenance window" if maintenance.in_window else "outside your agreed window"
    if maintenance.organisation_id is None:
        kind = "affecting every customer (provider-wide)"
    if maintenance.is_emergency:
        kind = f"as emergency maintenance ({maintenance.get_emergency_reason_display().lower()})"
    affected = (
        ", ".join(f"{s.reference} ({s.name})" for s in services)
        or ", ".join(maintenance.components)
        or "your managed environment"
    )
    body = (
        f"We have scheduled maintenance {kind}.\n\n"
        f"What: {maintenance.title}\n"
        f"When: {_when(maintenance)}\n"
        f"Affects: {affected}\n"
    )
    if maintenance.description:
        body += f"\n{maintenance.description}\n"
    if maintenance.emergency_detail:
        body += f"\nWhy now: {maintenance.emergency_detail}\n"
    for org in _organisations(maintenance):
        notification_enqueue(
            event="maintenance.scheduled",
            organisation=org,
            recipients=recipients(maintenance, services, organisation_id=org.pk),
            subject=f"[Maintenance] {maintenance.title}: {_when(maintenance)}",
            body=body,
            payload={
                "maintenance": maintenance.pk,
                "organisation": org.pk,
                "provider_wide": maintenance.organisation_id is None,
                "starts_at": maintenance.starts_at.isoformat(),
                "ends_at": maintenance.ends_at.isoformat(),
                "in_window": maintenance.in_window,
                "is_emergency": maintenance.is_emergency,
            },
            dedup_key=f"maintenance:{maintenance.pk}:scheduled:{org.pk}",
        )


def notify_cancelled(maintenance: ProviderMaintenance, *, reason: str) -> None:
    services = list(maintenance.services.all())
    for org in _organisations(maintenance):
        notification_enqueue(
            event="maintenance.cancelled",
            organisation=org,
            recipients=recipients(maintenance, services, organisation_id=org.pk),
            subject=f"[Maintenance] Cancelled: {maintenance.title}",
            body=f"The maintenance planned for {_when(maintenance)} is cancelled.\n\nReason: {reason}\n",
            payload={
                "maintenance": maintenance.pk,
                "organisation": org.pk,
                "provider_wide": maintenance.organisation_id is None,
            },
            dedup_key=f"maintenance:{maintenance.pk}:cancelled:{org.pk}",
        )
