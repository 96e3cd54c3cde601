"""import_bundle, export_bundle and load_seed: whole directories, one transaction."""

import csv
import datetime
import os
import signal
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from curation import resources, workflow
from curation.models import Briefing, Claim, Initiative, Organization, Source, Topic
from curation.publishing import publish
from tests import factories
from tests.helpers import build_content, delete_everything

pytestmark = pytest.mark.django_db


def write(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header.split(","))
        writer.writerows(rows)


def small_bundle(directory, claim_kind="fact"):
    write(directory / "topics.csv", "slug,name,description", [["compute", "Compute", ""]])
    write(
        directory / "sources.csv",
        "key,title,publisher,author,url,source_type,published_on,retrieved_on,reliability,"
        "reliability_note,language,text",
        [["s1", "A release", "", "", "", "press_release", "", "", "B", "", "en", "It is big."]],
    )
    write(
        directory / "claims.csv",
        "key,statement,source,quote,locator,speaker,kind,initiative,organizations,topics,"
        "attribute,value,unit,as_of,confidence,confidence_rationale,status,status_note",
        [
            ["c1", "It is big.", "s1", "is big", "", "", claim_kind, "", "", "compute"]
            + ["", "", "", "", "high", "", "verified", ""]
        ],
    )
    write(
        directory / "briefings.csv",
        "slug,title,edition_date,standfirst,status",
        [["b1", "Edition", "2025-01-01", "", "published"]],
    )
    write(
        directory / "sections.csv",
        "briefing,position,title,body",
        [["b1", "1", "All", "Big.[[c1]]"]],
    )


def test_it_imports_the_files_present_in_dependency_order_and_publishes_after_sections(
    tmp_path, capsys
):
    small_bundle(tmp_path)
    call_command("import_bundle", str(tmp_path))
    out = capsys.readouterr().out
    assert "topics.csv: 1 rows: 1 created, 0 updated, 0 skipped" in out
    assert "sections.csv: 1 rows: 1 created, 0 updated, 0 skipped" in out
    assert "organizations.csv" not in out  # absent files are fine
    briefing = Briefing.objects.get()
    assert briefing.status == Briefing.Status.PUBLISHED
    assert [c.key for c in briefing.sections.get().cited_claims.all()] == ["c1"]


def test_a_dry_run_checks_everything_and_saves_nothing(tmp_path, capsys):
    small_bundle(tmp_path)
    call_command("import_bundle", str(tmp_path), "--dry-run")
    assert "Dry run: the bundle is valid; nothing was saved." in capsys.readouterr().out
    assert not Source.objects.exists()
    assert not Briefing.objects.exists()


def test_one_bad_row_in_one_file_imports_nothing_from_any_file_and_lists_every_error(
    tmp_path, capsys
):
    small_bundle(tmp_path, claim_kind="rumour")
    (tmp_path / "topics.csv").write_text("slug,name,description\ncompute,Compute,\n,No slug,\n")
    with pytest.raises(CommandError, match=r"2 errors \(listed above\), so nothing was imported"):
        call_command("import_bundle", str(tmp_path))
    err = capsys.readouterr().err
    assert "topics.csv line 3, column slug: This field cannot be blank." in err
    assert "claims.csv line 2, column kind: 'rumour' is not a valid code" in err
    for model in (Topic, Source, Claim, Briefing):
        assert not model.objects.exists()


def test_a_briefing_citing_a_claim_that_is_not_public_is_not_published(tmp_path, capsys):
    small_bundle(tmp_path)
    text = (tmp_path / "claims.csv").read_text().replace("verified", "draft")
    (tmp_path / "claims.csv").write_text(text)
    with pytest.raises(CommandError):
        call_command("import_bundle", str(tmp_path))
    assert (
        "briefings.csv line 2, column status: 'Edition' cannot be published: it cites claims "
        "that are not verified or disputed: c1"
    ) in capsys.readouterr().err
    assert not Briefing.objects.exists()


