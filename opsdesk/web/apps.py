from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "opsdesk.web"
    label = "web"
