from django.apps import AppConfig


class SubscribersConfig(AppConfig):
    name = "tidings.subscribers"
    label = "subscribers"
