"""
Reading the briefing in a real Chromium at 1280px and 390px: the home page is short because its
notes are a line each, a note's quote opens and closes without JavaScript, every target a reader
taps is at least 24 x 24 px (WCAG 2.2, 2.5.8), and a list's filters fold away on a phone.

The same content as tests/test_browser.py (the seed bundle, or factory content if it cannot be
loaded). Refreshes the README's screenshot of the notes under UPDATE_SCREENSHOTS=1.
"""

import pytest

from tests import test_browser
from tests.test_browser import DESKTOP, PHONE, SCREENSHOTS

content = test_browser.content  # the same content, as a fixture of this module

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The seed's home page at 1280px before its notes were made compact, each then repeating its
# full quote, source and badges: 31,545px, 23,000 of them notes.
SEED_HOME_BEFORE = 31_545
TARGET = 24  # px, WCAG 2.2 target size (minimum)


@pytest.fixture
def reader(browser, live_server):
    """A page opener: `reader(viewport, javascript=True)`."""
    contexts = []

    def open_page(viewport, javascript=True):
        context = browser.new_context(
            viewport=viewport, base_url=live_server.url, java_script_enabled=javascript
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def height(page):
    return page.evaluate("document.documentElement.scrollHeight")


def test_the_home_page_is_under_a_third_of_its_old_height_its_notes_a_line_each(reader, content):
    page = reader(DESKTOP)
    page.goto("/")

    notes = page.locator(".notes-list > li")
    tallest = max(box["height"] for box in (n.bounding_box() for n in notes.all()))
    assert notes.count() > 0 and tallest < 2 * TARGET  # one line, not a quote and three badges
    if content["origin"] == "seed":
        assert height(page) < SEED_HOME_BEFORE / 3

    # Every quote opened, the notes are as long as they were: the quotes are all still there.
    closed = height(page)
    for summary in page.locator(".note-details > summary").all():
        summary.click()
    assert height(page) > closed + notes.count() * TARGET

    phone = reader(PHONE)
    phone.goto("/")
    rows = [n.bounding_box()["height"] for n in phone.locator(".notes-list > li").all()]
    # The statement in two lines at most, then the source, grade and status: no quote.
    assert max(rows) < 6 * TARGET
    assert not phone.locator(".note-quote").first.is_visible()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_a_note_opens_and_closes_without_javascript(reader, content, viewport):
    page = reader(viewport, javascript=False)
    page.goto("/")
    note = page.locator(".notes-list > li").first
    quote = note.locator(".note-quote")
    statement = note.locator("a.note-statement")
    assert statement.is_visible() and not quote.is_visible()

    note.locator("summary").click()
    assert quote.is_visible()
    assert note.locator(".note-source-line .source-title").is_visible()
    if viewport == DESKTOP:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("#notes").scroll_into_view_if_needed()
        page.evaluate("document.querySelector('#notes').scrollIntoView({behavior: 'instant'})")
        page.screenshot(path=str(SCREENSHOTS / "notes.png"))

    note.locator("summary").click()
    assert not quote.is_visible()
    # The claim's page keeps the full view.
    statement.click()
    page.wait_for_url("**/claims/**")
    assert page.locator("blockquote.context mark").is_visible()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_citations_back_links_and_toggles_are_at_least_24px(reader, content, viewport):
    page = reader(viewport)
    page.goto("/")
    small = []
    for selector in ("sup.cite a", ".backlinks a", ".note-details > summary"):
        targets = page.locator(selector).all()
        assert targets, selector
        for target in targets:
            box = target.bounding_box()
            if box["width"] < TARGET or box["height"] < TARGET:
                small.append(f"{selector} {target.inner_text()!r}: {box['width']}x{box['height']}")
    assert small == []


def test_a_lists_filters_fold_away_on_a_phone_and_stay_open_beside_it(reader, content):
    phone = reader(PHONE, javascript=False)
    phone.goto("/claims/")
    sort = phone.get_by_label("Sort by")
    assert not sort.is_visible()
    first_result = phone.locator(".claim-list .claim-item").first.bounding_box()
    assert first_result["y"] < 900  # the first result is on the first screen

    phone.get_by_text("Filter and sort").click()
    assert sort.is_visible()
    sort.select_option("key")
    phone.get_by_role("button", name="Apply").click()
    phone.wait_for_url("**sort=key*")
    assert "(1 applied)" in phone.locator(".filters-disclosure > summary").inner_text()

    desktop = reader(DESKTOP)
    desktop.goto("/claims/")
    assert desktop.get_by_label("Sort by").is_visible()
    assert desktop.get_by_label("Kind").locator("option").first.inner_text() == "Any"


def test_the_sources_table_reflows_on_a_phone(reader, content):
    phone = reader(PHONE)
    phone.goto("/")
    grades = phone.locator("#sources td[data-label='Grade']")
    assert grades.count() > 0
    for grade in grades.all():
        box = grade.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert grade.is_visible()
