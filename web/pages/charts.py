"""The bar charts of profile pages: O*NET importance and level, and required levels."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from competency_kg.web.describe import Description
from competency_kg.web.pages.names import display_label
from competency_kg.web.svg import Bar, bar_chart
from competency_kg.web.vocabulary import Vocabulary

#: O*NET's two measures, each on its own axis (importance 1–5, level 0–7).
ONET_SCALES: dict[str, Any] = {
    "minimum": 1,
    "maximum": 5,
    "ticks": [(v, str(v)) for v in (1, 2, 3, 4, 5)],
    "axis_label": "Importance (1–5)",
    "secondary_min": 0,
    "secondary_max": 7,
    "secondary_label": "Level (0–7)",
}

#: How many of an occupation's top ratings per branch the chart shows.
RATINGS_CHARTED = 12


def rating_chart(name: str, items: list[dict[str, Any]], ident: str) -> Markup:
    bars = [
        Bar(
            label=x["element"].text,
            value=x["importance"],
            href=x["element"].href,
            note=f"{x['importance']:.2f}".rstrip("0").rstrip(".") if x["importance"] else None,
            secondary=x["level"],
        )
        for x in items
    ]
    return bar_chart(
        bars,
        ident=ident,
        title=f"Top {name.lower()} by O*NET importance",
        description=f"Importance (1 to 5, left panel) of the occupation's {len(items)} most "
        f"important {name.lower()}, and the level each needs (0 to 7, right panel), each "
        "on its own scale.",
        **ONET_SCALES,
    )


KIND_CSS = {"foundational": "bar", "occupation-specific": "bar-alt"}


def requirement_chart(
    groups: list[tuple[str, list[dict[str, Any]]]],
    levels: list[str],
    d: Description,
    vocab: Vocabulary,
) -> Markup | None:
    """Each required competency with the level it is required at, coloured by kind."""
    rows = [
        (kind, r) for kind, items in groups for r in items if r.get("competency") and r["level"]
    ]
    if not rows:
        return None
    names = [display_label(d, n, vocab) for n in levels]
    rank = {name: i + 1 for i, name in enumerate(names)}
    rows.sort(key=lambda kr: (-rank.get(kr[1]["level"] or "", 0), kr[1]["competency"].text))
    bars = [
        Bar(
            label=r["competency"].text,
            value=rank.get(r["level"] or ""),
            href=r["competency"].href,
            css=KIND_CSS.get(kind, "bar-muted"),
            note=r["level"] or "level not stated",
        )
        for kind, r in rows
    ]
    kinds = sorted({kind for kind, _ in rows})
    return bar_chart(
        bars,
        ident="req",
        title="Competencies by required level",
        description="Each competency the occupation requires, with the proficiency level the "
        "source states for it (" + ", ".join(names) + "), coloured by kind.",
        minimum=0,
        maximum=max(len(names), 1),
        ticks=[(i + 1, n) for i, n in enumerate(names)],
        legend=[(KIND_CSS.get(k, "bar-muted"), k) for k in kinds],
    )
