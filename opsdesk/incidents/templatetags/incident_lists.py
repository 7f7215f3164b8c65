"""The incidents of an organisation or a service, listed on its page (the directory's), rendered on
the server like the queue: the directory knows nothing of incidents, its pages load this tag."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from opsdesk.core.ui.views import CappedPaginator
from opsdesk.incidents import selectors

register = template.Library()

#: Rows per page of an organisation's or a service's incidents.
PAGE_SIZE = 10
#: The query parameter of that page (the page may have other lists).
PAGE_PARAM = "incidents_page"


@register.inclusion_tag("incidents/_related.html", takes_context=True)
def incidents_of(context: dict[str, Any], organisation: Any = None, service: Any = None) -> dict[str, Any]:
    request = context["request"]
    qs = selectors.incidents_of(user=request.user, organisation=organisation, service=service)
    paginator = CappedPaginator(qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get(PAGE_PARAM))
    rows = list(page)
    selectors.annotate_queue(rows, timezone.now())

    def url(number: int) -> str:
        query = request.GET.copy()
        query[PAGE_PARAM] = str(number)
        return f"{request.path}?{query.urlencode()}#incidents"

    queue_filter = f"service={service.pk}" if service is not None else f"organisation={organisation.pk}"
    return {
        "rows": rows,
        "page": page,
        "total": paginator.count,
        "total_exact": getattr(paginator, "count_exact", True),
        "previous_url": url(page.previous_page_number()) if page.has_previous() else "",
        "next_url": url(page.next_page_number()) if page.has_next() else "",
        "queue_filter": queue_filter,
        "show_service": service is None,
        "staff": request.user.is_provider_staff,
    }
