"""Nothing lost: a deleted source, claim, initiative or briefing can be recovered from history."""

import datetime
import re

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from curation.models import Briefing, Claim, Initiative, Section, Source, Topic
from curation.publishing import publish
from curation.recovery import RECOVERED, deleted, recover
from tests import factories as f
from tests.forms import admin_form
from tests.helpers import approve_open_revisions

pytestmark = pytest.mark.django_db


def row(obj):
    """Every stored field of a row and its many-to-many links, but the last-changed time."""
    obj = type(obj).objects.get(pk=obj.pk)
    values = {
        field.attname: getattr(obj, field.attname)
        for field in obj._meta.concrete_fields
        if field.attname != "updated_at"
    }
    for field in obj._meta.many_to_many:
        if field.name in {"partners", "topics", "organizations"}:
            values[field.name] = sorted(o.pk for o in getattr(obj, field.name).all())
    return values


def delete_in_admin(client, obj):
    model = obj._meta.model_name
    url = reverse(f"admin:curation_{model}_delete", args=[obj.pk])
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not type(obj).objects.filter(pk=obj.pk).exists()


def recover_in_admin(client, model, pk):
    records = deleted(model).filter(id=pk)
    assert records.count() == 1
    record = records.get()
    name = model._meta.model_name
    listing = client.get(reverse(f"admin:curation_{name}_recover_list"))
    assert listing.status_code == 200
    url = reverse(f"admin:curation_{name}_recover", args=[record.history_id])
    assert url in listing.content.decode()
    assert client.get(url).status_code == 200
    return client.post(url)


@pytest.fixture
def claim_with_links():
    topics = [f.TopicFactory(slug="compute"), f.TopicFactory(slug="funding")]
    organizations = [f.OrganizationFactory(slug="cyberport"), f.OrganizationFactory(slug="hkstp")]
    initiative = f.InitiativeFactory(slug="ai-scheme")
    claim = f.ClaimFactory(
        key="scheme-budget",
        kind=Claim.Kind.FIGURE,
        initiative=initiative,
        attribute="budget",
        value="3000000000",
        unit="HKD",
        speaker="Simon Chan, \u201cChairman\u201d",
        status=Claim.Status.DISPUTED,
        status_note="Another source\nsays two billion.",
        locator="para. 2",
    )
    claim.topics.set(topics)
    claim.organizations.set(organizations)
    return claim


def test_a_deleted_claim_is_recovered_with_its_organisations_and_topics(
    reviewer_client, reviewer_user, claim_with_links
):
    before = row(claim_with_links)
    assert len(before["topics"]) == 2 and len(before["organizations"]) == 2

    delete_in_admin(reviewer_client, claim_with_links)
    response = recover_in_admin(reviewer_client, Claim, claim_with_links.pk)

    assert response.status_code == 302
    assert row(claim_with_links) == before
    latest = Claim.objects.get(pk=claim_with_links.pk).history.earliest("-history_date")
    assert latest.history_user == reviewer_user
    assert RECOVERED in [r.history_change_reason for r in latest.instance.history.all()]
    # Recovered, it is public again at the same permalink.
    assert reviewer_client.get(claim_with_links.get_absolute_url()).status_code == 200


def test_the_deletion_record_keeps_the_links_the_claim_had(reviewer_client, claim_with_links):
    delete_in_admin(reviewer_client, claim_with_links)
    record = deleted(Claim).get(id=claim_with_links.pk)
    assert sorted(link.topic.slug for link in record.topics.all()) == ["compute", "funding"]
    assert sorted(link.organization.slug for link in record.organizations.all()) == [
        "cyberport",
        "hkstp",
    ]


def test_a_deleted_claim_is_recovered_with_the_contradictions_linked_by_hand(reviewer_client):
    claim = f.ClaimFactory(key="founded-2004")
    other = f.ClaimFactory(key="built-from-1999")
    gone = f.ClaimFactory(key="planned-1998")
    claim.contradicts.add(other, gone)

    delete_in_admin(reviewer_client, claim)
    record = deleted(Claim).get(id=claim.pk)
    assert sorted(link.to_claim.key for link in record.contradicts.all()) == [
        "built-from-1999",
        "planned-1998",
    ]
    gone.delete()  # deleted since: cannot be linked again, and the reviewer is told
    response = recover_in_admin(reviewer_client, Claim, claim.pk)

    assert response.status_code == 302
    claim = Claim.objects.get(pk=claim.pk)
    assert [c.key for c in claim.contradicts.all()] == ["built-from-1999"]
    assert [c.key for c in other.contradicts.all()] == ["founded-2004"]  # both ways, as before
    page = reviewer_client.get(claim.get_absolute_url()).content.decode()
    assert "built-from-1999" in page
    messages = [str(m) for m in reviewer_client.get(reverse("admin:index")).context["messages"]]
    assert any("1 linked claims deleted since were not re-linked" in m for m in messages)


