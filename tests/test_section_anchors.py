"""
A section's anchor: its id on the briefing's page, stored, unique within the briefing, never one
of the page's own ids, kept when the title changes, and made in bounded time for any title.
"""

import signal
from contextlib import contextmanager
from html.parser import HTMLParser

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from curation import resources
from curation.models import PAGE_ID_PREFIXES, PAGE_IDS, Section
from curation.publishing import publish
from tests import factories as f
from tests.forms import admin_form
from tests.helpers import approve_open_revisions, import_csv, problems

pytestmark = pytest.mark.django_db


@contextmanager
def time_limit(seconds):
    """Fail, rather than hang the suite, when the block runs longer than `seconds`."""

    def stop(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _Ids(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.ids, self.sections = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "section" and "report-section" in (attrs.get("class") or ""):
            self.sections.append(attrs.get("aria-labelledby"))


def page_ids(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return _Ids(response.content.decode())


def briefing_with(*titles, published=True):
    f.ClaimFactory(key="fund")
    briefing = f.BriefingFactory()
    for position, title in enumerate(titles):
        f.SectionFactory(briefing=briefing, position=position, title=title, body="Text [[fund]].")
    return publish(briefing) if published else briefing


@pytest.mark.parametrize(
    "title", ["Note on sources", "Cite this", "Notes", "Note", "note-1", "Sources", "Main"]
)
def test_a_title_like_the_pages_own_ids_gets_an_anchor_of_its_own(
    client, title, django_assert_max_num_queries
):
    briefing = briefing_with(title, title, "Notes title")

    with time_limit(10), django_assert_max_num_queries(8):
        found = page_ids(client, "/")
        assert page_ids(client, briefing.get_absolute_url()).ids == found.ids

    assert len(found.ids) == len(set(found.ids)), found.ids
    assert len(found.sections) == 3
    for anchor in found.sections:
        assert anchor not in PAGE_IDS and not anchor.startswith(PAGE_ID_PREFIXES)


def test_a_staff_preview_of_such_a_draft_renders_too(reviewer_client):
    briefing = briefing_with("Note on sources", published=False)
    with time_limit(10):
        found = page_ids(reviewer_client, briefing.get_absolute_url())
    assert found.sections == ["section-note-on-sources"]


def test_the_anchor_is_kept_when_the_title_changes(client):
    briefing = briefing_with("Compute and infrastructure")
    section = briefing.sections.get()
    assert section.anchor == "compute-and-infrastructure"

    section.title = "Computing power"
    section.save()

    html = client.get(briefing.get_absolute_url()).content.decode()
    assert '<h2 id="compute-and-infrastructure">Computing power</h2>' in html
    assert '<a href="#compute-and-infrastructure">Computing power</a>' in html


def test_repeated_titles_get_numbered_anchors():
    briefing = briefing_with("Outlook", "Outlook", "Outlook")
    anchors = list(briefing.sections.order_by("position").values_list("anchor", flat=True))
    assert anchors == ["outlook", "outlook-2", "outlook-3"]


def test_an_editor_sets_the_anchor_in_the_admin(reviewer_client, client):
    briefing = briefing_with("Compute and infrastructure")
    url = reverse("admin:curation_briefing_change", args=[briefing.pk])
    data = admin_form(reviewer_client, url, **{"sections-0-anchor": "compute"})

    response = reviewer_client.post(url, data)
    assert response.status_code == 302
    assert briefing.sections.get().anchor != "compute"  # published: a revision, until approved
    approve_open_revisions(briefing)

    assert briefing.sections.get().anchor == "compute"
    assert '<h2 id="compute">' in client.get(briefing.get_absolute_url()).content.decode()


@pytest.mark.parametrize("anchor", ["notes", "note-3", "cite-1-1", "note", "main"])
def test_an_anchor_the_page_uses_is_refused_with_the_reason(reviewer_client, anchor):
    briefing = briefing_with("Compute")
    url = reverse("admin:curation_briefing_change", args=[briefing.pk])
    data = admin_form(reviewer_client, url, **{"sections-0-anchor": anchor})

    response = reviewer_client.post(url, data)

    assert response.status_code == 200
    assert "The page uses" in response.content.decode()
    assert briefing.sections.get().anchor == "compute"


def test_two_sections_with_one_anchor_are_refused(reviewer_client):
    briefing = briefing_with("Compute", "Talent")
    url = reverse("admin:curation_briefing_change", args=[briefing.pk])
    data = admin_form(reviewer_client, url, **{"sections-1-anchor": "compute"})

    response = reviewer_client.post(url, data)

    assert response.status_code == 200
    assert sorted(briefing.sections.values_list("anchor", flat=True)) == ["compute", "talent"]


def test_anchors_survive_a_bundle_round_trip(tmp_path):
    briefing = briefing_with("Compute", "Talent")
    section = briefing.sections.get(title="Compute")
    section.anchor = "compute-power"
    section.save()
    resources.export_bundle(tmp_path)
    assert "compute-power" in (tmp_path / "sections.csv").read_text()

    Section.objects.filter(pk=section.pk).update(anchor="changed")
    report = resources.import_bundle(tmp_path)

    assert report.ok, report
    assert Section.objects.get(pk=section.pk).anchor == "compute-power"


def test_a_bundle_without_anchors_gets_them_from_the_titles(tmp_path):
    briefing_with("Compute")
    resources.export_bundle(tmp_path)
    sections = tmp_path / "sections.csv"
    lines = sections.read_text().splitlines()
    assert lines[0].endswith(",anchor")
    sections.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n")
    Section.objects.all().delete()

    assert resources.import_bundle(tmp_path).ok
    assert Section.objects.get().anchor == "compute"


SECTIONS_HEADER = "briefing,position,title,body,anchor\n"


def test_an_import_giving_two_sections_one_anchor_is_refused_on_its_column():
    briefing = f.BriefingFactory(slug="edition")
    data = SECTIONS_HEADER + "edition,1,Compute,Text.,compute\nedition,2,Talent,Text.,compute\n"

    result = import_csv(resources.SectionResource, data)

    assert result.has_errors() or result.has_validation_errors()
    assert any("line 3" in p and "anchor" in p and "compute" in p for p in problems(result)), (
        problems(result)
    )
    assert not briefing.sections.exists()


def test_an_import_taking_an_anchor_another_section_has_is_refused_on_its_column():
    briefing = briefing_with("Compute", published=False)
    data = SECTIONS_HEADER + f"{briefing.slug},5,Talent,Text.,compute\n"

    result = import_csv(resources.SectionResource, data)

    assert problems(result) == [
        "sections.csv line 2, column anchor: Another section of this briefing has the anchor "
        "'compute'."
    ]
    assert list(briefing.sections.values_list("title", flat=True)) == ["Compute"]


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    titles=st.lists(
        st.one_of(
            st.text(max_size=300).filter(lambda t: t.strip() and "\x00" not in t),
            st.sampled_from(["Note on sources", "Notes", "note", "cite", "Sources", "Main"]),
            st.from_regex(r"(note|cite)(-[0-9]{1,3}){0,3}", fullmatch=True),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_titles_give_unique_anchors_in_bounded_time(client, titles):
    with transaction.atomic():
        briefing = f.BriefingFactory()
        for position, title in enumerate(titles):
            f.SectionFactory(briefing=briefing, position=position, title=title)
        with time_limit(10):
            found = page_ids(client, publish(briefing).get_absolute_url())
        transaction.set_rollback(True)

    assert len(found.sections) == len(titles)
    assert len(found.ids) == len(set(found.ids)), found.ids
    for anchor in found.sections:
        assert anchor not in PAGE_IDS and not anchor.startswith(PAGE_ID_PREFIXES)
        assert 0 < len(anchor) <= 80
