from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "opsdesk.incidents"
    label = "incidents"
