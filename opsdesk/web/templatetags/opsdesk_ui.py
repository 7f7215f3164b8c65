"""Template helpers for lists (sortable headers, page links) and for showing audit values."""

from __future__ import annotations

import json

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from opsdesk.core.richtext import render_markdown
from opsdesk.directory.selectors import contact_reverification_days, contact_reverification_due

register = template.Library()


def _query(request, **changes) -> str:
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def sort_header(context, column) -> str:
    """A <th> whose link toggles ?sort=key / -key and returns to page 1; htmx swaps only the table."""
    if not column.sort:
        return format_html('<th scope="col" class="{}">{}</th>', column.css, column.label)
    request = context["request"]
    current = context["listing"].sort
    key = column.sort
    if current == key:
        target, aria, arrow = f"-{key}", "ascending", "▲"
    elif current == f"-{key}":
        target, aria, arrow = key, "descending", "▼"
    else:
        target, aria, arrow = key, "none", ""
    url = f"{request.path}{_query(request, sort=target, page=None)}"
    return format_html(
        '<th scope="col" class="{}" aria-sort="{}"><a href="{}" hx-get="{}" hx-target="#results" '
        'hx-push-url="true" class="sort-link">{} '
        '<span class="sort-arrow" aria-hidden="true">{}</span></a></th>',
        column.css,
        aria,
        url,
        url,
        column.label,
        arrow,
    )


@register.simple_tag(takes_context=True)
def page_url(context, number) -> str:
    request = context["request"]
    return f"{request.path}{_query(request, page=number)}"


@register.filter
def audit_value(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False) if value else "—"
    if value == "":
        return "—"
    return str(value)


@register.filter
def markdown(text: str) -> str:
    """Runbooks and notes: Markdown rendered and sanitised (nh3) before it is marked safe."""
    return mark_safe(render_markdown(text))  # noqa: S308 - sanitised by nh3 in render_markdown


@register.filter
def account_tree(accounts) -> list[dict]:
    """AWS Organizations structure (A2): management accounts with their members, then the rest."""
    accounts = list(accounts)
    ids = {a.pk for a in accounts}
    members: dict[int, list] = {}
    for a in accounts:
        if a.management_account_id in ids:
            members.setdefault(a.management_account_id, []).append(a)
    return [
        {"account": a, "members": members.get(a.pk, [])}
        for a in accounts
        if a.management_account_id not in ids
    ]


@register.filter
def verification_overdue(contact) -> bool:
    """I3: the contact is due re-verification (directory.selectors.contact_reverification_due)."""
    return contact_reverification_due(contact)


@register.simple_tag
def reverification_days() -> int:
    """I3: OPSDESK_CONTACT_REVERIFY_DAYS, for the words that say how often contacts are verified."""
    return contact_reverification_days()
