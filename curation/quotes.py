"""
Finding a claim's verbatim quote in its source's archived text.

The rule (PRODUCT.md): matching ignores differences of white space (runs of spaces and line
breaks) and between straight and typographic quotes, apostrophes and dashes; otherwise it is exact
and case-sensitive. Offsets are reported in the original text, so the quote can be highlighted.
"""

import re
from dataclasses import dataclass

# Typographic characters and the plain character each one matches.
EQUIVALENTS = {
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark / apostrophe
    "\u201a": "'",  # single low-9 quotation mark
    "\u201b": "'",  # single high-reversed-9 quotation mark
    "\u2032": "'",  # prime
    "\u201c": '"',  # left double quotation mark
    "\u201d": '"',  # right double quotation mark
    "\u201e": '"',  # double low-9 quotation mark
    "\u201f": '"',  # double high-reversed-9 quotation mark
    "\u2033": '"',  # double prime
    "\u00ab": '"',  # left-pointing double angle quotation mark
    "\u00bb": '"',  # right-pointing double angle quotation mark
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus sign
}
_TRANSLATION = str.maketrans(EQUIVALENTS)
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class NormalisedText:
    """A text with white space collapsed and typography made plain, mapped back to the original."""

    text: str
    # positions[i] is the offset in the original text of normalised character i; one extra entry
    # holds the original length so an end offset can be mapped too.
    positions: tuple[int, ...]


def normalise(text: str) -> NormalisedText:
    chars = []
    positions = []
    in_space = False
    for offset, char in enumerate(text):
        if char.isspace():
            if not in_space:
                chars.append(" ")
                positions.append(offset)
            in_space = True
            continue
        in_space = False
        chars.append(char)
        positions.append(offset)
    positions.append(len(text))
    return NormalisedText("".join(chars).translate(_TRANSLATION), tuple(positions))


def normalise_quote(quote: str) -> str:
    return _WHITESPACE.sub(" ", quote).strip().translate(_TRANSLATION)


@dataclass(frozen=True)
class Match:
    start: int
    end: int


def locate(quote: str, source_text: NormalisedText | str) -> Match | None:
    """Return where the quote sits in the original text, or None if it is not there."""
    needle = normalise_quote(quote)
    if not needle:
        return None
    haystack = source_text if isinstance(source_text, NormalisedText) else normalise(source_text)
    index = haystack.text.find(needle)
    if index < 0:
        return None
    start = haystack.positions[index]
    last = index + len(needle) - 1
    end = haystack.positions[last] + 1
    return Match(start, end)


def nearest_passage(quote: str, source_text: NormalisedText | str, width: int = 40) -> str:
    """The passage of the source most like the quote, so an editor can correct a near miss."""
    needle = normalise_quote(quote)
    if not isinstance(source_text, NormalisedText):
        source_text = normalise(source_text)
    haystack = source_text.text
    if not needle or not haystack:
        return ""
    a, b, _ = longest_common_block(haystack, needle)
    # Align the window so the common block sits where it sits in the quote.
    start = max(0, a - b)
    end = min(len(haystack), start + len(needle) + width)
    start = max(0, start - width)
    passage = haystack[start:end].strip()
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(haystack) else ""
    return f"{prefix}{passage}{suffix}"


def longest_common_block(text: str, part: str) -> tuple[int, int, int]:
    """
    The longest run of characters `text` and `part` have in common: (where it starts in `text`,
    where in `part`, its length), the first in `text` (then in `part`) of the longest, as
    difflib's `find_longest_match` finds it, but in time linear in the two lengths (difflib's
    grows with their product: minutes for a long quote in a book-length source).

    A suffix automaton of `part` (the states that recognise every substring of it) is built,
    then `text` is read through it once, keeping the longest substring of `part` that ends at
    each character.
    """
    # State 0 is the empty string. For each state: the length of its longest string, its suffix
    # link, where its strings first end in `part`, and its transitions.
    length, link, first_end, moves = [0], [-1], [-1], [{}]
    last = 0
    for index, char in enumerate(part):
        new = len(length)
        length.append(length[last] + 1)
        link.append(0)
        first_end.append(index)
        moves.append({})
        state = last
        while state != -1 and char not in moves[state]:
            moves[state][char] = new
            state = link[state]
        if state != -1:
            target = moves[state][char]
            if length[state] + 1 == length[target]:
                link[new] = target
            else:
                clone = len(length)
                length.append(length[state] + 1)
                link.append(link[target])
                first_end.append(first_end[target])
                moves.append(dict(moves[target]))
                while state != -1 and moves[state].get(char) == target:
                    moves[state][char] = clone
                    state = link[state]
                link[target] = link[new] = clone
        last = new

    state = matched = 0
    best = (0, 0, 0)
    for index, char in enumerate(text):
        move = moves[state].get(char)
        while move is None and state:
            state = link[state]
            matched = length[state]
            move = moves[state].get(char)
        if move is None:
            matched = 0
        else:
            state, matched = move, matched + 1
            if matched > best[2]:
                best = (index - matched + 1, first_end[state] - matched + 1, matched)
    return best


def passage_around(text: str, start: int, end: int, width: int = 300) -> tuple[str, str, str]:
    """The text before, the quote itself and the text after, cut at word boundaries."""
    before_start = max(0, start - width)
    if before_start > 0:
        space = text.find(" ", before_start, start)
        before_start = space + 1 if space >= 0 else before_start
    after_end = min(len(text), end + width)
    if after_end < len(text):
        space = text.rfind(" ", end, after_end)
        after_end = space if space >= 0 else after_end
    before = ("…" if before_start > 0 else "") + text[before_start:start]
    after = text[end:after_end] + ("…" if after_end < len(text) else "")
    return before, text[start:end], after
