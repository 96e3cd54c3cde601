from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("curation", "0006_section_anchor_unique"),
    ]

    operations = [
        migrations.RenameField(model_name="section", old_name="cooked_body", new_name="rendering"),
    ]
