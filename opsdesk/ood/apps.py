from django.apps import AppConfig


class OodConfig(AppConfig):
    name = "opsdesk.ood"
    label = "ood"
    verbose_name = "Operations on Demand"
