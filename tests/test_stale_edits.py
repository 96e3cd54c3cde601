"""Lost updates are refused: the second of two concurrent edits sees who changed it first."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from curation.models import Briefing, Claim, Initiative, Source
from tests import factories
from tests.forms import admin_form

pytestmark = pytest.mark.django_db


def draft_claim(**fields):
    """A claim readers do not see yet, so an edit is saved, not proposed (`curation.revisions`)."""
    return factories.ClaimFactory(status=Claim.Status.IN_REVIEW, **fields)


def two_reviewers():
    alice, bob = factories.reviewer(username="alice"), factories.reviewer(username="bob")
    first, second = Client(), Client()
    first.force_login(alice)
    second.force_login(bob)
    return first, second


@pytest.mark.parametrize(
    ("model", "make", "field", "first_value", "second_value"),
    [
        (Claim, draft_claim, "statement", "Alice's wording.", "Bob's wording."),
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
    claim = draft_claim()
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


def test_a_refused_edit_keeps_the_input_shows_theirs_beside_it_and_saves_when_sent_again(
    django_assert_max_num_queries,
):
    claim = draft_claim(statement="The original wording.")
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    alice, bob = two_reviewers()
    bobs_form = admin_form(bob, url, statement="Bob's wording.")
    assert alice.post(url, admin_form(alice, url, statement="Alice's wording.")).status_code == 302
    saved_at = claim.history.first().history_date

    with django_assert_max_num_queries(40):
        refused = bob.post(url, bobs_form)

    page = refused.content.decode()
    assert refused.status_code == 200
    # The time as the admin shows times: in the site's time zone, named.
    assert timezone.localtime(saved_at).strftime("%Y-%m-%d %H:%M HKT") in page
    assert "Statement: theirs “Alice&#x27;s wording.”, yours “Bob&#x27;s wording.”." in page
    assert "Bob&#x27;s wording.</textarea>" in page  # the input is kept
    claim.refresh_from_db()
    assert claim.statement == "Alice's wording."

    # Having seen theirs, Bob saves again: this time on purpose.
    again = refused.context["adminform"].form
    data = {**bobs_form, "loaded_version": again.data["loaded_version"]}
    assert bob.post(url, data).status_code == 302
    claim.refresh_from_db()
    assert claim.statement == "Bob's wording."


def test_opening_what_someone_else_saved_minutes_ago_says_so(django_assert_max_num_queries):
    claim = draft_claim()
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    alice, bob = two_reviewers()
    assert alice.post(url, admin_form(alice, url, statement="Alice's wording.")).status_code == 302

    with django_assert_max_num_queries(40):
        opened_by_bob = bob.get(url).content.decode()
    opened_by_alice = alice.get(url).content.decode()

    assert "Alice saved this 1 minute ago" in opened_by_bob  # the admin capitalises messages
    assert "saved this" not in opened_by_alice
