"""editions.csv: a backup keeps every edition of a briefing, so a restore keeps the change log."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from curation import resources
from curation.csv.editions import EditionResource
from curation.models import Briefing, Edition
from tests import factories
from tests.helpers import empty_database
from tests.test_editions import second_edition  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def empty_database_keeping_accounts():
    """Flush, then the accounts again: a bundle names users, and accounts are not in it."""
    names = list(get_user_model().objects.values_list("username", flat=True))
    empty_database()
    for name in names:
        get_user_model().objects.create_user(name)


def editions():
    return list(
        Edition.objects.order_by("briefing__slug", "number").values_list(
            "briefing__slug", "number", "published_at", "snapshot"
        )
    )


def changes_page(client, slug):
    return client.get(reverse("briefing:briefing-changes", args=[slug])).content.decode()


def test_a_restore_keeps_every_edition_and_the_change_log(
    client,
    tmp_path,
    second_edition,  # noqa: F811
):
    slug = second_edition["briefing"].slug
    before, page = editions(), changes_page(client, slug)
    assert [number for _, number, _, _ in before] == [1, 2]
    resources.export_bundle(tmp_path)
    empty_database_keeping_accounts()

    report = resources.import_bundle(tmp_path)

    assert report.ok, [str(p) for p in report.problems]
    # Restored as they were: numbers, times and snapshots; publishing on restore adds none, for
    # readers read what the second edition recorded (snapshots name subjects by slug, not id).
    assert editions() == before
    assert Briefing.objects.get(slug=slug).is_public
    assert changes_page(client, slug) == page
    again = tmp_path / "again"
    resources.export_bundle(again)
    assert (again / "editions.csv").read_bytes() == (tmp_path / "editions.csv").read_bytes()


def test_a_reimport_skips_every_edition(tmp_path, second_edition):  # noqa: F811
    resources.export_bundle(tmp_path)

    report = resources.import_bundle(tmp_path)

    assert report.ok, [str(p) for p in report.problems]
    found = {s.file: s for s in report.files}["editions.csv"]
    assert (found.rows, found.created, found.updated, found.skipped) == (2, 0, 0, 2)
    assert Edition.objects.count() == 2


def test_a_bundle_without_editions_csv_starts_again_at_edition_one(
    tmp_path,
    second_edition,  # noqa: F811
):
    resources.export_bundle(tmp_path)
    (tmp_path / "editions.csv").unlink()
    empty_database_keeping_accounts()

    report = resources.import_bundle(tmp_path)

    assert report.ok, [str(p) for p in report.problems]
    assert list(Edition.objects.values_list("number", flat=True)) == [1]


def test_a_user_cannot_import_editions(tmp_path, second_edition):  # noqa: F811
    resources.export_bundle(tmp_path)
    from curation.csv.files import read_csv_file

    dataset = read_csv_file(tmp_path / "editions.csv")
    result = EditionResource().import_data(dataset, user=factories.reviewer(), dry_run=True)

    assert result.problems
    assert any("never imported by a user" in str(p) for p in result.problems)
