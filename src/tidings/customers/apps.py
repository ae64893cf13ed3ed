from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "tidings.customers"
    label = "customers"
