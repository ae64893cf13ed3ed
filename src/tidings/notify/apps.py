from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "tidings.notify"
    label = "notify"

    def ready(self) -> None:
        from tidings.notify import fanout

        fanout.connect()
