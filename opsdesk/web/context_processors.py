"""What every page needs to draw its navigation: staff desk or customer portal, and which
create/edit actions the user may see (the same permission table the services enforce)."""

from django.urls import reverse

from opsdesk.core.permissions import has_permission

_CAN = {
    "change_organisation": "directory.change_organisation",
    "change_account": "directory.change_cloudaccount",
    "change_contact": "directory.change_namedcontact",
    "change_service": "directory.change_service",
    "view_user": "directory.view_user",
    "change_user": "directory.change_user",
    "view_incidents": "incidents.view",
    "view_oncall": "oncall.view",
    "view_inbox": "inbox.view",
    "view_billing": "billing.view",
    "import_billing": "billing.import",
    "view_alerts": "alerts.view",
    "view_email_triage": "incidents.email_triage",
    "view_changes": "changes.view",
    "view_maintenance": "maintenance.view",
    "triage_notices": "maintenance.triage",
}


def navigation(request):
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {"is_staff_user": False, "nav_items": [], "can": {}}
    is_staff = user.is_provider_staff
    if is_staff:
        items = [
            ("Desk", reverse("web:home")),
            ("Organisations", reverse("directory:organisation_list")),
            ("Accounts", reverse("directory:account_list")),
            ("Contacts", reverse("directory:contact_list")),
            ("Services", reverse("directory:service_list")),
        ]
        if has_permission(user, "directory.view_user"):
            items.append(("Users", reverse("directory:user_list")))
    else:
        items = [("Home", reverse("web:home"))]
        org_id = user.customer_organisation_id
        if org_id:
            items.append(("Organisation", reverse("directory:organisation_detail", args=[org_id])))
        items += [
            ("Accounts", reverse("directory:account_list")),
            ("Contacts", reverse("directory:contact_list")),
            ("Services", reverse("directory:service_list")),
        ]
        if has_permission(user, "directory.view_user"):  # their customer administrator
            items.append(("Users", reverse("directory:user_list")))
    path = request.path
    home = reverse("web:home")
    nav = [
        {"label": label, "url": url, "active": (path == url) if url == home else path.startswith(url)}
        for label, url in items
    ]
    return {
        "is_staff_user": is_staff,
        "nav_items": nav,
        "can": {name: has_permission(user, perm) for name, perm in _CAN.items()},
    }
