from django.apps import AppConfig


class ScheduleConfig(AppConfig):
    """The calendar of windows (D6, E4): every scheduled change, provider and customer maintenance
    and blackout as one row, so overlap checks, iCalendar feeds and the status page read one table
    while changes and maintenance stay independent domains."""

    name = "opsdesk.schedule"
    label = "schedule"
    verbose_name = "Schedule"
