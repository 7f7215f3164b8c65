from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    """Escalations (C7), a sub-package of incidents with its own app so that its models, signal
    receivers and templates are its own; the models keep the `incidents` label (and tables)."""

    name = "opsdesk.incidents.escalations"
    label = "escalations"

    def ready(self) -> None:
        from opsdesk.incidents.escalations import receivers  # noqa: F401
