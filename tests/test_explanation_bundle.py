"""explanations.csv: the bundle keeps which conflicts a reviewer has explained."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.urls import reverse

from curation import resources
from curation.models import Claim, ConflictExplanation
from tests import factories
from tests.helpers import empty_database

pytestmark = pytest.mark.django_db

HEADER = "claim,other,briefing,note,explained_by,explained_at"
BY_BRIEFING_AT = datetime.datetime(2025, 3, 1, 9, 0, tzinfo=datetime.UTC)
BY_NOTE_AT = datetime.datetime(2025, 3, 4, 5, 6, 7, 8, tzinfo=datetime.UTC)


def users():
    return factories.editor(username="eddie"), factories.reviewer(username="rita")


def explained_conflicts(reviewer):
    """Two explanations; in the first, the claim with the lower id has the greater key."""
    zeta = factories.ClaimFactory(key="zeta")
    alpha = factories.ClaimFactory(key="alpha")
    mid = factories.ClaimFactory(key="mid")
    briefing = factories.BriefingFactory(slug="edition")
    ConflictExplanation.objects.create(
        first=zeta,
        second=alpha,
        briefing=briefing,
        explained_by=reviewer,
        explained_at=BY_BRIEFING_AT,
    )
    ConflictExplanation.objects.create(
        first=mid, second=alpha, note="=Different years.\nSee p. 3.", explained_at=BY_NOTE_AT
    )
    return zeta, alpha


EXPORTED = (
    f"{HEADER}\n"
    'alpha,mid,,"\'=Different years.\nSee p. 3.",,2025-03-04T05:06:07.000008+00:00\n'
    "alpha,zeta,edition,,rita,2025-03-01T09:00:00+00:00\n"
)


def run(*args):
    call_command(*args, stdout=open("/dev/null", "w"))  # noqa: SIM115


def write(path, *rows):
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")


def summary(report):
    found = {s.file: s for s in report.files}["explanations.csv"]
    return (found.rows, found.created, found.updated, found.skipped)


# Backup and restore -----------------------------------------------------------------------------


def test_explanations_restore_byte_identically_into_an_empty_database(tmp_path):
    _, reviewer = users()
    zeta, alpha = explained_conflicts(reviewer)
    assert ConflictExplanation.objects.get(briefing__slug="edition").pair == (zeta.pk, alpha.pk)
    backup, again = tmp_path / "backup", tmp_path / "again"
    run("export_bundle", str(backup))
    assert (backup / "explanations.csv").read_text(encoding="utf-8") == EXPORTED

    empty_database()
    users()  # accounts are not in a bundle: made before the restore
    run("import_bundle", str(backup))
    run("export_bundle", str(again))

    for name, _ in resources.BUNDLE:
        assert (again / name).read_bytes() == (backup / name).read_bytes(), name
    restored = ConflictExplanation.objects.get(briefing__slug="edition")
    # Restored with new ids (claims.csv is in key order), still the lower id first.
    alpha, zeta = Claim.objects.get(key="alpha"), Claim.objects.get(key="zeta")
    assert restored.pair == (alpha.pk, zeta.pk)
    assert (restored.note, restored.explained_by.username) == ("", "rita")
    assert restored.explained_at == BY_BRIEFING_AT
    by_note = ConflictExplanation.objects.get(briefing=None)
    assert (by_note.first.key, by_note.second.key) == ("alpha", "mid")
    assert (by_note.note, by_note.explained_by) == ("=Different years.\nSee p. 3.", None)
    assert by_note.explained_at == BY_NOTE_AT


def test_reimporting_a_backup_skips_every_explanation(tmp_path):
    explained_conflicts(users()[1])
    resources.export_bundle(tmp_path)
    history = ConflictExplanation.history.count()

    report = resources.import_bundle(tmp_path)

    assert report.ok, [str(p) for p in report.problems]
    assert summary(report) == (2, 0, 0, 2)
    assert ConflictExplanation.objects.count() == 2
    assert ConflictExplanation.history.count() == history


def test_a_bundle_without_explanations_csv_still_imports(tmp_path):
    explained_conflicts(users()[1])
    resources.export_bundle(tmp_path)
    (tmp_path / "explanations.csv").unlink()
    empty_database()

    report = resources.import_bundle(tmp_path)

    assert report.ok, [str(p) for p in report.problems]
    assert "explanations.csv" not in {s.file for s in report.files}
    assert Claim.objects.filter(key__in=["alpha", "mid", "zeta"]).count() == 3
    assert not ConflictExplanation.objects.exists()


def test_an_unknown_user_name_is_kept_as_no_user_and_reported(tmp_path):
    explained_conflicts(users()[1])
    resources.export_bundle(tmp_path)
    empty_database()  # and no account named rita is made again

    report = resources.import_bundle(tmp_path)

    assert report.ok, [str(p) for p in report.problems]
    assert ConflictExplanation.objects.get(briefing__slug="edition").explained_by is None
    assert any(
        note.startswith("explanations.csv, column explained_by: no user here is named 'rita'")
        for note in report.notes
    )


# Matching by the pair ---------------------------------------------------------------------------


def test_the_pair_in_either_order_is_the_same_row(tmp_path):
    _, reviewer = users()
    zeta, alpha = explained_conflicts(reviewer)
    history = ConflictExplanation.history.count()
    write(
        tmp_path / "explanations.csv",
        "zeta,alpha,edition,,rita,2025-03-01T09:00:00+00:00",
        "mid,alpha,,Now a note in other words.,rita,2025-03-05T10:00:00+08:00",
    )

    report = resources.import_bundle(tmp_path)

    assert report.ok, [str(p) for p in report.problems]
    assert summary(report) == (2, 0, 1, 1)
    assert ConflictExplanation.objects.count() == 2
    changed = ConflictExplanation.objects.get(briefing=None)
    assert changed.note == "Now a note in other words."
    assert changed.explained_by == reviewer
    assert changed.explained_at == datetime.datetime(2025, 3, 5, 2, 0, tzinfo=datetime.UTC)
    assert changed.first_id < changed.second_id
    assert ConflictExplanation.objects.get(briefing__slug="edition").pair == (zeta.pk, alpha.pk)
    assert ConflictExplanation.history.count() == history + 1


def test_a_pair_is_stored_once_whichever_claim_comes_first(tmp_path):
    zeta, alpha = explained_conflicts(users()[1])
    with pytest.raises(IntegrityError), transaction.atomic():
        ConflictExplanation.objects.create(first=alpha, second=zeta, note="Again.")
    write(
        tmp_path / "explanations.csv",
        "alpha,zeta,,A note.,,2025-03-01T09:00:00+00:00",
        "zeta,alpha,,Another note.,,2025-03-01T09:00:00+00:00",
    )

    report = resources.import_bundle(tmp_path)

    assert [str(p) for p in report.problems] == [
        "explanations.csv line 3, column claim: the pair 'alpha', 'zeta' is also on line 2: each "
        "row must have its own."
    ]
    assert ConflictExplanation.objects.count() == 2
    assert ConflictExplanation.objects.get(first=zeta).briefing.slug == "edition"


# Refused rows -----------------------------------------------------------------------------------


def test_bad_rows_are_errors_naming_line_and_column_and_restore_nothing(tmp_path, capsys):
    explained_conflicts(users()[1])
    ConflictExplanation.objects.all().delete()
    write(
        tmp_path / "explanations.csv",
        "alpha,no-such-claim,,A note.,rita,2025-03-01T09:00:00+00:00",
        "gone,alpha,,A note.,rita,2025-03-01T09:00:00+00:00",
        "alpha,alpha,,A note.,,2025-03-01T09:00:00+00:00",
        "alpha,mid,no-such-briefing,,,2025-03-01T09:00:00+00:00",
        "mid,zeta,,,,2025-03-01T09:00:00+00:00",
        "alpha,zeta,,A note.,,",
        "zeta,mid-2,,A note.,,2025-03-01 09:00",
    )

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_bundle", str(tmp_path))

    assert capsys.readouterr().err.splitlines() == [
        "explanations.csv line 2, column other: unknown claim 'no-such-claim': no claim has "
        "this key.",
        "explanations.csv line 3, column claim: unknown claim 'gone': no claim has this key.",
        "explanations.csv line 4, column other: A claim does not conflict with itself.",
        "explanations.csv line 5, column briefing: unknown briefing 'no-such-briefing': no "
        "briefing has this slug.",
        "explanations.csv line 6: Name the briefing that explains the conflict, or write a note.",
        "explanations.csv line 7, column explained_at: This field cannot be blank.",
        "explanations.csv line 8, column other: unknown claim 'mid-2': no claim has this key.",
        "explanations.csv line 8, column explained_at: '2025-03-01 09:00' is not a date and "
        "time with its offset: write YYYY-MM-DDTHH:MM:SS+00:00 (2025-07-31T09:30:00+08:00).",
    ]
    assert not ConflictExplanation.objects.exists()


# Imports by a user ------------------------------------------------------------------------------


def test_an_import_by_a_user_is_refused_with_the_reason(tmp_path):
    _, reviewer = users()
    explained_conflicts(reviewer)
    resources.export_bundle(tmp_path)
    ConflictExplanation.objects.update(note="Changed.")

    data = (tmp_path / "explanations.csv").read_bytes()
    dataset = resources.read_csv(data, "explanations.csv")
    result = resources.ConflictExplanationResource().import_data(dataset, user=reviewer)

    assert result.has_validation_errors()
    assert str(result.problems[0]) == (
        "explanations.csv line 2: Explained conflicts are restored from a bundle "
        "(import_bundle), never imported by a user."
    )
    assert set(ConflictExplanation.objects.values_list("note", flat=True)) == {"Changed."}


def test_no_admin_import_page_takes_the_file(reviewer_client, reviewer_user, tmp_path):
    explained_conflicts(reviewer_user)
    resources.export_bundle(tmp_path)
    ConflictExplanation.objects.all().delete()
    for model in ("topic", "organization", "source", "initiative", "claim", "briefing"):
        page = reviewer_client.get(reverse(f"admin:curation_{model}_import"))
        assert "Explained conflicts" not in page.content.decode(), model

    # Sent as the claims page's other file, it is refused by its columns and imports nothing.
    response = reviewer_client.post(
        reverse("admin:curation_claim_import"),
        {
            "resource": "1",
            "format": "0",
            "import_file": SimpleUploadedFile(
                "explanations.csv", (tmp_path / "explanations.csv").read_bytes()
            ),
        },
    )

    content = response.content.decode()
    assert "explanations.csv cannot be imported, so nothing was imported." in content
    assert "Unknown columns other, briefing, explained_by, explained_at" in content
    assert not ConflictExplanation.objects.exists()
