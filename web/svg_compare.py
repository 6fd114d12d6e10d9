"""The level-gap chart of a comparison, drawn on the server as SVG (no script, no inline style).

One row per competency both occupations give a level for (and at least one requires): a line
on O*NET's 0-7 level scale from A's level (a circle) to B's (a diamond), the gap written at the
end of the row. Colours are presentation attributes and classes (``compare.css``), which a
``style-src 'self'`` Content-Security-Policy allows. On a page the chart comes with its numbers
as a table (:func:`gap_figure`); ``/compare/gaps.svg`` serves the chart alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from competency_kg.compare.index import local_path
from competency_kg.compare.model import Comparison, Item
from competency_kg.compare.scoring import LEVEL_MAX
from competency_kg.web.svg import data_table

WIDTH = 760
LABEL_W = 250
GAP_W = 70
ROW_H = 24
TOP = 46
BOTTOM = 30
A_COLOUR = "#1f5fbf"
B_COLOUR = "#b45309"
UP_COLOUR = "#b42318"
DOWN_COLOUR = "#1a7f37"


def _x(level: float) -> float:
    plot = WIDTH - LABEL_W - GAP_W - 20
    return LABEL_W + 10 + plot * max(0.0, min(LEVEL_MAX, level)) / LEVEL_MAX


def _short(text: str, n: int = 36) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def gap_chart(c: Comparison, items: Sequence[Item] | None = None, limit: int = 30) -> Markup:
    """The chart as an inline ``<svg>`` element (empty markup when no competency has levels on
    both sides)."""
    rows = list(items) if items is not None else c.gaps(limit)
    if not rows:
        return Markup("")
    height = TOP + ROW_H * len(rows) + BOTTOM
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="gap-chart" viewBox="0 0 {WIDTH} '
        f'{height}" width="100%" role="img" aria-labelledby="gap-chart-title gap-chart-desc">',
        '<title id="gap-chart-title">Level gaps between the two occupations</title>',
        f'<desc id="gap-chart-desc">For {len(rows)} competencies, the level '
        f"{escape(c.a.title)} needs (circle) and the level {escape(c.b.title)} needs (diamond), "
        "on O*NET's 0 to 7 level scale; the number is the gap.</desc>",
    ]
    # legend
    out.append(
        f'<circle cx="{LABEL_W + 16}" cy="14" r="6" fill="{A_COLOUR}"/>'
        f'<text x="{LABEL_W + 28}" y="18" class="legend">A: {escape(_short(c.a.title, 30))}'
        "</text>"
    )
    lx = LABEL_W + 260
    out.append(
        f'<path d="M{lx} 8 L{lx + 6} 14 L{lx} 20 L{lx - 6} 14 Z" fill="{B_COLOUR}"/>'
        f'<text x="{lx + 12}" y="18" class="legend">B: {escape(_short(c.b.title, 30))}</text>'
    )
    # grid
    bottom = TOP + ROW_H * len(rows)
    for level in range(int(LEVEL_MAX) + 1):
        x = _x(level)
        out.append(
            f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{bottom}" stroke="#d9dee7" '
            'stroke-width="1"/>'
            f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle" class="tick">{level}'
            "</text>"
        )
    out.append(
        f'<text x="{WIDTH - GAP_W + 6}" y="{TOP - 12}" class="tick">gap</text>'
        f'<text x="{LABEL_W + 10}" y="{TOP - 12}" class="tick">level (O*NET 0–7)</text>'
    )
    for n, item in enumerate(rows):
        y = TOP + ROW_H * n + ROW_H / 2
        la = item.a.level if item.a else None
        lb = item.b.level if item.b else None
        if la is None or lb is None:
            continue
        gap = lb - la
        colour = UP_COLOUR if gap > 0.005 else DOWN_COLOUR if gap < -0.005 else "#5b6475"
        xa, xb = _x(la), _x(lb)
        status = item.status or ""
        out.append(f'<g class="gap-row {escape(status)}">')
        out.append(f"<title>{escape(item.label)}: A {la:.2f}, B {lb:.2f}, gap {gap:+.2f}</title>")
        out.append(
            f'<text x="{LABEL_W}" y="{y + 4:.1f}" text-anchor="end" class="label">'
            f"{escape(_short(item.label))}</text>"
        )
        out.append(
            f'<line x1="{xa:.1f}" y1="{y:.1f}" x2="{xb:.1f}" y2="{y:.1f}" stroke="{colour}" '
            'stroke-width="3"/>'
        )
        out.append(f'<circle cx="{xa:.1f}" cy="{y:.1f}" r="6" fill="{A_COLOUR}"/>')
        out.append(
            f'<path d="M{xb:.1f} {y - 6:.1f} L{xb + 6:.1f} {y:.1f} L{xb:.1f} {y + 6:.1f} '
            f'L{xb - 6:.1f} {y:.1f} Z" fill="{B_COLOUR}"/>'
        )
        out.append(
            f'<text x="{WIDTH - GAP_W + 6}" y="{y + 4:.1f}" class="gap" fill="{colour}">'
            f"{gap:+.2f}</text>"
        )
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


def gap_figure(c: Comparison, limit: int = 30) -> Markup:
    """The chart and its text alternative, the same rows as a table (linked, with both levels
    and the gap), for a page; empty when there is no chart."""
    rows = c.gaps(limit)
    chart = gap_chart(c, rows)
    if not chart:
        return chart
    table = [
        (
            item.label,
            local_path(item.key, c.base) or item.key,
            [f"{item.a.level:.2f}", f"{item.b.level:.2f}", f"{item.b.level - item.a.level:+.2f}"],
        )
        for item in rows
        if item.a and item.b and item.a.level is not None and item.b.level is not None
    ]
    return chart + data_table(
        "Level gaps between the two occupations",
        ["Competency", f"A: {c.a.title}", f"B: {c.b.title}", "Gap"],
        table,
    )
