"""What matching and pathways read of the store, on top of the comparison's profiles: the
level each occupation needs each competency at and the graph each fact comes from, read
once per store state with :data:`QUERIES` and cached like the profiles, so a match costs no
query but the store-state check."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from competency_kg.compare.index import (
    Index,
    graph_versions,
    local_path,
    named_competencies,
    occupation_index,
)
from competency_kg.compare.queries import (
    Runner,
    cached,
    query_text,
    store_state,
)
from competency_kg.compare.scoring import (
    IMPORTANCE_THRESHOLD,
    common_level,
)
from competency_kg.compare.tool_keys import tool_keys
from competency_kg.iris import Minter

#: The prefixes of the queries here and of the queries a match shows.
QUERY_PREFIXES = """PREFIX ckg:    <https://w3id.org/competency-kg/ontology#>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <https://schema.org/>
PREFIX ceasn:  <https://purl.org/ctdlasn/terms/>
"""
#: The queries read once per store state (besides the comparison's ``all-*.rq``).
QUERIES: dict[str, str] = {
    "career-ratings": QUERY_PREFIXES
    + """# O*NET's importance (1-5) and level (0-7) of every element for every occupation, per
# release (named graph).
SELECT ?occupation ?g ?element ?importance ?level WHERE {
  GRAPH ?g {
    ?occupation ckg:rating ?rating .
    ?rating ckg:element ?element ; ckg:importance ?importance .
    OPTIONAL { ?rating ckg:level ?level }
  }
}""",
    "career-requirements": QUERY_PREFIXES
    + """# The competencies source documents say occupations require, with the level's position
# and the number of levels of its scale, and the O*NET element each is an exact match of.
SELECT DISTINCT ?occupation ?g ?competency ?element ?levelPosition ?levelCount WHERE {
  GRAPH ?g { ?occupation ckg:requires ?requirement . ?requirement ckg:competency ?competency . }
  OPTIONAL {
    GRAPH ?g { ?requirement ckg:requiredLevel ?lvl }
    ?lvl schema:position ?levelPosition ; skos:inScheme ?scale .
    { SELECT ?scale (COUNT(DISTINCT ?step) AS ?levelCount) WHERE {
        ?scale a ckg:ProficiencyScale ; skos:hasTopConcept ?step . } GROUP BY ?scale }
  }
  OPTIONAL { ?competency skos:exactMatch ?element . ?element a ckg:ContentModelElement . }
}""",
    "career-statements": QUERY_PREFIXES
    + """# The statements of the competency frameworks written for occupations: topic, level
# position and the number of levels of the framework's scale.
SELECT DISTINCT ?occupation ?g ?statement ?topic ?levelPosition ?levelCount WHERE {
  GRAPH ?g {
    ?occupation ckg:hasFramework ?framework .
    ?statement ceasn:isPartOf ?framework ; ceasn:competencyLabel ?topic ; ckg:atLevel ?lvl .
  }
  ?lvl schema:position ?levelPosition ; skos:inScheme ?scale .
  { SELECT ?scale (COUNT(DISTINCT ?step) AS ?levelCount) WHERE {
      ?scale a ckg:ProficiencyScale ; skos:hasTopConcept ?step . } GROUP BY ?scale }
}""",
    "career-names": QUERY_PREFIXES
    + """# Every name a person may give a competency or a tool by: preferred and alternative
# labels and codes, with the O*NET element a competency is an exact match of.
SELECT DISTINCT ?resource ?kind ?which ?name ?element WHERE {
  {
    ?resource a ckg:Competency . BIND ("competency" AS ?kind)
    { ?resource skos:prefLabel ?name . BIND ("pref" AS ?which) }
    UNION { ?resource skos:altLabel ?name . BIND ("alt" AS ?which) }
    UNION { ?resource skos:notation ?name . BIND ("code" AS ?which) }
    OPTIONAL { ?resource skos:exactMatch ?element . ?element a ckg:ContentModelElement . }
  } UNION {
    ?resource a ckg:Tool ; skos:prefLabel ?name . BIND ("tool" AS ?kind) BIND ("pref" AS ?which)
  }
}""",
    "career-job-zones": QUERY_PREFIXES
    + """# The job zone (1-5) of every occupation.
