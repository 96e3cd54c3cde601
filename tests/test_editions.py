"""Editions: each publication of a briefing is kept, with a public change log and Atom feeds."""

import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape

from curation import figures, revisions
from curation.models import Briefing, Claim, Edition
from curation.publishing import publish, unpublish
from tests import factories
from tests.helpers import published

pytestmark = pytest.mark.django_db

SEED = Path(settings.BASE_DIR) / "fixtures" / "hk-ai-ecosystem"
ATOM = "{http://www.w3.org/2005/Atom}"


def approve(obj, proposed):
    editor, reviewer = factories.editor(), factories.reviewer()
    revision = revisions.propose(obj, proposed, editor, submit=True)
    return revisions.approve(revision, reviewer)


@pytest.fixture
def second_edition():
    """The seed, then a second edition: a figure changed, a claim added and one withdrawn in an
    edited section."""
    call_command("import_bundle", str(SEED), verbosity=0)
    briefing = Briefing.objects.public().get()
    sections = list(briefing.sections.order_by("position"))
    counts = {}
    for section in sections:
        for key in section.cited_keys():
            counts[key] = counts.get(key, 0) + 1
    first = sections[0]
    withdrawn = next(key for key in first.cited_keys() if counts[key] == 1)
    cited = Claim.objects.filter(key__in=counts)
    figure = cited.filter(attribute__gt="", value__isnull=False).exclude(key=withdrawn)
    figure = figure.order_by("key").first()
    old_figure = figures.figure(figure)
    proposed = revisions.proposed_version(figure, None)
    proposed["value"] = str(figure.value * 2 + Decimal(1))
    approve(figure, proposed)
    figure.refresh_from_db()
    added = factories.ClaimFactory(key="new-claim", statement="A claim new in edition two.")

    proposed = revisions.proposed_version(briefing, None)
    body = proposed["sections"][0]["body"]
    body = body.replace(f"[[{withdrawn}]]", "") + "\n\nA sentence added later.[[new-claim]]"
    proposed["sections"][0]["body"] = body
    approve(briefing, proposed)
    return {
        "briefing": briefing,
        "section": first,
        "withdrawn": Claim.objects.get(key=withdrawn),
        "added": added,
        "figure": figure,
        "old_figure": old_figure,
        "cited": len(counts),
        "sections": len(sections),
    }


def test_loading_the_seed_publishes_its_first_edition():
    call_command("load_seed", str(SEED), verbosity=0)
    briefing = Briefing.objects.public().get()
    assert list(briefing.editions.values_list("number", flat=True)) == [1]
    edition = briefing.editions.get()
    assert edition.snapshot["title"] == briefing.title
    assert len(edition.snapshot["sections"]) == briefing.sections.count()


def test_publishing_again_without_a_change_makes_no_new_edition():
    briefing = published("Text.", slug="b")
    unpublish(briefing)
    publish(briefing)
    assert Edition.objects.filter(briefing=briefing).count() == 1


def test_the_change_log_shows_the_seed_edition_against_an_edited_second_edition(
    client, second_edition, django_assert_max_num_queries
):
    briefing = second_edition["briefing"]
    assert list(briefing.editions.order_by("number").values_list("number", flat=True)) == [1, 2]
    url = reverse("briefing:briefing-changes", args=[briefing.slug])
    with django_assert_max_num_queries(4):
        response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    edition_two, edition_one = page.split('id="edition-2"')[1].split('id="edition-1"')
    assert (
        f"First edition: {second_edition['sections']} sections citing "
        f"{second_edition['cited']} claims." in edition_one
    )

    figure = second_edition["figure"]
    figures_part = edition_two.split("Figures changed")[1].split("</ul>")[0]
    assert f"<del>{escape(second_edition['old_figure'])}" in figures_part
    assert f"<ins>{escape(figures.figure(figure))}" in figures_part
    assert escape(figure.source.title) in figures_part
    assert reverse("briefing:claim-detail", args=[figure.key]) in figures_part

    added_part = edition_two.split("Claims added")[1].split("</ul>")[0]
    assert "A claim new in edition two." in added_part
    assert escape(second_edition["added"].source.title) in added_part
    withdrawn_part = edition_two.split("Claims withdrawn")[1].split("</ul>")[0]
    assert escape(second_edition["withdrawn"].statement) in withdrawn_part

    sections_part = edition_two.split("<h3>Sections</h3>")[1]
    assert f"Edited: {escape(second_edition['section'].title)}" in sections_part
    assert re.search(r"<ins>[^<]*A sentence added later\.", sections_part)
    assert "Claims reassessed" not in edition_two


def test_the_atom_feeds_list_each_edition_with_its_changes(
    client, second_edition, django_assert_max_num_queries
):
    briefing = second_edition["briefing"]
    for url in [reverse("briefing:briefing-feed", args=[briefing.slug]), reverse("briefing:feed")]:
        with django_assert_max_num_queries(4):
            response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/atom+xml")
        feed = ET.fromstring(response.content)
        assert feed.tag == f"{ATOM}feed"
        assert feed.find(f"{ATOM}rights").text == settings.BRIEFING_LICENCE_NAME
        entries = feed.findall(f"{ATOM}entry")
        assert [e.find(f"{ATOM}title").text for e in entries] == [
            f"{briefing.title}: edition 2",
            f"{briefing.title}: edition 1",
        ]
        changes_url = "http://testserver" + reverse(
            "briefing:briefing-changes", args=[briefing.slug]
        )
        assert entries[0].find(f"{ATOM}link").get("href") == changes_url + "#edition-2"
        assert entries[0].find(f"{ATOM}id").text == changes_url + "#edition-2"
        assert entries[0].find(f"{ATOM}updated").text
        summary = entries[0].find(f"{ATOM}summary").text
        assert "Claims added" in summary and "A claim new in edition two." in summary
        assert "First edition" in entries[1].find(f"{ATOM}summary").text


def test_an_unpublished_briefing_has_no_public_change_log_or_feed(client):
    briefing = published("Text.", slug="b")
    unpublish(briefing)
    for name in ["briefing:briefing-changes", "briefing:briefing-feed"]:
        assert client.get(reverse(name, args=["b"])).status_code == 404
    feed = ET.fromstring(client.get(reverse("briefing:feed")).content)
    assert feed.findall(f"{ATOM}entry") == []


def test_the_briefing_page_links_to_its_changes_and_feed(client):
    briefing = published("Text.", slug="b")
    page = client.get(briefing.get_absolute_url()).content.decode()
    assert reverse("briefing:briefing-changes", args=["b"]) in page
    assert reverse("briefing:briefing-feed", args=["b"]) in page
    assert 'type="application/atom+xml"' in page
