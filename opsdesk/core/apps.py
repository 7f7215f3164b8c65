from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "opsdesk.core"
    label = "core"
    verbose_name = "opsdesk core"

    def ready(self) -> None:
        from opsdesk.core.audit import connect_signals

        connect_signals()
