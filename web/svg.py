"""Small server-side SVG pictures for the pages (no script, no external library).

Every text that comes from the data is escaped here, so a chart is safe to place in a page
as it is (it is returned as :class:`markupsafe.Markup`).
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
    secondary: float | None = None  # a second measure drawn as a thin bar under the first


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


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
    secondary_max: float | None = None,
    secondary_label: str | None = None,
    legend: Sequence[tuple[str, str]] = (),
    width: int = 760,
    label_width: int = 280,
) -> Markup:
    """A horizontal bar chart: one row per bar, labels on the left, linked when ``href``."""
    row = 26 if any(b.secondary is not None for b in bars) else 22
    top = 30 if ticks else 8
    legend_h = 24 if legend else 0
    height = top + row * len(bars) + 8 + legend_h
    plot_x = label_width + 8
    plot_w = width - plot_x - (110 if any(b.note and len(b.note) > 5 for b in bars) else 48)
    span = (maximum - minimum) or 1.0

    def x_of(v: float) -> float:
        return plot_x + plot_w * (min(max(v, minimum), maximum) - minimum) / span

    out: list[str] = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{escape(ident)}-t {escape(ident)}-d">',
        f'<title id="{escape(ident)}-t">{escape(title)}</title>',
        f'<desc id="{escape(ident)}-d">{escape(description)}</desc>',
    ]
    for v, label in ticks:
        x = x_of(v)
        out.append(
            f'<line class="grid" x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" '
            f'y2="{top + row * len(bars)}"/>'
        )
        out.append(
            f'<text class="tick" x="{x:.1f}" y="{top - 10}" text-anchor="middle">'
            f"{escape(_clip(label, 16))}</text>"
        )
    for i, b in enumerate(bars):
        y = top + i * row
        label = escape(_clip(b.label, label_width // 7))
        text = f'<text class="label" x="{label_width}" y="{y + 15}" text-anchor="end">'
        if b.href:
            out.append(
                f'<a href="{escape(b.href)}">{text}{label}<title>{escape(b.label)}</title>'
                "</text></a>"
            )
        else:
            out.append(f"{text}{label}<title>{escape(b.label)}</title></text>")
        if b.value is None:
            out.append(
                f'<text class="note" x="{plot_x + 4}" y="{y + 15}">'
                f"{escape(b.note or 'not stated')}</text>"
            )
            continue
        w = max(x_of(b.value) - plot_x, 2.0)
        out.append(
            f'<rect class="{escape(b.css)}" x="{plot_x}" y="{y + 4}" width="{w:.1f}" '
            f'height="14" rx="2"><title>{escape(b.label)}: '
            f"{escape(b.note or _num(b.value))}</title></rect>"
        )
        out.append(
            f'<text class="value" x="{plot_x + w + 5:.1f}" y="{y + 15}">'
            f"{escape(b.note or _num(b.value))}</text>"
        )
        if b.secondary is not None and secondary_max:
            w2 = max(plot_w * min(b.secondary, secondary_max) / secondary_max, 2.0)
            out.append(
                f'<rect class="bar-secondary" x="{plot_x}" y="{y + 19}" width="{w2:.1f}" '
                f'height="4"><title>{escape(secondary_label or "")}: '
                f"{escape(_num(b.secondary))}</title></rect>"
            )
    if legend:
        y = top + row * len(bars) + 14
        x = plot_x
        for css, text_ in legend:
            out.append(f'<rect class="{escape(css)}" x="{x}" y="{y}" width="12" height="12"/>')
            out.append(f'<text class="legend" x="{x + 16}" y="{y + 10}">{escape(text_)}</text>')
            x += 24 + 7 * len(text_)
    out.append("</svg>")
    return Markup("".join(out))
