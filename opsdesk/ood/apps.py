from django.apps import AppConfig


class OodConfig(AppConfig):
    name = "opsdesk.ood"
    label = "ood"
    verbose_name = "Operations on Demand"

    def ready(self) -> None:
        from opsdesk.ood import receivers  # noqa: F401
