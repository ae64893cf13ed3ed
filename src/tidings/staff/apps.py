from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "tidings.staff"
    label = "staff"
    verbose_name = "Staff"
