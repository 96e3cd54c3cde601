"""Claim pages: the quote in context, agreement side by side, retraction notices, the list."""

import datetime

import pytest
from django.urls import reverse

from curation import workflow
from curation.models import Claim
from tests import factories as f

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)">'


def test_a_claim_page_shows_the_quote_in_context_and_what_it_rests_on(client):
    source = f.SourceFactory(title="Cyberport release", publisher="Cyberport", reliability="A")
    initiative = f.InitiativeFactory(name="AI Subsidy Scheme")
    claim = f.ClaimFactory(
        key="fund",
        source=source,
        initiative=initiative,
        speaker="Simon Chan, Chairman",
        kind=Claim.Kind.FIGURE,
        attribute="budget",
        value=3_000_000_000,
        unit="HKD",
        as_of=datetime.date(2024, 3, 1),
        confidence_rationale="The operator's own figure.",
    )

    html = client.get(claim.get_absolute_url()).content.decode()

    assert (
        "Cyberport said on Thursday that <mark>its AI Subsidy Scheme, worth HK$3 billion</mark>"
        in html
    )
    assert "Grade A" in html and "Simon Chan, Chairman" in html
    assert '<dd class="figure-value">HK$3 billion<' in html and "1 Mar 2024" in html
    assert "The operator&#x27;s own figure." in html
    assert 'href="/initiatives/' in html and "AI Subsidy Scheme" in html
    assert f'href="/sources/{source.key}/#q-fund"' in html


def test_conflicting_and_corroborating_claims_are_shown_side_by_side(client):
    initiative = f.InitiativeFactory()
    figure = {"initiative": initiative, "attribute": "budget", "unit": "HKD"}
    claim = f.ClaimFactory(key="mine", value=3, **figure)
    f.ClaimFactory(key="other-value", value=2, **figure)
    f.ClaimFactory(key="same-value", value=3, **figure)
    f.ClaimFactory(key="hidden", value=5, status=Claim.Status.DRAFT, **figure)

    html = client.get(claim.get_absolute_url()).content.decode()
    conflicts = html.split('class="agreement-col conflicts"')[1].split("agreement-col")[0]
    corroborations = html.split('class="agreement-col corroborations"')[1]

    assert 'href="/claims/other-value/"' in conflicts
    assert 'href="/claims/same-value/"' in corroborations
    assert "/claims/hidden/" not in html


def test_a_retracted_claim_keeps_its_page_with_the_notice(client):
    claim = f.ClaimFactory(
        key="old", status=Claim.Status.RETRACTED, status_note="The source corrected itself."
    )

    response = client.get(claim.get_absolute_url())

    assert response.status_code == 200
    assert "This claim has been retracted" in response.content.decode()
    assert "The source corrected itself." in response.content.decode()


@pytest.mark.parametrize("status", [Claim.Status.DRAFT, Claim.Status.IN_REVIEW])
def test_a_claim_retracted_before_readers_saw_it_stays_unreadable(
    client, reviewer_user, status, django_assert_max_num_queries
):
    claim = f.ClaimFactory(key="never-public", status=status, statement="A draft's words.")
    workflow.transition(claim, Claim.Status.RETRACTED, reviewer_user, note="Dropped.")

    with django_assert_max_num_queries(10):
        assert client.get("/claims/never-public/").status_code == 404
    assert "draft&#x27;s words" not in client.get("/claims/?q=draft").content.decode()


def test_a_claim_retracted_after_readers_saw_it_keeps_its_notice(
    client, reviewer_user, django_assert_max_num_queries
):
    claim = f.ClaimFactory(key="once-public", status=Claim.Status.IN_REVIEW)
    editor = f.editor(username="ed")
    claim.created_by = editor
    claim.save()
    workflow.transition(claim, Claim.Status.VERIFIED, reviewer_user)
    workflow.transition(claim, Claim.Status.RETRACTED, reviewer_user, note="Misread.")

    with django_assert_max_num_queries(10):
        response = client.get("/claims/once-public/")
    assert response.status_code == 200
    assert "Misread." in response.content.decode()


@pytest.mark.parametrize("status", [Claim.Status.DRAFT, Claim.Status.IN_REVIEW])
def test_an_unreviewed_claim_is_not_found_for_readers_and_a_preview_for_staff(client, status):
    claim = f.ClaimFactory(key="new", status=status)

    assert client.get(claim.get_absolute_url()).status_code == 404

    client.force_login(f.UserFactory(is_staff=True))
    response = client.get(claim.get_absolute_url())
    assert response.status_code == 200
    assert "Preview." in response.content.decode()


