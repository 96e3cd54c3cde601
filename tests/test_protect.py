"""Provenance is never orphaned: cited sources and claims cannot be deleted."""

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from curation.models import Claim, Source
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_source_that_claims_cite_cannot_be_deleted():
    claim = factories.ClaimFactory()
    with pytest.raises(ProtectedError):
        claim.source.delete()
    assert Source.objects.filter(pk=claim.source.pk).exists()


def test_a_claim_that_a_briefing_cites_cannot_be_deleted():
    claim = factories.ClaimFactory(key="cited-claim")
    factories.SectionFactory(body="As reported.[[cited-claim]]")
    with pytest.raises(ProtectedError):
        claim.delete()
    assert Claim.objects.filter(key="cited-claim").exists()


def test_a_claim_no_longer_cited_can_be_deleted():
    claim = factories.ClaimFactory(key="once-cited")
    section = factories.SectionFactory(body="As reported.[[once-cited]]")
    section.body = "Rewritten without the citation."
    section.save()
    claim.delete()
    assert not Claim.objects.filter(key="once-cited").exists()


def test_the_admin_explains_why_a_cited_source_cannot_be_deleted(reviewer_client):
    claim = factories.ClaimFactory(key="protecting-claim")
    url = reverse("admin:curation_source_delete", args=[claim.source.pk])
    response = reviewer_client.get(url)
    assert response.status_code == 200
    assert b"would require deleting the following protected related objects" in response.content
    assert b"protecting-claim" in response.content
    reviewer_client.post(url, {"post": "yes"})
    assert Source.objects.filter(pk=claim.source.pk).exists()
