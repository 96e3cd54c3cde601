"""
A published briefing stays as readers see it while a change to it is reviewed: the change, its
sections included, is a revision, published when another reviewer approves it.
"""

import pytest
from django.test import Client
from django.urls import reverse

from curation import revisions
from curation.models import Briefing, Revision, Section
from tests import factories
from tests.forms import admin_form
from tests.helpers import published

pytestmark = pytest.mark.django_db


@pytest.fixture
def edition():
    factories.ClaimFactory(key="fund", status="verified")
    factories.ClaimFactory(key="draft-claim", status="draft", confidence="")
    return published(
        "The scheme [[fund]] funds projects.", "A second part.", slug="edition", title="Edition"
    )


def url_of(briefing):
    return reverse("admin:curation_briefing_change", args=[briefing.pk])


def page():
    return Client().get("/briefings/edition/").content.decode()


def test_an_editors_section_edit_leaves_the_live_page_as_it_was(editor_client, edition):
    before = page()
    data = admin_form(editor_client, url_of(edition), **{"sections-1-body": "Rewritten part."})
    response = editor_client.post(url_of(edition), {**data, "_submit": "Submit for review"})
    assert response.status_code == 302
    assert page() == before
    revision = Revision.objects.get()
    assert [row["body"] for row in revision.content["sections"]] == [
        "The scheme [[fund]] funds projects.",
        "Rewritten part.",
    ]

    revisions.approve(revision, factories.reviewer())
    assert "Rewritten part." in page()
    assert Briefing.objects.get(pk=edition.pk).status == "published"


def test_a_reviewers_save_keeps_the_live_version_and_needs_another_reviewer(
    reviewer_client, reviewer_user, edition
):
    before = page()
    data = admin_form(reviewer_client, url_of(edition), standfirst="A new standfirst.")
    reviewer_client.post(url_of(edition), data)
    assert page() == before
    revision = Revision.objects.get()
    assert revision.content == {"standfirst": "A new standfirst."}
    revisions.submit(revision, reviewer_user)
    response = reviewer_client.post(
        reverse("admin:curation_revision_review", args=[revision.pk]),
        {"action": "approve"},
        follow=True,
    )
    assert "another reviewer must approve it" in response.content.decode()
    assert page() == before


def test_a_proposed_section_may_cite_only_public_claims(editor_client, edition):
    data = admin_form(editor_client, url_of(edition), **{"sections-1-body": "[[draft-claim]]"})
    response = editor_client.post(url_of(edition), data)
    assert b"may only cite public claims" in response.content
    assert not Revision.objects.exists()


def test_the_form_shows_the_users_revision_and_approval_adds_and_deletes_sections(
    reviewer_client, edition
):
    # A reviewer's (editors delete nothing, so have no "Delete" tick).
    url = url_of(edition)
    data = admin_form(reviewer_client, url, **{"sections-0-DELETE": "on"})
    data.update(
        {
            "sections-TOTAL_FORMS": "3",
            "sections-2-position": "5",
            "sections-2-title": "A new part",
            "sections-2-anchor": "",
            "sections-2-body": "New words [[fund]].",
            "sections-2-briefing": str(edition.pk),
        }
    )
    assert reviewer_client.post(url, data).status_code == 302

    shown = reviewer_client.get(url).content.decode()
    assert "New words [[fund]].</textarea>" in shown
    assert 'name="sections-0-DELETE" id="id_sections-0-DELETE" checked' in shown

    review = Client()
    review.force_login(factories.reviewer())
    revision = Revision.objects.get()
    revisions.submit(revision, revision.author)
    review_page = review.get(reverse("admin:curation_revision_review", args=[revision.pk]))
    assert "(deleted)" in review_page.content.decode()
    assert "A new part” (new)" in review_page.content.decode()
    revisions.approve(revision, factories.reviewer())
    assert list(Section.objects.values_list("title", flat=True).order_by("position")) == [
        "Part 1",
        "A new part",
    ]
    assert "New words" in page()
