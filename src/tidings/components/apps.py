from django.apps import AppConfig


class ComponentsConfig(AppConfig):
    name = "tidings.components"
    label = "components"