def test_a_file_that_is_not_utf8_is_reported_not_a_traceback(tmp_path, capsys):
    small_bundle(tmp_path)
    (tmp_path / "topics.csv").write_bytes("slug,name,description\nx,Caf\u00e9,\n".encode("cp1252"))
    with pytest.raises(CommandError):
        call_command("import_bundle", str(tmp_path))
    assert "topics.csv is not valid UTF-8 (byte 0xe9 on line 2)" in capsys.readouterr().err


@contextmanager
def time_limit(seconds):
    """Fail instead of hanging: opening a named pipe for reading waits for a writer."""

    def expired(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def refused(directory, capsys):
    with time_limit(10), pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_bundle", str(directory))
    output = capsys.readouterr()
    assert not Topic.objects.exists() and not Source.objects.exists()
    return output.out + output.err


def test_a_link_to_a_file_outside_the_bundle_is_refused_without_showing_it(tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("DATABASE_PASSWORD=hunter2,slug,name\nmore,lines,here\n")
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    small_bundle(bundle)
    (bundle / "topics.csv").unlink()
    (bundle / "topics.csv").symlink_to(secret)
    output = refused(bundle, capsys)
    assert "topics.csv is a symbolic link" in output
    assert "hunter2" not in output and "DATABASE_PASSWORD" not in output


def test_a_link_to_dev_zero_is_refused_without_reading_it(tmp_path, capsys):
    small_bundle(tmp_path)
    (tmp_path / "sources.csv").unlink()
    (tmp_path / "sources.csv").symlink_to("/dev/zero")
    assert "sources.csv is a symbolic link" in refused(tmp_path, capsys)


def test_a_link_to_nowhere_is_refused_not_skipped(tmp_path, capsys):
    small_bundle(tmp_path)
    (tmp_path / "topics.csv").unlink()
    (tmp_path / "topics.csv").symlink_to(tmp_path / "missing.csv")
    assert "topics.csv is a symbolic link" in refused(tmp_path, capsys)


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path, capsys):
    small_bundle(tmp_path)
    (tmp_path / "claims.csv").unlink()
    os.mkfifo(tmp_path / "claims.csv")
    assert "claims.csv is not a regular file (it is a named pipe)" in refused(tmp_path, capsys)


def test_a_directory_named_like_a_bundle_file_is_refused(tmp_path, capsys):
    small_bundle(tmp_path)
    (tmp_path / "sections.csv").unlink()
    (tmp_path / "sections.csv").mkdir()
    assert "sections.csv is not a regular file (it is a directory)" in refused(tmp_path, capsys)


def test_a_directory_without_bundle_files_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="holds none of the bundle's files"):
        call_command("import_bundle", str(tmp_path))


def test_export_bundle_writes_utf8_lf_files_identical_each_time(tmp_path):
    build_content()
    call_command("export_bundle", str(tmp_path / "a"))
    call_command("export_bundle", str(tmp_path / "b"))
    for name, _ in resources.BUNDLE:
        data = (tmp_path / "a" / name).read_bytes()
        assert data == (tmp_path / "b" / name).read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf")
        header = data.split(b"\n", 1)[0]
        assert b"\r" not in header
    claims = (tmp_path / "a" / "claims.csv").read_text(encoding="utf-8")
    assert "draft-claim" in claims  # the editors' backup includes drafts


def test_load_seed_imports_into_an_empty_database_only(tmp_path, capsys):
    build_content()
    call_command("export_bundle", str(tmp_path))
    delete_everything()
    call_command("load_seed", str(tmp_path))
    assert Claim.objects.count() == 9
    capsys.readouterr()
    call_command("load_seed", str(tmp_path))
    assert "already loaded (2 sources in the database)" in capsys.readouterr().out
    assert Claim.objects.count() == 9


SOURCES = 500
CLAIMS = 10_000


