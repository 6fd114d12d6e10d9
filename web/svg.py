"""Small server-side SVG pictures for the pages (no script, no external library).

Every text that comes from the data is escaped here, so a chart is safe to place in a page
as it is (it is returned as :class:`markupsafe.Markup`).

A chart is an image (``role="img"``, named by its ``<title>`` and ``<desc>``) with no link or
other control inside it (WCAG: no control in a control), followed by its text alternative:
the same numbers, and the links, as a table under a ``<details>`` (:func:`data_table`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass
class Bar:
    label: str
    value: float | None
    href: str | None = None
    css: str = "bar"  # a class of browse.css: bar, bar-alt, bar-muted
    note: str | None = None  # the value as text (default: the number)
    secondary: float | None = None  # a second measure, drawn in a panel of its own


def _num(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def bar_chart(
    bars: Sequence[Bar],
    *,
    ident: str,
    title: str,
    description: str,
    maximum: float,
    minimum: float = 0.0,
    ticks: Sequence[tuple[float, str]] = (),
    axis_label: str | None = None,
    secondary_max: float | None = None,
    secondary_min: float = 0.0,
    secondary_ticks: Sequence[tuple[float, str]] = (),
    secondary_label: str | None = None,
    legend: Sequence[tuple[str, str]] = (),
    width: int = 760,
    label_width: int = 280,
) -> Markup:
    """A horizontal bar chart: one row per bar, labels on the left, linked when ``href``.

    With a ``secondary`` measure (``secondary_max``), each measure gets a panel of its own,
    side by side, with its own axis, ticks and title: a bar is only ever read against the scale
    of its own measure (O*NET levels run 0–7, importance 1–5; one axis for both misreads one).
    Every bar carries its value as text.
    """
    two = secondary_max is not None and any(b.secondary is not None for b in bars)
    top = 46 if (ticks or axis_label or two) else 8
    row = 22
    legend_h = 24 if legend else 0
    height = top + row * len(bars) + 8 + legend_h
    plot_x = label_width + 8
    value_room = 110 if any(b.note and len(b.note) > 5 for b in bars) else 40
    plot_w = width - plot_x - 8
    gap = 16
    panel_w = (plot_w - gap) / 2 if two else plot_w
    panels = [Panel(plot_x, panel_w - value_room, minimum, maximum, ticks, axis_label, "primary")]
    if two:
        assert secondary_max is not None
        panels.append(
            Panel(
                plot_x + panel_w + gap,
                panel_w - 40,
                secondary_min,
                secondary_max,
                secondary_ticks
                or [(v, _num(v)) for v in range(int(secondary_min), int(secondary_max) + 1)],
                secondary_label,
                "secondary",
            )
        )

    i_ = escape(ident)
    out: list[str] = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{i_}-t {i_}-d">',
        f'<title id="{i_}-t">{escape(title)}</title>',
        f'<desc id="{i_}-d">{escape(description)}</desc>',
    ]
    for i, b in enumerate(bars):
        y = top + i * row
        label = escape(_clip(b.label, label_width // 7))
        text = f'<text class="label" x="{label_width}" y="{y + 15}" text-anchor="end">'
        out.append(f"{text}{label}<title>{escape(b.label)}</title></text>")
    for panel in panels:
        out += _panel(panel, bars, top, row)
    if legend:
        out += _legend(legend, top + row * len(bars) + 14, plot_x)
    out.append("</svg>")
    headers, rows = _text_alternative(bars, legend, axis_label, secondary_label, two=two)
    return Markup("".join(out)) + data_table(title, headers, rows)


def _panel(panel: Panel, bars: Sequence[Bar], top: int, row: int) -> list[str]:
    """One measure's panel: its title, grid and ticks, and a bar (or a note) per row."""
    out: list[str] = []
    out.append(
        f'<g class="panel" data-measure="{panel.name}" '
        f'data-min="{_num(panel.minimum)}" data-max="{_num(panel.maximum)}">'
    )
    if panel.title:
        out.append(
            f'<text class="axis-title" x="{panel.x:.1f}" y="14">{escape(panel.title)}</text>'
        )
    for v, label in panel.ticks:
        x = panel.x_of(v)
        out.append(
            f'<line class="grid" x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" '
            f'y2="{top + row * len(bars)}" data-value="{_num(v)}"/>'
        )
        out.append(
            f'<text class="tick" x="{x:.1f}" y="{top - 10}" text-anchor="middle">'
            f"{escape(_clip(label, 16))}</text>"
        )
    for i, b in enumerate(bars):
        y = top + i * row
        primary = panel.name == "primary"
        value = b.value if primary else b.secondary
        if value is None:
            if primary or b.secondary is None:
                out.append(
                    f'<text class="note" x="{panel.x + 4:.1f}" y="{y + 15}">'
                    f"{escape((b.note if primary else None) or 'not stated')}</text>"
                )
            continue
        note = b.note if primary and b.note else _num(value, 1 if primary else 2)
        w = max(panel.x_of(value) - panel.x, 2.0)
        css = b.css if primary else "bar-secondary"
        out.append(
            f'<rect class="{escape(css)}" x="{panel.x:.1f}" y="{y + 4}" width="{w:.1f}" '
            f'height="14" rx="2"><title>{escape(b.label)}: {escape(note)}</title></rect>'
        )
        out.append(
            f'<text class="value" x="{panel.x + w + 5:.1f}" y="{y + 15}">{escape(note)}</text>'
        )
    out.append("</g>")
    return out


