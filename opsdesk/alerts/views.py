"""Alerts pages (issue 12): alerts (staff: all; customers: their organisation's, read-only), an
alert with its occurrences, the linked incident and the suppressing window; security events
(staff); priority rules (staff: list, create, delete). Thin: the kit's pages over the selectors."""

from __future__ import annotations

from opsdesk.alerts import forms, schemas, selectors, services
from opsdesk.core.permissions import has_permission
from opsdesk.core.ui.crud import Pages
from opsdesk.core.ui.views import Column

LIST_TEMPLATE = "alerts/list.html"

ALERTS = Pages(
    urls="alerts:alert",
    noun="alert",
    get=selectors.alert_get,
    view_permission=selectors.VIEW,
    list=selectors.alert_list,
    filter_form=forms.AlertFilterForm,
    columns=[
        Column("Last seen", "last_seen", order=("last_seen_at", "pk")),
        Column("Alarm", "name", order=("name", "pk")),
        Column("Organisation"),
        Column("State", "state"),
        Column("Priority", "priority"),
        Column("Occurrences", "occurrences"),
        Column("Incident"),
    ],
    default_sort="-last_seen",
    title="Alerts",
    subtitle="Alarms (CloudWatch, webhooks) de-duplicated by identity: one open alert per alarm.",
    table_template="alerts/_alert_table.html",
    list_template=LIST_TEMPLATE,
    list_context={"alerts_tab": "alerts"},
    csv=schemas.AlertOut,
    detail_template="alerts/alert_detail.html",
    detail_context=lambda request, alert: {"occurrences": selectors.alert_occurrences(alert)},
    history_title=str,
)

SECURITY_EVENTS = Pages(
    urls="alerts:security_event",
    noun="security event",
    get=selectors.security_event_get,
    # No page gate: the selectors answer customers 404 (as missing) and billing 403.
    list=selectors.security_event_list,
    filter_form=forms.SecurityEventFilterForm,
    columns=[
        Column("Time", "time", order=("event_time", "pk")),
        Column("Kind", "kind"),
        Column("Severity", "severity"),
        Column("Organisation"),
        Column("Event"),
        Column("Actor"),
        Column("Routed"),
    ],
    default_sort="-time",
    title="Security events",
    subtitle="CloudTrail events classified by the security rule table (F2).",
    table_template="alerts/_security_table.html",
    list_template="alerts/security_list.html",
    list_context={"alerts_tab": "security"},
    csv=schemas.SecurityEventOut,
    detail_template="alerts/security_event_detail.html",
    detail_name="event",
    detail_context=lambda request, event: dict(
        zip(("page", "recipients"), selectors.security_event_page(event), strict=True)
    ),
    history_title=str,
)

RULES = Pages(
    urls="alerts:rule",
    noun="priority rule",
    get=selectors.priority_rule_get,
    # No page gate: the selectors answer customers 404 (as missing) and billing 403.
    permission=services.MANAGE_RULES,
    list=selectors.priority_rule_list,
    filter_form=forms.PriorityRuleFilterForm,
    columns=[
        Column("Organisation", "organisation", order=("organisation__name", "pk")),
        Column("Service"),
        Column("Alarm pattern"),
        Column("Namespace"),
        Column("Priority", "priority"),
    ],
    default_sort="organisation",
    title="Alert priority rules",
    subtitle="F3: the most specific matching rule wins; none: P3. P1/P2 only on production services (C2).",
    create_label="New rule",
    table_template="alerts/_rule_table.html",
    list_template=LIST_TEMPLATE,
    list_context={"alerts_tab": "rules"},
    detail_template="alerts/rule_detail.html",
    detail_name="rule",
    detail_context=lambda request, r: {"may_manage": has_permission(request.user, services.MANAGE_RULES)},
    form=forms.PriorityRuleForm,
    create=services.priority_rule_create,
    delete=services.priority_rule_delete,
    target="rule",
    history_title=str,
)

alert_list = ALERTS.list_view()
alert_detail = ALERTS.detail_view()
alert_history = ALERTS.history_view()
security_event_list = SECURITY_EVENTS.list_view()
security_event_detail = SECURITY_EVENTS.detail_view()
security_event_history = SECURITY_EVENTS.history_view()
rule_list = RULES.list_view()
rule_detail = RULES.detail_view()
rule_history = RULES.history_view()
rule_create = RULES.create_view()
rule_delete = RULES.delete_view()
