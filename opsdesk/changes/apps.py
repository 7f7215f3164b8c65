from django.apps import AppConfig


class ChangesConfig(AppConfig):
    """Change management (D1–D5): requests for change, the standard-change catalogue, the level-2
    workflow and the approval matrix, with the level-1 and level-2 due times as sla deadlines."""

    name = "opsdesk.changes"
    label = "changes"
    verbose_name = "Changes"

    def ready(self) -> None:
        from opsdesk.changes import receivers  # noqa: F401
