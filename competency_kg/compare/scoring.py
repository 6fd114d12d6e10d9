"""The numbers of a comparison: weights, the common level scale and the similarity formula
(see the package doc)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

#: O*NET importance (1-5) from which an occupation counts as requiring a competency.
IMPORTANCE_THRESHOLD = 3.0

#: The weight of a competency a source requires (that of O*NET importance 3).
REQUIREMENT_WEIGHT = 0.5

#: The weights of the similarity's parts.
WEIGHTS: dict[str, float] = {"competencies": 0.5, "tools": 0.3, "work_activities": 0.2}

#: The top of the common level scale (O*NET's level scale, 0-7).
LEVEL_MAX = 7.0

#: How many nearest occupations a comparison lists for each side.
NEAREST = 8

FORMULA = (
    "S = (0.5·C + 0.3·T + 0.2·W) / (sum of the weights of the parts both occupations have "
    "data for); C = Σ min(wA, wB) / Σ max(wA, wB) over competencies, w = max((importance − 1)/4 "
    "from O*NET, 1/2 when a source requires the competency); T = Jaccard index of the tools and "
    "technologies; W = Jaccard index of the O*NET detailed work activities of their tasks."
)

LEVEL_RULE = (
    "Levels on O*NET's 0–7 level scale: the O*NET level where there is one, else a source's "
    "proficiency level p of n at the middle of its band, 7·(p − ½)/n. Gap = B's level − A's."
)

REQUIRED_RULE = (
    f"An occupation requires a competency when a source document says so, or when O*NET rates "
    f"its importance {IMPORTANCE_THRESHOLD:g} or more (1–5)."
)


def number(value: str | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        return None


def version_key(version: str | None) -> tuple[int, ...]:
    if not version:
        return ()
    return tuple(int(p) for p in re.findall(r"\d+", version))


def rating_weight(importance: float | None) -> float:
    """An O*NET importance (1-5) as a weight (0-1)."""
    if importance is None:
        return 0.0
    return min(1.0, max(0.0, (importance - 1.0) / 4.0))


def common_level(position: float | None, count: float | None) -> float | None:
    """A proficiency level ``position`` of ``count`` on the 0-7 scale (middle of its band).

    >>> [round(common_level(p, 3), 2) for p in (1, 2, 3)]
    [1.17, 3.5, 5.83]
    """
    if position is None or not count:
        return None
    return LEVEL_MAX * (position - 0.5) / count


@dataclass
class Profile:
    """What the similarity looks at for one occupation (with its twins)."""

    competencies: dict[str, float] = field(default_factory=dict)
    tools: frozenset[str] = frozenset()
    activities: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.total = sum(self.competencies.values())

    def empty(self) -> bool:
        return not (self.total > 0 or self.tools or self.activities)


@dataclass
class Similarity:
    score: float | None
    parts: dict[str, float]

    def as_json(self) -> dict[str, Any]:
        return {
            "score": rounded(self.score),
            **{k: rounded(self.parts.get(k)) for k in WEIGHTS},
            "weights": WEIGHTS,
            "formula": FORMULA,
        }


def rounded(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(x, digits)


def similarity(a: Profile, b: Profile) -> Similarity:
    """The similarity of two profiles (see the module doc)."""
    parts: dict[str, float] = {}
    if a.total > 0 and b.total > 0:
        theirs = map(b.competencies.get, a.competencies, repeat(0.0))
        both = sum(map(min, a.competencies.values(), theirs))
        parts["competencies"] = both / (a.total + b.total - both)
    if a.tools and b.tools:
        n = len(a.tools & b.tools)
        parts["tools"] = n / (len(a.tools) + len(b.tools) - n)
    if a.activities and b.activities:
        n = len(a.activities & b.activities)
        parts["work_activities"] = n / (len(a.activities) + len(b.activities) - n)
    if not parts:
        return Similarity(None, parts)
    weight = sum(WEIGHTS[k] for k in parts)
    return Similarity(sum(WEIGHTS[k] * v for k, v in parts.items()) / weight, parts)
