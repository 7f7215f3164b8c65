"""Reads for the staff desk dashboard and the customer portal home (L4), built on the directory's
restricted selectors so a dashboard never shows more than the lists behind it."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from opsdesk.core.errors import NotFound
from opsdesk.directory import selectors as directory
from opsdesk.directory.choices import Environment, OnboardingState


def staff_dashboard(*, user: Any) -> dict[str, Any]:
    accounts = dict(
        directory.account_list(user=user).order_by().values_list("onboarding_state").annotate(n=Count("pk"))
    )
    services = dict(
        directory.service_list(user=user).order_by().values_list("environment").annotate(n=Count("pk"))
    )
    account_total = sum(accounts.values())
    return {
        "organisation_count": directory.organisation_list(user=user).count(),
        "account_total": account_total,
        "accounts_by_state": [
            {
                "value": s.value,
                "label": s.label,
                "count": accounts.get(s.value, 0),
                "percent": round(100 * accounts.get(s.value, 0) / account_total) if account_total else 0,
            }
            for s in OnboardingState
        ],
        "contact_count": directory.contact_list(user=user).count(),
        "stale_contact_count": directory.contacts_due_reverification(
            directory.contact_list(user=user)
        ).count(),
        "services_by_environment": [
            {"value": e.value, "label": e.label, "count": services.get(e.value, 0)} for e in Environment
        ],
        "service_total": sum(services.values()),
        "verification_days": directory.contact_reverification_days(),
    }


def customer_home(*, user: Any) -> dict[str, Any]:
    """The customer's own organisation with its people, accounts and services (A1, A2, A5)."""
    org_id = user.customer_organisation_id
    try:
        organisation = directory.organisation_get(user=user, pk=org_id)
    except NotFound:
        return {"organisation": None, "accounts": [], "services": []}
    return {
        "organisation": organisation,
        "accounts": list(directory.account_list(user=user, organisation=organisation.pk)),
        "services": list(directory.service_list(user=user, organisation=organisation.pk)),
    }
