from django.db import migrations, models

PUBLIC = ("verified", "disputed")


def first_public_from_history(apps, schema_editor):
    """
    When each claim was first public, from its history: its first record as verified or
    disputed; for a claim that came in retracted (an import), its first record. A claim retracted
    before it was ever public stays unset, and so unreadable.
    """
    Claim = apps.get_model("curation", "Claim")
    HistoricalClaim = apps.get_model("curation", "HistoricalClaim")
    claims = Claim.objects.filter(status__in=(*PUBLIC, "retracted"), first_public_at=None)
    for claim in claims.only("id", "status", "reviewed_at", "created_at").iterator():
        records = HistoricalClaim.objects.filter(id=claim.id).order_by("history_date")
        public = records.filter(status__in=PUBLIC).values_list("history_date", flat=True)
        first = records.values_list("status", "history_date").first()
        when = public.first()
        if when is None and first is not None and first[0] == "retracted":
            when = first[1]
        if when is None and claim.status in PUBLIC:
            when = claim.reviewed_at or claim.created_at
        if when is not None:
            Claim.objects.filter(pk=claim.pk).update(first_public_at=when)


class Migration(migrations.Migration):
    dependencies = [
        ("curation", "0007_section_rendering"),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="first_public_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="historicalclaim",
            name="first_public_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(first_public_from_history, migrations.RunPython.noop),
    ]