def test_the_recovery_page_opens_when_a_linked_row_was_deleted_since(
    reviewer_client, claim_with_links
):
    delete_in_admin(reviewer_client, claim_with_links)
    Topic.objects.get(slug="funding").delete()
    record = deleted(Claim).get(id=claim_with_links.pk)
    url = reverse("admin:curation_claim_recover", args=[record.history_id])

    page = reviewer_client.get(url)

    assert page.status_code == 200
    assert "a topic deleted since" in page.content.decode()
    assert reviewer_client.post(url).status_code == 302
    assert [t.slug for t in Claim.objects.get(pk=claim_with_links.pk).topics.all()] == ["compute"]


def test_the_recovery_page_shows_the_record_as_the_admin_shows_a_claim(
    reviewer_client, claim_with_links
):
    claim_with_links.created_at = datetime.datetime(2025, 7, 17, 1, 30, tzinfo=datetime.UTC)
    claim_with_links.save()
    delete_in_admin(reviewer_client, claim_with_links)
    record = deleted(Claim).get(id=claim_with_links.pk)

    page = reviewer_client.get(reverse("admin:curation_claim_recover", args=[record.history_id]))

    cells = dict(re.findall(r'<th scope="row">([^<]+)</th><td>(.*?)</td>', page.content.decode()))
    assert cells["Source"] == escape(str(claim_with_links.source))  # not its id
    assert cells["Initiative"] == escape(str(claim_with_links.initiative))
    assert cells["Status"] == "Disputed"  # the label, not the code
    assert cells["Created at"] == "17 Jul 2025, 9:30 a.m."  # Hong Kong time, as the admin shows
    assert cells["Status note"] == "Another source<br>says two billion."


def test_a_deleted_source_is_recovered_equal_to_the_original(reviewer_client):
    source = f.SourceFactory(
        key="release",
        title="A release \u2014 \u201cquoted\u201d",
        url="https://example.org/a",
        reliability_note="Operator's own words.",
        language="zh",
    )
    before = row(source)

    delete_in_admin(reviewer_client, source)
    assert recover_in_admin(reviewer_client, Source, source.pk).status_code == 302

    assert row(source) == before
    assert Source.objects.get(pk=source.pk).text_sha256 == before["text_sha256"]


def test_a_deleted_initiative_is_recovered_with_partners_and_topics(reviewer_client):
    initiative = f.InitiativeFactory(slug="centre", summary="Two lines.\nSecond.")
    initiative.partners.set([f.OrganizationFactory(), f.OrganizationFactory()])
    initiative.topics.set([f.TopicFactory()])
    before = row(initiative)

    delete_in_admin(reviewer_client, initiative)
    assert recover_in_admin(reviewer_client, Initiative, initiative.pk).status_code == 302

    assert row(initiative) == before


def test_a_deleted_briefing_comes_back_with_its_sections_and_stays_published(reviewer_client):
    f.ClaimFactory(key="fund")
    briefing = f.BriefingFactory(slug="edition")
    f.SectionFactory(briefing=briefing, position=0, title="One", body="Fact.[[fund]]")
    f.SectionFactory(briefing=briefing, position=1, title="Two", body="More.")
    removed = f.SectionFactory(briefing=briefing, position=2, title="Removed earlier")
    removed.delete()  # deleted on its own before: not part of the briefing's recovery
    publish(briefing)
    before = row(briefing)
    sections = [row(s) for s in briefing.sections.order_by("position")]

    delete_in_admin(reviewer_client, briefing)
    assert not Section.objects.exists()
    assert recover_in_admin(reviewer_client, Briefing, briefing.pk).status_code == 302

    # The same briefing; its version moved on, as its sections were written again (a page of it
    # opened before the deletion is stale).
    after = row(briefing)
    assert after.pop("version") > before.pop("version")
    assert after == before
    assert [row(s) for s in briefing.sections.order_by("position")] == sections
    assert Briefing.objects.get(pk=briefing.pk).sections.get(position=0).citations.count() == 1
    assert reviewer_client.get(briefing.get_absolute_url()).status_code == 200


def test_a_briefing_whose_claims_are_no_longer_public_comes_back_as_a_draft(reviewer_user):
    claim = f.ClaimFactory(key="fund")
    briefing = f.BriefingFactory(slug="edition")
    f.SectionFactory(briefing=briefing, body="Fact.[[fund]]")
    publish(briefing)
    pk = briefing.pk
    briefing.delete()
    claim.status, claim.status_note = Claim.Status.RETRACTED, "Wrong."
    claim.save()

    recovered, notes = recover(deleted(Briefing).get(id=pk), reviewer_user)

    assert recovered.status == Briefing.Status.DRAFT
    assert "recovered as a draft" in notes[-1]