def generate_large_bundle(directory):
    write(
        directory / "topics.csv",
        "slug,name,description",
        [[f"topic-{n}", f"Topic {n}", ""] for n in range(10)],
    )
    write(
        directory / "organizations.csv",
        "slug,name,kind,aliases,website,description",
        [[f"org-{n}", f"Organisation {n}", "company", "", "", ""] for n in range(50)],
    )
    paragraph = "Paragraph {p} of source {s} says the figure is {v} dollars. "
    write(
        directory / "sources.csv",
        "key,title,publisher,author,url,source_type,published_on,retrieved_on,reliability,"
        "reliability_note,language,text",
        [
            [f"source-{s}", f"Source {s}", "Publisher", "", "", "news_report", "2025-01-01"]
            + ["", "B", "", "en", "".join(paragraph.format(p=p, s=s, v=p * 10) for p in range(60))]
            for s in range(SOURCES)
        ],
    )
    write(
        directory / "initiatives.csv",
        "slug,name,kind,status,lead,partners,topics,announced_on,target,summary",
        [
            [f"init-{n}", f"Initiative {n}", "programme", "operational", f"org-{n}"]
            + [f"org-{n + 1}", f"topic-{n % 10}", "", "", ""]
            for n in range(20)
        ],
    )
    claims = []
    for n in range(CLAIMS):
        s, p = n % SOURCES, n // SOURCES
        claims.append(
            [f"claim-{n}", f"Source {s} gives figure {p}.", f"source-{s}"]
            + [f"Paragraph {p} of source {s} says the figure is {p * 10} dollars.", "", ""]
            + ["figure", f"init-{n % 20}", f"org-{n % 50}", f"topic-{n % 10}"]
            + [f"figure_{p}", str(p * 10), "USD", "2025-01-01", "high", "", "verified", ""]
        )
    write(
        directory / "claims.csv",
        "key,statement,source,quote,locator,speaker,kind,initiative,organizations,topics,"
        "attribute,value,unit,as_of,confidence,confidence_rationale,status,status_note",
        claims,
    )


@pytest.mark.slow
def test_a_bundle_of_ten_thousand_claims_over_five_hundred_sources_imports(tmp_path):
    generate_large_bundle(tmp_path)
    report = resources.import_bundle(tmp_path)
    assert report.ok, [str(p) for p in report.problems[:5]]
    assert Source.objects.count() == SOURCES
    assert Claim.objects.count() == CLAIMS
    assert Initiative.objects.count() == 20
    assert Organization.objects.get(slug="org-7").claims.count() == CLAIMS // 50
    claim = Claim.objects.get(key="claim-9999")
    assert claim.quote_start is not None
    assert claim.source.text[claim.quote_start : claim.quote_end] == claim.quote


# Review stamps: reviews.csv and the stamp columns of briefings.csv ------------------------------


def stamped_content(editor, reviewer):
    """A claim created by `editor` and verified by `reviewer`; a briefing they published."""
    claim = factories.ClaimFactory(key="checked", status=Claim.Status.VERIFIED)
    Claim.objects.filter(pk=claim.pk).update(
        created_by=editor,
        reviewed_by=reviewer,
        reviewed_at=REVIEWED_AT,
        first_public_at=REVIEWED_AT,
    )
    factories.ClaimFactory(key="unreviewed", status=Claim.Status.DRAFT)
    briefing = factories.BriefingFactory(slug="stamped", title="Stamped")
    factories.SectionFactory(briefing=briefing, position=1, body="Checked.[[checked]]")
    publish(briefing, reviewer)
    Briefing.objects.filter(pk=briefing.pk).update(published_at=PUBLISHED_AT, updated_at=UPDATED_AT)


REVIEWED_AT = datetime.datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC)
PUBLISHED_AT = datetime.datetime(2025, 1, 3, 9, 0, tzinfo=datetime.UTC)
UPDATED_AT = datetime.datetime(2025, 1, 4, 10, 30, tzinfo=datetime.UTC)


