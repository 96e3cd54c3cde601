"""
Every public page type over the seed briefing, and over ten copies of it (ten times the claims,
sources, initiatives and citations, the briefing citing them all): the same bounded number of
queries for each page at both sizes.
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.data import scaled_seed
from curation.models import Briefing, Claim, Initiative, Organization, Source

pytestmark = pytest.mark.django_db

# The most queries each page may run, whatever the amount of content (what each runs now).
BOUNDS = {
    "home": 3,
    "briefing": 3,
    "briefings": 2,
    "claims": 8,
    # Newest first (the default) opens on figures whose counterparts are on other pages: their
    # agreement loads those claims, one query more (`agreement_for`'s fourth).
    "claims-newest": 9,
    "claim": 7,
    "sources": 3,
    "source": 2,
    "initiatives": 6,
    "initiative": 7,
    "organizations": 2,
    "organization": 7,
    "search": 8,
}


def pages():
    briefing = Briefing.objects.public().order_by("pk").first()  # the seed's own
    claim = Claim.objects.public().filter(attribute="budget").order_by("key").first()
    return {
        "home": "/",
        "briefing": briefing.get_absolute_url(),
        "briefings": "/briefings/",
        "claims": "/claims/?sort=key",
        "claims-newest": "/claims/",
        "claim": claim.get_absolute_url(),
        "sources": "/sources/",
        "source": claim.source.get_absolute_url(),
        "initiatives": "/initiatives/",
        "initiative": Initiative.objects.public().order_by("slug").first().get_absolute_url(),
        "organizations": "/organizations/",
        "organization": Organization.objects.public().order_by("slug").first().get_absolute_url(),
        "search": "/search/?q=cyberport",
    }


@pytest.mark.parametrize("copies", [1, 10])
def test_every_page_runs_the_same_bounded_queries_for_the_seed_and_ten_times_it(
    client, tmp_path, copies
):
    call_command("import_bundle", str(scaled_seed(tmp_path / "bundle", copies)), verbosity=0)
    assert Claim.objects.count() >= 90 * copies
    assert Source.objects.count() == 5 * copies

    counts = {}
    for name, url in pages().items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[name] = len(queries)

    over = {name: (count, BOUNDS[name]) for name, count in counts.items() if count > BOUNDS[name]}
    assert not over, over
