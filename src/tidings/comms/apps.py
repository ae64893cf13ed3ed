from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "tidings.comms"
    label = "comms"
    verbose_name = "Communications"
