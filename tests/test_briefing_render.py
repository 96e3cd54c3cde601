"""
The briefing page's notes, citations and sources table: what they say of each kind of claim,
escaped, and no query per note.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.template import engines
from django.template.loader import get_template
from django.test.utils import CaptureQueriesContext

from briefing.citations import Citation, Note
from curation.models import Claim, Source
from curation.publishing import publish
from tests import factories as f

pytestmark = pytest.mark.django_db


def render(partial, **context):
    """One named piece of the briefing page (`{% partialdef %}`), on its own."""
    return get_template(f"briefing/briefing_detail.html#{partial}").render(context)


HOSTILE = "<b>\"Bold\" & 'quoted'</b>"


@pytest.fixture
def sources():
    return [
        f.SourceFactory(
            key="dated",
            title=f"Report {HOSTILE}",
            publisher=f"Press {HOSTILE}",
            url="https://example.org/report?a=1&b=2",
            published_on=datetime.date(2025, 7, 17),
            reliability=Source.Reliability.A,
            source_type=Source.SourceType.PRESS_RELEASE,
        ),
        f.SourceFactory(key="undated", publisher="", url="javascript:alert(1)", reliability="F"),
        f.SourceFactory(key="plain", url="", source_type=Source.SourceType.ACADEMIC),
    ]


def notes(sources):
    dated, undated, plain = sources
    fact = f.ClaimFactory(
        key="fact", statement=f"Said {HOSTILE}.", speaker=f"Ms {HOSTILE}", source=dated
    )
    disputed = f.ClaimFactory(
        key="disputed",
        source=undated,
        status=Claim.Status.DISPUTED,
        status_note=f"Doubted {HOSTILE}.",
        confidence="",
    )
    figure = f.ClaimFactory(
        key="figure", attribute="budget", value=Decimal("3000000000"), unit="HKD", source=plain
    )
    withdrawn = f.ClaimFactory(key="withdrawn", status=Claim.Status.RETRACTED, status_note="No.")
    made = [
        Note(1, "fact", fact, anchors=["cite-1-1"], show=True),
        Note(
            2,
            "disputed",
            disputed,
            anchors=["cite-2-1", "cite-2-2", "cite-2-3"],
            conflicts=[figure, fact],
            corroborations=[fact, figure],
            show=True,
        ),
        Note(3, "figure", figure, anchors=["cite-3-1"], corroborations=[fact], show=True),
        Note(4, "withdrawn", withdrawn, anchors=["cite-4-1", "cite-4-2"], show=False),
        Note(5, "missing", None, anchors=["cite-5-1"], show=False),
        Note(6, "draft", figure, anchors=["cite-6-1"], show=False),
    ]
    return made


def test_notes_escape_what_editors_and_sources_wrote(sources):
    made = notes(sources)
    for note in made:
        html = render("note", note=note)
        assert "<b>" not in html, note.key
        assert f'<li id="note-{note.number}"' in html
        assert html.count('<a href="#cite-') == len(note.anchors)
    fact, disputed, figure, withdrawn, missing, draft = made
    html = render("note", note=fact)
    assert "Ms &lt;b&gt;&quot;Bold&quot; &amp; &#x27;quoted&#x27;&lt;/b&gt;, in" in html
    assert 'href="https://example.org/report?a=1&amp;b=2"' in html
    html = render("note", note=disputed)
    assert 'class="note is-disputed is-conflict"' in html
    assert "<strong>Disputed:</strong> Doubted &lt;b&gt;" in html
    assert "HK$3 billion</a>" in html  # a figure in conflict, by its value
    assert "javascript:" not in html  # the original of an undated source: not a link
    assert "Back to citation 2, place 3 in the text" in html
    assert "This claim has been withdrawn." in render("note", note=withdrawn)
    assert "This claim has been withdrawn." in render("note", note=draft)
    assert "This note is not available." in render("note", note=missing)


def test_citations_say_what_readers_should_know_of_the_claim(sources):
    fact, disputed, figure, withdrawn, missing, draft = notes(sources)
    html = render("citation", citation=Citation(disputed, "cite-2-1"))
    assert 'class="cite is-disputed is-conflict"' in html
    assert 'aria-label="Note 2, disputed, in conflict"' in html
    html = render("citation", citation=Citation(withdrawn, "cite-4-1"))
    assert 'class="cite is-unavailable"' in html
    assert 'aria-label="Note 4, claim withdrawn or unavailable"' in html


def test_the_sources_table_names_each_source_with_its_grade(sources):
    dated, undated, plain = sources
    html = render("source-row", source=dated)
    assert "Report &lt;b&gt;" in html
    assert '<time datetime="2025-07-17">17 Jul 2025</time>' in html
    assert f'<td data-label="Type">{dated.get_source_type_display()}</td>' in html
    assert "Grade A</abbr>" in html
    assert '<td data-label="Publisher">—</td>' in render("source-row", source=undated)


def test_a_piece_marked_once_is_rendered_once_per_page_for_its_values():
    text = "{% load briefing_tags %}{% for x in items %}{% once x.key %}{{ x.text }}{% endonce %}"
    text += "{% endfor %}"
    page = engines["django"].from_string(text)
    items = [{"key": 1, "text": "a"}, {"key": 1, "text": "b"}, {"key": 2, "text": "c"}]
    assert page.render({"items": items}) == "aac"
    assert page.render({"items": items[1:]}) == "bc"  # nothing kept from the page before


def page_queries(client, url):
    client.get(url)  # warm: the page cache is not involved for a session-less first request
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_COOKIE="sessionid=none")  # a cookie: never from cache
    assert response.status_code == 200
    return len(queries), response.content.decode()


def claim_set(n, sources):
    """Claims of every kind a note shows, about a subject of their own; their citations."""
    dated, undated, plain = sources
    scheme = f.InitiativeFactory()
    for i, (value, source) in enumerate([("3", dated), ("3", undated), ("5", plain)]):
        f.ClaimFactory(
            key=f"budget-{n}-{i}",
            source=source,
            initiative=scheme,
            attribute="budget",
            value=Decimal(value),
            unit="HKD",
            as_of=datetime.date(2025, 1, 1),
        )
    f.ClaimFactory(key=f"speaker-{n}", speaker="A speaker", source=dated)
    f.ClaimFactory(key=f"disputed-{n}", source=undated)
    f.ClaimFactory(key=f"gone-{n}", source=plain)
    keys = [f"budget-{n}-0", f"budget-{n}-1", f"budget-{n}-2", f"speaker-{n}"]
    keys += [f"disputed-{n}", f"gone-{n}", f"budget-{n}-0"]
    return " ".join(f"[[{key}]]" for key in keys)


def publish_briefing(*bodies):
    briefing = f.BriefingFactory()
    for position, body in enumerate(bodies):
        f.SectionFactory(briefing=briefing, position=position, body=body)
    publish(briefing)
    # Then disputed and withdrawn, as happens after publication.
    for claim in Claim.objects.filter(key__startswith="disputed-", status=Claim.Status.VERIFIED):
        claim.status, claim.status_note = Claim.Status.DISPUTED, "Doubted."
        claim.save()
    for claim in Claim.objects.filter(key__startswith="gone-", status=Claim.Status.VERIFIED):
        claim.status, claim.status_note = Claim.Status.RETRACTED, "Wrong."
        claim.save()
    return briefing


def test_the_page_costs_the_same_queries_for_one_set_of_notes_or_many(client, sources):
    small = publish_briefing(claim_set(0, sources))
    big = publish_briefing(*(claim_set(n, sources) for n in range(1, 6)))

    small_count, _ = page_queries(client, small.get_absolute_url())
    big_count, html = page_queries(client, big.get_absolute_url())

    assert big_count == small_count
    assert html.count('<li id="note-') == 30
    # The many kinds of note were there.
    for text in ("Other sources disagree", "Also reported by", "Disputed:", "withdrawn", "Grade A"):
        assert text in html
