"""
Pages whose size stays flat: every reader's page and the claim changelist run the same number
of queries however many rows each table holds, an organisation's or initiative's page shows the
latest of its claims and links to the rest, and filters over sources, organisations and
initiatives are text boxes that work without script, not a drop-down of every row.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from briefing import views
from briefing.filters import SUGGESTIONS
from briefing.views import LATEST_CLAIMS, LATEST_FIGURES, LINKED
from curation.models import Claim
from tests import factories as f

pytestmark = pytest.mark.django_db

HUB = "hub"  # an organisation every row is about: its page would grow with everything
SCHEME = "scheme"  # an initiative likewise


def make_rows(n):
    """`n` of each: organisations, sources, initiatives, topics, and claims (half of them
    figures) about the hub and the scheme, each from a source and about an organisation of its
    own, the scheme's partners and the hub's initiatives growing with them."""
    hub = f.OrganizationFactory(slug=HUB, name="Hub")
    scheme = f.InitiativeFactory(slug=SCHEME, name="Scheme", lead=hub)
    start = Claim.objects.count()
    for i in range(start, start + n):
        org = f.OrganizationFactory()
        topic = f.TopicFactory()
        led = f.InitiativeFactory(lead=hub)
        led.partners.add(hub)
        scheme.partners.add(org)
        figure = {"attribute": "budget", "value": i, "unit": "HKD"} if i % 2 else {}
        claim = f.ClaimFactory(
            key=f"k{i:04}",
            source=f.SourceFactory(key=f"s{i:04}", title=f"Report {i}"),
            initiative=scheme if i % 3 else led,
            as_of=datetime.date(2000, 1, 1) + datetime.timedelta(days=i),
            **figure,
        )
        claim.organizations.add(hub, org)
        claim.topics.add(topic)


PAGES = [
    "/claims/",
    "/claims/?source=s0001",
    "/claims/?organization=hub&initiative=scheme",
    "/organizations/",
    "/organizations/?sort=-evidence",
    "/initiatives/",
    "/initiatives/?lead=hub&sort=-evidence",
    "/sources/",
    f"/organizations/{HUB}/",
    f"/initiatives/{SCHEME}/",
    "/search/?q=report",
]


def queries_and_size(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), len(response.content)


def test_reader_pages_run_the_same_queries_at_ten_times_the_rows(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    make_rows(6)
    few = {url: queries_and_size(client, url) for url in PAGES}
    make_rows(54)
    many = {url: queries_and_size(client, url) for url in PAGES}

    for url in PAGES:
        assert many[url][0] == few[url][0], f"{url}: {few[url][0]} queries, then {many[url][0]}"
        assert many[url][1] < 250_000, url


def test_the_claim_changelist_runs_the_same_queries_filtered_by_source(reviewer_client):
    url = reverse("admin:curation_claim_changelist")
    make_rows(5)
    few = [queries_and_size(reviewer_client, url + q)[0] for q in ("", "?source=s0001")]
    make_rows(45)
    many = [queries_and_size(reviewer_client, url + q)[0] for q in ("", "?source=s0001")]

    assert many == few


def test_an_organisation_page_shows_its_latest_claims_and_links_to_the_rest(client):
    make_rows(200)

    html = client.get(f"/organizations/{HUB}/").content.decode()

    assert len(html.encode()) < 250_000
    assert html.count('<li class="claim-item') == LATEST_CLAIMS
    assert "/claims/k0198/" in html and "/claims/k0199/" in html  # the latest fact and figure
    assert "/claims/k0000/" not in html
    assert (
        f"latest {LATEST_CLAIMS + LATEST_FIGURES} of the 200 claims: "
        '<a href="/claims/?organization=hub">all 200 are in the claim list</a>'
    ) in html
    assert f"latest {LATEST_FIGURES} of 100 figures" in html
    assert html.count('<a href="/initiatives/initiative-') <= 2 * LINKED
    assert f'href="/initiatives/?lead={HUB}"' in html
    assert f'href="/initiatives/?partner={HUB}"' in html


def test_an_initiative_page_bounds_its_claims_and_partners(client):
    make_rows(120)

    html = client.get(f"/initiatives/{SCHEME}/").content.decode()

    assert html.count('<li class="claim-item') == LATEST_CLAIMS
    assert "latest 65 of the 80 claims" in html  # 40 figures and the latest 25 of 40 others
    assert 'href="/claims/?initiative=scheme"' in html
    assert html.count('href="/organizations/org-') == LINKED
    assert f"and {120 - LINKED} more" in html


def test_the_linked_claim_lists_filter_to_the_subject(client):
    make_rows(30)
    hub = client.get("/claims/?organization=hub").content.decode()
    scheme = client.get("/claims/?initiative=scheme").content.decode()
    led = client.get(f"/initiatives/?lead={HUB}").content.decode()
    joined = client.get(f"/initiatives/?partner={HUB}").content.decode()

    assert "30 claims" in hub
    assert "20 claims" in scheme  # those whose number is not a multiple of three
    assert "11 initiatives" in led  # the scheme, and the ten of claims numbered 0, 3, ... 27
    assert "10 initiatives" in joined


def test_a_filter_takes_a_key_or_a_name_typed_without_script(client):
    make_rows(6)

    def keys(**params):
        html = client.get("/claims/", params).content.decode()
        return sorted(k for k in (f"k{i:04}" for i in range(6)) if f"/claims/{k}/" in html)

    assert keys(source="s0002") == ["k0002"]
    assert keys(source="REPORT 3") == ["k0003"]
    assert keys(source=" s0004 ") == ["k0004"]
    assert keys(source="no-such-source") == []
    assert keys(initiative="scheme") == ["k0001", "k0002", "k0004", "k0005"]
    assert keys(organization="org-does-not-exist") == []


def test_filters_over_large_tables_suggest_a_bounded_few_and_list_no_rows(client):
    make_rows(SUGGESTIONS + 5)

    claims = client.get("/claims/").content.decode()
    initiatives = client.get("/initiatives/").content.decode()

    for name in ("source", "initiative", "organization", "topic"):
        assert f'<select name="{name}"' not in claims
        assert f'name="{name}" list="' in claims
    for name in ("lead", "partner", "topic"):
        assert f'<select name="{name}"' not in initiatives
        assert f'name="{name}" list="' in initiatives
    datalist = claims.split('<datalist id="source-suggestions">')[1].split("</datalist>")[0]
    assert datalist.count("<option") == SUGGESTIONS
    assert '<option value="s0000">Report 0</option>' in datalist


def test_the_claim_changelist_filters_by_a_source_typed(reviewer_client):
    make_rows(4)
    url = reverse("admin:curation_claim_changelist")

    html = reviewer_client.get(url, {"source": "s0002", "status": "verified"}).content.decode()

    assert html.count('name="_selected_action"') == 1 and ">k0002<" in html
    assert 'name="source" value="s0002"' in html
    assert '<input type="hidden" name="status" value="verified">' in html
    assert "?source__id__exact=" not in html and "?initiative__id__exact=" not in html
    filtered = reviewer_client.get(url, {"initiative": "Scheme"}).content.decode()
    assert filtered.count('name="_selected_action"') == 2


def test_a_topic_filter_takes_a_slug_or_a_name_and_an_unknown_one_matches_nothing(client):
    make_rows(3)
    topic = Claim.objects.get(key="k0001").topics.get()

    def keys(**params):
        html = client.get("/claims/", params).content.decode()
        return sorted(k for k in ("k0000", "k0001", "k0002") if f"/claims/{k}/" in html)

    assert keys(topic=topic.slug) == ["k0001"]
    assert keys(topic=topic.name.upper()) == ["k0001"]
    assert keys(topic="no-such-topic") == []


@pytest.mark.django_db(transaction=True)  # writes commit, and a commit starts a generation
def test_suggestions_follow_the_content(client):
    """Counted once per content generation, but never stale: a write starts a new one."""
    make_rows(2)
    assert '<option value="s-new">' not in client.get("/claims/?page=1").content.decode()

    new = f.ClaimFactory(key="k-new", source=f.SourceFactory(key="s-new", title="New report"))
    new.organizations.add(f.OrganizationFactory(slug="org-new", name="New org"))

    html = client.get("/claims/?page=1&q=").content.decode()
    assert '<option value="s-new">New report</option>' in html
    assert '<option value="org-new">New org</option>' in html


def test_the_publisher_filter_is_a_text_box_suggesting_the_most_common(client):
    for n in range(SUGGESTIONS + 3):
        f.ClaimFactory(source=f.SourceFactory(title=f"Report {n}", publisher=f"Publisher {n:03}"))
    f.ClaimFactory(source=f.SourceFactory(title="Second", publisher="Publisher 052"))

    html = client.get("/sources/").content.decode()

    assert '<select name="publisher"' not in html and 'name="publisher" list="' in html
    datalist = html.split('<datalist id="publisher-suggestions">')[1].split("</datalist>")[0]
    assert datalist.count("<option") == SUGGESTIONS
    assert datalist.startswith('<option value="Publisher 052">')  # two sources: first
    filtered = client.get("/sources/", {"publisher": "publisher 052"}).content.decode()
    assert "Second" in filtered and "Report 52" in filtered and "Report 51" not in filtered


def test_a_source_page_lists_its_first_claims_in_the_text_and_links_to_the_rest(
    client, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(views, "SOURCE_CLAIMS", 3)
    source = f.SourceFactory(key="big-report", text="One. Two. Three. Four. Five.")
    for n, word in enumerate(["One", "Two", "Three", "Four", "Five"]):
        f.ClaimFactory(key=f"q{n}", source=source, quote=f"{word}.")

    with django_assert_max_num_queries(4):
        html = client.get("/sources/big-report/").content.decode()

    assert "(5)" in html and "The first 3 in the text’s order" in html
    assert 'href="/claims/?source=big-report">All 5 claims citing this source</a>' in html
    listed = [k for k in ("q0", "q1", "q2", "q3", "q4") if f'href="/claims/{k}/"' in html]
    assert listed == ["q0", "q1", "q2"]
