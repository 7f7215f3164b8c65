from django.db import models


class AlertState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class ImportState(models.TextChoices):
    """A cost import's progress: an upload is stored and queued, a worker claims and runs it (one
    transaction per file), then it is done or failed (with the named bad line)."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
