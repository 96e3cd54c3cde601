"""Initiative and organisation pages, their lists, charts, and site search."""

import datetime

import pytest
from django.urls import reverse

from curation.models import Claim, Initiative
from tests import factories as f

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)">'


def budget(initiative, key, value, as_of, **kwargs):
    return f.ClaimFactory(
        key=key,
        initiative=initiative,
        kind=Claim.Kind.FIGURE,
        attribute="budget",
        value=value,
        unit="HKD",
        as_of=as_of,
        **kwargs,
    )


def test_an_initiative_page_shows_summary_lead_partners_and_cited_facts(client):
    lead = f.OrganizationFactory(name="Cyberport")
    partner = f.OrganizationFactory(name="HKUST")
    initiative = f.InitiativeFactory(name="AI Supercomputing Centre", lead=lead, summary="A hub.")
    initiative.partners.add(partner)
    f.ClaimFactory(key="opened", initiative=initiative, statement="It opened in 2024.")

    html = client.get(initiative.get_absolute_url()).content.decode()

    assert "AI Supercomputing Centre" in html and "A hub." in html
    assert "Cyberport" in html and "HKUST" in html
    assert 'href="/claims/opened/"' in html and "It opened in 2024." in html


def test_a_figure_in_conflict_shows_both_values_and_both_sources(client):
    initiative = f.InitiativeFactory()
    day = datetime.date(2024, 1, 1)
    budget(initiative, "high", 3_000_000_000, day, source=f.SourceFactory(title="Source high"))
    budget(initiative, "low", 2_000_000_000, day, source=f.SourceFactory(title="Source low"))

    html = client.get(initiative.get_absolute_url()).content.decode()
    table = html.split('class="data-table figure-table')[1].split("</table>")[0]

    assert "Sources disagree" in table
    assert "HK$3 billion" in table and "HK$2 billion" in table
    assert "Source high" in table and "Source low" in table


def test_figures_at_several_dates_are_charted_with_a_table_and_conflicts_kept_apart(client):
    initiative = f.InitiativeFactory()
    budget(initiative, "y1", 1_000_000_000, datetime.date(2023, 1, 1))
    budget(initiative, "y2a", 2_000_000_000, datetime.date(2024, 1, 1))
    budget(initiative, "y2b", 2_500_000_000, datetime.date(2024, 1, 1))

    html = client.get(initiative.get_absolute_url()).content.decode()
    svg = html.split("<svg")[1].split("</svg>")[0]

    assert svg.count("<circle") == 3
    for key in ("y1", "y2a", "y2b"):
        assert f'href="/claims/{key}/"' in svg
    assert "chart-table" in html and "each value drawn as its own point" in html
    assert ' style="' not in html


def test_a_single_date_draws_no_chart(client):
    initiative = f.InitiativeFactory()
    budget(initiative, "only", 1, datetime.date(2023, 1, 1))

    assert "<svg" not in client.get(initiative.get_absolute_url()).content.decode()


def test_initiatives_without_public_claims_are_not_found_for_readers(client):
    initiative = f.InitiativeFactory()
    f.ClaimFactory(initiative=initiative, status=Claim.Status.DRAFT)

    assert client.get(initiative.get_absolute_url()).status_code == 404
    assert initiative.name not in client.get(reverse("briefing:initiative-list")).content.decode()
    client.force_login(f.UserFactory(is_staff=True))
    assert "Preview." in client.get(initiative.get_absolute_url()).content.decode()


def test_the_initiative_list_filters_and_sorts(client):
    topic = f.TopicFactory(slug="compute")
    lead = f.OrganizationFactory(slug="cyberport")
    centre = f.InitiativeFactory(
        name="Alpha centre", kind=Initiative.Kind.FACILITY, lead=lead, status="in_progress"
    )
    centre.topics.add(topic)
    fund = f.InitiativeFactory(name="Beta fund", announced_on=datetime.date(2024, 1, 1))
    for initiative in (centre, fund):
        f.ClaimFactory(initiative=initiative)
    f.ClaimFactory(initiative=fund)
    url = reverse("briefing:initiative-list")

    def names(**params):
        html = client.get(url, params).content.decode()
        return [n for n in sorted(("Alpha centre", "Beta fund"), key=html.find) if n in html]

    assert names(kind="facility") == ["Alpha centre"]
    assert names(status="in_progress") == ["Alpha centre"]
    assert names(lead="cyberport") == ["Alpha centre"]
    assert names(topic="compute") == ["Alpha centre"]
    assert names(q="beta") == ["Beta fund"]
    assert names(sort="-name") == ["Beta fund", "Alpha centre"]
    assert names(sort="-evidence") == ["Beta fund", "Alpha centre"]


