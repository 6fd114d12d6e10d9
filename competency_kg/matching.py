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

import difflib
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

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
    iri_term,
    query_text,
    store_state,
    values_block,
)
from competency_kg.compare.resolution import BadInput, NotFound, resolve
from competency_kg.compare.scoring import IMPORTANCE_THRESHOLD, LEVEL_MAX, common_level
from competency_kg.compare.tool_keys import tool_keys
from competency_kg.iris import Minter
from competency_kg.namespaces import CEASN, CKG, PREFIXES
from competency_kg.safe_text import csv_text

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
#: How many occupations a match lists by default.
MATCH_LIMIT = 20
#: Most competencies one match may name.
MAX_GIVEN = 200
_MAX_NAME = 300

_P = """PREFIX ckg:    <https://w3id.org/competency-kg/ontology#>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <https://schema.org/>
PREFIX ceasn:  <https://purl.org/ctdlasn/terms/>
"""
#: The queries read once per store state (besides the comparison's ``all-*.rq``).
QUERIES: dict[str, str] = {
    "career-ratings": _P
    + """# O*NET's importance (1-5) and level (0-7) of every element for every occupation, per
# release (named graph).
SELECT ?occupation ?g ?element ?importance ?level WHERE {
  GRAPH ?g {
    ?occupation ckg:rating ?rating .
    ?rating ckg:element ?element ; ckg:importance ?importance .
    OPTIONAL { ?rating ckg:level ?level }
  }
}""",
    "career-requirements": _P
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
    "career-statements": _P
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
    "career-names": _P
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
    "career-job-zones": _P
    + """# The job zone (1-5) of every occupation.
SELECT DISTINCT ?occupation ?zone WHERE { ?occupation ckg:jobZone ?zone }""",
    "career-levels": _P
    + """# The proficiency levels of every scale (a person may give a level by its name).
SELECT DISTINCT ?label ?levelPosition ?levelCount WHERE {
  ?lvl skos:prefLabel ?label ; schema:position ?levelPosition ; skos:inScheme ?scale .
  { SELECT ?scale (COUNT(DISTINCT ?step) AS ?levelCount) WHERE {
      ?scale a ckg:ProficiencyScale ; skos:hasTopConcept ?step . } GROUP BY ?scale }
}""",
}


# --------------------------------------------------------------------------- errors
class UnknownCompetencies(BadInput):
    """Names that no competency or tool of the store has (400), with the closest known names."""

    def __init__(self, unknown: dict[str, list[str]]) -> None:
        self.unknown = unknown
        parts = [
            f"{name!r}" + (f" (closest: {', '.join(close)})" if close else "")
            for name, close in unknown.items()
        ]
        super().__init__("unknown competency or tool: " + "; ".join(parts))


# --------------------------------------------------------------------------- the data
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


def _num(value: str | None) -> float | None:
    try:
        return None if value in (None, "") else float(value)  # type: ignore[arg-type]
    except ValueError:
        return None


def _version(text: str | None) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text or ""))


