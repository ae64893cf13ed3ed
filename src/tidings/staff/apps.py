from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "tidings.staff"
    label = "staff"
    verbose_name = "Staff"

    def ready(self) -> None:
        from tidings.staff import signals

        signals.connect()
