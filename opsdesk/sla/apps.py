from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "opsdesk.sla"
    label = "sla"
    verbose_name = "SLA policies"

    def ready(self) -> None:
        from opsdesk.sla import receivers  # noqa: F401
