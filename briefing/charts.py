"""
Small inline SVG charts drawn on the server: one attribute of one subject over several dates.

No script and no style attributes (the site's Content Security Policy allows neither); SVG
presentation attributes and classes styled by site.css only. This module lays a series out;
`templates/includes/figures.html` draws it. Each point links to its claim. Two
sources giving different values for the same date are drawn as two points, never averaged.

A figure the source gives as a bound or a range is drawn as what the source allows
(`curation.agreement.interval`): a lower bound ("over 2,200") as its point with an arrow up to
the top of the plot, an upper bound with one down to the axis, a range or an "about" as a bar
from its low to its high end. The line joins the points only where no two figures of a date
conflict.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from curation.agreement import CONFLICT, compare, interval
from curation.figures import figure, format_value

WIDTH, HEIGHT = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 76, 24, 16, 40


@dataclass
class Series:
    attribute: str
    unit: str
    claims: list  # figure claims, ordered by as-of date then value

    @property
    def dates(self):
        return sorted({c.as_of for c in self.claims})

    @property
    def has_conflicts(self):
        """Whether two figures of one date conflict: their intervals have no value in common."""
        by_date = defaultdict(list)
        for claim in self.claims:
            by_date[claim.as_of].append(claim)
        return any(
            compare(claim, other) == CONFLICT
            for claims in by_date.values()
            for i, claim in enumerate(claims)
            for other in claims[i + 1 :]
        )

    @property
    def slug(self):
        return f"chart-{self.attribute}-{self.unit}".lower().replace("_", "-").replace(" ", "-")


def figure_series(claims):
    """Series worth a chart: figures sharing attribute and unit, at two or more as-of dates."""
    groups = defaultdict(list)
    for claim in claims:
        if claim.attribute and claim.value is not None and claim.as_of is not None:
            groups[(claim.attribute, claim.unit)].append(claim)
    series = []
    for (attribute, unit), members in sorted(groups.items()):
        if len({c.as_of for c in members}) >= 2:
            members.sort(key=lambda c: (c.as_of, c.value, c.key))
            series.append(Series(attribute, unit, members))
    return series


def _nice_step(span, count=4):
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `count` intervals."""
    raw = span / count
    power = Decimal(10) ** (raw.adjusted())
    for factor in (1, 2, Decimal("2.5"), 5, 10):
        if power * factor >= raw:
            return power * factor
    return power * 10


def _ticks(low, high, count=4):
    if high <= low:
        high = low + 1
    step = _nice_step(high - low, count)
    top = (high / step).to_integral_value(rounding="ROUND_CEILING") * step
    ticks, tick = [], low
    while tick <= top:
        ticks.append(tick)
        tick += step
    return ticks


@dataclass
class Tick:
    y: str
    label: str

    @property
    def label_y(self):
        return f"{float(self.y) + 4:.1f}"


@dataclass
class DateLabel:
    x: str
    anchor: str  # text-anchor: the first and last sit inside the frame
    label: str


@dataclass
class Bound:
    """What the source allows around a point: a bar from y1 to y2; `arrow`, the triangle's
    points at an open end ("up" for a lower bound, "down" for an upper one), else empty."""

    kind: str  # "up", "down" or "bar"
    y1: str
    y2: str
    arrow: str = ""


@dataclass
class Point:
    claim: object
    x: str
    y: str
    bound: Bound | None = None

    @property
    def label(self):
        c = self.claim
        return f"{figure(c)} as of {c.as_of:%d %b %Y}: {c.source.title}"


@dataclass
class Chart:
    """A series laid out in the SVG's coordinates, for `includes/figures.html` to draw."""

    series: Series
    ticks: list
    dates: list
    points: list
    line: str  # the polyline's points; empty where sources disagree (no line through both)

    width, height = WIDTH, HEIGHT
    left, right, bottom = LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM
    tick_label_x = LEFT - 8
    date_label_y = HEIGHT - BOTTOM + 22

    @property
    def title_id(self):
        return f"{self.series.slug}-title"

    @property
    def title(self):
        series = self.series
        return (
            f"{series.attribute.replace('_', ' ').capitalize()} by date ({series.unit or 'number'})"
        )


def line_chart(series):
    """A series of two or more dates laid out as a line chart (`Chart`)."""
    claims = series.claims
    dates = series.dates
    intervals = [interval(c) for c in claims]
    values = [Decimal(c.value) for c in claims]
    values += [Decimal(end) for ends in intervals for end in ends if end is not None]
    low = min(Decimal(0), min(values))
    ticks = _ticks(low, max(values))
    high = ticks[-1]

    def anchor(index):
        if index == 0:
            return "start" if len(dates) > 1 else "middle"
        return "end" if index == len(dates) - 1 else "middle"

    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    first, last = dates[0].toordinal(), dates[-1].toordinal()
    span = max(last - first, 1)

    def x(day):
        return f"{LEFT + plot_w * (day.toordinal() - first) / span:.1f}"

    def y(value):
        return f"{TOP + plot_h * float((high - Decimal(value)) / (high - low)):.1f}"

    def bound(claim, ends):
        start, end = ends
        if start == end:
            return None  # exact
        cx = float(x(claim.as_of))
        if end is None:  # a lower bound: up to the top of the plot
            return Bound("up", y(claim.value), str(TOP), arrow(cx, TOP, -1))
        if start is None:  # an upper bound: down to the axis
            bottom = HEIGHT - BOTTOM
            return Bound("down", y(claim.value), str(bottom), arrow(cx, bottom, 1))
        return Bound("bar", y(start), y(end))

    line = ""
    if not series.has_conflicts:
        line = " ".join(f"{x(c.as_of)},{y(c.value)}" for c in claims)
    return Chart(
        series,
        ticks=[Tick(y(t), format_value(Decimal(t), series.unit, compact=True)) for t in ticks],
        dates=[DateLabel(x(d), anchor(i), d.strftime("%b %Y")) for i, d in enumerate(dates)],
        points=[
            Point(c, x(c.as_of), y(c.value), bound(c, ends))
            for c, ends in zip(claims, intervals, strict=True)
        ],
        line=line,
    )


def arrow(x, tip, direction, size=6):
    """An arrowhead's points, its tip at (x, tip), pointing up (direction -1) or down (1)."""
    base = tip - direction * size * 1.5
    return f"{x - size:.1f},{base:.1f} {x + size:.1f},{base:.1f} {x:.1f},{tip:.1f}"
