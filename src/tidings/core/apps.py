from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tidings.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Integer fields and keys learn ``__any`` before any query is built.
        from tidings.core.lookups import FIELDS, AnyOf

        for field in FIELDS:
            field.register_lookup(AnyOf)
