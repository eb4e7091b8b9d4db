# The sub-recommendations now live in Recommendation (0008 moved them and their history).

from django.db import migrations


def remove_content_types(apps, schema_editor):
    """The removed models' content types and permissions, which nothing can use any more (and
    which a backup would otherwise carry to a database where they cannot be restored)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(
        app_label="recommendations",
        model__in=["subrecommendation", "historicalsubrecommendation"],
    ).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('recommendations', '0008_move_subrecommendations'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.DeleteModel(
            name='HistoricalSubRecommendation',
        ),
        migrations.DeleteModel(
            name='SubRecommendation',
        ),
        migrations.RunPython(remove_content_types, migrations.RunPython.noop),
    ]
