"""Template helpers of on-call: people of a rota by name, a policy step in words, and the staff
desk's "who is on call now and next" panel."""

from __future__ import annotations

from django import template

from opsdesk.core.permissions import has_permission
from opsdesk.directory.models import User
from opsdesk.oncall import selectors
from opsdesk.oncall.choices import StepAction
from opsdesk.oncall.models import Rota, Team

register = template.Library()


@register.filter
def people(ids) -> str:
    users = User.objects.in_bulk([int(i) for i in ids or []])
    return (
        ", ".join(users[int(i)].full_name or users[int(i)].email for i in ids or [] if int(i) in users) or "—"
    )


@register.filter
def step_label(step: dict) -> str:
    action = step.get("action")
    if action == StepAction.WAIT:
        return f"Wait {step['minutes']} min; if nobody has acknowledged, go on"
    if action == StepAction.NOTIFY_ROTA:
        rota = Rota.objects.filter(pk=step.get("rota")).first()
        return f"Page whoever is on call on {rota.name if rota else 'a deleted rota'}"
    if action == StepAction.NOTIFY_TEAM:
        team = Team.objects.filter(pk=step.get("team")).first()
        return f"Page everyone in team {team.name if team else '(deleted)'}"
    user = User.objects.filter(pk=step.get("user")).first()
    return f"Page {user.full_name or user.email if user else 'a removed person'}"


@register.filter
def can_see_oncall(user) -> bool:
    return has_permission(user, selectors.VIEW)


@register.inclusion_tag("oncall/_now.html")
def oncall_now(user):
    """The staff desk's panel: every rota's person on call now and next, and the pages waiting for
    this person's acknowledgement."""
    if not has_permission(user, selectors.VIEW):
        return {"visible": False}
    return {
        "visible": True,
        "user": user,
        "rotas": selectors.oncall_now_list(user=user),
        "open_pages": selectors.open_page_count(user=user),
    }


@register.inclusion_tag("oncall/_security_rota_warning.html")
def security_rota_warning(user):
    """F2: staff are told when no policy is marked as the security rota, so security events page
    nobody (they are still classified and listed, each flagged "no security rota")."""
    visible = getattr(user, "is_provider_staff", False) and selectors.security_policy() is None
    return {"visible": visible, "may_manage": has_permission(user, "oncall.manage")}
