"""
Sources, organisations and initiatives readers see are changed by revision too: the live version
stays on the public pages until another reviewer approves the change.
"""

import pytest
from django.test import Client
from django.urls import reverse

from curation import revisions
from curation.models import Claim, Initiative, Organization, Revision, Source
from tests import factories
from tests.forms import admin_form

pytestmark = pytest.mark.django_db


def change(client, obj, submit=True, **changes):
    url = reverse(f"admin:curation_{obj._meta.model_name}_change", args=[obj.pk])
    data = admin_form(client, url, **changes)
    if submit:
        data["_submit"] = "Submit for review"
    return client.post(url, data)


@pytest.fixture
def cited():
    """A source, an organisation and an initiative that a verified claim refers to."""
    claim = factories.ClaimFactory(key="fund", status="verified")
    claim.organizations.add(factories.OrganizationFactory(slug="cyberport", name="Cyberport"))
    claim.initiative = factories.InitiativeFactory(slug="subsidy", name="AI Subsidy Scheme")
    claim.save()
    return claim


def test_a_cited_sources_new_title_waits_for_review(editor_client, reviewer_user, cited):
    source = cited.source
    response = change(editor_client, source, title="A better title")
    assert response.status_code == 302
    page = Client().get(source.get_absolute_url()).content.decode()
    assert source.title in page and "A better title" not in page
    revision = Revision.objects.get()
    assert revision.content == {"title": "A better title"}

    revisions.approve(revision, reviewer_user)
    assert "A better title" in Client().get(source.get_absolute_url()).content.decode()


def test_a_proposed_source_text_that_breaks_a_quote_is_refused(editor_client, cited):
    response = change(editor_client, cited.source, text="Nothing of what was quoted.")
    assert b"This change would break the quotes of claims fund" in response.content
    assert not Revision.objects.exists()


def test_an_approved_source_text_moves_the_quotes(editor_client, reviewer_user, cited):
    source = cited.source
    change(editor_client, source, text="A new first line. " + source.text)
    assert Claim.objects.get(key="fund").quote_start == cited.quote_start
    revisions.approve(Revision.objects.get(), reviewer_user)
    assert Claim.objects.get(key="fund").quote_start == cited.quote_start + 18
    assert Source.objects.get(pk=source.pk).text.startswith("A new first line.")


def test_an_initiatives_partners_are_proposed_by_slug(editor_client, reviewer_user, cited):
    partner = factories.OrganizationFactory(slug="hkstp", name="HKSTP")
    initiative = Initiative.objects.get(slug="subsidy")
    change(editor_client, initiative, partners=[str(partner.pk)])
    assert not initiative.partners.exists()
    assert Revision.objects.get().content == {"partners": ["hkstp"]}
    revisions.approve(Revision.objects.get(), reviewer_user)
    assert list(initiative.partners.all()) == [partner]


def test_an_organisation_renamed_stays_live_until_approved(editor_client, cited):
    organization = Organization.objects.get(slug="cyberport")
    page = editor_client.get(
        reverse("admin:curation_organization_change", args=[organization.pk])
    ).content.decode()
    assert "Readers see this organization" in page and 'name="_submit"' in page
    change(editor_client, organization, name="Cyberport Ltd")
    assert "Cyberport Ltd" not in Client().get(organization.get_absolute_url()).content.decode()


def test_what_readers_do_not_see_is_still_saved_directly(editor_client):
    organization = factories.OrganizationFactory(name="Unnamed anywhere")
    source = factories.SourceFactory(title="Cited by no public claim")
    change(editor_client, organization, submit=False, name="Renamed")
    change(editor_client, source, submit=False, title="Retitled")
    assert Organization.objects.get(pk=organization.pk).name == "Renamed"
    assert Source.objects.get(pk=source.pk).title == "Retitled"
    assert not Revision.objects.exists()


def test_the_review_page_of_a_source_revision_shows_a_long_text_change_in_a_window(
    editor_user, reviewer_client, cited
):
    source = cited.source
    long_text = source.text + " " + "word " * 20_000
    live = Source.objects.get(pk=source.pk)
    proposed = {**revisions.snapshot(live), "text": long_text}
    revision = revisions.propose(live, proposed, editor_user, submit=True)
    page = reviewer_client.get(
        reverse("admin:curation_revision_review", args=[revision.pk])
    ).content.decode()
    assert "more characters)" in page
    assert len(page) < 60_000
