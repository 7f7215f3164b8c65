from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "opsdesk.alerts"
    label = "alerts"
