"""
Editors' Markdown: rendered to HTML, sanitised, and for briefing sections rendered once, when
they are saved, rather than on every page view.

Everything editors type is untrusted: Markdown is rendered, then sanitised by nh3 with an
allow-list of tags and attributes, and links are limited to http(s) (and in-page fragments).

The parser is markdown-it-py (CommonMark, with GitHub's tables; raw HTML is passed to the
sanitiser), for its time linear in the length of the text, whatever the text: a section body
is up to `limits.SECTION_BODY` characters, and a paragraph of `[` must not take minutes to
save (Python-Markdown's did). tests/test_linear_parsing.py holds it to that at the limits.

Sections, rendered on save
    A section's body cites claims inline as `[[claim-key]]`. What a citation looks like on the
    page (its note number, whether the claim is disputed, in conflict or withdrawn) depends on
    the whole briefing and on the claims as they are when the page is read, so it cannot be
    stored. What can is everything else: `render_section()` renders and sanitises the body with
    each citation left as a marker, and returns the HTML split at the markers,
    `[html, key, html, key, ..., html]`. The reader site puts each key's citation in its place
    (`briefing.citations.render_briefing`, then the page's template), where rendering Markdown
    was most of the cost of an uncached briefing page. `Section.save()` stores the rendering
    with `RENDERING_VERSION`; a body rendered by another version (after a change here) is rendered
    again on read, and again on disk after `migrate` (`rerender_stale_sections`).

    The markers are an element of their own, `<sup>` around a token made afresh for each
    rendering (random, so no body can contain it), so a marker can only be found where the
    sanitiser kept an element: an attribute holding a token is dropped by the sanitiser (so
    nothing depends on how it escapes `<` in attributes), and a token left in text is removed.

    A citation is a link to its note, and HTML has no link inside a link (browsers end the
    outer one there): a citation written inside a link's text (`[the report [[key]]](url)`)
    is placed right after the link.
"""

import re
import secrets
from html.parser import HTMLParser
from importlib import metadata
from types import SimpleNamespace

import nh3
from markdown_it import MarkdownIt, helpers

# Bump RENDERER when a change here changes the HTML that `render_section()` returns. The libraries'
# versions are part of it too: after an upgrade of the parser or of the sanitiser (a security
# fix, say), every stored rendering is stale and made again.
RENDERER = 3
RENDERING_VERSION = (
    f"{RENDERER}; markdown-it-py {metadata.version('markdown-it-py')}; "
    f"nh3 {metadata.version('nh3')}"
)

CITATION = re.compile(r"\[\[\s*([-\w]+)\s*\]\]")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "em", "h3", "h4", "h5", "h6", "hr",
    "i", "li", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "id", "aria-label"}, "abbr": {"title"}}
ALLOWED_CLASSES = {
    "sup": {"cite", "is-disputed", "is-conflict", "is-unavailable"},
    "span": {"cite-flag"},
}
CITE_ID = re.compile(r"^cite-\d+-\d+$")
# The citation markers `render_section()` makes (a random token per rendering, then the
# citation's index).
MARKER_TOKEN = re.compile(r"cite[0-9a-f]{24}n\d+")


def _keep_attribute(element, attribute, value):
    # Ids are ours alone (citation anchors), so an editor cannot clash with the page's own ids.
    if attribute == "id":
        return value if CITE_ID.match(value) else None
    # A citation written inside raw HTML's attribute (`<abbr title="[[key]]">`) is not one (the
    # parser leaves raw HTML as typed) and the attribute goes, as its citation cannot show; a
    # marker must never be kept there either: markers are found by their markup, which must
    # only ever be an element's.
    if MARKER_TOKEN.search(value) or CITATION.search(value):
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    allowed_classes=ALLOWED_CLASSES,
    attribute_filter=_keep_attribute,
    url_schemes={"http", "https"},
    link_rel="noopener noreferrer",
)


def sanitise(html):
    """The allow-list every piece of editor Markdown goes through after rendering."""
    return _CLEANER.clean(html)


def _citation(state, silent):
    """The inline rule for `[[key]]`: a token of its own, which `_render_citation` renders."""
    if not state.src.startswith("[[", state.pos):
        return False
    match = CITATION.match(state.src, state.pos, state.posMax)
    if match is None:
        return False
    if not silent:
        state.push("citation", "sup", 0).meta["key"] = match.group(1)
    state.pos = match.end()
    return True


def _link_label(state, start, disable_nested=False):
    """
    markdown-it's `parseLinkLabel` (where a link's text ends, or -1), but for two things.

    A citation in a link's text does not make it a link inside a link, so
    `[the report [[key]]](url)` is a link, as it was before markdown-it.

    A label that runs unclosed to the end of its paragraph is remembered, and a label around it
    stops there: it cannot close either (from that `[` on it meets what the inner one met, the
    parser's cache of tokens makes sure of that, one level deeper). Without this, each of the up
    to `maxNesting` labels open around a position walks over it again, the parser's guard
    against deep nesting (the rest of the paragraph as one token) ending them all at once only
    every 20 characters, and a paragraph of `[` costs 20 times what other text does.
    """
    unclosed = getattr(state, "unclosed_labels", None)
    if unclosed is None:
        unclosed = state.unclosed_labels = set()
    old_pos, level, end = state.pos, 1, -1
    state.pos = start + 1
    while state.pos < state.posMax:
        marker = state.src[state.pos]
        if marker == "]":
            level -= 1
            if level == 0:
                end = state.pos
                break
        before = state.pos
        state.md.inline.skipToken(state)
        if marker == "[":
            if before == state.pos - 1:  # a `[` that is text, not the start of a token
                if (state.posMax, before) in unclosed:
                    state.pos = state.posMax
                    break
                level += 1
            elif (
                disable_nested
                and state.pos < state.posMax  # a token to the end: unclosed, as below
                and not _is_citation(state.src, before, state.pos)
            ):
                state.pos = old_pos
                return -1
    if end < 0:
        unclosed.add((state.posMax, start))
    state.pos = old_pos
    return end


