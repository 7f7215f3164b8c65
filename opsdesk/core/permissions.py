"""Who may do what, by role (A4). A table, not if-statements scattered through views."""

from __future__ import annotations

from typing import Any

from opsdesk.core.errors import PermissionDenied
from opsdesk.core.roles import OPERATIONAL_STAFF_ROLES, STAFF_ROLES, Role

_DIRECTORY_EDITORS = frozenset(
    {
        Role.ADMINISTRATOR,
        Role.SERVICE_DESK,
        Role.CSDM,
        Role.ACCOUNT_MANAGER,
        Role.SOLUTIONS_ARCHITECT,
        Role.CLOUD_SUPPORT_MANAGER,
        Role.HEAD_OF_CUSTOMER_ENGINEERING,
    }
)

#: Provider staff who work incidents (C4): triage, respond, move them through their lifecycle.
_INCIDENT_WORKERS = frozenset(
    {
        Role.SERVICE_DESK,
        Role.ENGINEER,
        Role.CLOUD_SUPPORT_MANAGER,
        Role.HEAD_OF_CUSTOMER_ENGINEERING,
        Role.CUSTOMER_EXPERIENCE_DIRECTOR,
        Role.CSDM,
        Role.ADMINISTRATOR,
    }
)

PERMISSIONS: dict[str, frozenset[str]] = {
    "directory.view": STAFF_ROLES | {Role.CUSTOMER},
    "directory.change_organisation": frozenset({Role.ADMINISTRATOR, Role.CSDM, Role.ACCOUNT_MANAGER}),
    "directory.change_cloudaccount": _DIRECTORY_EDITORS | {Role.ENGINEER},
    "directory.change_namedcontact": _DIRECTORY_EDITORS,
    "directory.change_service": _DIRECTORY_EDITORS | {Role.ENGINEER},
    "directory.view_user": STAFF_ROLES,
    "directory.change_user": frozenset({Role.ADMINISTRATOR}),
    "core.view_history": STAFF_ROLES | {Role.CUSTOMER},
    "core.view_internal_history": STAFF_ROLES,
    "notifications.manage_webhooks": frozenset({Role.ADMINISTRATOR}),
    "calendars.manage": frozenset(
        {Role.ADMINISTRATOR, Role.CLOUD_SUPPORT_MANAGER, Role.HEAD_OF_CUSTOMER_ENGINEERING}
    ),
    "sla.manage": frozenset({Role.ADMINISTRATOR, Role.HEAD_OF_CUSTOMER_ENGINEERING}),
    # C1–C5: incidents. Customers see and log their own organisation's; staff work them.
    "incidents.view": OPERATIONAL_STAFF_ROLES | {Role.CUSTOMER},
    "incidents.log": OPERATIONAL_STAFF_ROLES | {Role.CUSTOMER},
    "incidents.manage": _INCIDENT_WORKERS,
    # Customers add public notes to and confirm the closure of their own incidents (C4, C5).
    "incidents.update": _INCIDENT_WORKERS | {Role.CUSTOMER},
    "incidents.edit_checklist": frozenset(
        {Role.SERVICE_DESK, Role.CLOUD_SUPPORT_MANAGER, Role.ADMINISTRATOR}
    ),
    # C7: customers escalate their incidents (as registered named contacts); staff on their behalf.
    "incidents.escalate": OPERATIONAL_STAFF_ROLES | {Role.CUSTOMER},
    # C7: the people of escalation levels 2–4, who acknowledge and answer escalations.
    "incidents.manage_escalations": frozenset(
        {Role.CLOUD_SUPPORT_MANAGER, Role.HEAD_OF_CUSTOMER_ENGINEERING, Role.CUSTOMER_EXPERIENCE_DIRECTOR}
    ),
    # C6: provider staff write root-cause analyses; customers (and staff) request one for a P2
    # and accept a submitted report.
    "incidents.rca": OPERATIONAL_STAFF_ROLES,
    # Issue 12 item 5: the email triage list (staff only); its steps need incidents.manage.
    "incidents.email_triage": OPERATIONAL_STAFF_ROLES,
    "incidents.request_rca": OPERATIONAL_STAFF_ROLES | {Role.CUSTOMER},
    # Issue 9 item 1: on-call. Every member of staff sees who is on call and acknowledges the pages
    # sent to them; teams, rotas, overrides and policies are kept by the people who run the desk.
    "oncall.view": OPERATIONAL_STAFF_ROLES,
    "oncall.manage": frozenset(
        {
            Role.SERVICE_DESK,
            Role.CLOUD_SUPPORT_MANAGER,
            Role.HEAD_OF_CUSTOMER_ENGINEERING,
            Role.ADMINISTRATOR,
        }
    ),
    # Issue 10 (G1–G4): Operations on Demand. Everyone sees the catalogue their plan allows and their
    # own requests and engagements; the commercial staff keep the catalogue; operations reviewers
    # decide requests; customers (named contacts) and staff on their behalf submit them.
    "ood.view": STAFF_ROLES | {Role.CUSTOMER},
    "ood.request": OPERATIONAL_STAFF_ROLES | {Role.CUSTOMER},
    "ood.manage_catalogue": frozenset(
        {Role.ADMINISTRATOR, Role.ACCOUNT_MANAGER, Role.SOLUTIONS_ARCHITECT, Role.CSDM}
    ),
    "ood.review": frozenset({Role.OPERATIONS_REVIEWER, Role.ADMINISTRATOR}),
    # H1/H2: orders. Customers see their organisation's orders and accept a quote with its order
    # form (and correct the form); the provider's order team (the directory's editors, who also
    # record the enabled service) runs every other step.
    "orders.view": STAFF_ROLES | {Role.CUSTOMER},
    # H1: a named contact raises an enquiry for their own organisation; the order team on their behalf.
    "orders.enquire": _DIRECTORY_EDITORS | {Role.CUSTOMER},
    "orders.manage": _DIRECTORY_EDITORS,
    "orders.accept_quote": _DIRECTORY_EDITORS | {Role.CUSTOMER},
    # G6: engineers (and the staff who run the work) log time against engagements; everyone who sees
    # Operations on Demand reads statements and balances (customers their own); billing staff close
    # months. The billing role has no operational access (it is left out of the incident and on-call
    # permissions above).
    "ood.log_time": frozenset(
        {
            Role.ENGINEER,
            Role.SERVICE_DESK,
            Role.CSDM,
            Role.CLOUD_SUPPORT_MANAGER,
            Role.HEAD_OF_CUSTOMER_ENGINEERING,
            Role.ADMINISTRATOR,
        }
    ),
    "ood.close_month": frozenset({Role.BILLING, Role.ADMINISTRATOR}),
    # D1–D5: change management. Customers see their organisation's changes and their authorised
    # change approvers submit RFCs and decide on changes (the services check the approver flag and
    # the approval matrix, changes.ApprovalRule); the provider's operational staff run the workflow.
    "changes.view": OPERATIONAL_STAFF_ROLES | {Role.CUSTOMER},
    "changes.submit": OPERATIONAL_STAFF_ROLES | {Role.CUSTOMER},
    "changes.decide": OPERATIONAL_STAFF_ROLES | {Role.CUSTOMER},
    "changes.manage": frozenset(
        {
            Role.SERVICE_DESK,
            Role.ENGINEER,
            Role.CHANGE_MANAGER,
            Role.CLOUD_SUPPORT_MANAGER,
            Role.HEAD_OF_CUSTOMER_ENGINEERING,
            Role.CSDM,
            Role.ADMINISTRATOR,
        }
    ),
    "changes.manage_catalogue": frozenset({Role.CHANGE_MANAGER, Role.SERVICE_DESK, Role.ADMINISTRATOR}),

    # E2–E4: maintenance. Everyone sees their organisation's windows, maintenance and feed; the staff
    # who plan work record agreed windows and blackouts and schedule provider maintenance; customers
    # (named contacts) and operational staff on their behalf declare customer-led windows (E3).
    # Issue 12: the inbox of raw deliveries is the provider's (customers never see it, nor billing).
    "inbox.view": OPERATIONAL_STAFF_ROLES,
    "inbox.reprocess": _INCIDENT_WORKERS,
    # The SNS endpoints' secret addresses: administrators and the heads of the engineering side.
    "inbox.manage_sns": frozenset(
        {Role.ADMINISTRATOR, Role.CLOUD_SUPPORT_MANAGER, Role.HEAD_OF_CUSTOMER_ENGINEERING}
    ),
    # Issue 12 item 6 (F4): billing reviews. Billing staff, administrators and the customer-facing
    # managers; customers only when their named contact is a billing contact (billing.selectors).
    # Engineers and the service desk have no business with a customer's bill.
    "billing.view": frozenset(
        {
            Role.BILLING,
            Role.ADMINISTRATOR,
            Role.CSDM,
            Role.ACCOUNT_MANAGER,
            Role.CLOUD_SUPPORT_MANAGER,
            Role.HEAD_OF_CUSTOMER_ENGINEERING,
            Role.CUSTOMER_EXPERIENCE_DIRECTOR,
            Role.CUSTOMER,
        }
    ),
    "billing.import": frozenset({Role.BILLING, Role.ADMINISTRATOR}),
    "billing.manage": frozenset({Role.BILLING, Role.ADMINISTRATOR, Role.CSDM, Role.ACCOUNT_MANAGER}),
    # Issue 12 items 3, 4, 7 (F1–F3): alerts. Customers read their organisation's alerts; staff see
    # all, and security events are the provider's; priority rules and intake keys are the desk's.
    "alerts.view": OPERATIONAL_STAFF_ROLES | {Role.CUSTOMER},
    "alerts.view_security": OPERATIONAL_STAFF_ROLES,
    "alerts.manage": frozenset(
        {Role.ADMINISTRATOR, Role.SERVICE_DESK, Role.CLOUD_SUPPORT_MANAGER, Role.HEAD_OF_CUSTOMER_ENGINEERING}
    ),
    "maintenance.view": OPERATIONAL_STAFF_ROLES | {Role.CUSTOMER},
    "maintenance.manage": _DIRECTORY_EDITORS | {Role.ENGINEER, Role.CHANGE_MANAGER},
    "maintenance.declare": OPERATIONAL_STAFF_ROLES | {Role.CUSTOMER},
    # E1: cloud-provider (AWS Health) notices are taken in and triaged by operational staff;
    # customers read their organisation's notices (maintenance.view) and never triage.
    "maintenance.triage": OPERATIONAL_STAFF_ROLES,
    "statuspage.manage": frozenset(
        {
            Role.SERVICE_DESK,
            Role.CLOUD_SUPPORT_MANAGER,
            Role.HEAD_OF_CUSTOMER_ENGINEERING,
            Role.CUSTOMER_EXPERIENCE_DIRECTOR,
            Role.CHANGE_MANAGER,
            Role.ADMINISTRATOR,
        }
    ),
}


#: What a customer's authorised contact (their named contact's "customer administrator" flag,
#: `User.is_customer_administrator`) may do besides any customer: keep their organisation's own
#: directory — named contacts (add, edit, retire, re-verify, GDPR consent) and portal users. Tenancy
#: keeps them inside their organisation: the selectors restrict and the services check the rest.
CUSTOMER_ADMINISTRATOR_PERMISSIONS: frozenset[str] = frozenset(
    {"directory.change_namedcontact", "directory.view_user", "directory.change_user"}
)


def has_permission(user: Any, permission: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role in PERMISSIONS.get(permission, frozenset()):
        return True
    return (
        user.role == Role.CUSTOMER
        and permission in CUSTOMER_ADMINISTRATOR_PERMISSIONS
        and bool(getattr(user, "is_customer_administrator", False))
    )


def require_permission(user: Any, permission: str) -> None:
    if not has_permission(user, permission):
        raise PermissionDenied()
