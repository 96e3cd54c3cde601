"""
The briefing page's notes and sources table are rendered in Python (`NotesRenderer`), for speed:
they must say what the templates said, and cost no query per note.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext

from briefing.templatetags.briefing_tags import Note, NotesRenderer
from curation.models import Claim, Source
from curation.publishing import publish
from tests import factories as f

pytestmark = pytest.mark.django_db

# The note's template before it moved to Python (templates/includes/note.html), kept here as the
# reference the Python rendering is held to. Its includes are the live ones the other pages use.
NOTE_TEMPLATE = """{% load briefing_tags %}
<li id="{{ note.anchor }}" class="note{% for css_class, flag in note.flags %} {{ css_class }}{% endfor %}">
  <span class="note-number" aria-hidden="true">{{ note.number }}</span>
  <div class="note-body">
  {% if note.show %}{% with claim=note.claim %}
    <p class="note-statement"><a href="{{ claim.get_absolute_url }}">{{ claim.statement }}</a></p>
    <blockquote class="note-quote"><p>“{{ claim.quote }}”</p></blockquote>
    <p class="note-source">{% if claim.speaker %}{{ claim.speaker }}, in {% endif %}{% include "includes/source_ref.html" with source=claim.source %}</p>
    <p class="note-meta">{% include "includes/claim_badges.html" with conflicts=note.conflicts %}</p>
    {% if claim.status == "disputed" %}<p class="note-warning"><strong>Disputed:</strong> {{ claim.status_note }}</p>{% endif %}
    {% if note.conflicts %}
    <div class="note-conflict">
      <p><strong>Other sources disagree:</strong></p>
      <ul>
        {% for other in note.conflicts %}
        <li><a href="{{ other.get_absolute_url }}">{% if other.has_figure %}{{ other|figure }}{% else %}{{ other.statement }}{% endif %}</a>: {{ other.source.title }}{% if other.source.publisher %}, {{ other.source.publisher }}{% endif %} (grade {{ other.source.reliability }})</li>
        {% endfor %}
      </ul>
    </div>
    {% endif %}
    {% if note.corroborations %}<p class="note-corroboration">Also reported by {% for other in note.corroborations %}<a href="{{ other.get_absolute_url }}">{{ other.source.title }}</a>{% if not forloop.last %}; {% endif %}{% endfor %}.</p>{% endif %}
  {% endwith %}{% elif note.claim %}
    <p class="note-unavailable">This claim has been withdrawn. <a href="{{ note.claim.get_absolute_url }}">Read the notice</a>.</p>
  {% else %}
    <p class="note-unavailable">This note is not available.</p>
  {% endif %}
    <p class="backlinks">{% for anchor in note.anchors %}<a href="#{{ anchor }}" aria-label="Back to citation {{ note.number }}{% if note.anchors|length > 1 %}, place {{ forloop.counter }}{% endif %} in the text">↩{% if note.anchors|length > 1 %}<sup>{{ forloop.counter }}</sup>{% endif %}</a> {% endfor %}</p>
  </div>
</li>
"""  # noqa: E501

SOURCE_ROW_TEMPLATE = """{% load briefing_tags %}
<tr>
  <th scope="row"><a href="{% url 'briefing:source-detail' source.key %}">{{ source.title }}</a></th>
  <td>{{ source.publisher|default:"—" }}</td>
  <td>{% if source.published_on %}<time datetime="{{ source.published_on|date:'Y-m-d' }}">{{ source.published_on|date:"j M Y" }}</time>{% else %}undated{% endif %}</td>
  <td>{{ source.get_source_type_display }}</td>
  <td>{% include "includes/grade.html" %}</td>
</tr>
"""  # noqa: E501

BLOCK = r"(?:li|ul|div|p|blockquote|tr|td|th)"


def layout_free(html):
    """The markup without the line breaks and indentation between block-level tags."""
    html = re.sub(r"\s+", " ", html)
    return re.sub(rf"\s*(</?{BLOCK}\b[^>]*>)\s*", r"\1", html).strip()


def template(text, **context):
    return engines["django"].from_string(text).render(context)


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


def test_notes_say_what_the_note_template_said(sources):
    renderer = NotesRenderer()
    for note in notes(sources):
        expected = template(NOTE_TEMPLATE, note=note)
        assert layout_free(renderer.note(note)) == layout_free(expected), note.key
        # Only layout differs: every character of text is the template's.
        assert re.sub(r"\s", "", renderer.note(note)) == re.sub(r"\s", "", expected)


def test_source_references_grades_and_badges_are_the_includes(sources):
    renderer = NotesRenderer()
    for source in sources:
        source_ref = template('{% include "includes/source_ref.html" %}', source=source)
        assert renderer.source_ref(source) == source_ref
        assert renderer.source_ref(source) == source_ref  # made once, given again
        assert renderer.grade(source) == template(
            '{% include "includes/grade.html" %}', source=source
        )
        row = template(SOURCE_ROW_TEMPLATE, source=source)
        assert layout_free(renderer.source_row(source)) == layout_free(row)
    for status in Claim.Status.values:
        for confidence in ["", *Claim.Confidence.values]:
            claim = Claim(status=status, confidence=confidence)
            for conflicts in ([], ["x"]):
                badges = template(
                    '{% include "includes/claim_badges.html" %}', claim=claim, conflicts=conflicts
                )
                assert renderer.badges(claim, conflicts) == badges


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
