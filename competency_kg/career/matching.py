"""Find occupations by competencies: which occupations fit what a person has, and what each
still needs.

Built on the comparison's profiles (:mod:`competency_kg.compare`): the same occupations (twins
merged), the same competency keys (a source's competency and the O*NET element it is an exact
match of are one), the same rules for what an occupation *requires* (O*NET importance 3 or more,
or a source document says so) and the same 0-7 level scale. What the profiles lack, the level
each occupation needs each competency at and the graph each fact comes from, is read once per
store state with the queries below (:data:`QUERIES`) and cached like the profiles, so a match
costs no query but the store-state check.

**Fit** of an occupation *o* for a person holding the competencies and tools *P*::

    F = 0.7 C + 0.3 U
    C = sum over c required by o of w(c) * cov(c) / sum of w(c)     (what o needs that P covers)
        w(c) = the comparison's weight (O*NET (importance - 1) / 4, at least 1/2 if a source
        requires c); cov(c) = 1 if P holds c at o's level (or either level is unknown),
        held / needed if P holds it lower, 0 if P lacks it
    U = |P ∩ (what o requires or uses)| / |P|                        (what of P o uses)

C is what O*NET's skills search and ESCO's matching measure (how much of the job is covered);
U keeps an occupation that needs little of what the person offers below one that needs all
of it. The gap of a competency is the level *o* needs minus the level held (the whole needed
level when it is not held).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from competency_kg.career.data import QUERIES, QUERY_PREFIXES, CareerData, Need, rounded
from competency_kg.career.held import Held
from competency_kg.compare.index import (
    local_path,
)
from competency_kg.compare.queries import (
    iri_term,
    values_block,
)

#: How many occupations a match lists by default.
MATCH_LIMIT = 20
#: The weights of the fit's parts.
FIT_WEIGHTS: dict[str, float] = {"coverage": 0.7, "use": 0.3}
FIT_FORMULA = (
    "F = 0.7·C + 0.3·U; C = Σ w(c)·cov(c) / Σ w(c) over the competencies the occupation "
    "requires, w = the comparison's weight (O*NET (importance − 1)/4, at least ½ when a source "
    "requires it), cov = 1 when held at the level the occupation needs (or a level is "
    "unknown), held ÷ needed when held lower, 0 when not held; U = the share of the given "
    "competencies and tools the occupation requires or uses. Gap = needed level − held level "
    "(the needed level when not held), on O*NET's 0–7 level scale."
)


@dataclass
class Line:
    """One competency in a match or a pathway step: what the occupation needs, what is held."""

    key: str
    label: str
    kind: str
    importance: float | None
    needed: float | None
    held: float | None
    weight: float
    graphs: tuple[str, ...]
    has: bool

    @property
    def gap(self) -> float | None:
        """Needed level minus held level: the whole needed level when not held, 0 when held
        at an unstated level (taken to be enough), None when the needed level is unknown."""
        if self.needed is None:
            return None
        if not self.has:
            return self.needed
        return 0.0 if self.held is None else self.needed - self.held

    def as_json(self, base: str) -> dict[str, Any]:
        return {
            "iri": self.key,
            "path": local_path(self.key, base),
            "label": self.label,
            "kind": self.kind,
            "importance": rounded(self.importance),
            "needed_level": rounded(self.needed),
            "held_level": rounded(self.held),
            "gap": rounded(self.gap),
            "weight": rounded(self.weight, 4),
            "sources": list(self.graphs),
        }


@dataclass
class Fit:
    """One occupation in a match."""

    cluster: int
    score: float
    coverage: float
    use: float
    covered: list[Line]
    missing: list[Line]
    tools: list[Line]
    unused: list[Held]

    def sources(self) -> list[str]:
        return sorted({g for line in self.covered + self.missing for g in line.graphs})


@dataclass
class Match:
    held: list[Held]
    fits: list[Fit]
    data: CareerData
    considered: int
    origin: int | None = None
    ignored: list[str] = field(default_factory=list)
    job_zone: int | None = None

    def facts_query(self) -> str:
        """The SPARQL that reads the facts behind the listed occupations (their ratings and
        requirements of the given competencies), to run again in the editor."""
        occs = [m for f in self.fits for m in self.data.index.clusters[f.cluster].members] or [
            self.data.index.clusters[0].iri
        ]
        keys = [h.key for h in self.held] or [self.data.base]
        return (
            QUERY_PREFIXES
            + "# The ratings and requirements behind this match: each listed occupation (with its\n"
            "# twins) and each given competency, with the named graph that states it.\n"
            "SELECT ?occupation ?competency ?g ?importance ?level ?requirement WHERE {\n  "
            + values_block(["occupation"], [[iri_term(o)] for o in occs])
            + "\n  "
            + values_block(["competency"], [[iri_term(k)] for k in keys])
            + "\n  { GRAPH ?g { ?occupation ckg:rating ?rating . ?rating ckg:element ?competency ;"
            " ckg:importance ?importance . OPTIONAL { ?rating ckg:level ?level } } }\n"
            "  UNION\n  { GRAPH ?g { ?occupation ckg:requires ?requirement . ?requirement"
            " ckg:competency ?c } ?c (skos:exactMatch)? ?competency . }\n}\n"
            "ORDER BY ?occupation ?competency ?g"
        )

    def queries(self) -> dict[str, str]:
        return {"match-facts": self.facts_query(), **QUERIES}

    def as_json(self) -> dict[str, Any]:
        base = self.data.base
        return {
            "given": [h.as_json(base) for h in self.held],
            "ignored": self.ignored,
            "from_occupation": self.data.occupation_json(self.origin)
            if self.origin is not None
            else None,
            "job_zone": self.job_zone,
            "formula": FIT_FORMULA,
            "weights": FIT_WEIGHTS,
            "occupations_considered": self.considered,
            "results": [
                {
                    "rank": n,
                    **self.data.occupation_json(f.cluster),
                    "score": rounded(f.score, 4),
                    "coverage": rounded(f.coverage, 4),
                    "use": rounded(f.use, 4),
                    "covered": [x.as_json(base) for x in f.covered],
                    "missing": [x.as_json(base) for x in f.missing],
                    "tools": [x.as_json(base) for x in f.tools],
                    "unused": [h.label for h in f.unused],
                    "sources": f.sources(),
                }
                for n, f in enumerate(self.fits, start=1)
            ],
            "queries": self.queries(),
        }


def _line(data: CareerData, key: str, need: Need, held: Held | None) -> Line:
    return Line(
        key,
        data.label(key),
        "competency",
        need.importance,
        need.level,
        held.level if held else None,
        need.weight,
        need.graphs,
        held is not None,
    )


def _coverage(need: Need, held: Held | None) -> float:
    if held is None:
        return 0.0
    if held.level is None or need.level is None or need.level <= 0 or held.level >= need.level:
        return 1.0
    return held.level / need.level


def fit_of(data: CareerData, i: int, held: dict[str, Held]) -> Fit | None:
    """How well what is ``held`` fits occupation ``i`` (None: it requires nothing known)."""
    required = data.required(i)
    total = data.required_weight(i)
    if total <= 0:
        return None
    covered: list[Line] = []
    missing: list[Line] = []
    got = 0.0
    for key, need in required.items():
        h = held.get(key)
        cov = _coverage(need, h)
        got += need.weight * cov
        (covered if cov >= 1.0 else missing).append(_line(data, key, need, h))
    tools = data.index.clusters[i].profile.tools
    used_tools = [h for k, h in held.items() if h.kind == "tool" and k in tools]
    unused = [
        h for k, h in held.items() if k not in required and not (h.kind == "tool" and k in tools)
    ]
    coverage = got / total
    use = (len(held) - len(unused)) / len(held) if held else 0.0
    score = FIT_WEIGHTS["coverage"] * coverage + FIT_WEIGHTS["use"] * use
    by_need = lambda x: (-(x.weight * (x.gap or 0.0)), -x.weight, x.label.casefold())  # noqa: E731
    covered.sort(key=lambda x: (-x.weight, x.label.casefold()))
    missing.sort(key=by_need)
    tool_lines = [Line(h.key, h.label, "tool", None, None, None, 0.0, (), True) for h in used_tools]
    return Fit(i, score, coverage, use, covered, missing, tool_lines, unused)


def quick_score(data: CareerData, i: int, held: Sequence[Held]) -> float:
    """:func:`fit_of`'s score alone, reading only what is held (every occupation is scored;
    only those listed get their lines)."""
    total = data.required_weight(i)
    if total <= 0 or not held:
        return 0.0
    required = data.required(i)
    tools = data.index.clusters[i].profile.tools
    got = 0.0
    used = 0
    for h in held:
        need = required.get(h.key)
        if need is not None:
            got += need.weight * _coverage(need, h)
            used += 1
        elif h.kind == "tool" and h.key in tools:
            used += 1
    return FIT_WEIGHTS["coverage"] * got / total + FIT_WEIGHTS["use"] * used / len(held)


def match(
    data: CareerData,
    held: Iterable[Held],
    *,
    limit: int = MATCH_LIMIT,
    exclude: Iterable[int] = (),
    job_zone: int | None = None,
    origin: int | None = None,
    ignored: Sequence[str] = (),
) -> Match:
    """Occupations ranked by fit for what is ``held`` (best first; ties by title)."""
    by_key = {h.key: h for h in held}
    given = list(by_key.values())
    skip = set(exclude)
    scored: list[tuple[float, str, int]] = []
    considered = 0
    for i in range(len(data.index.clusters)):
        if i in skip or (job_zone is not None and data.job_zones[i] != job_zone):
            continue
        if data.required_weight(i) <= 0:
            continue
        considered += 1
        score = quick_score(data, i, given)
        if score > 0:
            scored.append((-score, data.title(i).casefold(), i))
    scored.sort()
    fits = [f for _, _, i in scored[: max(0, limit)] if (f := fit_of(data, i, by_key)) is not None]
    return Match(given, fits, data, considered, origin, list(ignored), job_zone)
