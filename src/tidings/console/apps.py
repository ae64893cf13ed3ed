from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "tidings.console"
    label = "console"
