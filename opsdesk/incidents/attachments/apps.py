from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    """Attachments on incidents, notes and RCAs (issue 9, item 4), a sub-package of incidents with its
    own app so that its models, pages and template tags are its own; the models keep the
    `incidents` label (and tables)."""

    name = "opsdesk.incidents.attachments"
    label = "attachments"
