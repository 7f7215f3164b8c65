from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "opsdesk.calendars"
    label = "calendars"
