"""Business calendars as data (B1): a time zone, weekly working hours and closed dates. The time
arithmetic over them lives in engine.py, which knows nothing of Django."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

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
    holiday_country = models.CharField(
        max_length=2, blank=True, help_text="Public holidays from the `holidays` package, e.g. GB."
    )
    recomputed_version = models.PositiveIntegerField(
        default=1, editable=False, help_text="The version whose open targets have been recomputed (B5)."
    )
    holiday_subdivision = models.CharField(
        max_length=10, blank=True, help_text="e.g. ENG for England and Wales."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WorkingHours(BaseModel):
    """One opening span of a weekday, in the calendar's local wall-clock time (several per day allowed)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["calendar", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="working_hours_start_before_end"),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="working_hours_weekday_0_6"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class ClosureSource(models.TextChoices):
    MANUAL = "manual", "Added by hand"
    ICALENDAR = "ics", "Imported from iCalendar"


class Closure(BaseModel):
    """A whole local day on which the calendar is closed, beyond its public holidays."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=10, choices=ClosureSource.choices, default=ClosureSource.MANUAL)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="closure_unique_per_day")]

    def __str__(self) -> str:
        return f"{self.calendar} closed {self.date:%Y-%m-%d}"