def build_career_data(runner: Runner, minter: Minter, state: str) -> CareerData:
    """Read every occupation's levels, job zones and names (one query each)."""
    index = occupation_index(runner, minter, state)
    rows = {name: runner.select(q) for name, q in QUERIES.items()}
    rows["tool-matches"] = runner.select(query_text("all-tool-matches"))
    n = len(index.clusters)
    links = str(minter.links_graph())
    # ratings: per (occupation, element) the newest release's (as the comparison does)
    versions = {
        g: _version(v)
        for g, v in graph_versions(runner, minter, {r["g"] for r in rows["career-ratings"]}).items()
    }
    rated: dict[tuple[int, str], tuple[tuple[int, ...], float, float | None, str]] = {}
    for r in rows["career-ratings"]:
        i = index.by_member.get(r["occupation"])
        importance = _num(r.get("importance"))
        if i is None or importance is None:
            continue
        if r["element"] not in index.clusters[i].profile.competencies:
            continue  # not a competency (work styles, work context …)
        key = (i, r["element"])
        here = (versions.get(r["g"], ()), importance, _num(r.get("level")), r["g"])
        old = rated.get(key)
        if old is None or here[:2] > old[:2]:
            rated[key] = here
    stated: dict[tuple[int, str], tuple[str, float | None, set[str]]] = {}

    def state_level(key: tuple[int, str], kind: str, level: float | None, graphs: set[str]) -> None:
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

    for r in rows["career-requirements"]:
        i = index.by_member.get(r["occupation"])
        if i is None:
            continue
        key = r.get("element") or r["competency"]
        graphs = {r["g"], links} if key != r["competency"] else {r["g"]}
        level = common_level(_num(r.get("levelPosition")), _num(r.get("levelCount")))
        state_level((i, key), "requirement", level, graphs)
    topic_keys = named_competencies(runner, {r["topic"] for r in rows["career-statements"]})
    first: dict[tuple[int, str], tuple[float, str, float | None, str]] = {}
    for r in rows["career-statements"]:
        i = index.by_member.get(r["occupation"])
        if i is None:
            continue
        mark = (i, r["topic"].casefold())
        pos = _num(r.get("levelPosition")) or 0.0
        here = (pos, r["statement"], common_level(pos, _num(r.get("levelCount"))), r["g"])
        if mark not in first or here[:2] < first[mark][:2]:
            first[mark] = here
    statement_labels: dict[str, str] = {}
    for (i, topic), (_, statement, level, g) in first.items():
        key = topic_keys.get(topic) or statement
        if key == statement:
            statement_labels[key] = next(
                r["topic"] for r in rows["career-statements"] if r["statement"] == statement
            )
        state_level((i, key), "framework", level, {g})
    needs: list[dict[str, Need]] = [{} for _ in range(n)]
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
    zones: list[int | None] = [None] * n
    for r in rows["career-job-zones"]:
        i = index.by_member.get(r["occupation"])
        zone = _num(r.get("zone"))
        if i is not None and zone is not None and zones[i] is None:
            zones[i] = int(zone)
    # one tool the way the comparison counts it (exact, or close with enough confidence)
    tool_key = tool_keys(rows["tool-matches"])
    names: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, str] = dict(statement_labels)
    kinds: dict[str, str] = {k: "competency" for k in statement_labels}
    codes: dict[str, str] = {}
    for key, label in statement_labels.items():
        names[label.casefold()].add(key)
    for r in sorted(rows["career-names"], key=lambda r: (r["which"] != "pref", r["name"])):
        if r["kind"] == "tool":
            key = tool_key.get(r["resource"], r["resource"])
        else:
            key = r.get("element") or r["resource"]
        names[" ".join(r["name"].casefold().split())].add(key)
        kinds.setdefault(key, r["kind"])
        if r["which"] == "pref" and r["resource"] == key:
            labels.setdefault(key, r["name"])
        if r["which"] == "code" and r["resource"] == key:
            codes.setdefault(key, r["name"])
    for r in rows["career-names"]:  # a key's label: its own, else a name of what matches it
        if r["which"] == "pref":
            key = (
                tool_key.get(r["resource"], r["resource"])
                if r["kind"] == "tool"
                else (r.get("element") or r["resource"])
            )
            labels.setdefault(key, r["name"])
    level_names: dict[str, float] = {}
    for r in rows["career-levels"]:
        level = common_level(_num(r.get("levelPosition")), _num(r.get("levelCount")))
        if level is not None:
            level_names.setdefault(r["label"].casefold(), level)
    return CareerData(
        index, needs, zones, dict(names), labels, kinds, codes, level_names, tool_key,
        minter.base, state,
    )  # fmt: skip


def career_data(runner: Runner, minter: Minter, state: str | None = None) -> CareerData:
    """The :class:`CareerData` of the store, cached while the store's state stays the same."""
    state = state or store_state(runner, minter)
    return cached(runner, "career-data", state, lambda: build_career_data(runner, minter, state))


# --------------------------------------------------------------------------- what a person has
@dataclass
class Held:
    """One competency or tool a person has, at a level on the 0-7 scale (None: not said)."""

    key: str
    label: str
    kind: str
    level: float | None = None
    given: str = ""

    def as_json(self, base: str) -> dict[str, Any]:
        return {
            "iri": self.key,
            "path": local_path(self.key, base),
            "label": self.label,
            "kind": self.kind,
            "level": _r(self.level),
            "given": self.given,
        }


def _r(x: float | None, digits: int = 2) -> float | None:
    return None if x is None else round(x, digits)


