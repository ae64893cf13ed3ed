"""Console URLs, included under ``/console/`` by :mod:`tidings.urls`. Each area keeps its
block; a new screen adds its lines to its own block."""

from __future__ import annotations

from django.urls import path

from tidings.console.views import (
    auth,
    branding,
    catalog,
    content,
    customers,
    deletion,
    deliveries,
    desk,
    history,
    home,
    live,
    maintenance,
    monitors,
    subscribers,
    targets,
    tokens,
    wording,
)

#: The parts of an address shared by many screens.
INCIDENT = "incidents/<str:incident_id>"
SUBSCRIBER = "subscribers/<str:subscriber_id>"
CUSTOMER = "customers/<str:customer_id>"
CONTACT = "contacts/<int:contact_id>"

urlpatterns = [
    # shell
    path("", home.home, name="console-home"),
    path("login", auth.login, name="console-login"),
    path("logout", auth.logout, name="console-logout"),
    path("outbox", home.outbox, name="console-outbox"),
    # deliveries
    path(f"{INCIDENT}/deliveries", deliveries.deliveries, name="console-deliveries"),
    path(f"{INCIDENT}/deliveries/live", deliveries.live, name="console-deliveries-live"),
    path(f"{INCIDENT}/deliveries/enable", deliveries.enable_target, name="console-enable-target"),
    # the crisis desk
    path("open", live.open_list, name="console-open"),
    path("declare", desk.declare, name="console-declare"),
    path("maintenances/new", maintenance.schedule, name="console-schedule"),
    path("history", history.history, name="console-history"),
    path(INCIDENT, desk.incident_page, name="console-incident"),
    path(f"{INCIDENT}/post", desk.post_update, name="console-post-update"),
    path(f"{INCIDENT}/delete", deletion.delete_incident, name="console-incident-delete"),
    path(f"{INCIDENT}/timeline", live.timeline, name="console-timeline"),
    path(f"{INCIDENT}/counts", live.counts, name="console-counts"),
    path(f"{INCIDENT}/recipients", live.recipients, name="console-recipients"),
    path(f"{INCIDENT}/faq", content.add, {"part": "faq"}, name="console-faq-add"),
    path(f"{INCIDENT}/faq/<int:row_id>", content.edit, {"part": "faq"}, name="console-faq"),
    path(f"{INCIDENT}/resources", content.add, {"part": "resource"}, name="console-resource-add"),
    path(
        f"{INCIDENT}/resources/<int:row_id>",
        content.edit,
        {"part": "resource"},
        name="console-resource",
    ),
    path(f"{INCIDENT}/maintenance", maintenance.action, name="console-maintenance-action"),
    # monitors and alerts
    path("monitors", monitors.overview, name="console-monitors"),
    path("monitors/groups/<str:group_id>", monitors.act, name="console-alert-group"),
    path("monitors/add/<str:what>", monitors.add, name="console-monitors-add"),
    # people: subscribers, customers and contacts, disabled targets, API tokens
    path("subscribers/", subscribers.subscribers, name="console-subscribers"),
    path("subscribers/new", subscribers.add, name="console-subscriber-new"),
    path("subscribers/import", subscribers.import_csv, name="console-subscribers-import"),
    path("subscribers/export", subscribers.export_csv, name="console-subscribers-export"),
    path(SUBSCRIBER, subscribers.subscriber, name="console-subscriber"),
    path(f"{SUBSCRIBER}/edit", subscribers.edit, name="console-subscriber-edit"),
    path(f"{SUBSCRIBER}/disable", subscribers.disable, name="console-subscriber-disable"),
    path(f"{SUBSCRIBER}/enable", subscribers.enable, name="console-subscriber-enable"),
    path("customers/", customers.customers, name="console-customers"),
    path("customers/new", customers.customer_new, name="console-customer-new"),
    path("customers/import", customers.import_csv, name="console-customers-import"),
    path(
        "customers/import/<str:job_id>", customers.import_job, name="console-customers-import-job"
    ),
    path("customers/export", customers.export_csv, name="console-customers-export"),
    path(CUSTOMER, customers.customer, name="console-customer"),
    path(f"{CUSTOMER}/edit", customers.customer_edit, name="console-customer-edit"),
    path(f"{CUSTOMER}/contacts", customers.contact_new, name="console-contact-new"),
    path(CONTACT, customers.contact, name="console-contact"),
    path(f"{CONTACT}/edit", customers.contact_edit, name="console-contact-edit"),
    path(f"{CONTACT}/disable", customers.contact_disable, name="console-contact-disable"),
    path(f"{CONTACT}/enable", customers.contact_enable, name="console-contact-enable"),
    path("disabled/", targets.disabled, name="console-disabled"),
    path("tokens/", tokens.token_list, name="console-tokens"),
    # the status page's branding, badge and widget
    path("branding", branding.branding_page, name="console-branding"),
    path("branding/save", branding.branding_save, name="console-branding-save"),
    path("tokens/new", tokens.token_new, name="console-token-new"),
    path("tokens/<str:token_id>/revoke", tokens.token_revoke, name="console-token-revoke"),
    path("monitors/pending", monitors.pending, name="console-monitors-pending"),
    path("monitors/list", monitors.monitor_list, name="console-monitors-list"),
    path("monitors/hooks/<str:hook_id>", monitors.delete_hook, name="console-hook"),
    # components and groups
    path("components", catalog.catalog, name="console-components"),
    path("components/add", catalog.add_component, name="console-component-add"),
    path("components/groups/add", catalog.add_group, name="console-group-add"),
    path("components/groups/<str:group_id>", catalog.group, name="console-group"),
    path("components/<str:component_id>", catalog.component, name="console-component"),
    # message templates
    path("templates", wording.library, name="console-templates"),
    path("templates/add", wording.add, name="console-template-add"),
    path("templates/preview", wording.preview, name="console-template-preview"),
    path("templates/edit/<str:key>", wording.edit, name="console-template"),
]
