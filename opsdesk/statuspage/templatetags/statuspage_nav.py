"""The "Status" link of the staff navigation, shown only to those who may manage the status page."""

from django import template

from opsdesk.core.permissions import has_permission

register = template.Library()


@register.filter
def can_manage_status(user) -> bool:
    return has_permission(user, "statuspage.manage")