def _legend(legend: Sequence[tuple[str, str]], y: int, x: int) -> list[str]:
    """A swatch and its words per kind of bar, in one line under the plot."""
    out: list[str] = []
    for css, text_ in legend:
        out.append(f'<rect class="{escape(css)}" x="{x}" y="{y}" width="12" height="12"/>')
        out.append(f'<text class="legend" x="{x + 16}" y="{y + 10}">{escape(text_)}</text>')
        x += 24 + 7 * len(text_)
    return out


def _text_alternative(
    bars: Sequence[Bar],
    legend: Sequence[tuple[str, str]],
    axis_label: str | None,
    secondary_label: str | None,
    *,
    two: bool,
) -> tuple[list[str], list[tuple[str, str | None, list[str]]]]:
    """The table under the chart: every number drawn, and what the colours of a legend say
    (``two``: a second measure is drawn; WCAG 2.2 1.1.1)."""
    kinds = dict(legend)
    headers = ["Name", axis_label or "Value"]
    if two:
        headers.append(secondary_label or "Second measure")
    if kinds:
        headers.append("Kind")
    rows = []
    for b in bars:
        cells = [b.note or (_num(b.value) if b.value is not None else "not stated")]
        if two:
            cells.append(_num(b.secondary, 2) if b.secondary is not None else "not stated")
        if kinds:
            cells.append(kinds.get(b.css, ""))
        rows.append((b.label, b.href, cells))
    return headers, rows


def data_table(
    caption: str, headers: Sequence[str], rows: Sequence[tuple[str, str | None, Sequence[str]]]
) -> Markup:
    """A chart's text alternative: each row's name (linked when it has a page) and the numbers
    the chart draws, in a disclosure under the chart (closed: the chart stays the summary)."""
    head = "".join(
        f'<th scope="col" class="num">{escape(h)}</th>'
        if i
        else f'<th scope="col">{escape(h)}</th>'
        for i, h in enumerate(headers)
    )
    body = []
    for label, href, values in rows:
        name = f'<a href="{escape(href)}">{escape(label)}</a>' if href else escape(label)
        cells = "".join(f'<td class="num">{escape(v)}</td>' for v in values)
        body.append(f'<tr><th scope="row">{name}</th>{cells}</tr>')
    return Markup(
        '<details class="chart-data"><summary>The chart’s numbers as a table</summary>'
        f'<table><caption class="visually-hidden">{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></details>"
    )


@dataclass
class Panel:
    """One measure's part of a chart: where it sits, its scale, ticks and title."""

    x: float
    width: float
    minimum: float
    maximum: float
    ticks: Sequence[tuple[float, str]]
    title: str | None
    name: str

    def x_of(self, v: float) -> float:
        span = (self.maximum - self.minimum) or 1.0
        return self.x + self.width * (min(max(v, self.minimum), self.maximum) - self.minimum) / span
