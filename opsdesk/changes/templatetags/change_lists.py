"""The approved pipelines of a service, said on the service's page (the directory's): the directory
knows nothing of changes, its page loads this tag (D3: deployments through them need no RFC)."""

from __future__ import annotations

from typing import Any

from django import template

from opsdesk.changes import selectors
from opsdesk.core.permissions import has_permission

register = template.Library()


@register.inclusion_tag("changes/_service_pipelines.html", takes_context=True)
def pipelines_of(context: dict[str, Any], service: Any) -> dict[str, Any]:
    user = context["request"].user
    if not has_permission(user, selectors.VIEW):
        return {"shown": False}
    return {
        "shown": True,
        "pipelines": list(selectors.pipeline_list(user=user, service=service.pk)),
        "can_manage": has_permission(user, "changes.manage"),
    }
