"""A career path drawn on the server as SVG (no script, no inline style, no external service).

One picture per path, top to bottom: a box per occupation (title, code, job zone), an arrow per
step labelled with its similarity and learning cost. Narrow by design (340 units wide), so a
phone at 390 px shows it at full size and a wide screen puts the paths side by side. The
``<title>`` and ``<desc>`` say the same as the table beside it.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from competency_kg.career.data import CareerData
from competency_kg.career.pathways import Path

WIDTH = 340
BOX_H = 54
GAP = 64
PAD = 8


def _lines(text: str, width: int = 34) -> list[str]:
    """``text`` in at most two lines of ``width`` characters."""
    words, lines, current = text.split(), [], ""
    for w in words:
        if current and len(current) + 1 + len(w) > width:
            lines.append(current)
            current = w
        else:
            current = f"{current} {w}".strip()
    lines.append(current)
    if len(lines) > 2:
        lines = [lines[0], (lines[1] + " …")[: width + 1]]
    return lines


def path_svg(data: CareerData, k: int, path: Path) -> Markup:
    """Path ``k`` as an inline ``<svg>`` element."""
    nodes = path.occupations()
    height = PAD * 2 + BOX_H * len(nodes) + GAP * (len(nodes) - 1)
    names = " → ".join(data.title(i) for i in nodes)
    steps = "; ".join(
        f"step {n}: to {data.title(s.target)}, similarity {s.similarity:.2f}, cost {s.cost:.2f}"
        for n, s in enumerate(path.steps, start=1)
    )
    tid, did = f"path-{k}-title", f"path-{k}-desc"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="path-chart" viewBox="0 0 {WIDTH} '
        f'{height}" width="{WIDTH}" role="img" aria-labelledby="{tid} {did}">',
        f'<title id="{tid}">Path {k}: {escape(names)}</title>',
        f'<desc id="{did}">Learning cost {path.cost:.2f} in {len(path.steps)} '
        f"step{'s' if len(path.steps) != 1 else ''}: {escape(steps)}.</desc>",
        f'<defs><marker id="arrow-{k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0 0 L10 5 L0 10 Z" fill="#3b4252"/></marker>'
        "</defs>",
    ]
    for n, i in enumerate(nodes):
        y = PAD + n * (BOX_H + GAP)
        c = data.index.clusters[i]
        end = n in (0, len(nodes) - 1)
        out.append(
            f'<rect x="{PAD}" y="{y}" width="{WIDTH - 2 * PAD}" height="{BOX_H}" rx="6" '
            f'class="node{" end" if end else ""}"/>'
        )
        for m, line in enumerate(_lines(c.title)):
            out.append(
                f'<text x="{WIDTH / 2}" y="{y + 19 + m * 16}" text-anchor="middle" '
                f'class="name">{escape(line)}</text>'
            )
        meta = " · ".join(
            x
            for x in (c.code or "", f"job zone {data.job_zones[i]}" if data.job_zones[i] else "")
            if x
        )
        if meta:
            out.append(
                f'<text x="{WIDTH / 2}" y="{y + BOX_H - 5}" text-anchor="middle" '
                f'class="meta">{escape(meta)}</text>'
            )
        if n < len(path.steps):
            s = path.steps[n]
            y1, y2 = y + BOX_H, y + BOX_H + GAP
            out.append(
                f'<line x1="{WIDTH / 2}" y1="{y1 + 2}" x2="{WIDTH / 2}" y2="{y2 - 3}" '
                f'stroke="#3b4252" stroke-width="2" marker-end="url(#arrow-{k})"/>'
                f'<text x="{WIDTH / 2 + 10}" y="{y1 + GAP / 2 - 4}" class="step">cost '
                f"{s.cost:.2f}</text>"
                f'<text x="{WIDTH / 2 + 10}" y="{y1 + GAP / 2 + 12}" class="step-meta">similarity '
                f"{s.similarity:.2f}</text>"
            )
    out.append("</svg>")
    return Markup("".join(out))
