"""Public subscription pages, mounted at the site root by :mod:`tidings.urls`."""

from django.urls import path

from tidings.subscribers import views

urlpatterns = [
    path("subscribe", views.subscribe, name="subscribe"),
    path("subscriptions/confirm/<str:token>", views.confirm, name="subscription-confirm"),
    path("subscriptions/<str:token>", views.manage, name="subscription-manage"),
    path("unsubscribe/<str:token>", views.unsubscribe, name="unsubscribe"),
]
