from django.apps import AppConfig


class StatuspageConfig(AppConfig):
    name = "tidings.statuspage"
    label = "statuspage"

    def ready(self) -> None:
        from tidings.statuspage import subscribers

        subscribers.connect()
