"""Which tools are one tool when comparing: a tool and the tool, technology or commodity of
another source it is linked to as the same (``skos:exactMatch``) or nearly the same
(``skos:closeMatch`` with enough confidence: "Ticketing Systems" and O*NET's "Help desk
software"). Broader and narrower matches are not the same tool and stay apart."""

from __future__ import annotations

from collections.abc import Iterable

from competency_kg.compare.queries import Row
from competency_kg.compare.scoring import number

#: A close match counts as the same tool from this confidence on: the linker's name rules
#: (a generic word more, a trade synonym, a commodity's title: 0.75–0.85) and a curator's
#: confirmation (1.0) do; a name found inside a longer O*NET name (0.6) does not.
SAME_TOOL_CONFIDENCE = 0.7


def tool_keys(rows: Iterable[Row]) -> dict[str, str]:
    """Each tool that is one with another → the key it is compared under: its smallest exact
    match, else its most confident close match (``?close`` with ``?closeConfidence``; one a
    source states without an annotation counts as sure), smallest IRI on a tie.

    >>> tool_keys([{"tool": "t", "close": "c2", "closeConfidence": "0.75"},
    ...            {"tool": "t", "close": "c1", "closeConfidence": "0.6"}])
    {'t': 'c2'}
    """
    exact: dict[str, str] = {}
    close: dict[str, tuple[float, str]] = {}
    for r in rows:
        tool = r["tool"]
        if r.get("match") and r["match"] != tool:
            exact[tool] = min(exact.get(tool, r["match"]), r["match"])
        if r.get("close") and r["close"] != tool:
            confidence = number(r.get("closeConfidence"))
            confidence = 1.0 if confidence is None else confidence
            if confidence < SAME_TOOL_CONFIDENCE:
                continue
            best = close.get(tool)
            if best is None or (-confidence, r["close"]) < (-best[0], best[1]):
                close[tool] = (confidence, r["close"])
    out = {t: c for t, (_, c) in close.items()}
    out.update(exact)
    return out
