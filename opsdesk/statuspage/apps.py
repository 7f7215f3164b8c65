from django.apps import AppConfig


class StatuspageConfig(AppConfig):
    name = "opsdesk.statuspage"
    label = "statuspage"
    verbose_name = "Status page"