def test_an_organisation_page_shows_aliases_initiatives_and_claims(client):
    organization = f.OrganizationFactory(name="Alibaba Entrepreneurs Fund", aliases="AEF;Ali Fund")
    led = f.InitiativeFactory(name="Led one", lead=organization)
    joined = f.InitiativeFactory(name="Joined one")
    joined.partners.add(organization)
    f.ClaimFactory(initiative=led)
    f.ClaimFactory(initiative=joined)
    about = f.ClaimFactory(key="about", statement="It invested.")
    about.organizations.add(organization)

    html = client.get(organization.get_absolute_url()).content.decode()

    assert "AEF; Ali Fund" in html
    assert "Led one" in html and "Joined one" in html
    assert 'href="/claims/about/"' in html


def test_an_organisation_chart_follows_figures_about_it_alone(client):
    organization = f.OrganizationFactory()
    for key, year, value in (("a", 2022, 100), ("b", 2023, 150)):
        claim = f.ClaimFactory(
            key=key,
            attribute="companies",
            value=value,
            unit="count",
            as_of=datetime.date(year, 1, 1),
        )
        claim.organizations.add(organization)

    html = client.get(organization.get_absolute_url()).content.decode()

    assert html.count("<circle") == 2


def test_the_organisation_list_filters_and_hides_unused_organisations(client):
    used = f.OrganizationFactory(name="Used university", kind="university")
    f.OrganizationFactory(name="Unused company")
    f.InitiativeFactory(lead=used).claims.add(f.ClaimFactory())
    url = reverse("briefing:organization-list")

    html = client.get(url).content.decode()
    assert "Used university" in html and "Unused company" not in html
    assert "Used university" not in client.get(url, {"kind": "company"}).content.decode()


def test_search_covers_claims_initiatives_organisations_and_sources(client):
    organization = f.OrganizationFactory(name="Cyberport Ltd", aliases="Cyber port")
    initiative = f.InitiativeFactory(name="Cyberport AI lab", lead=organization)
    source = f.SourceFactory(title="Cyberport annual report")
    f.ClaimFactory(statement="Cyberport hosts 2,200 firms.", source=source, initiative=initiative)
    f.ClaimFactory(statement="Cyberport draft claim.", status=Claim.Status.DRAFT)

    html = client.get(reverse("briefing:search"), {"q": "cyberport"}).content.decode()

    for rest in (" Ltd", " AI lab", " annual report", " hosts 2,200 firms."):
        assert "<mark>Cyberport</mark>" + rest in html
    assert "Cyberport draft claim." not in html


def test_hostile_names_render_inert(client):
    organization = f.OrganizationFactory(
        name=HOSTILE, aliases=HOSTILE, description=HOSTILE, website="javascript:alert(1)"
    )
    initiative = f.InitiativeFactory(
        name=HOSTILE, summary=HOSTILE, target=HOSTILE, lead=organization
    )
    f.ClaimFactory(initiative=initiative)
    urls = [
        initiative.get_absolute_url(),
        organization.get_absolute_url(),
        reverse("briefing:initiative-list"),
        reverse("briefing:organization-list"),
        reverse("briefing:search") + "?q=" + "%3Cscript%3E",
    ]
    for url in urls:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img" not in html, url
        assert "javascript:" not in html, url


@pytest.mark.parametrize("claims", [3, 30])
def test_subject_pages_render_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, claims
):
    lead = f.OrganizationFactory(slug="lead")
    topic = f.TopicFactory()
    initiative = f.InitiativeFactory(slug="scheme", lead=lead)
    initiative.topics.add(topic)
    for n in range(claims):
        partner = f.OrganizationFactory()
        initiative.partners.add(partner)
        claim = budget(initiative, f"c{n}", n % 4, datetime.date(2020 + n % 5, 1, 1))
        claim.organizations.add(lead)
        other = f.InitiativeFactory(lead=lead)
        other.topics.add(topic)
        f.ClaimFactory(initiative=other)

    with django_assert_max_num_queries(8):
        assert client.get("/initiatives/scheme/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/organizations/lead/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(reverse("briefing:initiative-list")).status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get(reverse("briefing:organization-list")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("briefing:search"), {"q": "scheme"}).status_code == 200
