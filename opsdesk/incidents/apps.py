from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "opsdesk.incidents"
    label = "incidents"

    def ready(self) -> None:
        from opsdesk.incidents import receivers  # noqa: F401