def test_a_claim_whose_source_is_gone_cannot_be_recovered_until_the_source_is(
    reviewer_client,
):
    claim = f.ClaimFactory(key="orphan")
    source = claim.source
    claim.delete()
    source.delete()
    url = reverse("admin:curation_claim_recover", args=[deleted(Claim).get().history_id])

    response = reviewer_client.post(url)

    assert response.status_code == 200
    assert "recover that source first" in response.content.decode()
    assert not Claim.objects.exists()
    recover(deleted(Source).get(), None)
    assert reviewer_client.post(url).status_code == 302
    assert Claim.objects.filter(key="orphan").exists()


def test_a_key_taken_since_is_refused_not_overwritten(reviewer_user):
    claim = f.ClaimFactory(key="taken", statement="Old.")
    source = claim.source
    claim.delete()
    f.ClaimFactory(key="taken", source=source, statement="New.")

    with pytest.raises(Exception, match="already exists"):
        recover(deleted(Claim).get(), reviewer_user)
    assert Claim.objects.get(key="taken").statement == "New."


def test_editors_cannot_delete_nor_recover(editor_client):
    claim = f.ClaimFactory()
    url = reverse("admin:curation_claim_delete", args=[claim.pk])
    assert editor_client.get(url).status_code == 403
    assert (
        "Recover deleted"
        not in editor_client.get(reverse("admin:curation_claim_changelist")).content.decode()
    )
    assert editor_client.get(reverse("admin:curation_claim_recover_list")).status_code == 403

    claim.delete()
    record = deleted(Claim).get()
    recover_url = reverse("admin:curation_claim_recover", args=[record.history_id])
    assert editor_client.post(recover_url).status_code == 403
    assert not Claim.objects.exists()


def test_every_changelist_offers_recovery_to_reviewers(reviewer_client):
    for name in ("topic", "organization", "source", "initiative", "claim", "briefing"):
        html = reviewer_client.get(reverse(f"admin:curation_{name}_changelist")).content.decode()
        assert reverse(f"admin:curation_{name}_recover_list") in html, name


def test_a_recovered_row_is_listed_no_more(reviewer_user):
    source = f.SourceFactory()
    pk = source.pk
    source.delete()
    recover(deleted(Source).get(), reviewer_user)
    assert not deleted(Source).exists()
    assert model_to_dict(Source.objects.get(pk=pk))["key"] == source.key


# A section deleted from its briefing's page --------------------------------------------------


def delete_section_in_admin(client, briefing, title):
    url = reverse("admin:curation_briefing_change", args=[briefing.pk])
    data = admin_form(client, url)
    index = next(
        name.split("-")[1]
        for name, values in data.items()
        if name.startswith("sections-") and name.endswith("-title") and values == [title]
    )
    data[f"sections-{index}-DELETE"] = ["on"]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    approve_open_revisions(briefing)  # of a published briefing, the change was a revision
    assert not briefing.sections.filter(title=title).exists()


def recover_sections_url(briefing):
    return reverse("admin:curation_briefing_recover_sections", args=[briefing.pk])


def test_a_section_deleted_from_its_briefing_is_recovered_from_the_briefings_page(
    reviewer_client, reviewer_user, editor_user
):
    editor_client = Client()
    editor_client.force_login(editor_user)
    f.ClaimFactory(key="fund")
    briefing = f.BriefingFactory(title="Draft edition")
    f.SectionFactory(briefing=briefing, position=1, title="Intro", body="Hello.")
    lost = f.SectionFactory(briefing=briefing, position=2, title="Money", body="The fund [[fund]].")
    change_url = reverse("admin:curation_briefing_change", args=[briefing.pk])
    assert "Recover deleted sections" not in reviewer_client.get(change_url).content.decode()

    delete_section_in_admin(reviewer_client, briefing, "Money")

    page = reviewer_client.get(change_url).content.decode()
    assert f'href="{recover_sections_url(briefing)}"' in page
    assert "Recover deleted sections (1)" in page
    listing = reviewer_client.get(recover_sections_url(briefing)).content.decode()
    assert "Money" in listing and "The fund [[fund]]." in listing
    record = deleted(Section).get(id=lost.pk)
    # Who may delete a section may bring it back; editors may do neither.
    assert "Recover deleted sections" not in editor_client.get(change_url).content.decode()
    assert editor_client.get(recover_sections_url(briefing)).status_code == 403

    response = reviewer_client.post(
        recover_sections_url(briefing), {"history_id": record.history_id}
    )

    assert response.status_code == 302 and response.url == change_url
    section = briefing.sections.get(title="Money")
    assert (section.pk, section.position, section.body) == (lost.pk, 2, "The fund [[fund]].")
    assert section.cited_keys() == ["fund"] and section.citations.count() == 1
    latest = section.history.first()
    assert (latest.history_type, latest.history_change_reason) == ("+", RECOVERED)
    assert latest.history_user == reviewer_user
    assert not deleted(Section).filter(id=lost.pk).exists()