def parse_level(data: CareerData, text: str | float | None) -> float | None:
    """A level on the 0-7 scale: a number 0-7 (O*NET's scale), a proficiency level's name
    ("Advanced": the middle of its band, as the comparison maps it) or ``p/n`` (level p of n).

    >>> parse_level(_EMPTY, "3.5"), parse_level(_EMPTY, "2/3"), parse_level(_EMPTY, "")
    (3.5, 3.5, None)
    """
    if text is None:
        return None
    if isinstance(text, int | float):
        value = float(text)
    else:
        t = " ".join(str(text).split())
        if t in ("", "-"):
            return None
        frac = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:/|of)\s*(\d+)", t)
        if frac:
            p, n = float(frac.group(1)), float(frac.group(2))
            if not 1 <= p <= n:
                raise BadInput(f"level {t!r}: position {p:g} is not on a scale of {n:g}")
            return common_level(p, n)
        if t.casefold() in data.level_names:
            return data.level_names[t.casefold()]
        try:
            value = float(t)
        except ValueError:
            known = sorted({k for k in data.level_names})
            raise BadInput(
                f"level {t!r}: give a number 0-7 (O*NET's level scale), p/n, or a level name"
                + (f" ({', '.join(known[:12])})" if known else "")
            ) from None
    if not 0 <= value <= LEVEL_MAX:
        raise BadInput(f"level {value:g} is not on O*NET's 0-7 level scale")
    return value


def _suggest(data: CareerData, name: str, n: int = 3) -> list[str]:
    folded = name.casefold()
    pool = list(data.names)
    close = difflib.get_close_matches(folded, pool, n=n, cutoff=0.6)
    contains = [k for k in pool if folded in k and k not in close][: n - len(close)]
    out = []
    for k in close + contains:
        key = min(data.names[k])
        label = data.label(key)
        if label not in out:
            out.append(label)
    return out[:n]


def resolve_names(
    data: CareerData, given: Sequence[tuple[str, str | float | None]], *, lenient: bool = False
) -> tuple[list[Held], list[str]]:
    """What a person names (competency or tool names, O*NET element codes or IRIs, each with
    an optional level) as :class:`Held` items. Unknown names raise :class:`UnknownCompetencies`
    naming the closest known names, unless ``lenient`` (a document: they are returned)."""
    if len(given) > MAX_GIVEN:
        raise BadInput(f"at most {MAX_GIVEN} competencies in one match")
    held: dict[str, Held] = {}
    unknown: dict[str, list[str]] = {}
    for name, level_text in given:
        text = " ".join((name or "").split())
        if not text:
            continue
        if len(text) > _MAX_NAME or any(ord(ch) < 32 for ch in text):
            raise BadInput("a competency name is too long or has control characters")
        keys = data.names.get(text.casefold())
        if keys is None and (text in data.labels or text in data.kinds):
            keys = {text}  # an IRI
        if keys is None and text.startswith("/") and data.base + text[1:] in data.kinds:
            keys = {data.base + text[1:]}
        if not keys:
            unknown[text] = [] if lenient else _suggest(data, text)
            continue
        level = parse_level(data, level_text)
        for key in sorted(keys):
            old = held.get(key)
            if old is None or (level is not None and (old.level is None or level > old.level)):
                held[key] = Held(
                    key, data.label(key), data.kinds.get(key, "competency"), level, text
                )
    if unknown and not lenient:
        raise UnknownCompetencies(unknown)
    return list(held.values()), list(unknown)


def held_from_occupation(
    data: CareerData, runner: Runner, minter: Minter, text: str
) -> tuple[list[Held], int]:
    """What a worker of an occupation has: the competencies it requires, at its levels."""
    iri = resolve(runner, text, minter)  # BadInput, NotFound, Ambiguous
    i = data.index.by_member.get(iri)
    if i is None:
        raise NotFound(f"<{iri}> has no competency data")
    held = [
        Held(k, data.label(k), "competency", n.level, data.index.clusters[i].code or iri)
        for k, n in sorted(data.required(i).items(), key=lambda kv: -kv[1].weight)
    ]
    if not held:
        raise NotFound(f"{data.title(i)} requires no competency the store knows of")
    return held, i


