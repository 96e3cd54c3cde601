"""Lost updates are refused: the second of two concurrent edits sees who changed it first."""

import pytest
from django.test import Client
from django.urls import reverse

from curation.models import Briefing, Claim, Initiative, Source
from tests import factories
from tests.forms import admin_form

pytestmark = pytest.mark.django_db


def two_reviewers():
    alice, bob = factories.reviewer(username="alice"), factories.reviewer(username="bob")
    first, second = Client(), Client()
    first.force_login(alice)
    second.force_login(bob)
    return first, second


@pytest.mark.parametrize(
    ("model", "make", "field", "first_value", "second_value"),
    [
        (Claim, factories.ClaimFactory, "statement", "Alice's wording.", "Bob's wording."),
        (Source, factories.SourceFactory, "title", "Alice's title", "Bob's title"),
        (Initiative, factories.InitiativeFactory, "summary", "Alice's summary", "Bob's summary"),
        (Briefing, factories.BriefingFactory, "standfirst", "Alice's lede", "Bob's lede"),
    ],
)
def test_a_stale_edit_is_refused_naming_who_changed_it(
    model, make, field, first_value, second_value
):
    obj = make()
    url = reverse(f"admin:curation_{model._meta.model_name}_change", args=[obj.pk])
    alice, bob = two_reviewers()
    alices_form = admin_form(alice, url, **{field: first_value})
    bobs_form = admin_form(bob, url, **{field: second_value})

    assert alice.post(url, alices_form).status_code == 302
    response = bob.post(url, bobs_form)

    assert response.status_code == 200
    assert b"was changed by alice" in response.content
    obj.refresh_from_db()
    assert getattr(obj, field) == first_value


def test_an_edit_from_an_up_to_date_form_is_saved(reviewer_client):
    claim = factories.ClaimFactory()
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    for wording in ["First wording.", "Second wording."]:
        assert (
            reviewer_client.post(
                url, admin_form(reviewer_client, url, statement=wording)
            ).status_code
            == 302
        )  # noqa: E501
    claim.refresh_from_db()
    assert claim.statement == "Second wording."
    assert claim.version == 3


def test_a_briefing_page_opened_before_a_section_changed_elsewhere_is_refused():
    # Sections are edited on their briefing's page, and also by CSV import or recovery: a save
    # of one moves the briefing on, so a page opened before cannot write its old sections back.
    briefing = factories.BriefingFactory()
    section = factories.SectionFactory(briefing=briefing, position=1, body="Original text.")
    url = reverse("admin:curation_briefing_change", args=[briefing.pk])
    alice, bob = two_reviewers()
    bobs_form = admin_form(bob, url, **{"sections-0-body": "Bob's text."})

    section.body = "Imported text."
    section.save()
    response = bob.post(url, bobs_form)

    assert response.status_code == 200
    assert b"was changed" in response.content
    section.refresh_from_db()
    assert section.body == "Imported text."
