from django.db import migrations, models


def fill(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    for i in Incident.objects.all().only("id", "title"):
        i.titles = {"en": i.title}
        i.save(update_fields=["titles"])


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="incident", name="titles", field=models.JSONField(blank=True, default=dict)
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
