from django.db import migrations, models
from django.utils.text import slugify


def fill(apps, schema_editor):
    """Existing rows: their one name becomes the default language's, and each component gets a
    slug made from its name (its public id where the name has no Latin letters)."""
    Group = apps.get_model("components", "ComponentGroup")
    Component = apps.get_model("components", "Component")
    for g in Group.objects.all():
        g.names = {"en": g.name}
        g.save(update_fields=["names"])
    taken = set()
    for c in Component.objects.order_by("id"):
        base = slugify(c.name)[:50] or f"component-{c.public_id.lower()}"
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        c.names = {"en": c.name}
        c.slug = slug
        c.save(update_fields=["names", "slug"])


class Migration(migrations.Migration):
    dependencies = [("components", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="componentgroup",
            name="names",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="component", name="names", field=models.JSONField(blank=True, default=dict)
        ),
        migrations.AddField(
            model_name="component",
            name="slug",
            field=models.SlugField(max_length=64, null=True, db_index=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="component", name="slug", field=models.SlugField(max_length=64, unique=True)
        ),
    ]
