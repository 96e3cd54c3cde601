"""
Small inline SVG charts drawn on the server: one attribute of one subject over several dates.

No script and no style attributes (the site's Content Security Policy allows neither); SVG
presentation attributes and classes styled by site.css only. Each point links to its claim. Two
sources giving different values for the same date are drawn as two points, never averaged.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from .figures import format_value

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
        by_date = defaultdict(set)
        for claim in self.claims:
            by_date[claim.as_of].add(claim.value)
        return any(len(values) > 1 for values in by_date.values())

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


def line_chart(series):
    claims = series.claims
    dates = series.dates
    values = [Decimal(c.value) for c in claims]
    low = min(Decimal(0), min(values))
    ticks = _ticks(low, max(values))
    high = ticks[-1]

    def tick_label(value):
        return format_value(Decimal(value), series.unit, compact=True)

    def anchor(index):
        # The first and last date labels sit inside the frame rather than centred off its edge.
        if index == 0:
            return "start" if len(dates) > 1 else "middle"
        return "end" if index == len(dates) - 1 else "middle"

    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    first, last = dates[0].toordinal(), dates[-1].toordinal()
    span = max(last - first, 1)

    # Coordinates as strings: format_html escapes its arguments, so no format specs there.
    def x(day):
        return f"{LEFT + plot_w * (day.toordinal() - first) / span:.1f}"

    def y(value):
        return f"{TOP + plot_h * float((high - Decimal(value)) / (high - low)):.1f}"

    grid = format_html_join(
        "",
        '<line class="chart-grid" x1="{}" x2="{}" y1="{}" y2="{}"></line>'
        '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>',
        (
            (
                LEFT,
                WIDTH - RIGHT,
                y(t),
                y(t),
                LEFT - 8,
                f"{float(y(t)) + 4:.1f}",
                tick_label(t),
            )
            for t in ticks
        ),
    )
    labels = format_html_join(
        "",
        '<text class="chart-label" x="{}" y="{}" text-anchor="{}">{}</text>',
        ((x(d), HEIGHT - BOTTOM + 22, anchor(i), d.strftime("%b %Y")) for i, d in enumerate(dates)),
    )
    line = ""
    if not series.has_conflicts:
        path = " ".join(f"{x(c.as_of)},{y(c.value)}" for c in claims)
        line = format_html('<polyline class="chart-line" points="{}"></polyline>', path)
    points = format_html_join(
        "",
        '<a href="{}" aria-label="{}"><circle class="chart-point{}" cx="{}" cy="{}" '
        'r="6"></circle></a>',
        (
            (
                c.get_absolute_url(),
                f"{format_value(c.value, c.unit)} as of {c.as_of:%d %b %Y}: {c.source.title}",
                " is-disputed" if c.status == "disputed" else "",
                x(c.as_of),
                y(c.value),
            )
            for c in claims
        ),
    )
    title_id = f"{series.slug}-title"
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="{}" height="{}" '
        'aria-labelledby="{}" focusable="false"><title id="{}">{}</title>'
        '<line class="chart-axis" x1="{}" x2="{}" y1="{}" y2="{}"></line>{}{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        title_id,
        title_id,
        f"{series.attribute.replace('_', ' ').capitalize()} by date ({series.unit or 'number'})",
        LEFT,
        WIDTH - RIGHT,
        HEIGHT - BOTTOM,
        HEIGHT - BOTTOM,
        grid,
        labels,
        line,
        mark_safe(points),
    )