SELECT DISTINCT ?occupation ?zone WHERE { ?occupation ckg:jobZone ?zone }""",
    "career-levels": QUERY_PREFIXES
    + """# The proficiency levels of every scale (a person may give a level by its name).
SELECT DISTINCT ?label ?levelPosition ?levelCount WHERE {
  ?lvl skos:prefLabel ?label ; schema:position ?levelPosition ; skos:inScheme ?scale .
  { SELECT ?scale (COUNT(DISTINCT ?step) AS ?levelCount) WHERE {
      ?scale a ckg:ProficiencyScale ; skos:hasTopConcept ?step . } GROUP BY ?scale }
}""",
}


@dataclass(frozen=True)
class Need:
    """What one occupation says about one competency: importance, level, where from."""

    importance: float | None  # O*NET's 1-5 (None: no rating)
    level: float | None  # on the 0-7 scale
    weight: float
    required: bool
    graphs: tuple[str, ...]


@dataclass
class CareerData:
    """Every occupation's needs with levels, job zones and the names of competencies and
    tools: what matching and pathways read, built once per store state."""

    index: Index
    needs: list[dict[str, Need]]
    job_zones: list[int | None]
    names: dict[str, set[str]]  # a name (case-folded) -> keys
    labels: dict[str, str]  # key -> label
    kinds: dict[str, str]  # key -> "competency" | "tool"
    codes: dict[str, str]  # key -> an O*NET element code
    level_names: dict[str, float]  # a proficiency level's name (case-folded) -> 0-7
    tool_key: dict[str, str]  # a tool -> the key it is compared under
    base: str
    state: str

    _required: list[dict[str, Need]] | None = None
    _totals: list[float] | None = None

    def required(self, i: int) -> dict[str, Need]:
        """What occupation ``i`` requires (kept: every match reads it)."""
        if self._required is None:
            self._required = [
                {k: x for k, x in needs.items() if x.required} for needs in self.needs
            ]
            self._totals = [sum(x.weight for x in r.values()) for r in self._required]
        return self._required[i]

    def required_weight(self, i: int) -> float:
        self.required(i)
        assert self._totals is not None
        return self._totals[i]

    def label(self, key: str) -> str:
        return self.labels.get(key) or key.rsplit("/", 1)[-1]

    def title(self, i: int) -> str:
        return self.index.clusters[i].title

    def occupation_json(self, i: int) -> dict[str, Any]:
        c = self.index.clusters[i]
        return {
            "iri": c.iri,
            "path": local_path(c.iri, self.base),
            "title": c.title,
            "code": c.code,
            "job_zone": self.job_zones[i],
        }


def number(value: str | None) -> float | None:
    try:
        return None if value in (None, "") else float(value)  # type: ignore[arg-type]
    except ValueError:
        return None


def _version(text: str | None) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text or ""))


Rows = dict[str, list[dict[str, str]]]
#: Per (occupation, key): what a source document states of its level — the kind of statement
#: ("requirement" or "framework"), the level on the 0-7 scale, the graphs saying so.
Stated = dict[tuple[int, str], tuple[str, float | None, set[str]]]


def build_career_data(runner: Runner, minter: Minter, state: str) -> CareerData:
    """Read every occupation's levels, job zones and names (one query each), in named steps:
    the ratings, the levels sources state, the needs they make, the job zones, the names."""
    index = occupation_index(runner, minter, state)
    rows: Rows = {name: runner.select(q) for name, q in QUERIES.items()}
    rows["tool-matches"] = runner.select(query_text("all-tool-matches"))
    rated = _ratings(runner, minter, index, rows["career-ratings"])
    stated: Stated = {}
    _state_requirements(stated, index, rows["career-requirements"], str(minter.links_graph()))
    statement_labels = _state_frameworks(stated, runner, index, rows["career-statements"])
    tool_key = tool_keys(rows["tool-matches"])
    names, labels, kinds, codes = _names(rows["career-names"], tool_key, statement_labels)
    return CareerData(
        index, _needs(index, rated, stated), _job_zones(index, rows["career-job-zones"]),
        names, labels, kinds, codes, _level_names(rows["career-levels"]), tool_key,
        minter.base, state,
    )  # fmt: skip


def _ratings(
    runner: Runner, minter: Minter, index: Index, rows: list[dict[str, str]]
) -> dict[tuple[int, str], tuple[tuple[int, ...], float, float | None, str]]:
    """Per (occupation, competency element): O*NET's (release, importance, level, graph), the
    newest release's (as the comparison takes it); elements that are not competencies (work
    styles, work context …) are left out."""
    found = graph_versions(runner, minter, {r["g"] for r in rows})
    versions = {g: _version(v) for g, v in found.items()}
    rated: dict[tuple[int, str], tuple[tuple[int, ...], float, float | None, str]] = {}
    for r in rows:
        i = index.by_member.get(r["occupation"])
        importance = number(r.get("importance"))
        if i is None or importance is None:
            continue
        if r["element"] not in index.clusters[i].profile.competencies:
            continue
        key = (i, r["element"])
        here = (versions.get(r["g"], ()), importance, number(r.get("level")), r["g"])
        old = rated.get(key)
        if old is None or here[:2] > old[:2]:
            rated[key] = here
    return rated


def _state_level(
    stated: Stated, key: tuple[int, str], kind: str, level: float | None, graphs: set[str]
) -> None:
    """Record a stated level: a requirement outranks a framework statement; among the same
    kind, the highest requirement and the lowest framework level (where the framework starts)
    win. The graphs of every statement are kept."""
    old = stated.get(key)
    if old is None:
        stated[key] = (kind, level, set(graphs))
        return
    old_kind, old_level, old_graphs = old
    old_graphs |= graphs
    if old_kind == "framework" and kind == "requirement":
        stated[key] = (kind, level, old_graphs)
    elif old_kind == kind and level is not None:
        better = old_level is None or (
            level > old_level if kind == "requirement" else level < old_level
        )
        if better:
            stated[key] = (kind, level, old_graphs)


def _state_requirements(
    stated: Stated, index: Index, rows: list[dict[str, str]], links: str
) -> None:
    """The levels source documents require (under the O*NET element a competency is an exact
    match of, which the links graph then vouches for too)."""
    for r in rows:
        i = index.by_member.get(r["occupation"])
        if i is None:
            continue
        key = r.get("element") or r["competency"]
        graphs = {r["g"], links} if key != r["competency"] else {r["g"]}
        level = common_level(number(r.get("levelPosition")), number(r.get("levelCount")))
        _state_level(stated, (i, key), "requirement", level, graphs)


def _state_frameworks(
    stated: Stated, runner: Runner, index: Index, rows: list[dict[str, str]]
) -> dict[str, str]:
    """The levels of the frameworks written for occupations: per occupation and topic, the
    first statement (lowest level); its key is the competency the topic names, else the
    statement itself, whose topic is then its label (returned, statement → label)."""
    topic_keys = named_competencies(runner, {r["topic"] for r in rows})
    first: dict[tuple[int, str], tuple[float, str, float | None, str]] = {}
    for r in rows:
        i = index.by_member.get(r["occupation"])
        if i is None:
            continue
        mark = (i, r["topic"].casefold())
        pos = number(r.get("levelPosition")) or 0.0
        here = (pos, r["statement"], common_level(pos, number(r.get("levelCount"))), r["g"])
        if mark not in first or here[:2] < first[mark][:2]:
            first[mark] = here
    statement_labels: dict[str, str] = {}
    for (i, topic), (_, statement, level, g) in first.items():
        key = topic_keys.get(topic) or statement
        if key == statement:
            statement_labels[key] = next(r["topic"] for r in rows if r["statement"] == statement)
        _state_level(stated, (i, key), "framework", level, {g})
    return statement_labels


def _needs(
    index: Index,
    rated: dict[tuple[int, str], tuple[tuple[int, ...], float, float | None, str]],
    stated: Stated,
) -> list[dict[str, Need]]:
    """Every occupation's :class:`Need` of each competency of its profile: O*NET's rating
    first, a stated level where O*NET gives none; required when a source says so or O*NET's
    importance reaches the comparison's threshold."""
    needs: list[dict[str, Need]] = [{} for _ in index.clusters]
    for i, cluster in enumerate(index.clusters):
        for key, weight in cluster.profile.competencies.items():
            rating = rated.get((i, key))
            said = stated.get((i, key))
            importance = rating[1] if rating else None
            level = rating[2] if rating and rating[2] is not None else (said[1] if said else None)
            graphs = set(said[2]) if said else set()
            if rating:
                graphs.add(rating[3])
            needs[i][key] = Need(
                importance=importance,
                level=level,
                weight=weight,
                required=bool(said) or (importance or 0.0) >= IMPORTANCE_THRESHOLD,
                graphs=tuple(sorted(graphs)),
            )
    return needs


