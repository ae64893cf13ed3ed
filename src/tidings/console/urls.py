"""Console URLs, included under ``/console/`` by :mod:`tidings.urls`. Each area keeps its
block; a new screen adds its lines to its own block."""

from __future__ import annotations

from django.urls import path

from tidings.console.views import (
    audit,
    auth,
    catalog,
    content,
    customers,
    deliveries,
    desk,
    history,
    home,
    live,
    maintenance,
    monitors,
    staff,
    subscribers,
    targets,
    tokens,
    wording,
)

urlpatterns = [
    # shell
    path("", home.home, name="console-home"),
    path("login", auth.login, name="console-login"),
    path("logout", auth.logout, name="console-logout"),
    path("outbox", home.outbox, name="console-outbox"),
    # deliveries
    path(
        "incidents/<str:incident_id>/deliveries",
        deliveries.deliveries,
        name="console-deliveries",
    ),
    path(
        "incidents/<str:incident_id>/deliveries/live",
        deliveries.live,
        name="console-deliveries-live",
    ),
    path(
        "incidents/<str:incident_id>/deliveries/enable",
        deliveries.enable_target,
        name="console-enable-target",
    ),
    # the crisis desk
    path("open", live.open_list, name="console-open"),
    path("declare", desk.declare, name="console-declare"),
    path("maintenances/new", maintenance.schedule, name="console-schedule"),
    path("history", history.history, name="console-history"),
    path("incidents/<str:incident_id>", desk.incident_page, name="console-incident"),
    path("incidents/<str:incident_id>/post", desk.post_update, name="console-post-update"),
    path("incidents/<str:incident_id>/timeline", live.timeline, name="console-timeline"),
    path("incidents/<str:incident_id>/counts", live.counts, name="console-counts"),
    path("incidents/<str:incident_id>/recipients", live.recipients, name="console-recipients"),
    path("incidents/<str:incident_id>/faq", content.add_faq, name="console-faq-add"),
    path("incidents/<str:incident_id>/faq/<int:faq_id>", content.faq, name="console-faq"),
    path(
        "incidents/<str:incident_id>/resources", content.add_resource, name="console-resource-add"
    ),
    path(
        "incidents/<str:incident_id>/resources/<int:resource_id>",
        content.resource,
        name="console-resource",
    ),
    path(
        "incidents/<str:incident_id>/maintenance",
        maintenance.action,
        name="console-maintenance-action",
    ),
    # monitors and alerts
    path("monitors", monitors.overview, name="console-monitors"),
    path("monitors/groups/<str:group_id>", monitors.act, name="console-alert-group"),
    path("monitors/add/<str:what>", monitors.add, name="console-monitors-add"),
    # people: subscribers, customers and contacts, disabled targets, API tokens
    path("subscribers/", subscribers.subscribers, name="console-subscribers"),
    path("subscribers/new", subscribers.add, name="console-subscriber-new"),
    path("subscribers/import", subscribers.import_csv, name="console-subscribers-import"),
    path("subscribers/export", subscribers.export_csv, name="console-subscribers-export"),
    path("subscribers/<str:subscriber_id>", subscribers.subscriber, name="console-subscriber"),
    path("subscribers/<str:subscriber_id>/edit", subscribers.edit, name="console-subscriber-edit"),
    path(
        "subscribers/<str:subscriber_id>/disable",
        subscribers.disable,
        name="console-subscriber-disable",
    ),
    path(
        "subscribers/<str:subscriber_id>/enable",
        subscribers.enable,
        name="console-subscriber-enable",
    ),
    path("customers/", customers.customers, name="console-customers"),
    path("customers/new", customers.customer_new, name="console-customer-new"),
    path("customers/import", customers.import_csv, name="console-customers-import"),
    path(
        "customers/import/<str:job_id>",
        customers.import_job,
        name="console-customers-import-job",
    ),
    path("customers/export", customers.export_csv, name="console-customers-export"),
    path("customers/<str:customer_id>", customers.customer, name="console-customer"),
    path("customers/<str:customer_id>/edit", customers.customer_edit, name="console-customer-edit"),
    path(
        "customers/<str:customer_id>/contacts",
        customers.contact_new,
        name="console-contact-new",
    ),
    path("contacts/<int:contact_id>", customers.contact, name="console-contact"),
    path("contacts/<int:contact_id>/edit", customers.contact_edit, name="console-contact-edit"),
    path(
        "contacts/<int:contact_id>/disable",
        customers.contact_disable,
        name="console-contact-disable",
    ),
    path(
        "contacts/<int:contact_id>/enable",
        customers.contact_enable,
        name="console-contact-enable",
    ),
    path("disabled/", targets.disabled, name="console-disabled"),
    path("tokens/", tokens.token_list, name="console-tokens"),
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
    # audit log and staff roles
    path("audit", audit.audit_log, name="console-audit"),
    path("audit/export", audit.audit_export, name="console-audit-export"),
    path("staff", staff.staff_list, name="console-staff"),
    path("staff/<str:username>/role", staff.staff_role, name="console-staff-role"),
]
