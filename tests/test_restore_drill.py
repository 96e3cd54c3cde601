"""
The restore drill: `export_bundle` is the backup, `import_bundle` the restore.

A database with every kind of content in every state is exported with the command, the
database is emptied (`flush`: every table, users and history included), the bundle is imported
with the command, and exported again: the files are byte-identical, and the reader's pages (and
the public downloads) are the same HTML, byte for byte.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.management import call_command
from django.urls import reverse

from curation import resources
from curation.models import (
    Briefing,
    Citation,
    Claim,
    ConflictExplanation,
    Initiative,
    Organization,
    Section,
    Source,
    Topic,
)
from curation.publishing import publish
from tests import factories as f
from tests.helpers import empty_database

pytestmark = pytest.mark.django_db

CONTENT = [
    Topic,
    Organization,
    Source,
    Initiative,
    Claim,
    Briefing,
    Section,
    Citation,
    ConflictExplanation,
]

# One archived text per source: unicode, typographic quotes and dashes, several paragraphs.
TEXTS = {
    "gov-release": (
        "The Government said the AI Subsidy Scheme is worth HK$3 billion.\n\n"
        "\u201cWe will double the capacity\u201d, the Secretary said \u2014 by mid-2026.\n"
        "\u6578\u78bc\u6e2f has 2,200 companies.\r\nAnother line with a tab\there."
    ),
    "daily-report": (
        "A daily newspaper reports the scheme at HK$2 billion, citing officials.\n"
        "Utilisation is about 90%, it's said; critics say it's lower.\n"
        "=SUM(A1:A9) appears verbatim in a leaked spreadsheet."
    ),
    "academic-paper": (
        "We estimate the share of compute used by start-ups at 0.75 of capacity.\n"
        "@cyberport was mentioned 40 times; -5% growth was observed in one quarter."
    ),
}


def build_everything():
    """Every model, every code of every coded field, every claim status, every awkward cell."""
    topics = [
        f.TopicFactory(slug="compute", name="Compute & infrastructure", description="=1+1"),
        f.TopicFactory(slug="data", name="\u6578\u64da Data", description="Line one.\nLine two."),
        f.TopicFactory(slug="talent", name="Talent", description=""),
    ]
    kinds = list(Organization.Kind)
    orgs = [
        f.OrganizationFactory(
            slug=f"org-{kind.value.replace('_', '-')}",
            name=f"{kind.label} \u201cone\u201d",
            kind=kind,
            aliases="Alias A;Alias \u00c9" if n % 2 else "",
            website="https://example.org/" + kind.value if n % 3 else "",
            description=["", "+852 hotline", "@handle", "-minus first", "It\u2019s fine."][n % 5],
        )
        for n, kind in enumerate(kinds)
    ]
    types = list(Source.SourceType)
    grades = list(Source.Reliability)
    sources = {}
    for n, key in enumerate(TEXTS):
        sources[key] = f.SourceFactory(
            key=key,
            title=f"Title {n} \u2014 \u201cquoted\u201d",
            publisher=["Gov", "Daily", ""][n],
            author=["", "A. Writer", "B. \u9ec3"][n],
            url=["https://gov.example/r", "", "http://example.org/p?a=1&b=2"][n],
            source_type=types[n],
            published_on=[datetime.date(2024, 7, 1), None, datetime.date(2023, 2, 22)][n],
            retrieved_on=[datetime.date(2025, 1, 2), datetime.date(2025, 1, 3), None][n],
            reliability=grades[n],
            reliability_note=["Official.", "", "Peer reviewed;\nbut old."][n],
            language=["en", "zh-Hant", "en"][n],
            text=TEXTS[key],
        )
    # The remaining source types and grades, on sources no claim cites (drafts for readers).
    for n, (kind, grade) in enumerate(zip(types[3:], grades[3:], strict=False)):
        f.SourceFactory(key=f"extra-{n}", source_type=kind, reliability=grade, text=f"Text {n}.")
    initiatives = []
    for n, (kind, status) in enumerate(
        zip(list(Initiative.Kind), list(Initiative.Status) * 2, strict=False)
    ):
        initiative = f.InitiativeFactory(
            slug=f"initiative-{n}",
            name=f"Initiative {n} \u2013 \u201cnamed\u201d",
            kind=kind,
            status=status,
            lead=orgs[n % len(orgs)] if n % 4 else None,
            announced_on=datetime.date(2023, 1, 1) + datetime.timedelta(days=40 * n)
            if n % 2
            else None,
            target=["", "mid-2026", "=TARGET()"][n % 3],
            summary=["", "A summary.\nWith two lines.", "\u201cQuoted\u201d summary."][n % 3],
        )
        initiative.partners.set(orgs[(n + 1) % len(orgs) : (n + 1) % len(orgs) + 2])
        initiative.topics.set(topics[: n % 3])
        initiatives.append(initiative)

    gov, daily, paper = sources["gov-release"], sources["daily-report"], sources["academic-paper"]
    figure = {"kind": Claim.Kind.FIGURE, "attribute": "budget", "unit": "HKD"}

    def claim(key, source, quote, organizations=(), claim_topics=(), **fields):
        made = f.ClaimFactory(key=key, source=source, quote=quote, **fields)
        made.organizations.set(organizations)
        made.topics.set(claim_topics)
        return made

    as_of = datetime.date(2024, 7, 1)
    claim(
        "budget-3bn", gov, "the AI Subsidy Scheme is worth HK$3 billion", orgs[:2], topics,
        statement="The scheme is worth HK$3 billion.", initiative=initiatives[0],
        value=Decimal("3000000000"), as_of=as_of, **figure,
    )  # fmt: skip
    claim(
        "budget-2bn", daily, "reports the scheme at HK$2 billion", orgs[:1], topics[:1],
        statement="A newspaper puts it at HK$2 billion.", initiative=initiatives[0],
        value=Decimal("2000000000"), as_of=as_of, confidence=Claim.Confidence.LOW,
        status=Claim.Status.DISPUTED, status_note="Officials deny it.\nSee the release.", **figure,
    )  # fmt: skip
    claim(
        "capacity-double", gov, "\"We will double the capacity\", the Secretary said - by mid-2026",
        kind=Claim.Kind.FORECAST, speaker="The Secretary \u2014 \u201cquoted\u201d",
        locator="para. 2", statement="Capacity will double by mid-2026.",
        confidence=Claim.Confidence.MODERATE, confidence_rationale="A promise, not a fact.",
    )  # fmt: skip
    claim(
        "companies", gov, "\u6578\u78bc\u6e2f has 2,200 companies", orgs[2:4],
        kind=Claim.Kind.FIGURE, attribute="companies_in_community", value=Decimal("2200"),
        unit="count", as_of=datetime.date(2025, 1, 1), statement="2,200 companies (\u6578\u78bc).",
    )  # fmt: skip
    claim(
        "utilisation", daily, "Utilisation is about 90%, it\u2019s said",
        kind=Claim.Kind.QUOTATION, statement="Utilisation is about 90%.",
        status=Claim.Status.RETRACTED, status_note="The paper corrected it.",
    )  # fmt: skip
    claim(
        "formula", daily, "=SUM(A1:A9) appears verbatim", statement="=SUM(A1:A9)",
        status=Claim.Status.DRAFT, confidence="", confidence_rationale="",
    )  # fmt: skip
    claim(
        "share", paper, "share of compute used by start-ups at 0.75", kind=Claim.Kind.FIGURE,
        attribute="share", value=Decimal("0.75"), unit="ratio", status=Claim.Status.IN_REVIEW,
        statement="@start-ups use 0.75 of it.", claim_topics=topics[2:],
    )  # fmt: skip
    claim(
        "growth", paper, "-5% growth was observed", kind=Claim.Kind.FIGURE, attribute="growth",
        value=Decimal("-5"), unit="percent", statement="-5% growth in one quarter.",
        locator="\ttable 3",
    )  # fmt: skip
    claim(
        "mentions", paper, "@cyberport was mentioned 40 times", statement="Mentioned 40 times.",
        speaker="+ a speaker",
    )  # fmt: skip
    Claim.objects.get(key="mentions").contradicts.add(Claim.objects.get(key="companies"))

    published = f.BriefingFactory(
        slug="edition-1",
        title="Hong Kong\u2019s AI ecosystem \u2014 \u201cfirst\u201d edition",
        edition_date=datetime.date(2025, 1, 15),
        standfirst="What the sources say.\nOn two lines.",
    )
    bodies = [
        ("Funding", "The scheme is worth HK$3bn[[budget-3bn]], or less.[[budget-2bn]]"),
        ("Compute", "- Capacity doubles.[[capacity-double]]\n- Companies: [[companies]]\n"),
        ("Research", "*Growth* fell[[growth]]; [a link](https://example.org/) [[mentions]]."),
        ("Retracted later", "Utilisation was high.[[budget-3bn]]"),
    ]
    for position, (title, body) in enumerate(bodies, start=1):
        f.SectionFactory(briefing=published, position=position, title=title, body=body)
    publish(published)
    draft = f.BriefingFactory(
        slug="edition-2", title="Draft edition", edition_date=datetime.date(2025, 6, 1)
    )
    f.SectionFactory(briefing=draft, position=1, title="Pending", body="Soon.[[share]][[formula]]")
    f.SectionFactory(briefing=draft, position=2, title="=Formula title", body="")

    # Explained conflicts: a derived one, by the briefing (its claim with the lower id has the
    # greater key), and a hand-made one, by a note.
    ConflictExplanation.objects.create(
        first=Claim.objects.get(key="budget-3bn"),
        second=Claim.objects.get(key="budget-2bn"),
        briefing=published,
        explained_at=datetime.datetime(2025, 1, 16, 8, 30, 0, 123456, tzinfo=datetime.UTC),
    )
    ConflictExplanation.objects.create(
        first=Claim.objects.get(key="mentions"),
        second=Claim.objects.get(key="companies"),
        note="=Different counts.\nOne is \u201cmentions\u201d, not companies.",
    )


def reader_urls():
    claim = Claim.objects.get
    urls = [
        "/",
        reverse("briefing:briefing-list"),
        Briefing.objects.get(slug="edition-1").get_absolute_url(),
        reverse("briefing:claim-list"),
        reverse("briefing:source-list"),
        reverse("briefing:initiative-list"),
        reverse("briefing:organization-list"),
        reverse("briefing:search") + "?q=scheme",
        Source.objects.get(key="gov-release").get_absolute_url(),
        Source.objects.get(key="daily-report").get_absolute_url(),
        Initiative.objects.get(slug="initiative-0").get_absolute_url(),
        Organization.objects.get(slug="org-government").get_absolute_url(),
    ]
    urls += [claim(key=k).get_absolute_url() for k in ("budget-3bn", "budget-2bn", "utilisation")]
    urls += [
        reverse("briefing:data-download", args=[name, fmt])
        for name in ("topics", "organizations", "sources", "initiatives", "claims")
        for fmt in ("csv", "json")
    ]
    return urls


def render_pages(client):
    pages = {}
    # The full-page cache would answer the second pass from the first: always render.
    caches["default"].clear()
    for url in reader_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"csrfmiddlewaretoken" not in body, url  # nothing to ignore on reader pages
        pages[url] = body
    return pages


def test_export_empty_import_export_is_byte_identical_and_pages_render_the_same(client, tmp_path):
    build_everything()
    counts = {model: model.objects.count() for model in CONTENT}
    assert all(counts.values()), counts  # every model has rows to restore
    assert set(Claim.objects.values_list("status", flat=True)) == set(Claim.Status.values)
    assert set(Claim.objects.values_list("kind", flat=True)) == set(Claim.Kind.values)
    assert set(Initiative.objects.values_list("kind", flat=True)) == set(Initiative.Kind.values)
    assert set(Organization.objects.values_list("kind", flat=True)) == set(Organization.Kind.values)
    before = render_pages(client)
    assert b"<dt>Last updated</dt>" in before["/"]  # compared below, to the microsecond
    backup, again = tmp_path / "backup", tmp_path / "again"
    call_command("export_bundle", str(backup), stdout=open("/dev/null", "w"))  # noqa: SIM115

    empty_database()
    assert all(not model.objects.exists() for model in CONTENT)
    assert not User.objects.exists()

    call_command("import_bundle", str(backup), stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("export_bundle", str(again), stdout=open("/dev/null", "w"))  # noqa: SIM115

    for name, _ in resources.BUNDLE:
        assert (again / name).read_bytes() == (backup / name).read_bytes(), name
    assert {model: model.objects.count() for model in CONTENT} == counts
    after = render_pages(client)
    assert after.keys() == before.keys()
    for url in before:
        assert after[url] == before[url], url


def test_the_restored_briefing_is_published_and_the_draft_stays_a_draft(tmp_path):
    build_everything()
    resources.export_bundle(tmp_path)
    empty_database()

    report = resources.import_bundle(tmp_path)

    assert report.ok, [str(p) for p in report.problems]
    assert list(Briefing.objects.public().values_list("slug", flat=True)) == ["edition-1"]
    assert Briefing.objects.get(slug="edition-2").status == Briefing.Status.DRAFT
    # The sections' citations are derived again, so cited claims are protected again.
    assert Citation.objects.filter(claim__key="budget-3bn").count() == 2
    retracted = Claim.objects.get(key="utilisation")
    assert retracted.status_note == "The paper corrected it."


def test_last_updated_survives_a_restore(client, tmp_path):
    build_everything()
    briefing = Briefing.objects.get(slug="edition-1")
    Briefing.objects.filter(pk=briefing.pk).update(
        updated_at=datetime.datetime(2025, 1, 15, tzinfo=datetime.UTC)
    )
    resources.export_bundle(tmp_path)
    empty_database()
    resources.import_bundle(tmp_path)
    restored = Briefing.objects.get(slug="edition-1")
    assert restored.updated_at == datetime.datetime(2025, 1, 15, tzinfo=datetime.UTC)


def test_review_stamps_survive_a_restore(reviewer_user, tmp_path):
    claim = f.ClaimFactory(key="checked", status=Claim.Status.IN_REVIEW)
    claim.status, claim.reviewed_by = Claim.Status.VERIFIED, reviewer_user
    claim.reviewed_at = datetime.datetime(2025, 1, 2, tzinfo=datetime.UTC)
    claim.save()
    resources.export_bundle(tmp_path)
    Claim.objects.all().delete()
    resources.import_bundle(tmp_path)
    assert Claim.objects.get(key="checked").reviewed_at is not None


def long_text(size, line):
    """`size` characters or a little more: numbered lines, so no two paragraphs are alike."""
    lines, length, n = [], 0, 0
    while length < size:
        lines.append(line.format(n=n))
        length += len(lines[-1]) + 2
        n += 1
    return "\n\n".join(lines)


def test_a_long_source_text_and_section_body_restore_byte_identically(client, tmp_path):
    """Whatever the product saves, its own backup restores (the CSV reader's field limit was
    131,072 characters, so a long source exported fine and then restored nothing)."""
    line = "Paragraph {n}: \u6578\u78bc\u6e2f says \u201cit grew\u201d \u2014 by {n}%."
    text = long_text(1_000_000, line)
    source = f.SourceFactory(key="long-report", text=text)
    assert len(source.text) >= 1_000_000
    f.ClaimFactory(key="late", source=source, quote="Paragraph 20000: \u6578\u78bc\u6e2f says")
    body = long_text(200_000, "Part {n} of a *long* [section](https://example.org/{n}) [[late]].")
    assert len(body) >= 200_000
    briefing = f.BriefingFactory(slug="long")
    f.SectionFactory(briefing=briefing, position=1, title="Long", body=body)
    publish(briefing)
    before = client.get(briefing.get_absolute_url()).content
    backup, again = tmp_path / "backup", tmp_path / "again"
    resources.export_bundle(backup)

    empty_database()
    report = resources.import_bundle(backup)
    assert report.ok, [str(p) for p in report.problems]
    resources.export_bundle(again)

    for name, _ in resources.BUNDLE:
        assert (again / name).read_bytes() == (backup / name).read_bytes(), name
    assert Source.objects.get(key="long-report").text == text
    caches["default"].clear()
    assert client.get(briefing.get_absolute_url()).content == before
