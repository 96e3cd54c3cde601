"""
The section editor in Chromium: an editor finds a claim with the citation chooser (keyboard and
mouse, in a section that was there and in one added with "Add another section"), which inserts
[[key]] at the cursor; the preview shows the section with its note and flags a draft claim with
a link to it. The page passes axe-core with no serious or critical violation, fits a 390px
screen and logs no console error (a script the admin's Content Security Policy refused would).
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

from curation.models import Claim, Section
from tests import factories as f
from tests.test_browser import OVERFLOW, PHONE, log_in, serious_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / (
    "docs/screenshots" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else "test-artifacts"
)
PASSWORD = "a long passphrase for eddie"


@pytest.fixture
def briefing(db):
    f.ClaimFactory(key="scheme-budget", statement="The AI Subsidy Scheme is worth HK$3 billion.")
    f.ClaimFactory(
        key="centre-utilisation",
        statement="The supercomputing centre is over 90% utilised.",
        status=Claim.Status.DRAFT,
        confidence="",
    )
    briefing = f.BriefingFactory(title="Draft edition")
    f.SectionFactory(briefing=briefing, position=1, title="Funding", body="The scheme is big.")
    editor = f.editor(username="eddie")
    editor.set_password(PASSWORD)
    editor.save()
    return briefing


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    context.close()


def test_the_chooser_cites_a_claim_and_the_preview_shows_its_note(page, briefing):
    log_in(page, "eddie", PASSWORD)
    page.goto(f"/admin/curation/briefing/{briefing.pk}/change/")
    body = page.locator("#id_sections-0-body")
    body.click()
    body.press("End")  # the cursor after "big."
    body.press("ArrowLeft")  # ... and before its stop

    chooser = page.get_by_role("combobox", name="Find a claim to cite").first
    chooser.fill("subsidy")
    option = page.get_by_role("option", name="scheme-budget")
    option.wait_for()
    assert "Verified" in option.inner_text()
    assert "1 claim matches" in page.locator(".chooser-status").first.inner_text()
    chooser.press("ArrowDown")
    assert option.get_attribute("aria-selected") == "true"
    chooser.press("Enter")
    assert body.input_value() == "The scheme is big[[scheme-budget]]."
    assert body.evaluate("el => el === document.activeElement")

    body.press("End")
    body.type(" A draft: ")
    chooser.fill("centre")
    page.get_by_role("option", name="centre-utilisation").click()
    assert body.input_value().endswith("A draft: [[centre-utilisation]]")

    page.get_by_role("button", name="Preview section").first.click()
    preview = page.locator(".section-preview").first
    preview.locator(".notes-list").wait_for()
    assert "Funding" in preview.locator("h2").inner_text()
    note = preview.locator("#note-1")
    assert "The AI Subsidy Scheme is worth HK$3 billion." in note.inner_text()
    preview.locator("#cite-1-1").click()
    assert page.url.endswith("#note-1")
    flagged = preview.locator(".preview-flags").get_by_role("link", name="centre-utilisation")
    draft = Claim.objects.get(key="centre-utilisation")
    assert flagged.get_attribute("href") == f"/admin/curation/claim/{draft.pk}/change/"
    assert "1 citation not public" in page.locator(".preview-status").first.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "section-editor.png"), full_page=True)

    # A section added on the page has its chooser too.
    page.get_by_role("button", name="Add another Section").click()
    page.locator("#id_sections-1-position").fill("2")
    page.locator("#id_sections-1-title").fill("Compute")
    added = page.locator("#id_sections-1-body")
    added.fill("Busy. ")
    chooser = page.locator("#id_sections-1-body_chooser")
    assert chooser.get_attribute("aria-controls") == "id_sections-1-body_choices"
    chooser.fill("subsidy")
    page.locator("#id_sections-1-body_choices").get_by_role("option").first.wait_for()
    chooser.press("Enter")
    assert added.input_value() == "Busy. [[scheme-budget]]"

    page.get_by_role("button", name="Save and continue editing").first.click()
    page.wait_for_selector(".messagelist")
    assert list(Section.objects.order_by("position").values_list("body", flat=True)) == [
        "The scheme is big[[scheme-budget]]. A draft: [[centre-utilisation]]",
        "Busy. [[scheme-budget]]",
    ]
    assert page.console_errors == []


def open_editor(context, url):
    """The section editor at `url` with the chooser's list open and a preview shown, and the
    console errors it logs."""
    editor = context.new_page()
    errors = []
    editor.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    editor.on("pageerror", lambda error: errors.append(str(error)))
    editor.goto(url)
    body = "Big [[scheme-budget]], maybe [[centre-utilisation]]."
    editor.locator("#id_sections-0-body").fill(body)
    editor.get_by_role("button", name="Preview section").first.click()
    editor.locator(".section-preview .notes-list").wait_for()
    editor.get_by_role("combobox", name="Find a claim to cite").first.fill("s")
    editor.get_by_role("option").first.wait_for()
    return editor, errors


def test_the_section_editor_passes_axe_and_fits_a_phone(browser, live_server, page, briefing):
    log_in(page, "eddie", PASSWORD)
    url = f"/admin/curation/briefing/{briefing.pk}/change/"
    session = page.context.storage_state()
    phone = browser.new_context(viewport=PHONE, base_url=live_server.url, storage_state=session)
    # axe is injected as an inline script, which the admin's Content Security Policy forbids.
    audited = browser.new_context(base_url=live_server.url, bypass_csp=True, storage_state=session)
    try:
        small, errors = open_editor(phone, url)
        overflow = small.evaluate(OVERFLOW)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        small.screenshot(path=str(SCREENSHOTS / "section-editor-phone.png"), full_page=True)
        auditor, _ = open_editor(audited, url)
        violations = serious_axe_violations(auditor)
    finally:
        phone.close()
        audited.close()
    assert overflow <= 0, f"scrolls sideways by {overflow}px at 390px"
    assert violations == []
    assert errors == []


def test_without_javascript_the_preview_opens_in_a_tab_of_its_own(browser, live_server, briefing):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, "eddie", PASSWORD)
        page.goto(f"/admin/curation/briefing/{briefing.pk}/change/")
        assert page.get_by_role("combobox", name="Find a claim to cite").count() == 0
        page.locator("#id_sections-0-body").fill("Typed by hand [[scheme-budget]].")
        with context.expect_page() as opened:
            page.get_by_role("button", name="Preview section").click()
        preview = opened.value
        preview.wait_for_load_state()
        assert preview.locator("h1").inner_text() == "Preview of \u201cFunding\u201d"
        assert "HK$3 billion" in preview.locator("#note-1").inner_text()
    finally:
        context.close()
    assert Section.objects.get().body == "The scheme is big."
