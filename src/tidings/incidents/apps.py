from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "tidings.incidents"
    label = "incidents"
