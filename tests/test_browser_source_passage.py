"""
A claim from the source, in a real Chromium: an editor selects a passage in a source's archived
text on its admin page, follows "New claim from this passage" (by mouse or keyboard), and saves
the claim the form opens with, whose quote is found in the source on the first try. The page
passes axe-core with no serious or critical violation, fits a 390px screen and logs no error.
"""

from pathlib import Path

import pytest
from django.conf import settings

from curation.models import Claim
from tests import factories as f
from tests.test_browser import OVERFLOW, PHONE, log_in, serious_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts"

ESSAY = """The Cause of Hong Kong Cyberport Construction

Any country needs the development of science.

Completion of Hong Kong Cyberport

After the 1997 financial turmoil, industry professionals reached consensus on the way ahead.

At the beginning of 1998, the Hong Kong Special Administrative Region Government and the \
then influential company Pacific Century Group cooperated to invest in the Cyberport. In \
September of the same year, the Cyberport started construction in the Southern District.

Purpose of Hong Kong Cyberport

Before 1997, Hong Kong was ruled by the British colonial government.
"""
# It runs into the quote of an existing claim, so the selection spans the marked text too.
PASSAGE = (
    "At the beginning of 1998, the Hong Kong Special Administrative Region Government and the "
    "then influential company Pacific Century Group cooperated to invest in the Cyberport."
)
LOCATOR = "section 'Completion of Hong Kong Cyberport', para 2"

# Select `passage` in the archived text as a reader's drag would: a range from the text node
# where it starts to the one where it ends, across the marks of quotes in between.
SELECT = """passage => {
    const text = document.querySelector(".source-passages-text");
    const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
    const nodes = [];
    let all = "";
    while (walker.nextNode()) {
        nodes.push([walker.currentNode, all.length]);
        all += walker.currentNode.data;
    }
    const start = all.indexOf(passage), end = start + passage.length;
    const at = offset => {
        const [node, from] = nodes.filter(([, from]) => from <= offset).pop();
        return [node, offset - from];
    };
    const range = document.createRange();
    range.setStart(...at(start));
    range.setEnd(...at(end));
    document.getSelection().removeAllRanges();
    document.getSelection().addRange(range);
}"""


@pytest.fixture
def essay(db):
    editor = f.editor(username="eddie")
    editor.set_password("a long passphrase for eddie")
    editor.save()
    source = f.SourceFactory(key="cyberport-essay", title="The Cyberport essay", text=ESSAY)
    f.ClaimFactory(
        key="pcg-partnership",
        source=source,
        quote="Pacific Century Group cooperated to invest",
        statement="The government and Pacific Century Group invested in Cyberport together.",
    )
    return source


@pytest.fixture
def desk(browser, live_server, essay):
    """The editor, signed in, at a desk of 1280px."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    log_in(page, "eddie", "a long passphrase for eddie")
    yield page
    context.close()


def start_claim_from_passage(page, source, follow):
    page.goto(f"/admin/curation/source/{source.pk}/change/")
    link = page.get_by_role("link", name="New claim from this source")
    assert link.is_visible()
    page.evaluate(SELECT, PASSAGE)
    link = page.get_by_role("link", name="New claim from this passage")
    link.wait_for()
    assert "At the beginning of 1998" in page.locator("[data-passage-status]").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "source-passage.png"), full_page=True)
    follow(link)
    page.wait_for_url("**/admin/curation/claim/add/*")


def save_claim(page):
    assert page.get_by_label("Quote").input_value() == PASSAGE
    assert page.get_by_label("Locator").input_value() == LOCATOR
    page.get_by_label("Key").fill("gov-pcg-invest-1998")
    page.get_by_label("Statement").fill("The government and PCG invested in Cyberport in 1998.")
    page.get_by_role("button", name="Save", exact=True).first.click()
    page.wait_for_url("**/admin/curation/claim/")
    assert page.locator(".errorlist").count() == 0


def test_an_editor_selects_a_passage_and_saves_a_claim_quoting_it_on_the_first_try(desk, essay):
    start_claim_from_passage(desk, essay, lambda link: link.click())
    save_claim(desk)
    claim = Claim.objects.get(key="gov-pcg-invest-1998")
    assert (claim.source, claim.quote, claim.locator) == (essay, PASSAGE, LOCATOR)
    assert ESSAY[claim.quote_start : claim.quote_end] == PASSAGE
    assert claim.status == Claim.Status.DRAFT
    assert desk.console_errors == []


def test_the_link_carries_the_passage_when_followed_from_the_keyboard(desk, essay):
    def press_enter(link):
        link.focus()
        link.press("Enter")

    start_claim_from_passage(desk, essay, press_enter)
    save_claim(desk)
    assert Claim.objects.get(key="gov-pcg-invest-1998").locator == LOCATOR


def test_the_sources_page_passes_axe_and_fits_a_phone(browser, live_server, desk, essay):
    url = f"/admin/curation/source/{essay.pk}/change/"
    session = desk.context.storage_state()
    phone = browser.new_context(viewport=PHONE, base_url=live_server.url, storage_state=session)
    # axe is injected as an inline script, which the admin's Content Security Policy forbids.
    audited = browser.new_context(base_url=live_server.url, bypass_csp=True, storage_state=session)
    try:
        small = phone.new_page()
        small.goto(url)
        small.evaluate(SELECT, PASSAGE)
        small.get_by_role("link", name="New claim from this passage").wait_for()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        small.locator(".source-passages").screenshot(
            path=str(SCREENSHOTS / "source-passage-phone.png")
        )
        assert small.evaluate(OVERFLOW) <= 0
        auditor = audited.new_page()
        auditor.goto(url)
        auditor.evaluate(SELECT, PASSAGE)
        auditor.get_by_role("link", name="New claim from this passage").wait_for()
        assert serious_axe_violations(auditor) == []
    finally:
        phone.close()
        audited.close()


def test_a_passage_too_long_for_a_link_is_not_carried_and_the_editor_is_told(desk, essay):
    essay.text = ESSAY + "\n" + "A long paragraph of the essay goes on. " * 60 + "\n"
    essay.save()
    desk.goto(f"/admin/curation/source/{essay.pk}/change/")
    desk.evaluate(SELECT, "A long paragraph of the essay goes on. " * 55)
    desk.get_by_text("That passage is too long to carry (2,144 characters)").wait_for()
    link = desk.get_by_role("link", name="New claim from this source")
    assert link.get_attribute("href").endswith(f"?source={essay.pk}")
    desk.evaluate(SELECT, PASSAGE)
    desk.get_by_role("link", name="New claim from this passage").wait_for()
    assert desk.console_errors == []
