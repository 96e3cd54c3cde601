"""Sections of a briefing: ordered by their own positions; editing one updates the briefing."""

import pytest
from django.urls import reverse

from curation.models import Briefing
from tests import factories
from tests.forms import admin_form

pytestmark = pytest.mark.django_db


def test_two_sections_in_one_position_are_refused(reviewer_client):
    briefing = factories.BriefingFactory()
    factories.SectionFactory(briefing=briefing, position=1, title="First")
    factories.SectionFactory(briefing=briefing, position=2, title="Second")
    url = reverse("admin:curation_briefing_change", args=[briefing.pk])
    data = admin_form(reviewer_client, url, **{"sections-1-position": "1"})
    response = reviewer_client.post(url, data)
    assert response.status_code == 200
    assert b"Each section needs its own position; repeated: 1" in response.content
    assert sorted(briefing.sections.values_list("position", flat=True)) == [1, 2]


def test_editing_a_section_updates_the_briefings_last_updated_time():
    section = factories.SectionFactory()
    before = Briefing.objects.get(pk=section.briefing_id).updated_at
    section.body = "Rewritten."
    section.save()
    assert Briefing.objects.get(pk=section.briefing_id).updated_at > before
