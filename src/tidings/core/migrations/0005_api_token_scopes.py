"""API tokens get a public id, scopes, a hint and a revocation date. Tokens issued before had
every power of their user: they keep it, as the ``admin`` scope."""

from django.db import migrations, models

import tidings.core.ids


def existing_tokens(apps, schema_editor):
    ApiToken = apps.get_model("core", "ApiToken")
    for token in ApiToken.objects.all():
        token.public_id = tidings.core.ids.new_id()
        token.scopes = ["admin"]
        token.save(update_fields=["public_id", "scopes"])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_api_token_expiry"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="public_id",
            field=models.CharField(editable=False, max_length=12, null=True),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=models.JSONField(default=list),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="hint",
            field=models.CharField(blank=True, max_length=8),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="revoked_by",
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.RunPython(existing_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="public_id",
            field=models.CharField(
                default=tidings.core.ids.new_id, editable=False, max_length=12, unique=True
            ),
        ),
    ]
