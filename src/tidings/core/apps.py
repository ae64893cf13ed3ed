from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tidings.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Integer and text fields and keys learn ``__any`` before any query is built.
        from tidings.core.lookups import FIELDS, TEXT_FIELDS, AnyOf, TextAnyOf

        for field in FIELDS:
            field.register_lookup(AnyOf)
        for text_field in TEXT_FIELDS:
            text_field.register_lookup(TextAnyOf)
        # Prepared statements a migration made stale are prepared again, not failed on.
        from tidings.core import pgplans

        pgplans.install()