def test_reviews_and_briefing_stamps_round_trip_through_an_empty_database(
    tmp_path, editor_user, reviewer_user
):
    stamped_content(editor_user, reviewer_user)
    resources.export_bundle(tmp_path / "first")
    assert (tmp_path / "first" / "reviews.csv").read_text(encoding="utf-8") == (
        "claim,created_by,reviewed_by,reviewed_at,first_public_at\n"
        "checked,eddie,rita,2025-01-02T03:04:05.678901+00:00,2025-01-02T03:04:05.678901+00:00\n"
        "unreviewed,,,,\n"
    )
    briefings = (tmp_path / "first" / "briefings.csv").read_text(encoding="utf-8")
    assert briefings.splitlines()[0].endswith(",status,published_at,published_by,updated_at")
    assert briefings.splitlines()[1].endswith(
        ",published,2025-01-03T09:00:00+00:00,rita,2025-01-04T10:30:00+00:00"
    )
    delete_everything()

    report = resources.import_bundle(tmp_path / "first")

    assert report.ok, [str(p) for p in report.problems]
    assert report.notes == []
    claim = Claim.objects.get(key="checked")
    assert (claim.created_by, claim.reviewed_by, claim.reviewed_at) == (
        editor_user,
        reviewer_user,
        REVIEWED_AT,
    )
    briefing = Briefing.objects.get(slug="stamped")
    assert (briefing.published_at, briefing.published_by, briefing.updated_at) == (
        PUBLISHED_AT,
        reviewer_user,
        UPDATED_AT,
    )
    resources.export_bundle(tmp_path / "second")
    for name, _ in resources.BUNDLE:
        first = (tmp_path / "first" / name).read_bytes()
        assert (tmp_path / "second" / name).read_bytes() == first, name


def test_reimporting_reviews_skips_equal_stamps_and_updates_changed_ones(
    tmp_path, editor_user, reviewer_user
):
    stamped_content(editor_user, reviewer_user)
    resources.export_bundle(tmp_path)
    history = Claim.history.count()

    report = resources.import_bundle(tmp_path)
    assert report.ok, [str(p) for p in report.problems]
    summary = {s.file: s for s in report.files}["reviews.csv"]
    assert (summary.rows, summary.created, summary.updated, summary.skipped) == (2, 0, 0, 2)
    assert Claim.history.count() == history

    write(
        tmp_path / "reviews.csv",
        "claim,created_by,reviewed_by,reviewed_at",
        [["checked", "eddie", "eddie", "2025-02-01T08:00:00+08:00"], ["unreviewed", "", "", ""]],
    )
    report = resources.import_bundle(tmp_path)
    assert report.ok, [str(p) for p in report.problems]
    summary = {s.file: s for s in report.files}["reviews.csv"]
    assert (summary.updated, summary.skipped) == (1, 1)
    claim = Claim.objects.get(key="checked")
    assert claim.reviewed_by == editor_user
    assert claim.reviewed_at == datetime.datetime(2025, 2, 1, tzinfo=datetime.UTC)
    assert Claim.history.count() == history + 1  # the change is in the claim's history


def test_reviews_of_unknown_claims_or_with_bad_times_import_nothing(
    tmp_path, capsys, reviewer_user
):
    small_bundle(tmp_path)
    write(
        tmp_path / "reviews.csv",
        "claim,created_by,reviewed_by,reviewed_at",
        [
            ["c1", "", "rita", "2025-01-02T03:04:05+00:00"],
            ["no-such-claim", "", "rita", "2025-01-02T03:04:05+00:00"],
            ["", "", "", "2025-01-02 03:04"],
            ["c1", "", "", "02/01/2025"],
        ],
    )
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_bundle", str(tmp_path))
    err = capsys.readouterr().err
    assert (
        "reviews.csv line 3, column claim: unknown claim 'no-such-claim': no claim has this key."
    ) in err
    assert "reviews.csv line 4, column claim: This field cannot be blank." in err
    assert (
        "reviews.csv line 4, column reviewed_at: '2025-01-02 03:04' is not a date and time" in err
    )
    assert "reviews.csv line 5, column claim: claim 'c1' is also on line 2" in err
    assert not Claim.objects.exists()
    assert not Briefing.objects.exists()


