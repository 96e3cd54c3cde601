"""Create the Editor and Reviewer groups with their permissions."""

from django.db import migrations

EDITORIAL_MODELS = ["topic", "organization", "source", "initiative", "claim", "briefing", "section"]
HISTORY_MODELS = [f"historical{name}" for name in EDITORIAL_MODELS]

# Editors create and edit everything but never delete, verify or publish.
EDITOR = [f"{action}_{model}" for model in EDITORIAL_MODELS for action in ("add", "change", "view")]
EDITOR += [f"view_{model}" for model in HISTORY_MODELS]
# Reviewers can do all an editor can, and verify, dispute, retract, publish and delete.
REVIEWER = EDITOR + [f"delete_{model}" for model in EDITORIAL_MODELS]
REVIEWER += ["review_claim", "publish_briefing"]


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Editor", EDITOR), ("Reviewer", REVIEWER)):
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="curation", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions missing for the {name} group: {sorted(missing)}")
        group.permissions.add(*permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editor", "Reviewer"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("curation", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