def names_in_document(graph: Graph) -> list[tuple[str, float | None]]:
    """The competencies a document names, with a level where it gives one: a framework
    export's statement topics (at the lowest level it states them) and competencies, a
    CTDL-ASN framework's competencies (label, else O*NET code)."""
    found: dict[str, float | None] = {}

    def offer(name: str, level: float | None) -> None:
        name = " ".join(name.split())
        if name and (name not in found or _lower(level, found[name])):
            found[name] = level

    for s in set(graph.subjects(CEASN.competencyLabel, None)):
        labels = [str(o) for o in graph.objects(s, CEASN.competencyLabel)]
        level = None
        for lvl in graph.objects(s, CKG.atLevel):
            pos = _num(str(graph.value(lvl, URIRef("https://schema.org/position")) or ""))
            scale = graph.value(lvl, SKOS.inScheme)
            count = len(set(graph.objects(scale, SKOS.hasTopConcept))) if scale else 0
            level = common_level(pos, count) if count else None
        code = graph.value(s, CEASN.codedNotation)
        offer(str(code) if code is not None and not labels else labels[0], level)
    for s in set(graph.subjects(RDF.type, CKG.Competency)):
        label = graph.value(s, SKOS.prefLabel)
        if label is not None:
            offer(str(label), None)
    for s in set(graph.subjects(RDF.type, CEASN.Competency)):
        if (s, CEASN.competencyLabel, None) not in graph:
            code = graph.value(s, CEASN.codedNotation)
            if code is not None:
                offer(str(code), None)
    return sorted(found.items())


def _lower(level: float | None, than: float | None) -> bool:
    return level is not None and (than is None or level < than)


# --------------------------------------------------------------------------- matching
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
            "importance": _r(self.importance),
            "needed_level": _r(self.needed),
            "held_level": _r(self.held),
            "gap": _r(self.gap),
            "weight": _r(self.weight, 4),
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
            _P
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
                    "score": _r(f.score, 4),
                    "coverage": _r(f.coverage, 4),
                    "use": _r(f.use, 4),
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


