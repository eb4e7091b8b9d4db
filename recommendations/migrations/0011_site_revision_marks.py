"""The pages that span plans no longer share one token row that every write replaced: each plan
keeps its own token, and a change that no plan owns adds a SiteRevision row of its own. The one
row there was is kept as the first of them."""

from django.core.management.color import no_style
from django.db import migrations, models


def number_after_the_kept_row(apps, schema_editor):
    """PostgreSQL's new identity column starts at 1, where the kept row already is."""
    SiteRevision = apps.get_model("recommendations", "SiteRevision")
    connection = schema_editor.connection
    for sql in connection.ops.sequence_reset_sql(no_style(), [SiteRevision]):
        schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ("recommendations", "0010_approved_version_in_force"),
    ]

    operations = [
        migrations.AlterField(
            model_name="siterevision",
            name="id",
            field=models.BigAutoField(primary_key=True, serialize=False),
        ),
        migrations.RunPython(number_after_the_kept_row, migrations.RunPython.noop),
    ]