def test_the_claim_page_names_the_briefings_that_cite_it(client):
    from curation.publishing import publish

    claim = f.ClaimFactory(key="fund")
    briefing = f.BriefingFactory(title="Spring edition")
    f.SectionFactory(briefing=briefing, body="[[fund]]")
    publish(briefing)
    draft = f.BriefingFactory(title="Unpublished edition")
    f.SectionFactory(briefing=draft, body="[[fund]]")

    html = client.get(claim.get_absolute_url()).content.decode()

    assert "Spring edition" in html and "Unpublished edition" not in html


def test_hostile_claim_fields_render_inert(client):
    source = f.SourceFactory(title=HOSTILE, publisher=HOSTILE, url="javascript:alert(1)")
    claim = f.ClaimFactory(
        key="bad",
        source=source,
        statement=HOSTILE,
        speaker=HOSTILE,
        locator=HOSTILE,
        confidence_rationale=HOSTILE,
    )

    for url in (claim.get_absolute_url(), reverse("briefing:claim-list")):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img" not in html
        assert "javascript:" not in html


def test_the_list_shows_public_claims_only_and_marks_disputed_ones(client):
    f.ClaimFactory(key="ok", statement="Checked statement.")
    f.ClaimFactory(key="contested", status=Claim.Status.DISPUTED, status_note="Doubtful.")
    f.ClaimFactory(key="draft", statement="Unchecked statement.", status=Claim.Status.DRAFT)
    f.ClaimFactory(key="gone", status=Claim.Status.RETRACTED, status_note="Wrong.")

    html = client.get(reverse("briefing:claim-list")).content.decode()

    assert "Checked statement." in html and "Unchecked statement." not in html
    assert "/claims/gone/" not in html
    assert "claim-item is-disputed" in html


def test_the_list_filters_by_topic_initiative_organisation_source_and_fields(client):
    topic = f.TopicFactory(slug="talent")
    organization = f.OrganizationFactory(slug="cyberport")
    initiative = f.InitiativeFactory(slug="scheme")
    source = f.SourceFactory(key="release")
    tagged = f.ClaimFactory(key="tagged", statement="About talent.")
    tagged.topics.add(topic)
    about_org = f.ClaimFactory(key="about-org", statement="About Cyberport.")
    about_org.organizations.add(organization)
    f.ClaimFactory(key="in-scheme", statement="About the scheme.", initiative=initiative)
    f.ClaimFactory(key="from-release", statement="From the release.", source=source)
    f.ClaimFactory(
        key="low", statement="Low confidence.", confidence=Claim.Confidence.LOW, kind="forecast"
    )
    f.ClaimFactory(key="contested", statement="Contested.", status="disputed", status_note="x")
    url = reverse("briefing:claim-list")

    def statements(**params):
        html = client.get(url, params).content.decode()
        return {
            s
            for s in (
                "About talent.",
                "About Cyberport.",
                "About the scheme.",
                "From the release.",
                "Low confidence.",
                "Contested.",
            )
            if s in html
        }

    assert statements(topic="talent") == {"About talent."}
    assert statements(organization="cyberport") == {"About Cyberport."}
    assert statements(initiative="scheme") == {"About the scheme."}
    assert statements(source="release") == {"From the release."}
    assert statements(confidence="low") == {"Low confidence."}
    assert statements(kind="forecast") == {"Low confidence."}
    assert statements(status="disputed") == {"Contested."}
    assert statements(q="cyberport") == {"About Cyberport."}


def test_the_list_is_paginated(client):
    for n in range(30):
        f.ClaimFactory(key=f"c{n:02}")

    first = client.get(reverse("briefing:claim-list"), {"sort": "key"}).content.decode()
    second = client.get(reverse("briefing:claim-list"), {"sort": "key", "page": 2}).content.decode()

    assert "Page 1 of 2" in first and "/claims/c00/" in first and "/claims/c29/" not in first
    assert "/claims/c29/" in second


@pytest.mark.parametrize("claims", [3, 30])
def test_claim_pages_render_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, claims
):
    initiative = f.InitiativeFactory()
    topic = f.TopicFactory()
    organization = f.OrganizationFactory()
    for n in range(claims):
        claim = f.ClaimFactory(
            key=f"c{n:02}", initiative=initiative, attribute="budget", value=n % 3, unit="HKD"
        )
        claim.topics.add(topic)
        claim.organizations.add(organization)
        claim.contradicts.add(f.ClaimFactory(key=f"x{n:02}"))

    with django_assert_max_num_queries(10):
        assert client.get(reverse("briefing:claim-list")).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("briefing:claim-list"), {"q": "scheme"}).status_code == 200
    with django_assert_max_num_queries(9):
        assert client.get("/claims/c00/").status_code == 200
