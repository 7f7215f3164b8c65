from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "opsdesk.directory"
    label = "directory"
