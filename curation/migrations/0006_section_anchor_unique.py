# Its own migration: on PostgreSQL a table cannot be altered in the transaction that updated
# its rows (0005 stores the anchors).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("curation", "0005_section_anchor_text_limits"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='section',
            constraint=models.UniqueConstraint(fields=('briefing', 'anchor'), name='section_anchor_unique', violation_error_message='Another section of this briefing has this anchor.'),
        ),
    ]
