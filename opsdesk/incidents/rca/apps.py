from django.apps import AppConfig


class RcaConfig(AppConfig):
    """Root-cause analyses (C6), a sub-package of incidents with its own app so that its models,
    signal receivers and templates are its own; the models keep the `incidents` label (and tables)."""

    name = "opsdesk.incidents.rca"
    label = "rca"

    def ready(self) -> None:
        from opsdesk.incidents.rca import receivers  # noqa: F401
