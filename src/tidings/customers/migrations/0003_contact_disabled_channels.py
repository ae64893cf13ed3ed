"""Contacts remember which channels were disabled, when, why and by whom. Until now only the
event log knew: channels still off are filled in from it."""

from django.db import migrations, models

_CHANNELS = ("email", "sms", "whatsapp")


def from_events(apps, schema_editor):
    Contact = apps.get_model("customers", "Contact")
    Event = apps.get_model("core", "Event")
    found = {}
    for e in Event.objects.filter(kind="contact.channel_disabled").order_by("at", "id"):
        channel = str(e.data.get("channel", ""))
        if e.subject_id.isdigit() and channel in _CHANNELS:
            found.setdefault(int(e.subject_id), {})[channel] = {
                "at": e.at.isoformat(),
                "reason": str(e.data.get("reason", "")),
                "by": e.actor,
            }
    for contact in Contact.objects.filter(pk__in=list(found)):
        told = [c for c in (contact.channels or ["email"]) if c in _CHANNELS]
        off = {ch: info for ch, info in found[contact.pk].items() if ch not in told}
        if off:
            contact.disabled = off
            contact.save(update_fields=["disabled"])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_import_job"),
        ("core", "0004_api_token_expiry"),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="disabled",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(from_events, migrations.RunPython.noop),
    ]
