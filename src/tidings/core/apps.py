from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tidings.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from tidings.core import lookups

        lookups.register()