def test_a_recovered_section_whose_position_was_taken_goes_last(reviewer_client):
    briefing = f.BriefingFactory()
    f.SectionFactory(briefing=briefing, position=1, title="Intro")
    lost = f.SectionFactory(briefing=briefing, position=2, title="Money")
    f.SectionFactory(briefing=briefing, position=3, title="Outlook")
    delete_section_in_admin(reviewer_client, briefing, "Money")
    f.SectionFactory(briefing=briefing, position=2, title="Talent")
    record = deleted(Section).get(id=lost.pk)

    response = reviewer_client.post(
        recover_sections_url(briefing), {"history_id": record.history_id}, follow=True
    )

    assert "Position 2 is taken now: the section was put last, at position 4." in (
        response.content.decode()
    )
    assert list(briefing.sections.order_by("position").values_list("title", flat=True)) == [
        "Intro",
        "Talent",
        "Outlook",
        "Money",
    ]


def test_a_published_briefing_gets_back_only_a_section_it_may_still_cite(
    reviewer_client, editor_user
):
    editor_client = Client()
    editor_client.force_login(editor_user)
    claim = f.ClaimFactory(key="fund")
    briefing = f.BriefingFactory()
    f.SectionFactory(briefing=briefing, position=1, title="Intro", body="Hello.")
    lost = f.SectionFactory(briefing=briefing, position=2, title="Money", body="Fund [[fund]].")
    publish(briefing)
    delete_section_in_admin(reviewer_client, briefing, "Money")
    record = deleted(Section).get(id=lost.pk)
    # Editors may not change a published briefing, nor delete sections.
    assert editor_client.get(recover_sections_url(briefing)).status_code == 403
    assert (
        editor_client.post(
            recover_sections_url(briefing), {"history_id": record.history_id}
        ).status_code
        == 403
    )
    claim.status, claim.status_note = Claim.Status.RETRACTED, "Withdrawn by the source."
    claim.save()

    response = reviewer_client.post(
        recover_sections_url(briefing), {"history_id": record.history_id}
    )

    assert response.status_code == 200
    assert "may only cite public claims. Not public: fund." in response.content.decode()
    assert not Section.objects.filter(pk=lost.pk).exists()
    claim.status, claim.status_note = Claim.Status.VERIFIED, ""
    claim.save()
    response = reviewer_client.post(
        recover_sections_url(briefing), {"history_id": record.history_id}
    )
    assert response.status_code == 302
    assert Briefing.objects.get(pk=briefing.pk).is_public
    assert Section.objects.filter(pk=lost.pk, briefing=briefing).exists()


def test_only_a_deleted_section_of_this_briefing_can_be_recovered_here(reviewer_client):
    briefing, other = f.BriefingFactory(), f.BriefingFactory()
    lost = f.SectionFactory(briefing=other, position=1, title="Elsewhere")
    lost_id = lost.pk
    lost.delete()
    record = deleted(Section).get(id=lost_id)
    url = recover_sections_url(briefing)
    assert "Elsewhere" not in reviewer_client.get(url).content.decode()
    assert reviewer_client.post(url, {"history_id": record.history_id}).status_code == 404
    assert reviewer_client.post(url, {"history_id": "not-a-number"}).status_code == 404
    assert not Section.objects.filter(pk=lost_id).exists()


def test_a_section_is_not_refused_for_what_other_sections_cite(reviewer_client):
    # A published briefing may go on citing a claim retracted since (readers see its notice):
    # a deleted section that cites only public claims still comes back.
    old, _ = f.ClaimFactory(key="old"), f.ClaimFactory(key="fund")
    briefing = f.BriefingFactory()
    f.SectionFactory(briefing=briefing, position=1, title="Old", body="Old [[old]].")
    lost = f.SectionFactory(briefing=briefing, position=2, title="Money", body="Fund [[fund]].")
    publish(briefing)
    delete_section_in_admin(reviewer_client, briefing, "Money")
    old.status, old.status_note = Claim.Status.RETRACTED, "Withdrawn by the source."
    old.save()
    record = deleted(Section).get(id=lost.pk)

    response = reviewer_client.post(
        recover_sections_url(briefing), {"history_id": record.history_id}
    )

    assert response.status_code == 302
    assert Section.objects.filter(pk=lost.pk, briefing=briefing).exists()