def _job_zones(index: Index, rows: list[dict[str, str]]) -> list[int | None]:
    """Every occupation's job zone (the first a twin gives)."""
    zones: list[int | None] = [None] * len(index.clusters)
    for r in rows:
        i = index.by_member.get(r["occupation"])
        zone = number(r.get("zone"))
        if i is not None and zone is not None and zones[i] is None:
            zones[i] = int(zone)
    return zones


def _names(
    rows: list[dict[str, str]], tool_key: dict[str, str], statement_labels: dict[str, str]
) -> tuple[dict[str, set[str]], dict[str, str], dict[str, str], dict[str, str]]:
    """The names a person may give (case-folded name → keys), each key's label, kind and
    O*NET code. A tool's key is the tool it is compared under (``tool_key``: exact, or close
    with enough confidence); a competency's its O*NET element when it has one; preferred
    labels come first."""

    def key_of(r: dict[str, str]) -> str:
        if r["kind"] == "tool":
            return tool_key.get(r["resource"], r["resource"])
        return r.get("element") or r["resource"]

    names: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, str] = dict(statement_labels)
    kinds: dict[str, str] = {k: "competency" for k in statement_labels}
    codes: dict[str, str] = {}
    for key, label in statement_labels.items():
        names[label.casefold()].add(key)
    for r in sorted(rows, key=lambda r: (r["which"] != "pref", r["name"])):
        key = key_of(r)
        names[" ".join(r["name"].casefold().split())].add(key)
        kinds.setdefault(key, r["kind"])
        if r["which"] == "pref" and r["resource"] == key:
            labels.setdefault(key, r["name"])
        if r["which"] == "code" and r["resource"] == key:
            codes.setdefault(key, r["name"])
    for r in rows:  # a key's label: its own, else a name of what matches it
        if r["which"] == "pref":
            labels.setdefault(key_of(r), r["name"])
    return dict(names), labels, kinds, codes


def _level_names(rows: list[dict[str, str]]) -> dict[str, float]:
    """A proficiency level's name (case-folded) → its place on the 0-7 scale."""
    level_names: dict[str, float] = {}
    for r in rows:
        level = common_level(number(r.get("levelPosition")), number(r.get("levelCount")))
        if level is not None:
            level_names.setdefault(r["label"].casefold(), level)
    return level_names


def career_data(runner: Runner, minter: Minter, state: str | None = None) -> CareerData:
    """The :class:`CareerData` of the store, cached while the store's state stays the same."""
    state = state or store_state(runner, minter)
    return cached(runner, "career-data", state, lambda: build_career_data(runner, minter, state))


def rounded(x: float | None, digits: int = 2) -> float | None:
    return None if x is None else round(x, digits)
