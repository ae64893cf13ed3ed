from django.db import migrations, models
from django.utils import timezone


def carry_over_pending(apps, schema_editor):  # type: ignore[no-untyped-def]
    """A change the old counter still owed the status page becomes one pending request."""
    state = apps.get_model("core", "PublishState").objects.filter(id=1).first()
    if state is not None and state.requested > state.published:
        apps.get_model("core", "PublishRequest").objects.create(requested_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_rate_count"),
    ]

    operations = [
        migrations.CreateModel(
            name="PublishRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("requested_at", models.DateTimeField()),
            ],
        ),
        migrations.RunPython(carry_over_pending, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="publishstate",
            name="requested",
        ),
    ]