def _is_citation(text, start, end):
    match = CITATION.match(text, start, end)
    return match is not None and match.end() == end


def _render_citation(renderer, tokens, index, options, env):
    """`<sup>TOKEN-n</sup>`, the keys listed in the order they are rendered in `env["keys"]`."""
    # Counted here, not while parsing: a citation in an image's text is parsed but not rendered.
    keys = env["keys"]
    keys.append(tokens[index].meta["key"])
    return f"<sup>{env['token']}{len(keys) - 1}</sup>"


def _any_link(url):
    return True


def _parser(with_citations):
    # CommonMark with raw HTML (the sanitiser decides what stays), and GitHub's tables.
    md = MarkdownIt("commonmark").enable("table")
    # Every link is a link, its URL judged by the sanitiser alone, as all the rest: markdown-it
    # would leave `[click](javascript:…)` as text, showing the script's words on the page.
    md.validateLink = _any_link
    if with_citations:
        # Before links, so `[[key]]` is never read as a link; a code span starting earlier
        # takes its text first, so `[[x]]` in code stays text.
        md.inline.ruler.before("link", "citation", _citation)
        # The parser's helpers are an attribute of it, for plugins to replace.
        md.helpers = SimpleNamespace(
            parseLinkDestination=helpers.parseLinkDestination,
            parseLinkTitle=helpers.parseLinkTitle,
            parseLinkLabel=_link_label,
        )
        md.add_render_rule("citation", _render_citation)
    # The parser compiles its rules on first use: done here, once, not by two threads at once.
    md.render("x", {"keys": [], "token": ""})
    return md


# Stateless between conversions (what one conversion gathers is in its `env`): shared by threads.
_PLAIN, _CITING = _parser(False), _parser(True)


def to_html(text):
    """Markdown (without citations) as sanitised HTML."""
    return sanitise(_PLAIN.render(text or "").strip())


def render_section(body):
    """A section body as `[html, key, html, ..., key, html]`: see the module docstring."""
    token = f"cite{secrets.token_hex(12)}n"  # as MARKER_TOKEN finds it
    env = {"token": token, "keys": []}
    html = sanitise(_CITING.render(body or "", env).strip())
    keys = env["keys"]
    pieces = re.split(f"<sup>{token}(\\d+)</sup>", html)
    parts = []
    for index, piece in enumerate(pieces):
        if index % 2:
            parts.append(keys[int(piece)])
        else:
            parts.append(re.sub(f"{token}\\d+", "", piece))
    return _citations_out_of_links(parts)


class _LinkEnds(HTMLParser):
    """Reads a piece of HTML: whether it ends inside a link, and where each link in it ends."""

    def __init__(self, html, inside):
        super().__init__(convert_charrefs=False)
        self.inside, self.ends = inside, []
        # Where each line starts, to turn the parser's positions into offsets: its lines end at
        # "\n" only (not at every character str.splitlines() breaks at, such as U+2028).
        self.lines = [0]
        for line in html.split("\n"):
            self.lines.append(self.lines[-1] + len(line) + 1)
        # Only a piece with a link's tag in it can change anything (the sanitiser writes tags in
        # lower case, and `<` in text as `&lt;`): a long table or list needs no parsing.
        if "<a" in html or "</a" in html:
            self.feed(html)
            self.close()

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.inside = True

    def handle_endtag(self, tag):
        if tag == "a" and self.inside:
            self.inside = False
            line, column = self.getpos()
            self.ends.append(self.lines[line - 1] + column + len("</a>"))


def _citations_out_of_links(parts):
    """`[html, key, html, ...]` with each citation inside a link's text moved after the link."""
    # The HTML between two citations left in place is gathered in `run` and joined once, so a
    # link holding thousands of citations costs time in proportion to its length.
    out, run, pending = [], [parts[0]], []
    inside = _LinkEnds(parts[0], False).inside
    for key, html in zip(parts[1::2], parts[2::2], strict=True):
        if not inside:
            out += ["".join(run), key]
            run = [html]
            inside = _LinkEnds(html, False).inside
            continue
        pending.append(key)
        piece = _LinkEnds(html, True)
        if not piece.ends:  # the link goes on past the next citation
            run.append(html)
            inside = piece.inside
            continue
        end = piece.ends[0]
        run.append(html[:end])
        out.append("".join(run))
        for moved in pending[:-1]:
            out += [moved, ""]
        out.append(pending[-1])
        run, pending = [html[end:]], []
        inside = _LinkEnds(html[end:], False).inside
    out.append("".join(run))
    for moved in pending:  # a link left open (the sanitiser closes them all)
        out += [moved, ""]
    return out
