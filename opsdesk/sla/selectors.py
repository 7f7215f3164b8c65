"""Reads of SLA policies: provider reference data (B3), readable by everyone signed in."""

from typing import Any

from django.db.models import QuerySet

from opsdesk.core.errors import NotFound
from opsdesk.sla.models import SlaPolicy


def sla_policy_list(*, user: Any) -> QuerySet:
    if not getattr(user, "is_authenticated", False):
        return SlaPolicy.objects.none()
    return SlaPolicy.objects.prefetch_related("targets")


def sla_policy_get(*, user: Any, pk: Any) -> SlaPolicy:
    policy = sla_policy_list(user=user).filter(pk=pk).first() if str(pk).isdigit() else None
    if policy is None:
        raise NotFound()
    return policy
