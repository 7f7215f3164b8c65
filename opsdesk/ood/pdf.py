"""The monthly statement as PDF (G6), rendered by WeasyPrint from its own print template: the same
content as the statement page (organisation, month, one line per engagement-month at the rate in
force that month, totals per currency, closed or provisional). WeasyPrint fetches nothing: the
template carries its style and no external resource, and any URL it would follow is refused."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

TEMPLATE = "ood/billing/statement_pdf.html"


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict:
    raise ValueError(f"the statement PDF loads nothing from elsewhere ({url[:60]})")


def statement_pdf(statement: Any) -> bytes:
    """The PDF bytes of a selectors.Statement."""
    from weasyprint import HTML

    html = render_to_string(TEMPLATE, {"statement": statement, "generated_at": timezone.localtime()})
    return HTML(string=html, base_url=None, url_fetcher=_no_fetch).write_pdf()


def filename(statement: Any) -> str:
    return f"statement-{statement.organisation.pk}-{statement.month:%Y-%m}.pdf"
