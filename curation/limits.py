"""
The sizes of what editors type, in characters: one place for every limit a text is held to.

The model validates them (`full_clean()`, which the admin and every import call), so whatever
is saved fits; the CSV reader accepts cells up to the largest of them, so whatever the product
saves, its own backup restores (`export_bundle` -> `import_bundle`). Every text that is parsed
(Markdown, quotes, CSV) is parsed in time linear in its size, and these bound that size.
"""

# A source's archived text: a long report is a few hundred thousand characters; five million
# (about 2,500 printed pages) leaves room for a whole book without letting one row fill memory.
SOURCE_TEXT = 5_000_000

# A briefing section's Markdown body: a long chapter is 50,000 characters.
SECTION_BODY = 500_000

# Every other free text (a claim's statement and quote, notes, summaries, descriptions).
TEXT = 50_000

# A passage carried in a link from a source's admin page to a new claim's form (`?quote=`):
# servers refuse long request lines (gunicorn's default limit is 4,094 bytes), and a longer
# passage is pasted into the form instead.
PASSAGE = 2_000

# What a reader's search looks for (`/search/?q=`): a longer query is cut to this.
SEARCH_QUERY = 200

# What the section editor's citation chooser searches for (a claim's key, or words of its
# statement): a longer query is cut to this.
CHOOSER_QUERY = 100

# A revision's fields and values as one JSON cell (`base`, `content` in revisions.csv): a source's
# text with room for JSON's escapes (a line break or a quote is two characters), and other texts.
REVISION_CONTENT = 2 * SOURCE_TEXT + TEXT

# The longest cell the CSV reader accepts: the longest text any column holds.
CSV_CELL = max(SOURCE_TEXT, SECTION_BODY, TEXT, REVISION_CONTENT)