def test_an_unknown_user_name_is_kept_as_no_user_and_reported(tmp_path, capsys):
    small_bundle(tmp_path)
    write(
        tmp_path / "reviews.csv",
        "claim,created_by,reviewed_by,reviewed_at",
        [["c1", "gone", "also-gone", "2025-01-02T03:04:05+00:00"]],
    )
    call_command("import_bundle", str(tmp_path))
    claim = Claim.objects.get(key="c1")
    assert (claim.created_by, claim.reviewed_by) == (None, None)
    assert claim.reviewed_at == datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    err = capsys.readouterr().err
    assert "Note: reviews.csv, column created_by: no user here is named 'gone'" in err
    assert "Note: reviews.csv, column reviewed_by: no user here is named 'also-gone'" in err


def test_a_briefing_whose_content_an_import_changes_is_updated_now_not_at_the_files_time(
    tmp_path, editor_user, reviewer_user
):
    stamped_content(editor_user, reviewer_user)
    resources.export_bundle(tmp_path)
    text = (tmp_path / "sections.csv").read_text(encoding="utf-8")
    (tmp_path / "sections.csv").write_text(text.replace("Checked.", "Checked again."))

    report = resources.import_bundle(tmp_path)

    assert report.ok, [str(p) for p in report.problems]
    briefing = Briefing.objects.get(slug="stamped")
    assert briefing.updated_at > UPDATED_AT  # readers are told it changed
    assert (briefing.published_at, briefing.published_by) == (PUBLISHED_AT, reviewer_user)


def test_an_import_by_a_user_ignores_the_stamp_columns(editor_user, reviewer_user):
    stamped_content(editor_user, reviewer_user)
    data = resources.read_csv(
        "slug,title,edition_date,standfirst,status,published_at,published_by,updated_at\n"
        "stamped,Stamped,2025-01-01,,published,2020-01-01T00:00:00+00:00,eddie,"
        "2020-01-01T00:00:00+00:00\n"
    )
    result = resources.BriefingResource().import_data(data, user=reviewer_user)
    assert not result.has_errors() and not result.has_validation_errors()
    briefing = Briefing.objects.get(slug="stamped")
    assert (briefing.published_at, briefing.published_by) == (PUBLISHED_AT, reviewer_user)
    assert briefing.updated_at != datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)

    reviews = resources.read_csv("claim,created_by,reviewed_by,reviewed_at\nchecked,,,\n")
    result = resources.ReviewResource().import_data(reviews, user=reviewer_user)
    assert result.has_validation_errors()
    assert Claim.objects.get(key="checked").reviewed_by == reviewer_user


def test_a_restore_keeps_which_retracted_claims_readers_ever_saw(
    tmp_path, client, django_assert_max_num_queries
):
    reviewer = factories.reviewer(username="rita")
    seen = factories.ClaimFactory(key="seen", status=Claim.Status.VERIFIED)
    unseen = factories.ClaimFactory(key="unseen", status=Claim.Status.DRAFT)
    for claim in (seen, unseen):
        workflow.transition(claim, Claim.Status.RETRACTED, reviewer, note="Withdrawn.")
    resources.export_bundle(tmp_path)
    delete_everything()

    assert resources.import_bundle(tmp_path).ok

    with django_assert_max_num_queries(20):
        assert client.get("/claims/seen/").status_code == 200
        assert client.get("/claims/unseen/").status_code == 404
