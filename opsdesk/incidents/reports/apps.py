from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """SLA reporting (issue 9, item 2): the monthly service-review figures of incidents, their
    escalations and RCAs, read-only. A sub-package of incidents with its own app so that its
    templates, template tags and tests are its own; it has no models."""

    name = "opsdesk.incidents.reports"
    label = "reports"
