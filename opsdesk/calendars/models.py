"""Business calendars (B1). Organisations are served on one by name; the time arithmetic lives in
engine.py (working hours and closures arrive with the SLA engine)."""

from django.core.validators import RegexValidator
from django.db import models

from opsdesk.core.models import BaseModel


class Calendar(BaseModel):
    name = models.CharField(
        max_length=50,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9][a-z0-9_-]*$", "Use lower-case letters, digits, '-' and '_'.")],
    )
    timezone = models.CharField(max_length=64, default="Europe/London")
    description = models.CharField(max_length=200, blank=True)
    always_open = models.BooleanField(default=False, help_text="A 24x7 calendar: plain elapsed time.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
