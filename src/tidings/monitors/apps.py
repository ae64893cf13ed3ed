from django.apps import AppConfig


class MonitorsConfig(AppConfig):
    name = "tidings.monitors"
    label = "monitors"

    def ready(self) -> None:
        from tidings.monitors import outbound, reminders

        outbound.connect()
        reminders.connect()
