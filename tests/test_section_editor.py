"""
The section editor's preview of a section as readers will see it, with its notes and its
citations of claims readers cannot see flagged.
"""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from curation import limits
from curation.models import Claim, Section
from tests import factories

pytestmark = pytest.mark.django_db

PREVIEW = reverse("section-preview")


@pytest.fixture
def claims():
    factories.ClaimFactory(
        key="fund-size", statement="The AI Subsidy Scheme is worth HK$3 billion."
    )
    factories.ClaimFactory(
        key="community",
        statement="More than 2,200 companies work in the Cyberport fund community.",
    )
    factories.ClaimFactory(
        key="centre-draft",
        statement="The supercomputing centre is over 90% utilised.",
        status=Claim.Status.DRAFT,
        confidence="",
    )


def preview(client, body, title="Funding", **extra):
    return client.post(
        PREVIEW,
        {"_preview": "sections-0", "sections-0-title": title, "sections-0-body": body, **extra},
    )


def test_the_preview_shows_the_section_with_its_numbered_notes(editor_client, claims):
    response = preview(
        editor_client,
        "The scheme [[fund-size]] and [[community]], again [[fund-size]].",
        _fragment="1",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2" in html and "Funding</h2>" in html
    assert 'href="#note-1" id="cite-1-1"' in html and 'id="cite-1-2"' in html
    assert '<li id="note-1" class="note">' in html
    assert "The AI Subsidy Scheme is worth HK$3 billion." in html
    assert '<li id="note-2" class="note">' in html
    assert "Not public" not in html
    # Only the preview, for the editor's page: no admin page around it.
    assert "<html" not in html


def test_the_preview_flags_claims_readers_cannot_see_with_links_to_them(editor_client, claims):
    draft = Claim.objects.get(key="centre-draft")
    body = "A [[fund-size]], [[centre-draft]] and [[no-such-claim]]."
    html = preview(editor_client, body).content.decode()
    flags = html.split('class="preview-flags"')[1].split("</div>")[0]
    change = reverse("admin:curation_claim_change", args=[draft.pk])
    assert f'<a href="{change}">centre-draft</a>: draft' in flags
    assert "<code>no-such-claim</code>: no claim has this key." in flags
    assert f"{reverse('admin:curation_claim_changelist')}?q=no-such-claim" in flags
    assert f"{reverse('admin:curation_claim_add')}?key=no-such-claim" in flags
    assert "fund-size" not in flags
    # Staff see the draft's note, as in a preview of the page; the unknown key has none.
    assert "over 90% utilised" in html
    assert "This note is not available." in html


def test_the_preview_renders_what_an_editor_types_inert(editor_client):
    body = '<script>alert(1)</script>\n\n[x](javascript:alert(2)) <img src=x onerror="alert(3)">'
    html = preview(editor_client, body, title="<b onmouseover=alert(4)>T</b>").content.decode()
    assert "alert(1)" not in html and "javascript:" not in html and "onerror" not in html
    assert "&lt;b onmouseover=alert(4)&gt;T&lt;/b&gt;" in html


def test_the_preview_costs_the_same_queries_for_many_citations(
    editor_client, django_assert_max_num_queries
):
    for n in range(40):
        factories.ClaimFactory(key=f"claim-{n}", status=["verified", "draft"][n % 2])
    with django_assert_max_num_queries(8):
        assert preview(editor_client, "One [[claim-0]].").status_code == 200
    body = " ".join(f"[[claim-{n}]]" for n in range(40)) + " [[unknown]]"
    with django_assert_max_num_queries(8):
        assert preview(editor_client, body).status_code == 200


def test_the_preview_refuses_a_body_over_the_limit(editor_client):
    response = preview(editor_client, "x" * (limits.SECTION_BODY + 1), _fragment="1")
    assert response.status_code == 400
    assert f"at most {limits.SECTION_BODY} characters" in response.content.decode()
    assert preview(editor_client, "x" * limits.SECTION_BODY).status_code == 200


def test_the_preview_refuses_a_title_over_the_limit(editor_client):
    title_limit = Section._meta.get_field("title").max_length
    assert preview(editor_client, "Body.", title="t" * (title_limit + 1)).status_code == 400


def test_the_preview_needs_a_section_to_preview(editor_client):
    assert editor_client.post(PREVIEW, {"body": "x"}).status_code == 400
    assert editor_client.post(PREVIEW, {"_preview": "<script>"}).status_code == 400


def test_the_preview_is_posted_with_a_csrf_token_by_those_who_may_write_briefings(editor_user):
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(editor_user)
    assert guarded.post(PREVIEW, {"_preview": "sections-0"}).status_code == 403
    assert guarded.get(PREVIEW).status_code == 405

    anonymous = Client()
    assert preview(anonymous, "x").status_code == 302  # to the login page
    staff = factories.UserFactory()
    anonymous.force_login(staff)
    assert preview(anonymous, "x").status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="change_briefing"))
    assert preview(anonymous, "x").status_code == 200
