"""An attachment: one file on an incident, optionally on one of its notes or on its RCA."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from opsdesk.core.models import BaseModel


class Attachment(BaseModel):
    """The file lives in the storage (Django's storage API: `$OPSDESK_DATA_DIR/attachments` or S3);
    the row keeps what was checked when it was stored: the name people see, the content type read
    from the bytes (never the one the client claimed), the size and a SHA-256. Who may see it
    follows the incident (tenancy), the note's visibility and `public` (C5)."""

    tenant_path = "incident__organisation"
    audit_exclude = ("file",)  # the storage key; the audit keeps the name, type, size and SHA-256

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="attachments")
    note = models.ForeignKey(
        "incidents.IncidentNote", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    rca = models.ForeignKey(
        "incidents.RootCauseAnalysis",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name="RCA",
    )
    file = models.FileField(max_length=300)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    public = models.BooleanField(default=False, help_text="Shown to the customer.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: Removed (services.attachment_remove): the file is gone from the storage, the row stays so the
    #: timeline can say "removed <name>" and by whom.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        app_label = "incidents"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["incident", "created_at"], name="attachment_incident_time")]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="attachment_not_empty"),
            models.CheckConstraint(
                condition=Q(note__isnull=True) | Q(rca__isnull=True), name="attachment_on_note_or_rca"
            ),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def attached_to(self) -> str:
        if self.note_id:
            return "note"
        if self.rca_id:
            return "rca"
        return "incident"
