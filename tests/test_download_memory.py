"""
A download's memory stays bounded: /data/claims.csv and .json are read from the database a chunk
at a time (with their conflicts and corroborations worked out per chunk), so the memory they
take while streaming does not grow with the number of claims.

The tables are made with `bulk_create`: 2,000 claims (four chunks) against 20,000 (forty),
each a figure that conflicts with one other, about an organisation of its pair's own, with a
topic, so every column the download derives has something to do in every chunk.
"""

import csv
import io
import tracemalloc
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curation.agreement import agreement_for
from curation.models import Claim, Organization
from curation.resources import ClaimResource
from tests import factories

pytestmark = pytest.mark.django_db

SMALL, LARGE = 2_000, 20_000
CHUNK = ClaimResource._meta.chunk_size
# Per chunk of claims (ClaimResource's chunk_size): the chunk, its organisations and its topics,
# and at most four queries of `agreement_for` (links, candidates, organisations of figures that
# are not candidates, the claims named that are not in the chunk): seven. A few more at the
# start (the page cache's generation...).
QUERIES_PER_CHUNK = 7
QUERIES_OUTSIDE = 5


def build_claims(count):
    """`count` public figures, each conflicting with the other of its pair (same organisation,
    attribute and date, another value)."""
    source = factories.SourceFactory()
    topic = factories.TopicFactory()
    quote = "its AI Subsidy Scheme, worth HK$3 billion"
    start = source.text.index(quote)
    organizations = Organization.objects.bulk_create(
        Organization(slug=f"org-{n:06d}", name=f"Organisation {n}", kind=Organization.Kind.COMPANY)
        for n in range(count // 2)
    )
    claims = Claim.objects.bulk_create(
        (
            Claim(
                key=f"claim-{n:06d}",
                statement=f"Organisation {n // 2} has a budget of {n} dollars.",
                source=source,
                quote=quote,
                quote_start=start,
                quote_end=start + len(quote),
                kind=Claim.Kind.FIGURE,
                attribute="budget",
                value=Decimal(n),
                unit="HKD",
                as_of=date(2024, 1, 1),
                confidence=Claim.Confidence.HIGH,
                status=Claim.Status.VERIFIED,
            )
            for n in range(count)
        ),
        batch_size=1000,
    )
    Claim.organizations.through.objects.bulk_create(
        (
            Claim.organizations.through(claim_id=claim.pk, organization_id=organizations[n // 2].pk)
            for n, claim in enumerate(claims)
        ),
        batch_size=1000,
    )
    Claim.topics.through.objects.bulk_create(
        (Claim.topics.through(claim_id=claim.pk, topic_id=topic.pk) for claim in claims),
        batch_size=1000,
    )


def streamed(client, fmt):
    """Download claims.<fmt>, reading it chunk by chunk as a server would and keeping none of
    it: (peak traced memory in bytes while it was made and sent, bytes sent, queries made)."""
    url = reverse("briefing:data-download", args=["claims", fmt])
    sent = 0
    tracemalloc.start()
    try:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            assert response.status_code == 200
            assert response.streaming
            # Read to the end, the test client closes the response, as a server would.
            for chunk in response.streaming_content:
                sent += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, sent, len(queries)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_memory_a_download_takes_does_not_grow_with_the_claims(client, fmt):
    """The peak of memory allocated while a download is made and sent, with ten times the
    claims: about the same (a whole table in memory would take ten times as much)."""
    build_claims(SMALL)
    small_peak, small_bytes, _ = streamed(client, fmt)
    Claim.objects.all().delete()
    Organization.objects.all().delete()
    build_claims(LARGE)
    large_peak, large_bytes, _ = streamed(client, fmt)

    assert large_bytes > 9 * small_bytes
    # The memory of a chunk (about 5 MB): a table in memory would take ten times as much.
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)


def test_a_download_makes_a_fixed_number_of_queries_per_chunk_of_claims(client):
    """At most QUERIES_PER_CHUNK per chunk of claims, and QUERIES_OUTSIDE more."""
    build_claims(4 * CHUNK)
    _, sent, queries = streamed(client, "csv")

    assert sent
    chunks = 4
    assert queries <= QUERIES_PER_CHUNK * chunks + QUERIES_OUTSIDE, queries


def test_each_claim_is_downloaded_once_with_the_agreement_of_the_whole_table(client):
    build_claims(2 * CHUNK + 2)
    # The last claim of the first chunk and the first of the second about the same thing.
    last, first = f"claim-{CHUNK - 1:06d}", f"claim-{CHUNK:06d}"
    organization = Organization.objects.get(claims__key=last)
    Claim.organizations.through.objects.filter(claim__key=first).update(organization=organization)
    public = Claim.objects.public()
    claims = list(public)
    # What the whole table at once says (as downloads did before they were read in chunks).
    whole = agreement_for(claims, candidates=public)
    expected = {claim.key: whole[claim.pk] for claim in claims}

    response = client.get(reverse("briefing:data-download", args=["claims", "csv"]))
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body, newline="")))

    assert [row["key"] for row in rows] == sorted(expected)
    for row in rows:
        agreement = expected[row["key"]]
        assert row["conflicts_with"] == ";".join(agreement.conflict_keys), row["key"]
        assert row["corroborated_by"] == ";".join(agreement.corroboration_keys), row["key"]
    by_key = {row["key"]: row for row in rows}
    assert first in by_key[last]["conflicts_with"].split(";")
    assert last in by_key[first]["conflicts_with"].split(";")
