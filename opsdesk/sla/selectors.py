"""Reads of SLA policies: provider reference data (B3), readable by everyone signed in."""

from typing import Any

from django.db.models import QuerySet

from opsdesk.core.selectors import get_or_not_found
from opsdesk.sla.models import SlaPolicy


def sla_policy_list(*, user: Any) -> QuerySet:
    if not getattr(user, "is_authenticated", False):
        return SlaPolicy.objects.none()
    return SlaPolicy.objects.prefetch_related("targets")


def sla_policy_get(*, user: Any, pk: Any) -> SlaPolicy:
    return get_or_not_found(sla_policy_list(user=user), pk)
