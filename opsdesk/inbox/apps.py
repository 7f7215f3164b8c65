from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "opsdesk.inbox"
    label = "inbox"

    def ready(self) -> None:
        # The inbox's own kinds (SNS subscription handshakes); domains' kinds are registered by the
        # shell (web/apps.py), never here: the inbox imports no domain.
        from opsdesk.inbox import sns

        sns.register_handlers()
