"""Escalation pages (C7), server-rendered (L4): the escalation matrix and the desk's worklist of
escalations in force, read from the selectors.

The escalation actions on an incident are forms of the incident page (incidents/views.py)."""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone

from opsdesk.core.errors import PermissionDenied
from opsdesk.core.ui.views import ui_view
from opsdesk.incidents.escalations import selectors as escalation_selectors


def _hours(value: float | None) -> str:
    if value is None:
        return ""
    n = int(value) if float(value).is_integer() else value
    return f"{n} working hour{'' if n == 1 else 's'}"


@ui_view
def escalation_matrix(request):
    levels = []
    for level in escalation_selectors.escalation_level_list():
        copied = [f"level {c.level}" for c in sorted(level.copied.all(), key=lambda c: -c.level)]
        if level.copy_service_manager:
            copied.append("service manager")
        targets = []
        if level.acknowledgement_hours:
            targets.append(f"acknowledgement within {_hours(level.acknowledgement_hours)}")
        if level.considered_response_hours:
            targets.append(f"considered response within {_hours(level.considered_response_hours)}")
        role = level.get_role_display()
        levels.append(
            {
                "level": level,
                # The role only where it says more than the level's name ("Service desk" once).
                "role": "" if role.casefold() == level.name.casefold() else role,
                "targets": targets,
                "copied": copied,
            }
        )
    return render(
        request,
        "incidents/escalation_matrix.html",
        {"levels": levels, "criteria": list(escalation_selectors.escalation_criterion_list())},
    )


@ui_view
def escalation_worklist(request):
    """The desk's worklist (issue 9): every escalation in force, the next target first (an
    unacknowledged one by its acknowledgement target, then by its considered-response target)."""
    if not request.user.is_provider_staff:
        raise PermissionDenied()
    now = timezone.now()
    rows = []
    for escalation in escalation_selectors.escalation_list(user=request.user, active=True):
        if escalation.state == "open" and escalation.acknowledgement_due:
            label, due = "Acknowledgement", escalation.acknowledgement_due
        else:
            label, due = "Considered response", escalation.considered_response_due
        rows.append({"escalation": escalation, "target": label, "due": due})
    far = now + timedelta(days=36_500)
    rows.sort(key=lambda r: (r["due"] or far, r["escalation"].raised_at))
    return render(request, "incidents/escalations.html", {"rows": rows, "now": now})
