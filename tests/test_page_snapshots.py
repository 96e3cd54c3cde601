"""
The seed briefing's reader pages, byte for byte, against snapshots in tests/snapshots/seed/.

A restructuring of the code behind the pages (queries, templates, the CSV layer) must not change
what readers get. When a change to a page is meant, refresh the snapshots and review their diff
with the change: `UPDATE_SNAPSHOTS=1 make test` (or pytest on this module) writes them anew.
"""

import datetime
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from briefing import citing
from curation import batches
from curation.models import Briefing, Claim, Edition

pytestmark = pytest.mark.django_db

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "hk-ai-ecosystem"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "seed"
# The seed's times are those of loading it: fixed here, so a page reads the same on every run.
LOADED = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC)

PAGES = {
    "home": "/",
    "briefings": "/briefings/",
    "claims": "/claims/",
    "claims-page-2": "/claims/?page=2",
    "claims-filtered": "/claims/?kind=figure&status=verified",
    "claim-figure-in-conflict": "/claims/aisc-budget-3bn/",
    "claim-disputed": "/claims/cyberport-established-2004/",
    "claim-retracted": "/claims/forum-opening-speaker-paul-chan/",
    "sources": "/sources/",
    "source": "/sources/1950ai-hk-ai-revolution-cyberport-hku/",
    "initiatives": "/initiatives/",
    "initiative": "/initiatives/aisc/",
    "organizations": "/organizations/",
    "organization": "/organizations/cyberport/",
    "search": "/search/?q=Cyberport",
    "data": "/data/",
    "changes": "/briefings/hk-ai-ecosystem/changes/",
}


@pytest.fixture
def seed(monkeypatch):
    call_command("load_seed", str(SEED), verbosity=0)
    Briefing.objects.update(updated_at=LOADED, published_at=LOADED)
    Edition.objects.update(published_at=LOADED)
    # "Cite this" says when the page was read: the day it was loaded, here.
    monkeypatch.setattr(citing, "today", LOADED.date)
    Claim.objects.update(updated_at=LOADED)
    Claim.objects.filter(first_public_at__isnull=False).update(first_public_at=LOADED)


def result_counts(html):
    """What a search page found of each kind: its headings with their counts."""
    return re.findall(rb'<h2 id="results-\d+">([^<]+)<span class="count">\((\d+)\)', html)


def test_the_seed_pages_are_as_in_their_snapshots(client, seed, django_assert_max_num_queries):
    update = os.environ.get("UPDATE_SNAPSHOTS") == "1"
    changed = []
    for name, url in PAGES.items():
        with django_assert_max_num_queries(10):
            response = client.get(url)
        assert response.status_code == 200, url
        path = SNAPSHOTS / f"{name}.html"
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(response.content)
        elif name == "search" and connection.vendor != "sqlite":
            # Each database ranks by its own measure (SQLite's bm25, PostgreSQL's ts_rank, which
            # also stems words): as many results of each kind, the first few others.
            if result_counts(path.read_bytes()) != result_counts(response.content):
                changed.append(url)
        elif path.read_bytes() != response.content:
            changed.append(url)
    assert not changed, f"pages differ from their snapshots: {changed}"


def test_the_pages_read_the_same_when_lists_are_sent_a_few_values_at_a_time(
    client, seed, monkeypatch
):
    # Lists of values go to the database in batches (`curation.batches`): small ones here, so
    # that the pages' lists take several.
    monkeypatch.setattr(batches, "SIZE", 2)
    for name in ("home", "claims", "claim-figure-in-conflict", "initiative", "organization"):
        response = client.get(PAGES[name])
        assert response.content == (SNAPSHOTS / f"{name}.html").read_bytes(), name
