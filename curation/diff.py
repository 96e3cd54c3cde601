"""
A word-level diff of two texts, for a reviewer comparing a live value with a proposed one.

Texts are cut into tokens as Wagtail's admin compare view cuts them: a run of word characters, a
run of white space, or any other single character; a changed word is shown whole. The common
start and end are set aside first, in time linear in the texts' lengths, so a small edit to a
long text costs little. What remains is compared with difflib only if it is at most MAX_TOKENS
tokens on each side; beyond that it is shown as one deletion and one insertion, whatever an editor
pasted. Inputs are the texts editors save (`curation/limits.py`), up to a source's full text.
"""

import difflib
import re

# difflib's matching takes time that grows with the cube of the length on repetitive text (a
# paste of "a a a ..." against "b b b ..."), so this bounds what one comparison can cost.
MAX_TOKENS = 500

_TOKEN = re.compile(r"\w+|\s+|.", re.DOTALL)
# Two characters of one token: cutting between them would split a word or a run of white space.
_RUN = re.compile(r"\w\w|\s\s")


def word_diff(old: str, new: str, context: int | None = None) -> list[tuple[str, str]]:
    """[(op, text)] with op in "equal", "delete", "insert", "gap"; concatenating the equal+delete
    texts gives old, equal+insert gives new (when context is None)."""
    old, new = old or "", new or ""
    start = _common_length(old, new)
    while start and (_splits(old, start) or _splits(new, start)):
        start -= 1
    end = _common_length(old[start:][::-1], new[start:][::-1])
    while end and (_splits(old, len(old) - end) or _splits(new, len(new) - end)):
        end -= 1
    old_middle, new_middle = old[start : len(old) - end], new[start : len(new) - end]

    pieces = [("equal", old[:start])]
    # A middle over 40 characters a token is not even cut into tokens (a 5 MB source text would
    # cost some 100 MB of them): shown whole, as one past the token limit is.
    too_long = max(len(old_middle), len(new_middle)) > MAX_TOKENS * 40
    old_tokens = [] if too_long else _TOKEN.findall(old_middle)
    new_tokens = [] if too_long else _TOKEN.findall(new_middle)
    if too_long or max(len(old_tokens), len(new_tokens)) > MAX_TOKENS:
        pieces += [("delete", old_middle), ("insert", new_middle)]
    else:
        matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op in ("equal", "delete", "replace"):
                pieces.append(("equal" if op == "equal" else "delete", "".join(old_tokens[i1:i2])))
            if op in ("insert", "replace"):
                pieces.append(("insert", "".join(new_tokens[j1:j2])))
    pieces.append(("equal", old[len(old) - end :]))

    # No two neighbours share an op: difflib's opcodes alternate unchanged and changed runs, and
    # the middle starts and ends with tokens that differ, so only empty pieces need dropping.
    pieces = [(op, text) for op, text in pieces if text]
    return pieces if context is None else _elide(pieces, context)


def _common_length(a, b):
    """The length of the longest common start of `a` and `b`, in characters."""
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))


def _splits(text, i):
    """Whether cutting `text` before character `i` would cut a token in two."""
    return 0 < i < len(text) and _RUN.fullmatch(text, i - 1, i + 1) is not None


def _elide(pieces, context):
    """Shorten long unchanged stretches to `context` characters next to each change."""
    result = []
    for index, (op, text) in enumerate(pieces):
        if op != "equal" or len(text) <= 2 * context + 1:
            result.append((op, text))
            continue
        if index > 0 and context:
            result.append(("equal", text[:context]))
        result.append(("gap", "…"))
        if index < len(pieces) - 1 and context:
            result.append(("equal", text[len(text) - context :]))
    return result
