"""
The two editorial roles, as groups with permissions.

Editors create and edit everything but never delete, verify or publish; their changes to what
readers see are proposals (`curation.revisions`), which they may follow and comment on.
Reviewers can do all an editor can, and verify, dispute, retract, approve others' proposals,
publish, delete and recover. The groups are created by a data migration (0002_roles, and 0009
for the review permissions); `ensure_roles()` re-creates them where a database was emptied.
"""

EDITORIAL_MODELS = ["topic", "organization", "source", "initiative", "claim", "briefing", "section"]
HISTORY_MODELS = [f"historical{name}" for name in EDITORIAL_MODELS]

EDITOR = [f"{action}_{model}" for model in EDITORIAL_MODELS for action in ("add", "change", "view")]
EDITOR += [f"view_{model}" for model in HISTORY_MODELS]
# Revisions are made and decided through the claim form and the review page, never edited as rows.
EDITOR += ["view_revision", "view_reviewcomment", "add_reviewcomment", "view_conflictexplanation"]
REVIEWER = EDITOR + [f"delete_{model}" for model in EDITORIAL_MODELS]
REVIEWER += ["review_claim", "publish_briefing"]
# Reviewers record that a conflict between two claims is explained (the desk's open conflicts).
REVIEWER += [f"{action}_conflictexplanation" for action in ("add", "change", "delete")]

ROLES = {"Editor": EDITOR, "Reviewer": REVIEWER}


def grant_roles(apps):
    """Create the groups (if missing) and give them their permissions, which must exist."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="curation", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions missing for the {name} group: {sorted(missing)}")
        group.permissions.add(*permissions)


def grant_roles_in_migration(apps, schema_editor):
    """A migration's step that gives the groups permissions on models it has just created."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    grant_roles(apps)


def ensure_roles():
    """Make sure the Editor and Reviewer groups exist, with their permissions."""
    from django.apps import apps

    grant_roles(apps)
