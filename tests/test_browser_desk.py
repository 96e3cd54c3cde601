"""
The editors' desk in Chromium: a reviewer goes from the desk to a review in one click, and the
desk passes axe-core, fits a phone and logs no console error, for a reviewer and an editor.
"""

import pytest

from curation import revisions
from curation.models import Claim
from tests import factories as f
from tests.test_browser import OVERFLOW, PHONE, log_in, review_page_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-desk-password-0123"


def user(make):
    made = make()
    made.set_password(PASSWORD)
    made.save()
    return made


@pytest.fixture
def work():
    """An editor's submitted revision of a public claim, and a claim in review."""
    editor = user(f.editor)
    claim = f.ClaimFactory(key="fund-size", statement="The fund holds HK$3 billion.")
    revision = revisions.propose(
        claim,
        {**revisions.snapshot(claim), "statement": "The fund holds HK$3.1 billion."},
        editor,
    )
    revisions.submit(revision, editor)
    f.ClaimFactory(key="new-claim", status=Claim.Status.IN_REVIEW, created_by=editor)
    return {"editor": editor, "revision": revision}


def test_a_reviewer_goes_from_the_desk_to_a_review_in_one_click(browser, live_server, work):
    reviewer = user(f.reviewer)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        log_in(page, reviewer.username, PASSWORD)
        awaiting = page.locator("#desk-awaiting")
        assert awaiting.get_by_role("heading", name="Awaiting my review").is_visible()
        awaiting.get_by_role("link", name="fund-size").click()
        page.wait_for_url(f"**/admin/curation/revision/{work['revision'].pk}/review/")
        assert "3.1" in page.locator(".review-diff").first.inner_text()
        assert page.get_by_role("button", name="Approve").count() >= 1
        assert errors == []
        problems = review_page_problems(browser, live_server, page.context, "/admin/")
        assert problems == [], problems
    finally:
        context.close()


def test_the_desk_fits_a_phone_and_passes_axe_for_an_editor(browser, live_server, work):
    context = browser.new_context(viewport=PHONE, base_url=live_server.url)
    page = context.new_page()
    try:
        log_in(page, work["editor"].username, PASSWORD)
        assert page.locator("#desk-mine").get_by_text("new-claim").count() == 0  # in review
        assert page.locator("#desk-mine").get_by_role("link", name="fund-size").is_visible()
        assert page.evaluate(OVERFLOW) <= 0
        problems = review_page_problems(browser, live_server, page.context, "/admin/")
        assert problems == [], problems
    finally:
        context.close()


def test_the_claim_list_fits_1280px_with_its_status_kind_and_confidence(browser, live_server, work):
    long_title = "Hong Kong's AI-Driven Infrastructure Surge: Strategic Partnerships and Policy"
    f.ClaimFactory(
        key="a-claim-with-a-rather-long-key-2025",
        source=f.SourceFactory(title=long_title),
        initiative=f.InitiativeFactory(name="Artificial Intelligence Subsidy Scheme"),
        kind=Claim.Kind.FIGURE,
        attribute="budget",
        value=3_000_000_000,
        unit="HKD",
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    try:
        log_in(page, work["editor"].username, PASSWORD)
        page.goto("/admin/curation/claim/")
        assert page.evaluate(OVERFLOW) <= 0
        for column in ("status", "kind", "confidence"):
            header = page.locator(f"#result_list th.column-{column}")
            box = header.bounding_box()
            assert box is not None and box["x"] + box["width"] <= 1280, column
        scroller = page.locator(".results")
        sideways = scroller.evaluate("node => node.scrollWidth - node.clientWidth")
        assert sideways <= 0, f"the claim list scrolls sideways by {sideways}px"
    finally:
        context.close()