# --------------------------------------------------------------------------- outputs
def _fmt(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def match_text(m: Match) -> str:
    """The match for a terminal."""
    out = io.StringIO()
    w = out.write
    given = ", ".join(
        h.label + (f" (level {_fmt(h.level)})" if h.level is not None else "") for h in m.held
    )
    if m.origin is not None:
        w(f"From: {m.data.title(m.origin)} — its required competencies at its levels\n")
    w(f"Given: {given}\n")
    if m.ignored:
        w(f"Not in the store (left out): {', '.join(m.ignored)}\n")
    w(f"{FIT_FORMULA}\n\n")
    if not m.fits:
        w(f"No occupation requires any of these ({m.considered} considered).\n")
    for n, f in enumerate(m.fits, start=1):
        c = m.data.index.clusters[f.cluster]
        zone = f", job zone {m.data.job_zones[f.cluster]}" if m.data.job_zones[f.cluster] else ""
        code = f" ({c.code})" if c.code else ""
        w(
            f"{n:>3}. {c.title}{code}{zone}: fit {_fmt(f.score, 3)} "
            f"(coverage {_fmt(f.coverage, 3)}, use {_fmt(f.use, 3)})\n"
        )
        if f.covered or f.tools:
            w("     has: " + ", ".join(x.label for x in f.covered + f.tools) + "\n")
        if f.missing:
            w(
                "     needs: "
                + ", ".join(
                    f"{x.label} (importance {_fmt(x.importance, 1) or '-'}, level "
                    f"{_fmt(x.needed, 1) or '-'}, gap {_fmt(x.gap, 1) or '-'})"
                    for x in f.missing[:8]
                )
                + (f" and {len(f.missing) - 8} more" if len(f.missing) > 8 else "")
                + "\n"
            )
    return out.getvalue()


MATCH_CSV_COLUMNS = [
    "rank", "code", "title", "iri", "job_zone", "score", "coverage", "use", "status",
    "competency", "competency_iri", "importance", "needed_level", "held_level", "gap", "sources",
]  # fmt: skip


def match_csv(m: Match) -> str:
    """One row per occupation and competency (covered, missing); formula cells neutralised."""
    rows: list[list[object]] = [list(MATCH_CSV_COLUMNS)]
    for n, f in enumerate(m.fits, start=1):
        c = m.data.index.clusters[f.cluster]
        head = [n, c.code or "", c.title, c.iri, m.data.job_zones[f.cluster] or "",
                _fmt(f.score, 4), _fmt(f.coverage, 4), _fmt(f.use, 4)]  # fmt: skip
        lines = [("covered", x) for x in f.covered + f.tools] + [("missing", x) for x in f.missing]
        if not lines:
            rows.append([*head, "", "", "", "", "", "", "", ""])
        for status, x in lines:
            rows.append([*head, status, x.label, x.key, _fmt(x.importance), _fmt(x.needed),
                         _fmt(x.held), _fmt(x.gap), " ".join(x.graphs)])  # fmt: skip
    return csv_text(rows)


def match_json(m: Match) -> str:
    return json.dumps(m.as_json(), ensure_ascii=False, indent=2)


# --------------------------------------------------------------------------- RDF
_XSD = "http://www.w3.org/2001/XMLSchema#"
_PROV_DERIVED = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
_TYPE = ox.NamedNode(str(RDF.type))
_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
_POSITION = ox.NamedNode("https://schema.org/position")
RDF_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def n(iri: str | URIRef) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def dec(x: float, digits: int = 4) -> ox.Literal:
    text = f"{round(x, digits):.{digits}f}".rstrip("0")
    return ox.Literal(text + "0" if text.endswith(".") else text, datatype=n(_XSD + "decimal"))


def integer(x: int) -> ox.Literal:
    return ox.Literal(str(x), datatype=n(_XSD + "integer"))


def line_triples(node: ox.NamedNode, line: Line, status: URIRef) -> list[ox.Triple]:
    """A competency line as a ckg:ComparisonItem (the comparison's vocabulary)."""
    out = [
        ox.Triple(node, _TYPE, n(CKG.ComparisonItem)),
        ox.Triple(node, n(CKG.comparedResource), n(line.key)),
        ox.Triple(node, n(CKG.comparisonStatus), n(status)),
        ox.Triple(node, _LABEL, ox.Literal(line.label)),
    ]
    if line.importance is not None:
        out.append(ox.Triple(node, n(CKG.toImportance), dec(line.importance, 2)))
    if line.needed is not None:
        out.append(ox.Triple(node, n(CKG.toLevel), dec(line.needed, 2)))
    if line.held is not None:
        out.append(ox.Triple(node, n(CKG.fromLevel), dec(line.held, 2)))
    if line.gap is not None:
        out.append(ox.Triple(node, n(CKG.levelGap), dec(line.gap, 2)))
    out += [ox.Triple(node, _PROV_DERIVED, n(g)) for g in line.graphs]
    return out


def match_triples(m: Match, subject: str) -> list[ox.Triple]:
    """The match as RDF about ``subject`` (the match's own URL)."""
    s = n(subject)
    given = ", ".join(h.label for h in m.held)
    t: list[ox.Triple] = [
        ox.Triple(s, _TYPE, n(CKG.OccupationMatch)),
        ox.Triple(s, _LABEL, ox.Literal("Occupations matching " + given, language="en")),
        ox.Triple(s, _COMMENT, ox.Literal(FIT_FORMULA, language="en")),
    ]
    if m.origin is not None:
        t.append(ox.Triple(s, n(CKG.fromOccupation), n(m.data.index.clusters[m.origin].iri)))
    for h in m.held:
        t.append(ox.Triple(s, n(CKG.givenResource), n(h.key)))
    graphs: set[str] = set()
    for rank, f in enumerate(m.fits, start=1):
        node = n(f"{subject}#result-{rank}")
        t += [
            ox.Triple(s, n(CKG.matchResult), node),
            ox.Triple(node, _TYPE, n(CKG.MatchResult)),
            ox.Triple(node, n(CKG.toOccupation), n(m.data.index.clusters[f.cluster].iri)),
            ox.Triple(node, _POSITION, integer(rank)),
            ox.Triple(node, n(CKG.fitScore), dec(f.score)),
            ox.Triple(node, n(CKG.matchCoverage), dec(f.coverage)),
            ox.Triple(node, n(CKG.matchUse), dec(f.use)),
        ]
        for g in f.sources():
            t.append(ox.Triple(node, _PROV_DERIVED, n(g)))
            graphs.add(g)
        for k, x in enumerate(f.covered, start=1):
            item = n(f"{subject}#result-{rank}-has-{k}")
            t.append(ox.Triple(node, n(CKG.item), item))
            t += line_triples(item, x, CKG.Shared)
        for k, x in enumerate(f.missing, start=1):
            item = n(f"{subject}#result-{rank}-needs-{k}")
            t.append(ox.Triple(node, n(CKG.item), item))
            t += line_triples(item, x, CKG.ToLearn)
    for g in sorted(graphs):
        t.append(ox.Triple(s, _PROV_DERIVED, n(g)))
    return t


def serialize(triples: list[ox.Triple], mime: str) -> bytes:
    return ox.serialize(triples, format=RDF_FORMATS[mime], prefixes=PREFIXES)


_EMPTY = CareerData(Index([], {}), [], [], {}, {}, {}, {}, {}, {}, "", "")
