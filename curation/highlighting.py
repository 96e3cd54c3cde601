"""
A source's archived text cut into pieces at its claims' quotes, for the pages that show it to
mark: the reader's source page and the source's admin page.
"""

from dataclasses import dataclass, field


@dataclass
class Piece:
    """
    A stretch of the text. `claim` is the claim whose quote it is part of (None: no quote),
    `anchor` the id of the piece a quote starts with, and `targets` the ids of other quotes
    starting at the same place, each printed as an empty element of its own just before it.
    """

    text: str
    claim: object = None
    anchor: str = ""
    targets: list = field(default_factory=list)


def highlight_quotes(text, claims):
    """
    The text in pieces, every claim's quote a piece (or several) of its own.

    Quotes may overlap: the text is cut at every quote boundary and each piece is marked for the
    claims covering it, linking to the one that starts first. The first piece of each quote
    carries the id `q-<claim key>`, so a claim page can link to its place in the source.
    """
    spans = sorted(
        (
            (c.quote_start, c.quote_end, c)
            for c in claims
            if c.quote_start is not None and c.quote_end is not None and c.quote_end <= len(text)
        ),
        key=lambda span: (span[0], -span[1], span[2].key),
    )
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    started = set()
    pieces = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        covering = [c for s, e, c in spans if s <= start and end <= e]
        if not covering:
            pieces.append(Piece(text[start:end]))
            continue
        anchors = []
        for c in covering:
            if c.pk not in started and c.quote_start == start:
                started.add(c.pk)
                anchors.append(f"q-{c.key}")
        pieces.append(
            Piece(text[start:end], covering[0], anchors[0] if anchors else "", anchors[1:])
        )
    return pieces
