"""
The section editor: a citation chooser that finds claims by key or statement, and a preview of a
section as readers will see it, with its notes and its citations of claims readers cannot see
flagged. (tests/test_browser_section_editor.py walks through both in Chromium.)
"""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from curation import limits
from curation.admin.briefings import CHOOSER_RESULTS
from curation.models import Claim, Section
from tests import factories
from tests.forms import admin_form

pytestmark = pytest.mark.django_db

CHOOSER = reverse("admin:curation_briefing_claim_chooser")
PREVIEW = reverse("section-preview")


def choices(client, query):
    response = client.get(CHOOSER, {"q": query})
    assert response.status_code == 200
    return response.content.decode()


def keys_in(html):
    return [part.split('"', 1)[0] for part in html.split('data-key="')[1:]]


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


def test_the_chooser_finds_claims_by_key_or_statement_keys_first_with_their_status(
    editor_client, claims, django_assert_max_num_queries
):
    with django_assert_max_num_queries(5):
        html = choices(editor_client, "fund")
    # A key that matches before a statement that does.
    assert keys_in(html) == ["fund-size", "community"]
    assert "2 claims match “fund”." in html
    assert "Verified" in html

    html = choices(editor_client, "supercomputing")
    assert keys_in(html) == ["centre-draft"]
    assert "Draft" in html and "over 90% utilised" in html
    assert "1 claim matches" in html


def test_the_chooser_says_when_nothing_matches_or_nothing_was_typed(editor_client, claims):
    assert keys_in(choices(editor_client, "no such thing")) == []
    assert "No claim matches “no such thing”." in choices(editor_client, "no such thing")
    assert "Type part of a claim’s key or statement." in choices(editor_client, "   ")


def test_the_chooser_lists_at_most_its_limit_and_says_to_type_more(
    editor_client, django_assert_max_num_queries
):
    for n in range(CHOOSER_RESULTS + 5):
        factories.ClaimFactory(key=f"budget-{n:02d}")
    with django_assert_max_num_queries(5):
        html = choices(editor_client, "budget")
    assert len(keys_in(html)) == CHOOSER_RESULTS
    assert f"The first {CHOOSER_RESULTS} claims matching “budget”: type more" in html


def test_the_chooser_cuts_a_long_query_to_its_limit(editor_client):
    words = "x" * (limits.CHOOSER_QUERY - 1) + "y"
    factories.ClaimFactory(key="long", statement=f"It says {words} and more.")
    # Whatever follows the limit is not searched for.
    assert keys_in(choices(editor_client, words + "beyond the limit")) == ["long"]
    assert keys_in(choices(editor_client, "z" + words)) == []


def test_the_chooser_shows_the_start_of_a_long_statement(editor_client):
    factories.ClaimFactory(key="long", statement="word " * 1000)
    html = choices(editor_client, "long")
    assert "word word" in html
    assert "word " * 100 not in html
    assert "…" in html


def test_the_chooser_is_for_those_who_may_write_briefings(client, claims):
    assert client.get(CHOOSER, {"q": "fund"}).status_code == 302  # to the login page
    client.force_login(factories.UserFactory())  # staff, without permissions
    assert client.get(CHOOSER, {"q": "fund"}).status_code == 403


# The preview -------------------------------------------------------------------------------


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


def test_without_the_script_the_change_form_previews_a_section_in_a_page_of_its_own(
    editor_client, claims, django_assert_max_num_queries
):
    briefing = factories.BriefingFactory()
    factories.SectionFactory(briefing=briefing, position=1, title="Intro", body="Hello.")
    factories.SectionFactory(briefing=briefing, position=2, title="Money", body="Old.")
    url = reverse("admin:curation_briefing_change", args=[briefing.pk])
    with django_assert_max_num_queries(20):
        form = editor_client.get(url).content.decode()
    assert 'formaction="/admin/section-preview/"' in form
    assert 'name="_preview" value="sections-1"' in form

    # The button posts the whole form, edits included, naming its section.
    data = admin_form(editor_client, url, **{"sections-1-body": "Now [[fund-size]]."})
    with django_assert_max_num_queries(10):
        response = editor_client.post(PREVIEW, {**data, "_preview": "sections-1"})
    html = response.content.decode()
    assert "Preview of “Money”" in html
    assert "The AI Subsidy Scheme is worth HK$3 billion." in html
    assert "Hello." not in html
    assert "section_editor.css" in html
    assert Section.objects.get(title="Money").body == "Old."


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
