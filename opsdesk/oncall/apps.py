from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "opsdesk.oncall"
    label = "oncall"
    verbose_name = "On-call"
