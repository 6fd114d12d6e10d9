"""Compare occupations: what two occupations share, and what one needs that the other lacks.

A comparison (:func:`compare`) is computed from the graph with the SPARQL queries in
``competency_kg/compare_queries/`` (shown with every comparison, so analysts can run them
again). Each compared occupation is taken together with its *twins*: the occupations of other
sources linked to it by ``skos:exactMatch`` (the seed's "Computer User Support Specialists" and
O*NET's 15-1232.00), whose facts are merged, every fact keeping the named graph it came from.

**Competencies.** An occupation *requires* a competency when a source document says so
(``ckg:requires``), when a competency framework written for it has a statement whose topic is
the competency's title (case aside; at the lowest level the framework states it), or when O*NET
rates its importance at least :data:`IMPORTANCE_THRESHOLD` (3, "important", on the 1-5 scale).
A source's competency and the O*NET element it is an exact match of are one competency. Where
two O*NET releases rate the same element, the newer release's rating is used. Levels are put on
one scale, O*NET's 0-7 level scale: the O*NET level where there is one, else the source's
proficiency level *p* of *n* mapped to the middle of its band, ``7 (p - 1/2) / n`` (Basic,
Intermediate, Advanced → 1.17, 3.5, 5.83). The *gap* is the target's level minus the origin's.

**Similarity** (the same for the pair and for the nearest occupations)::

    S = (0.5 C + 0.3 T + 0.2 W) / (sum of the weights of the parts both occupations have data for)

    C = sum_c min(wA(c), wB(c)) / sum_c max(wA(c), wB(c))    weighted Jaccard of competencies
        w(c) = max((importance - 1) / 4 for O*NET's rating,  1/2 if a source requires c)
    T = |TA ∩ TB| / |TA ∪ TB|    tools and technologies (exact matches across sources are one)
    W = |DA ∩ DB| / |DA ∪ DB|    O*NET detailed work activities of the occupations' tasks

The nearest occupations of one occupation are the others with the highest S. Scoring all
occupations needs every occupation's profile; profiles are read with the ``all-*.rq`` queries
and kept in memory only while the store's state (``store-state.rq``: each source graph's load
time, checksum and size) stays the same, so a load is seen at once and nothing goes stale.

Values from outside (codes, titles, IRIs typed by a user) only enter a query as bound data
(``GraphStore.select(query, bindings=…)``, or a ``VALUES`` block written by Oxigraph's own
serializer); never as query text.
"""

from __future__ import annotations

import hashlib
import heapq
import io
import json
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.resources import files
from itertools import chain, repeat
from operator import add
from typing import Any, Protocol

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

from competency_kg.iris import Minter
from competency_kg.namespaces import CKG, PREFIXES
from competency_kg.safe_text import csv_text
from competency_kg.store.dataset import query_plan
from competency_kg.versioned_cache import VersionedCache

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

TSV = "text/tab-separated-values"
JSON_RESULTS = "application/sparql-results+json"
_CODE = re.compile(r"^\d{2}-\d{4}(\.\d{2})?$")
_MAX_INPUT = 500
SIDES = ("a", "b")
#: The queries that read every occupation's profile (for the nearest occupations).
INDEX_QUERIES = (
    "all-ratings",
    "all-tools",
    "all-work-activities",
    "all-occupations",
    "competency-elements",
    "all-requirements",
    "all-statements",
    "all-tool-matches",
)

Row = dict[str, str]

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- errors
class CompareError(Exception):
    """A comparison cannot be made as asked."""

    status = 400


class BadInput(CompareError):
    """The occupation was not given, or not in a form that can name one."""


class NotFound(CompareError):
    """No occupation in the store matches what was given."""

    status = 404


class Ambiguous(CompareError):
    """A title names several occupations that are not twins of each other."""

    def __init__(self, message: str, candidates: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.candidates = candidates


# --------------------------------------------------------------------------- queries
def query_text(name: str) -> str:
    """The text of ``compare_queries/{name}.rq``."""
    return files("competency_kg").joinpath("compare_queries", f"{name}.rq").read_text("utf-8")


def iri_term(iri: str) -> str:
    """``<iri>`` written by Oxigraph (:class:`ValueError` if it is not an IRI)."""
    return str(ox.NamedNode(iri))


def literal_term(text: str) -> str:
    return str(ox.Literal(text))


def values_block(variables: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """``VALUES (?a ?b) { (…) … }`` over terms already written by Oxigraph."""
    cells = " ".join("(" + " ".join(r) + ")" for r in rows)
    return f"VALUES ({' '.join('?' + v for v in variables)}) {{ {cells} }}"


def with_values(name: str, *blocks: str) -> str:
    """A query of ``compare_queries/`` with its ``#@VALUES`` line replaced by ``blocks``."""
    text = query_text(name)
    indent = re.search(r"^([ \t]*)#@VALUES", text, re.MULTILINE)
    if indent is None:
        raise ValueError(f"{name}.rq has no #@VALUES line")
    return text.replace(
        indent.group(0), "\n".join(indent.group(1) + b for b in blocks).rstrip("\n"), 1
    )


# --------------------------------------------------------------------------- running queries
class Runner(Protocol):
    """Runs SELECT queries; rows map variable names to values (IRIs and literals' lexical
    forms as plain strings)."""

    identity: str

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]: ...


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in "uU":
                width = 4 if nxt == "u" else 8
                out.append(chr(int(text[i + 2 : i + 2 + width], 16)))
                i += 2 + width
                continue
            out.append({"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f"}.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _tsv_value(cell: str) -> str:
    if cell.startswith("<") and cell.endswith(">"):
        return cell[1:-1]
    if cell.startswith('"'):
        return _unescape(cell[1 : cell.rfind('"')])
    return cell  # a bare number or boolean, or a blank node


def parse_tsv(data: bytes) -> list[Row]:
    """SPARQL TSV results → rows of plain values."""
    lines = data.decode("utf-8").split("\n")
    if not lines or not lines[0]:
        return []
    names = [v.lstrip("?$") for v in lines[0].split("\t")]
    rows: list[Row] = []
    for line in lines[1:]:
        if not line:
            continue
        rows.append(
            {
                n: _tsv_value(c)
                for n, c in zip(names, line.split("\t"), strict=False)
                if c  # unbound
            }
        )
    return rows


def parse_json(data: bytes) -> list[Row]:
    doc = json.loads(data)
    return [
        {k: v["value"] for k, v in b.items()} for b in doc.get("results", {}).get("bindings", [])
    ]


class StoreRunner:
    """Queries a :class:`~competency_kg.store.GraphStore` (the CLI, tests, a remote store)."""

    def __init__(self, store: Any, identity: str | None = None) -> None:
        self.store = store
        self.embedded = getattr(store, "oxigraph", None) is not None
        self.identity = identity or str(
            getattr(store, "path", None) or getattr(store, "url", None) or id(store)
        )

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        if bindings:
            return [
                {k: str(v) for k, v in row.items()} for row in self.store.select(query, bindings)
            ]
        if self.embedded:
            # Our own queries name no dataset: the default graph is the merge of the named
            # graphs. (Straight to Oxigraph: the store's generic path re-parses long texts.)
            store, kwargs = query_plan(self.store.oxigraph, query)
            result = store.query(query, **kwargs)
            return parse_tsv(result.serialize(format=ox.QueryResultsFormat.TSV))
        raw = self.store.query_raw(query, results_mime=JSON_RESULTS)
        return parse_json(raw.data)


class ExecutorRunner:
    """Queries through the web application's query executor (worker processes that reopen the
    store after a load, and stop a query that runs too long)."""

    def __init__(self, executor: Any, identity: str, timeout: float | None = None) -> None:
        from competency_kg.sparql.text import QueryInfo

        self.executor = executor
        self.identity = identity
        self.timeout = timeout
        self._info = QueryInfo(form="select", has_dataset=False, uses_service=False)

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        if bindings:
            from competency_kg.sparql.terms import values_clause

            query = f"{query}\n{values_clause(bindings)}"
        result = self.executor.run(
            query, results_mime=TSV, graph_mime=None, timeout=self.timeout, info=self._info
        )
        return parse_tsv(result.data)


# --------------------------------------------------------------------------- cache
_CACHE = VersionedCache()


def store_state(runner: Runner, minter: Minter) -> str:
    """A token that changes whenever any source is loaded again (see ``store-state.rq``)."""
    q = with_values(
        "store-state", values_block(["metadata"], [[iri_term(minter.metadata_graph())]])
    )
    rows = runner.select(q)
    lines = sorted(f"{r.get('s')}\t{r.get('p')}\t{r.get('o')}" for r in rows)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:24]


def cached(runner: Runner, name: str, state: str, build: Callable[[], Any]) -> Any:
    """``build()``, kept for this store while its state stays ``state`` (one build at a time)."""
    return _CACHE.get((runner.identity, name), state, build)


def clear_cache() -> None:
    _CACHE.clear()


# --------------------------------------------------------------------------- numbers
def _num(value: str | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _version_key(version: str | None) -> tuple[int, ...]:
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


# --------------------------------------------------------------------------- similarity
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
            "score": _round(self.score),
            **{k: _round(self.parts.get(k)) for k in WEIGHTS},
            "weights": WEIGHTS,
            "formula": FORMULA,
        }


def _round(x: float | None, digits: int = 4) -> float | None:
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


# --------------------------------------------------------------------------- the index
@dataclass
class Cluster:
    """One occupation with its twins: how it is named, and its profile."""

    iri: str  # the representative: the member with an O*NET-SOC code, if any
    title: str
    code: str | None
    members: tuple[str, ...]
    profile: Profile = field(default_factory=Profile)


@dataclass
class Index:
    """Every occupation of the store, twins merged, with its similarity profile."""

    clusters: list[Cluster]
    by_member: dict[str, int]
    #: nearest occupations already computed (the index lives as long as the store's state)
    memo: dict[tuple[tuple[str, ...], int], list[Neighbour]] = field(default_factory=dict)
    _columns: _Columns | None = None

    def columns(self) -> _Columns:
        """Every competency's weights as a column over all occupations, and who uses each
        tool and work activity: what scoring all occupations at once needs (built once)."""
        if self._columns is None:
            self._columns = _Columns.of(self.clusters)
        return self._columns

    def cluster_of(self, iri: str) -> Cluster | None:
        i = self.by_member.get(iri)
        return None if i is None else self.clusters[i]

    def search(self, text: str, limit: int = 20) -> list[Cluster]:
        """Occupations whose title or code contains ``text`` (case-insensitive), titles that
        start with it first."""
        needle = " ".join(text.casefold().split())
        if not needle:
            return []
        hits: list[tuple[int, str, Cluster]] = []
        for c in self.clusters:
            title = c.title.casefold()
            code = (c.code or "").casefold()
            if title.startswith(needle) or code.startswith(needle):
                hits.append((0, title, c))
            elif needle in title:
                hits.append((1, title, c))
        hits.sort(key=lambda h: (h[0], h[1]))
        return [c for _, _, c in hits[:limit]]


@dataclass
class _Columns:
    weights: dict[str, list[float]]
    tool_users: dict[str, list[int]]
    activity_users: dict[str, list[int]]
    totals: list[float]
    tools: list[int]
    activities: list[int]

    @classmethod
    def of(cls, clusters: Sequence[Cluster]) -> _Columns:
        n = len(clusters)
        weights: dict[str, list[float]] = {}
        tool_users: dict[str, list[int]] = defaultdict(list)
        activity_users: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(clusters):
            for key, w in c.profile.competencies.items():
                column = weights.get(key)
                if column is None:
                    column = weights[key] = [0.0] * n
                column[i] = w
            for t in c.profile.tools:
                tool_users[t].append(i)
            for a in c.profile.activities:
                activity_users[a].append(i)
        return cls(
            weights,
            dict(tool_users),
            dict(activity_users),
            [c.profile.total for c in clusters],
            [len(c.profile.tools) for c in clusters],
            [len(c.profile.activities) for c in clusters],
        )

    def parts(
        self, i: int, profile: Profile, both: float, tools: int, acts: int
    ) -> dict[str, float]:
        parts: dict[str, float] = {}
        if profile.total > 0 and self.totals[i] > 0:
            parts["competencies"] = both / (profile.total + self.totals[i] - both)
        if profile.tools and self.tools[i]:
            parts["tools"] = tools / (len(profile.tools) + self.tools[i] - tools)
        if profile.activities and self.activities[i]:
            parts["work_activities"] = acts / (len(profile.activities) + self.activities[i] - acts)
        return parts

    def nearest(self, profile: Profile, skip: set[int], k: int) -> list[tuple[int, Similarity]]:
        """The ``k`` best :func:`similarity` scores of ``profile`` with every occupation
        (but those in ``skip``), column by column: the same numbers, many times faster than
        one pair at a time."""
        n = len(self.totals)
        both = [0.0] * n
        for key, w in profile.competencies.items():
            column = self.weights.get(key)
            if column is not None:
                both = list(map(add, both, map(min, repeat(w, n), column)))
        tools = Counter(chain.from_iterable(self.tool_users.get(t, ()) for t in profile.tools))
        acts = Counter(
            chain.from_iterable(self.activity_users.get(a, ()) for a in profile.activities)
        )
        wc, wt, ww = WEIGHTS["competencies"], WEIGHTS["tools"], WEIGHTS["work_activities"]
        total, n_tools, n_acts = profile.total, len(profile.tools), len(profile.activities)
        scored: list[tuple[float, int]] = []
        for i in range(n):
            if i in skip:
                continue
            num = den = 0.0
            if total > 0 and self.totals[i] > 0:
                num += wc * both[i] / (total + self.totals[i] - both[i])
                den += wc
            if n_tools and self.tools[i]:
                m = tools.get(i, 0)
                num += wt * m / (n_tools + self.tools[i] - m)
                den += wt
            if n_acts and self.activities[i]:
                m = acts.get(i, 0)
                num += ww * m / (n_acts + self.activities[i] - m)
                den += ww
            if den:
                scored.append((num / den, i))
        best = heapq.nlargest(k * 2 + 8, scored)  # then ties in title order
        out = []
        for _, i in best:
            parts = self.parts(i, profile, both[i], tools.get(i, 0), acts.get(i, 0))
            weight = sum(WEIGHTS[p] for p in parts)
            out.append(
                (i, Similarity(sum(WEIGHTS[p] * v for p, v in parts.items()) / weight, parts))
            )
        return out


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _representative(members: Iterable[str], codes: dict[str, str]) -> str:
    coded = sorted(m for m in members if m in codes)
    return coded[0] if coded else min(members)


def occupation_clusters(rows: list[Row]) -> tuple[list[Cluster], dict[str, int]]:
    """Clusters of twins from ``all-occupations.rq`` rows."""
    uf = _UnionFind()
    titles: dict[str, str] = {}
    codes: dict[str, str] = {}
    for r in rows:
        o = r["occupation"]
        uf.find(o)
        if "title" in r:
            titles.setdefault(o, r["title"])
        if "code" in r:
            codes.setdefault(o, r["code"])
        if "twin" in r:
            uf.union(o, r["twin"])
    groups: dict[str, list[str]] = defaultdict(list)
    for o in list(uf.parent):
        groups[uf.find(o)].append(o)
    clusters: list[Cluster] = []
    by_member: dict[str, int] = {}
    for members in sorted(groups.values(), key=lambda m: min(m)):
        rep = _representative(members, codes)
        title = titles.get(rep) or next((titles[m] for m in sorted(members) if m in titles), rep)
        code = codes.get(rep)
        for m in members:
            by_member[m] = len(clusters)
        clusters.append(Cluster(rep, title, code, tuple(sorted(members))))
    return clusters, by_member


def graph_versions(runner: Runner, minter: Minter, graphs: Iterable[str]) -> dict[str, str]:
    """The release version the metadata graph gives each graph (O*NET releases)."""
    graphs = sorted(set(graphs))
    if not graphs:
        return {}
    q = with_values(
        "sources",
        values_block(["metadata"], [[iri_term(minter.metadata_graph())]]),
        values_block(["g"], [[iri_term(g)] for g in graphs]),
    )
    return {r["g"]: r["version"] for r in runner.select(q) if "version" in r}


def build_index(runner: Runner, minter: Minter, parallel: bool = True) -> Index:
    """Read every occupation's profile (the ``all-*.rq`` queries, two at a time)."""
    with ThreadPoolExecutor(max_workers=2 if parallel else 1) as pool:
        pending = {name: pool.submit(runner.select, query_text(name)) for name in INDEX_QUERIES}
        rows = {name: f.result() for name, f in pending.items()}
    clusters, by_member = occupation_clusters(rows["all-occupations"])
    weights: list[dict[str, float]] = [{} for _ in clusters]
    # ratings: per (occupation, element) the newest release's importance
    best: dict[tuple[int, str], tuple[tuple[int, ...], float]] = {}
    elements = {r["element"] for r in rows["competency-elements"]}
    rating_rows = rows["all-ratings"]
    versions = graph_versions(runner, minter, {r["g"] for r in rating_rows})
    for r in rating_rows:
        if r["element"] not in elements:
            continue
        i = by_member.get(r["occupation"])
        importance = _num(r.get("importance"))
        if i is None or importance is None:
            continue
        key = (i, r["element"])
        v = _version_key(versions.get(r["g"]))
        # a cluster with several rated members (rare) keeps the highest importance per release
        old = best.get(key)
        if old is None or v > old[0] or (v == old[0] and importance > old[1]):
            best[key] = (v, importance)
    for (i, element), (_, importance) in best.items():
        weights[i][element] = rating_weight(importance)
    for r in rows["all-requirements"]:
        i = by_member.get(r["occupation"])
        if i is None:
            continue
        key = r.get("element") or r["competency"]
        weights[i][key] = max(weights[i].get(key, 0.0), REQUIREMENT_WEIGHT)
    topic_keys = named_competencies(runner, {r["topic"] for r in rows["all-statements"]})
    first_statement: dict[tuple[int, str], tuple[float, str]] = {}
    for r in rows["all-statements"]:
        i = by_member.get(r["occupation"])
        if i is None:
            continue
        mark = (i, r["topic"].casefold())
        here = (_num(r.get("levelPosition")) or 0.0, r["statement"])
        if mark not in first_statement or here < first_statement[mark]:
            first_statement[mark] = here
    for (i, topic), (_, statement) in first_statement.items():
        key = topic_keys.get(topic) or statement
        weights[i][key] = max(weights[i].get(key, 0.0), REQUIREMENT_WEIGHT)
    tool_match = _first_matches(rows["all-tool-matches"], "tool", "match")
    tools: list[set[str]] = [set() for _ in clusters]
    for r in rows["all-tools"]:
        i = by_member.get(r["occupation"])
        if i is not None:
            tools[i].add(tool_match.get(r["tool"], r["tool"]))
    activities: list[set[str]] = [set() for _ in clusters]
    for r in rows["all-work-activities"]:
        i = by_member.get(r["occupation"])
        if i is not None:
            activities[i].add(r["activity"])
    for i, c in enumerate(clusters):
        c.profile = Profile(weights[i], frozenset(tools[i]), frozenset(activities[i]))
    index = Index(clusters, by_member)
    index.columns()
    return index


def named_competencies(
    runner: Runner, topics: Iterable[str], queries: dict[str, str] | None = None
) -> dict[str, str]:
    """Framework statement topics (lower-cased) → the competency each names, as the key it is
    compared under (its O*NET element if it has one); topics that name none are left out."""
    needles = sorted({t.casefold() for t in topics})
    if not needles:
        return {}
    q = with_values(
        "named-competencies", values_block(["needle"], [[literal_term(t)] for t in needles])
    )
    if queries is not None:
        queries["named-competencies"] = q
    out: dict[str, str] = {}
    for r in runner.select(q):
        key = r.get("element") or r["competency"]
        if r["needle"] not in out or key < out[r["needle"]]:
            out[r["needle"]] = key
    return out


def _first_matches(rows: list[Row], key: str, value: str) -> dict[str, str]:
    """Each ``key`` with the first (smallest) ``value`` it is an exact match of."""
    out: dict[str, str] = {}
    for r in rows:
        k, v = r[key], r[value]
        if k not in out or v < out[k]:
            out[k] = v
    return out


def occupation_index(
    runner: Runner, minter: Minter, state: str | None = None, parallel: bool = True
) -> Index:
    """The :class:`Index` of the store, cached while the store's state stays the same."""
    state = state or store_state(runner, minter)
    return cached(runner, "index", state, lambda: build_index(runner, minter, parallel))


def occupation_list(runner: Runner, minter: Minter, state: str | None = None) -> Index:
    """Every occupation with its twins, without profiles (for pickers): cheap, and cached
    while the store's state stays the same."""
    state = state or store_state(runner, minter)

    def build() -> Index:
        clusters, by_member = occupation_clusters(runner.select(query_text("all-occupations")))
        return Index(clusters, by_member)

    return cached(runner, "occupations", state, build)


@dataclass
class Neighbour:
    iri: str
    title: str
    code: str | None
    similarity: Similarity

    def as_json(self, base: str) -> dict[str, Any]:
        return {
            "iri": self.iri,
            "path": local_path(self.iri, base),
            "title": self.title,
            "code": self.code,
            **self.similarity.as_json(),
        }


def nearest(
    index: Index, profile: Profile, exclude: Iterable[str], k: int = NEAREST
) -> list[Neighbour]:
    """The ``k`` occupations most similar to ``profile`` (the clusters of ``exclude`` left out;
    ``profile`` is theirs: the answer is remembered for as long as the index lives)."""
    key = (tuple(sorted(exclude)), k)
    hit = index.memo.get(key)
    if hit is not None:
        return hit
    skip = {index.by_member[m] for m in key[0] if m in index.by_member}
    scored = index.columns().nearest(profile, skip, k)
    scored.sort(key=lambda t: (-(t[1].score or 0.0), index.clusters[t[0]].title.casefold()))
    found = [
        Neighbour(index.clusters[i].iri, index.clusters[i].title, index.clusters[i].code, s)
        for i, s in scored[:k]
    ]
    index.memo[key] = found
    return found


# --------------------------------------------------------------------------- resolving
def local_path(iri: str, base: str) -> str | None:
    """The path on this server of a data IRI (``/`` + what follows the base), or None."""
    return "/" + iri[len(base) :] if iri.startswith(base) and len(iri) > len(base) else None


def resolve(runner: Runner, text: str | None, minter: Minter) -> str:
    """The occupation named by an O*NET-SOC code, an IRI (or its path on this server), or an
    exact title (case aside). Raises :class:`BadInput`, :class:`NotFound`, :class:`Ambiguous`.
    """
    given = (text or "").strip()
    if not given:
        raise BadInput("no occupation given: use an O*NET-SOC code, an IRI or an exact title")
    if len(given) > _MAX_INPUT or any(ord(ch) < 32 for ch in given):
        raise BadInput("not an occupation code, IRI or title (too long, or control characters)")
    if _CODE.match(given):
        code = given if "." in given else given + ".00"
        found = _occupations(runner, "resolve-by-code", {"code": Literal(code)})
        what = f"no occupation has the O*NET-SOC code {code}"
    elif re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", given) or given.startswith("/"):
        iri = minter.base + given.lstrip("/") if given.startswith("/") else given
        try:
            iri_term(iri)
        except ValueError:
            raise BadInput(f"not a valid IRI: {given!r}") from None
        found = _occupations(runner, "resolve-by-iri", {"occupation": URIRef(iri)})
        what = f"<{iri}> is not an occupation in the store"
    else:
        found = sorted(
            set(_occupations(runner, "resolve-by-label", {"title": Literal(given, lang="en")}))
            | set(_occupations(runner, "resolve-by-label", {"title": Literal(given)}))
        )
        if not found:  # case aside: a scan of the occupations' titles
            found = _occupations(runner, "resolve-by-title", {"needle": Literal(given.casefold())})
        what = f"no occupation is titled {given!r} (give the exact title, a code or an IRI)"
    if not found:
        raise NotFound(what)
    if len(found) == 1:
        return found[0]
    # several: fine when they are all twins of one occupation
    clusters, codes = _clusters_of(runner, found)
    if len(set(clusters.values())) == 1:
        return _representative(found, codes)
    candidates = sorted((o, codes.get(o, "")) for o in found)
    raise Ambiguous(
        f"{given!r} names {len(found)} different occupations: "
        + ", ".join(f"<{o}>" for o, _ in candidates)
        + "; give a code or an IRI",
        candidates,
    )


def _occupations(runner: Runner, name: str, bindings: Mapping[str, Node]) -> list[str]:
    return sorted({r["occupation"] for r in runner.select(query_text(name), bindings)})


def _clusters_of(runner: Runner, occupations: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Each occupation → the smallest IRI of its twins (itself included); and their codes."""
    q = with_values(
        "members",
        values_block(["side", "focus"], [[literal_term(o), iri_term(o)] for o in occupations]),
    )
    out: dict[str, str] = {}
    codes: dict[str, str] = {}
    for r in runner.select(q):
        o = r["side"]
        out[o] = min(out.get(o, o), r["occupation"])
        if "code" in r and r["occupation"] == o:
            codes[o] = r["code"]
    return out, codes


# --------------------------------------------------------------------------- the comparison
@dataclass
class Member:
    iri: str
    code: str | None = None
    title: str | None = None
    job_zone: str | None = None
    graphs: list[str] = field(default_factory=list)


@dataclass
class Side:
    """One compared occupation with its twins."""

    focus: str
    members: list[Member]
    links: list[dict[str, str]]

    @property
    def representative(self) -> Member:
        by_iri = {m.iri: m for m in self.members}
        if self.focus in by_iri and by_iri[self.focus].code:
            return by_iri[self.focus]
        coded = sorted((m for m in self.members if m.code), key=lambda m: m.iri)
        return coded[0] if coded else by_iri.get(self.focus, self.members[0])

    @property
    def title(self) -> str:
        focus = next((m for m in self.members if m.iri == self.focus), None)
        if focus is not None and focus.title:
            return focus.title
        return next((m.title for m in self.members if m.title), self.focus)

    @property
    def code(self) -> str | None:
        return self.representative.code or next((m.code for m in self.members if m.code), None)

    @property
    def job_zone(self) -> str | None:
        return next((m.job_zone for m in self.members if m.job_zone), None)

    def member_iris(self) -> set[str]:
        return {m.iri for m in self.members}


@dataclass
class Fact:
    """What one side says about one competency, tool, certification or work activity."""

    required: bool = False
    required_by: set[str] = field(default_factory=set)  # graphs whose documents require it
    importance: float | None = None
    onet_level: float | None = None
    rating_graph: str | None = None
    rating_version: tuple[int, ...] = ()
    level_label: str | None = None
    level_position: float | None = None
    level_count: float | None = None
    level_graph: str | None = None
    level_kind: str | None = None  # "requirement" or "framework"
    hot: bool = False
    tasks: int = 0
    iris: set[str] = field(default_factory=set)  # the source resources merged in it
    graphs: set[str] = field(default_factory=set)
    close: set[str] = field(default_factory=set)  # close matches (tools)

    @property
    def level(self) -> float | None:
        if self.onet_level is not None:
            return self.onet_level
        return common_level(self.level_position, self.level_count)

    @property
    def level_basis(self) -> str | None:
        if self.onet_level is not None:
            return "O*NET level"
        if self.level is not None:
            where = "framework" if self.level_kind == "framework" else "required level"
            return f"{self.level_label} ({self.level_position:g} of {self.level_count:g}, {where})"
        return None

    def offer_level(
        self, kind: str, label: str | None, position: float | None, count: float | None, g: str
    ) -> None:
        """A stated level: a requirement's wins over a framework's; of several requirements
        the highest, of several framework statements the lowest (where the framework first
        expects the competency)."""
        if position is None or not count:
            return
        if self.level_kind == "requirement" and kind == "framework":
            return
        if self.level_kind == kind and self.level_position is not None:
            higher = position > self.level_position
            if (kind == "requirement") != higher:
                return
        self.level_label, self.level_position, self.level_count = label, position, count
        self.level_graph, self.level_kind = g, kind

    @property
    def weight(self) -> float:
        w = rating_weight(self.importance)
        return max(w, REQUIREMENT_WEIGHT) if self.required_by else w

    def sources(self) -> list[str]:
        return sorted(self.graphs)

    def as_json(self, kind: str) -> dict[str, Any]:
        out: dict[str, Any] = {"sources": self.sources()}
        if kind == "competency":
            out.update(
                required=self.required,
                required_by_source=sorted(self.required_by),
                importance=self.importance,
                onet_level=self.onet_level,
                rating_source=self.rating_graph,
                proficiency_level=self.level_label,
                level=_round(self.level, 2),
                level_basis=self.level_basis,
                weight=_round(self.weight),
            )
        elif kind == "tool":
            out.update(hot=self.hot)
            if self.close:
                out["close_matches"] = sorted(self.close)
        elif kind == "work_activity":
            out.update(tasks=self.tasks)
        out["resources"] = sorted(self.iris)
        return out


STATUS_LABELS = {
    "shared": "Shared",
    "to_learn": "To learn (B needs it, A does not)",
    "not_needed": "Only A needs it",
}


@dataclass
class Item:
    kind: str  # competency | tool | certification | work_activity
    key: str
    label: str
    a: Fact | None
    b: Fact | None
    notation: str | None = None

    def present(self, side: str) -> bool:
        fact = self.a if side == "a" else self.b
        if fact is None:
            return False
        return fact.required if self.kind == "competency" else True

    @property
    def status(self) -> str | None:
        a, b = self.present("a"), self.present("b")
        if a and b:
            return "shared"
        if b:
            return "to_learn"
        if a:
            return "not_needed"
        return None

    @property
    def gap(self) -> float | None:
        if self.a is None or self.b is None:
            return None
        la, lb = self.a.level, self.b.level
        return None if la is None or lb is None else lb - la

    def sources(self) -> list[str]:
        return sorted({g for f in (self.a, self.b) if f is not None for g in f.graphs})

    def as_json(self, base: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "iri": self.key,
            "path": local_path(self.key, base),
            "label": self.label,
            "status": self.status,
        }
        if self.notation:
            out["notation"] = self.notation
        if self.kind == "competency":
            out["gap"] = _round(self.gap, 2)
        out["a"] = self.a.as_json(self.kind) if self.a else None
        out["b"] = self.b.as_json(self.kind) if self.b else None
        return out


@dataclass
class ListEntry:
    rank: int | None
    competency: str
    label: str


@dataclass
class PrioritizedLists:
    list_type: str
    type_label: str
    kind: str | None
    kind_label: str | None
    position: int
    a: list[ListEntry] = field(default_factory=list)
    b: list[ListEntry] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)


@dataclass
class Comparison:
    a: Side
    b: Side
    base: str
    items: dict[str, list[Item]]  # kind → items
    lists: list[PrioritizedLists]
    similarity: Similarity
    nearest: dict[str, list[Neighbour]]
    sources: dict[str, dict[str, str]]
    queries: dict[str, str]
    notes: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return bool(self.a.member_iris() & self.b.member_iris())

    def side(self, name: str) -> Side:
        return self.a if name == "a" else self.b

    def section(self, kind: str, status: str) -> list[Item]:
        """Items of ``kind`` with ``status``, most important (for the side that needs them)
        first."""
        chosen = [i for i in self.items.get(kind, []) if i.status == status]

        def importance(f: Fact | None) -> float:
            if f is None:
                return 0.0
            if f.importance is not None:
                return f.importance
            return IMPORTANCE_THRESHOLD if f.required_by else 0.0

        if kind == "competency":
            if status == "not_needed":
                chosen.sort(key=lambda i: (-importance(i.a), i.label.casefold()))
            else:
                chosen.sort(key=lambda i: (-importance(i.b), -importance(i.a), i.label.casefold()))
        elif kind == "tool":
            fact = "a" if status == "not_needed" else "b"
            chosen.sort(key=lambda i: (not getattr(i, fact).hot, i.label.casefold()))
        elif kind == "work_activity":
            fact = "a" if status == "not_needed" else "b"
            chosen.sort(key=lambda i: (-getattr(i, fact).tasks, i.label.casefold()))
        else:
            chosen.sort(key=lambda i: i.label.casefold())
        return chosen

    def gaps(self, limit: int | None = None) -> list[Item]:
        """Competencies one side requires and both give a level for, largest gap first."""
        out = [
            i
            for i in self.items.get("competency", [])
            if i.status is not None and i.gap is not None
        ]
        out.sort(key=lambda i: (-(i.gap or 0.0), i.label.casefold()))
        return out[:limit] if limit else out

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            kind: {s: len(self.section(kind, s)) for s in STATUS_LABELS}
            for kind in ("competency", "tool", "certification", "work_activity")
        }

    def side_json(self, name: str) -> dict[str, Any]:
        s = self.side(name)
        rep = s.representative
        return {
            "iri": rep.iri,
            "path": local_path(rep.iri, self.base),
            "title": s.title,
            "code": s.code,
            "job_zone": s.job_zone,
            "members": [
                {
                    "iri": m.iri,
                    "path": local_path(m.iri, self.base),
                    "code": m.code,
                    "title": m.title,
                    "job_zone": m.job_zone,
                    "sources": sorted(m.graphs),
                }
                for m in s.members
            ],
            "links": s.links,
        }

    def _entry_json(self, e: ListEntry) -> dict[str, Any]:
        return {
            "rank": e.rank,
            "iri": e.competency,
            "path": local_path(e.competency, self.base),
            "label": e.label,
        }

    def as_json(self) -> dict[str, Any]:
        sections = {}
        for kind, plural in (
            ("competency", "competencies"),
            ("tool", "tools"),
            ("certification", "certifications"),
            ("work_activity", "work_activities"),
        ):
            sections[plural] = {
                s: [i.as_json(self.base) for i in self.section(kind, s)] for s in STATUS_LABELS
            }
        return {
            "a": self.side_json("a"),
            "b": self.side_json("b"),
            "same_occupation": self.same,
            "similarity": self.similarity.as_json(),
            "rules": {"required": REQUIRED_RULE, "levels": LEVEL_RULE},
            **sections,
            "prioritized_lists": [
                {
                    "list_type": pl.list_type,
                    "label": pl.type_label,
                    "kind": pl.kind,
                    "kind_label": pl.kind_label,
                    "a": [self._entry_json(e) for e in pl.a],
                    "b": [self._entry_json(e) for e in pl.b],
                    "sources": sorted(pl.sources),
                }
                for pl in self.lists
            ],
            "nearest": {k: [n.as_json(self.base) for n in v] for k, v in self.nearest.items()},
            "sources": self.sources,
            "queries": self.queries,
            "notes": self.notes,
        }


def _focus_block(a: str, b: str) -> str:
    return values_block(
        ["side", "focus"], [[literal_term("a"), iri_term(a)], [literal_term("b"), iri_term(b)]]
    )


def compare(
    runner: Runner,
    a: str,
    b: str,
    minter: Minter | None = None,
    *,
    nearest_k: int = NEAREST,
) -> Comparison:
    """Compare the occupations ``a`` and ``b`` (codes, IRIs, paths or exact titles)."""
    minter = minter or Minter()
    focus_a = resolve(runner, a, minter)
    focus_b = resolve(runner, b, minter)
    return compare_resolved(runner, focus_a, focus_b, minter, nearest_k=nearest_k)


def compare_resolved(
    runner: Runner, focus_a: str, focus_b: str, minter: Minter, *, nearest_k: int = NEAREST
) -> Comparison:
    """Compare two occupations already resolved to IRIs of the store."""
    focus = _focus_block(focus_a, focus_b)
    queries: dict[str, str] = {}

    names = (
        "members",
        "links",
        "ratings",
        "tools",
        "requirements",
        "statements",
        "certifications",
        "work-activities",
        "prioritized-lists",
    )
    for name in names:
        queries[name] = with_values(name, focus)
    with ThreadPoolExecutor(max_workers=2) as pool:  # two query workers at a time
        pending = {name: pool.submit(runner.select, queries[name]) for name in names}
        answers = {name: f.result() for name, f in pending.items()}

    def run(name: str) -> list[Row]:
        return answers[name]

    members: dict[str, dict[str, Member]] = {"a": {}, "b": {}}
    for r in run("members"):
        m = members[r["side"]].setdefault(r["occupation"], Member(r["occupation"]))
        if r["g"] not in m.graphs:
            m.graphs.append(r["g"])
        m.code = m.code or r.get("code")
        m.title = m.title or r.get("title")
        m.job_zone = m.job_zone or r.get("jobZone")
    links: dict[str, list[dict[str, str]]] = {"a": [], "b": []}
    for r in run("links"):
        if r["twin"] in members[r["side"]]:
            entry = {
                "occupation": r["occupation"],
                "twin": r["twin"],
                "source": r["g"],
                "method": r.get("method", ""),
                "evidence": r.get("evidence", ""),
            }
            if entry not in links[r["side"]]:
                links[r["side"]].append(entry)
    sides = {
        s: Side(
            f,
            sorted(members[s].values(), key=lambda m: (m.iri != f, m.iri)) or [Member(f)],
            links[s],
        )
        for s, f in (("a", focus_a), ("b", focus_b))
    }

    req_rows = run("requirements")
    stmt_rows = run("statements")
    rating_rows = run("ratings")
    tool_rows = run("tools")
    cert_rows = run("certifications")
    work_rows = run("work-activities")
    list_rows = run("prioritized-lists")
    graphs = {
        r["g"]
        for rows in (req_rows, stmt_rows, rating_rows, tool_rows, cert_rows, work_rows, list_rows)
        for r in rows
    }
    graphs |= {g for s in sides.values() for m in s.members for g in m.graphs}
    graphs |= {ln["source"] for s in sides.values() for ln in s.links}
    q = with_values(
        "sources",
        values_block(["metadata"], [[iri_term(minter.metadata_graph())]]),
        values_block(["g"], [[iri_term(g)] for g in sorted(graphs)]),
    )
    queries["sources"] = q
    sources: dict[str, dict[str, str]] = {g: {} for g in sorted(graphs)}
    for r in runner.select(q):
        info = sources.setdefault(r["g"], {})
        for k in ("title", "label", "file", "loader", "version", "licence", "attribution"):
            if k in r and k not in info:
                info[k] = r[k]
    versions = {g: _version_key(info.get("version")) for g, info in sources.items()}

    items: dict[str, dict[str, Item]] = defaultdict(dict)

    def fact(kind: str, key: str, side: str) -> Fact:
        item = items[kind].get(key)
        if item is None:
            item = items[kind][key] = Item(kind, key, key, None, None)
        f = item.a if side == "a" else item.b
        if f is None:
            f = Fact()
            if side == "a":
                item.a = f
            else:
                item.b = f
        return f

    for r in req_rows:
        key = r.get("element") or r["competency"]
        f = fact("competency", key, r["side"])
        f.iris.add(r["competency"])
        f.required_by.add(r["g"])
        f.graphs.add(r["g"])
        if key != r["competency"]:
            f.graphs.add(str(minter.links_graph()))
        f.offer_level(
            "requirement",
            r.get("levelLabel"),
            _num(r.get("levelPosition")),
            _num(r.get("levelCount")),
            r["g"],
        )
    topic_keys = named_competencies(runner, {r["topic"] for r in stmt_rows}, queries)
    first_statement: dict[tuple[str, str], tuple[float, str]] = {}
    topics: dict[str, str] = {}  # a statement's key → its topic, the item's label
    for r in stmt_rows:
        mark = (r["side"], r["topic"].casefold())
        here = (_num(r.get("levelPosition")) or 0.0, r["statement"])
        if mark not in first_statement or here < first_statement[mark]:
            first_statement[mark] = here
    for r in stmt_rows:
        topic = r["topic"].casefold()
        key = topic_keys.get(topic) or first_statement[(r["side"], topic)][1]
        topics.setdefault(key, r["topic"])
        f = fact("competency", key, r["side"])
        f.iris.add(r["statement"])
        f.required_by.add(r["g"])
        f.graphs.add(r["g"])
        f.offer_level(
            "framework",
            r.get("levelLabel"),
            _num(r.get("levelPosition")),
            _num(r.get("levelCount")),
            r["g"],
        )
    for r in rating_rows:
        f = fact("competency", r["competency"], r["side"])
        f.iris.add(r["competency"])
        importance = _num(r.get("importance"))
        if importance is None:
            continue
        g = r["g"]
        v = versions.get(g, ())
        if f.rating_graph is None or (v, importance) > (f.rating_version, f.importance or 0.0):
            f.importance, f.onet_level = importance, _num(r.get("level"))
            f.rating_graph, f.rating_version = g, v
    for item in items["competency"].values():
        for f in (item.a, item.b):
            if f is not None and f.rating_graph is not None:
                f.graphs.add(f.rating_graph)
    for item in items["competency"].values():
        for f in (item.a, item.b):
            if f is not None:
                f.required = bool(f.required_by) or (f.importance or 0.0) >= IMPORTANCE_THRESHOLD

    for r in tool_rows:
        key = r.get("match") or r["tool"]
        f = fact("tool", key, r["side"])
        f.iris.add(r["tool"])
        f.graphs.add(r["g"])
        if key != r["tool"]:
            f.graphs.add(str(minter.links_graph()))
        if r.get("hot") in ("true", "1"):
            f.hot = True
        if r.get("close"):
            f.close.add(r["close"])
    # a tool with several exact matches counts once, under the smallest (as in the index)
    _merge_multi_matches(items["tool"], tool_rows)

    for r in cert_rows:
        key = r.get("match") or r["certification"]
        f = fact("certification", key, r["side"])
        f.iris.add(r["certification"])
        f.graphs.add(r["g"])
    for r in work_rows:
        f = fact("work_activity", r["activity"], r["side"])
        f.iris.add(r["activity"])
        f.graphs.add(r["g"])
        f.tasks += int(_num(r.get("tasks")) or 0)

    lists = _lists(list_rows)
    label_keys = {k for kind in items.values() for k in kind}
    labels, notations = _labels(runner, label_keys, queries)
    for kind in items.values():
        for item in kind.values():
            item.label = (
                labels.get(item.key) or topics.get(item.key) or _fallback_label(item, labels)
            )
            item.notation = notations.get(item.key)

    profiles = {s: _profile(items, s) for s in SIDES}
    sim = similarity(profiles["a"], profiles["b"])
    near: dict[str, list[Neighbour]] = {"a": [], "b": []}
    notes: list[str] = []
    if nearest_k > 0:
        try:
            index = occupation_index(runner, minter, store_state(runner, minter))
        except Exception as exc:  # the comparison stands without its nearest occupations
            log.warning("reading every occupation's profile failed: %s", exc)
            notes.append(f"The nearest occupations could not be computed: {exc}")
        else:
            for s in SIDES:
                near[s] = nearest(index, profiles[s], sides[s].member_iris(), nearest_k)
    for name in INDEX_QUERIES:
        queries[name] = query_text(name)

    return Comparison(
        a=sides["a"],
        b=sides["b"],
        base=minter.base,
        items={k: list(v.values()) for k, v in items.items()},
        lists=lists,
        similarity=sim,
        nearest=near,
        sources=sources,
        queries=queries,
        notes=notes,
    )


def _merge_multi_matches(tools: dict[str, Item], rows: list[Row]) -> None:
    """A source tool that is an exact match of several tools: keep it under the smallest."""
    matches: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        if r.get("match"):
            matches[r["tool"]].add(r["match"])
    for tool, targets in matches.items():
        if len(targets) < 2:
            continue
        keep = min(targets)
        for t in targets - {keep}:
            item = tools.get(t)
            if item is None:
                continue
            for side in SIDES:
                f = getattr(item, side)
                if f is not None and tool in f.iris:
                    f.iris.discard(tool)
                    if not f.iris:
                        setattr(item, side, None)
            if item.a is None and item.b is None:
                del tools[t]


def _fallback_label(item: Item, labels: dict[str, str]) -> str:
    for f in (item.a, item.b):
        if f is not None:
            for iri in sorted(f.iris):
                if iri in labels:
                    return labels[iri]
    return item.key.rsplit("/", 1)[-1]


def _labels(
    runner: Runner, keys: set[str], queries: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    labels: dict[str, str] = {}
    notations: dict[str, str] = {}
    todo = sorted(keys)
    for start in range(0, len(todo), 500):
        chunk = todo[start : start + 500]
        q = with_values("labels", values_block(["resource"], [[iri_term(k)] for k in chunk]))
        if start == 0:
            queries["labels"] = q
        for r in runner.select(q):
            if "label" in r and (r["resource"] not in labels or r["label"] < labels[r["resource"]]):
                labels[r["resource"]] = r["label"]
            if "notation" in r:
                notations.setdefault(r["resource"], r["notation"])
    return labels, notations


def _profile(items: dict[str, dict[str, Item]], side: str) -> Profile:
    comps: dict[str, float] = {}
    for key, item in items.get("competency", {}).items():
        f = getattr(item, side)
        if f is not None and f.weight > 0:
            comps[key] = f.weight
    tools = frozenset(k for k, i in items.get("tool", {}).items() if getattr(i, side) is not None)
    acts = frozenset(
        k for k, i in items.get("work_activity", {}).items() if getattr(i, side) is not None
    )
    return Profile(comps, tools, acts)


def _list_vocabulary() -> tuple[dict[str, tuple[str, int]], dict[str, str]]:
    """List types (label, order) and competency kinds (label), as the loaders name them."""
    from competency_kg.loaders.mapping import KIND_TERMS, LIST_TERMS

    types = {
        str(iri): (key.replace("-", " ").capitalize() + " competencies", n)
        for n, (key, iri) in enumerate(LIST_TERMS.items(), start=1)
    }
    kinds = {str(iri): key for key, iri in KIND_TERMS.items()}
    return types, kinds


def _lists(rows: list[Row]) -> list[PrioritizedLists]:
    types, kinds = _list_vocabulary()
    groups: dict[tuple[str, str | None], PrioritizedLists] = {}
    seen: set[tuple[str, str, str | None, str, str]] = set()
    for r in rows:
        key = (r["listType"], r.get("kind"))
        pl = groups.get(key)
        if pl is None:
            known = types.get(r["listType"])
            position = _num(r.get("typePosition"))
            pl = groups[key] = PrioritizedLists(
                r["listType"],
                r.get("typeLabel") or (known[0] if known else r["listType"].rsplit("#", 1)[-1]),
                r.get("kind"),
                kinds.get(r.get("kind", ""))
                or (r["kind"].rsplit("#", 1)[-1] if "kind" in r else None),
                int(position) if position is not None else (known[1] if known else 99),
            )
        mark = (r["side"], r["listType"], r.get("kind"), r.get("rank", ""), r["competency"])
        if mark in seen:
            continue
        seen.add(mark)
        rank = _num(r.get("rank"))
        entry = ListEntry(
            int(rank) if rank is not None else None,
            r["competency"],
            r.get("label") or r["competency"].rsplit("/", 1)[-1],
        )
        (pl.a if r["side"] == "a" else pl.b).append(entry)
        pl.sources.add(r["g"])
    out = sorted(groups.values(), key=lambda p: (p.position, p.kind or "", p.type_label))
    for pl in out:
        for entries in (pl.a, pl.b):
            entries.sort(key=lambda e: (e.rank is None, e.rank or 0, e.label.casefold()))
    return out


# --------------------------------------------------------------------------- text and CSV
def _fmt(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{x:.{digits}f}".rstrip("0").rstrip(".")


def _side_line(c: Comparison, name: str) -> str:
    s = c.side(name)
    code = f" ({s.code})" if s.code else ""
    zone = f", job zone {s.job_zone}" if s.job_zone else ""
    twins = [m for m in s.members if m.iri != s.representative.iri]
    more = f"; merged with {', '.join('<' + m.iri + '>' for m in twins)}" if twins else ""
    return f"{name.upper()}: {s.title}{code}{zone} <{s.representative.iri}>{more}"


def to_text(c: Comparison) -> str:
    """The comparison for a terminal."""
    out = io.StringIO()
    w = out.write
    w(_side_line(c, "a") + "\n")
    w(_side_line(c, "b") + "\n")
    if c.same:
        w("A and B are the same occupation (linked by skos:exactMatch).\n")
    sim = c.similarity
    parts = ", ".join(f"{k.replace('_', ' ')} {_fmt(v, 3)}" for k, v in sim.parts.items())
    w(f"\nSimilarity {_fmt(sim.score, 3) or 'n/a'} ({parts or 'no data on both sides'})\n")
    w(f"  {FORMULA}\n")
    w(f"  {REQUIRED_RULE}\n  {LEVEL_RULE}\n")
    titles = {
        "competency": "competencies",
        "tool": "tools and technologies",
        "certification": "certifications",
        "work_activity": "work activities",
    }
    for kind, title in titles.items():
        for status, label in STATUS_LABELS.items():
            chosen = c.section(kind, status)
            if not chosen:
                continue
            w(f"\n{label} — {title} ({len(chosen)})\n")
            for i in chosen:
                w("  " + _item_line(i) + "\n")
    if c.lists:
        w("\nPrioritized lists (A | B)\n")
        for pl in c.lists:
            kind = f" ({pl.kind_label})" if pl.kind_label else ""
            w(f"  {pl.type_label}{kind}\n")
            for n in range(max(len(pl.a), len(pl.b))):
                left = _entry(pl.a[n]) if n < len(pl.a) else ""
                right = _entry(pl.b[n]) if n < len(pl.b) else ""
                w(f"    {left:<40} | {right}\n")
    for name in SIDES:
        if c.nearest.get(name):
            w(f"\nNearest occupations to {c.side(name).title}\n")
            for n in c.nearest[name]:
                code = f" ({n.code})" if n.code else ""
                w(f"  {_fmt(n.similarity.score, 3):>6}  {n.title}{code}\n")
    w("\nSources\n")
    for g, info in c.sources.items():
        w(f"  <{g}> {_source_name(info)}\n")
    return out.getvalue()


def _entry(e: ListEntry) -> str:
    return f"{e.rank if e.rank is not None else '-'}. {e.label}"


def _source_name(info: Mapping[str, str]) -> str:
    parts = [info.get("title") or info.get("label") or info.get("file") or ""]
    if info.get("file") and info.get("file") != parts[0]:
        parts.append(f"file {info['file']}")
    if info.get("licence"):
        parts.append(f"licence {info['licence']}")
    return "; ".join(p for p in parts if p)


def _item_line(i: Item) -> str:
    if i.kind == "competency":

        def side(f: Fact | None) -> str:
            if f is None:
                return "—"
            bits = []
            if f.importance is not None:
                bits.append(f"importance {_fmt(f.importance)}")
            if f.level is not None:
                bits.append(f"level {_fmt(f.level)}")
            if f.level_label:
                where = "framework" if f.level_kind == "framework" else "source"
                bits.append(f"{where}: {f.level_label}")
            elif f.required_by and f.importance is None:
                bits.append("required by a source")
            return ", ".join(bits) or "named"

        gap = f"  gap {i.gap:+.2f}" if i.gap is not None else ""
        return f"{i.label}: A {side(i.a)}; B {side(i.b)}{gap}"
    if i.kind == "tool":
        hot = " (hot)" if any(f is not None and f.hot for f in (i.a, i.b)) else ""
        return f"{i.label}{hot}"
    return i.label


CSV_COLUMNS = [
    "kind",
    "status",
    "label",
    "iri",
    "a_importance",
    "a_level",
    "b_importance",
    "b_level",
    "gap",
    "score",
    "sources",
]


def to_csv(c: Comparison) -> str:
    """One row per compared item (competency, tool, certification, work activity), then the
    similarity and the nearest occupations; formula cells neutralised (:func:`csv_text`)."""
    rows: list[list[object]] = [list(CSV_COLUMNS)]
    for kind in ("competency", "tool", "certification", "work_activity"):
        for status in STATUS_LABELS:
            for i in c.section(kind, status):
                rows.append(
                    [
                        kind,
                        status,
                        i.label,
                        i.key,
                        _fmt(i.a.importance) if i.a else "",
                        _fmt(i.a.level) if i.a else "",
                        _fmt(i.b.importance) if i.b else "",
                        _fmt(i.b.level) if i.b else "",
                        _fmt(i.gap) if kind == "competency" else "",
                        "",
                        " ".join(i.sources()),
                    ]
                )
    rows.append(
        [
            "similarity",
            "",
            f"{c.a.title} / {c.b.title}",
            "",
            "",
            "",
            "",
            "",
            "",
            _fmt(c.similarity.score, 4),
            "",
        ]
    )
    for side in SIDES:
        for n in c.nearest.get(side, []):
            rows.append(
                [
                    f"nearest_{side}",
                    "",
                    n.title,
                    n.iri,
                    "",
                    "",
                    "",
                    "",
                    "",
                    _fmt(n.similarity.score, 4),
                    "",
                ]
            )
    return csv_text(rows)


def to_json(c: Comparison) -> str:
    return json.dumps(c.as_json(), ensure_ascii=False, indent=2)


# --------------------------------------------------------------------------- RDF
_XSD = "http://www.w3.org/2001/XMLSchema#"
_PROV = "http://www.w3.org/ns/prov#"
_DCT = "http://purl.org/dc/terms/"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_SCHEMA_POSITION = ox.NamedNode("https://schema.org/position")
_RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
_RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
STATUS_TERMS = {"shared": CKG.Shared, "to_learn": CKG.ToLearn, "not_needed": CKG.NotNeeded}
RDF_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def _n(iri: str | URIRef) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def _dec(x: float, digits: int = 4) -> ox.Literal:
    text = f"{round(x, digits):.{digits}f}".rstrip("0")
    return ox.Literal(text + "0" if text.endswith(".") else text, datatype=_n(_XSD + "decimal"))


def to_triples(c: Comparison, subject: str) -> list[ox.Triple]:
    """The comparison as RDF about ``subject`` (the comparison's own URL)."""
    s = _n(subject)
    head: list[ox.Triple] = []  # about the comparison, then about each node, for grouping
    body: list[ox.Triple] = []

    def add(a: ox.NamedNode, b: ox.NamedNode, o: Any) -> None:
        (head if a == s else body).append(ox.Triple(a, b, o))

    add(s, _RDF_TYPE, _n(CKG.OccupationComparison))
    add(
        s,
        _RDFS_LABEL,
        ox.Literal(f"{c.a.title} compared with {c.b.title}", language="en"),
    )
    add(s, _RDFS_COMMENT, ox.Literal(f"{FORMULA} {REQUIRED_RULE} {LEVEL_RULE}", language="en"))
    add(s, _n(CKG.fromOccupation), _n(c.a.representative.iri))
    add(s, _n(CKG.toOccupation), _n(c.b.representative.iri))
    if c.similarity.score is not None:
        add(s, _n(CKG.similarity), _dec(c.similarity.score))
    for part, prop in (
        ("competencies", CKG.competencySimilarity),
        ("tools", CKG.toolSimilarity),
        ("work_activities", CKG.workActivitySimilarity),
    ):
        if part in c.similarity.parts:
            add(s, _n(prop), _dec(c.similarity.parts[part]))
    n = 0
    for kind in ("competency", "tool", "certification", "work_activity"):
        for status in STATUS_LABELS:
            for item in c.section(kind, status):
                n += 1
                node = _n(f"{subject}#item-{n}")
                add(s, _n(CKG.item), node)
                add(node, _RDF_TYPE, _n(CKG.ComparisonItem))
                add(node, _n(CKG.comparedResource), _n(item.key))
                add(node, _n(CKG.comparisonStatus), _n(STATUS_TERMS[status]))
                add(node, _RDFS_LABEL, ox.Literal(item.label))
                for f, imp, lvl in (
                    (item.a, CKG.fromImportance, CKG.fromLevel),
                    (item.b, CKG.toImportance, CKG.toLevel),
                ):
                    if f is None or kind != "competency":
                        continue
                    if f.importance is not None:
                        add(node, _n(imp), _dec(f.importance, 2))
                    if f.level is not None:
                        add(node, _n(lvl), _dec(f.level, 2))
                if kind == "competency" and item.gap is not None:
                    add(node, _n(CKG.levelGap), _dec(item.gap, 2))
                for g in item.sources():
                    add(node, _n(_PROV + "wasDerivedFrom"), _n(g))
    for side in SIDES:
        occ = c.side(side).representative.iri
        for rank, nb in enumerate(c.nearest.get(side, []), start=1):
            node = _n(f"{subject}#nearest-{side}-{rank}")
            add(s, _n(CKG.similarOccupation), node)
            add(node, _RDF_TYPE, _n(CKG.SimilarOccupation))
            add(node, _n(CKG.forOccupation), _n(occ))
            add(node, _n(CKG.relatedOccupation), _n(nb.iri))
            if nb.similarity.score is not None:
                add(node, _n(CKG.similarity), _dec(nb.similarity.score))
            add(node, _SCHEMA_POSITION, ox.Literal(str(rank), datatype=_n(_XSD + "integer")))
    for g, info in c.sources.items():
        add(s, _n(_PROV + "wasDerivedFrom"), _n(g))
        title = info.get("title") or info.get("label") or info.get("file")
        if title:
            add(_n(g), _n(_DCT + "title"), ox.Literal(title))
        if info.get("licence"):
            try:
                add(_n(g), _n(_DCT + "license"), _n(info["licence"]))
            except ValueError:
                add(_n(g), _n(_DCT + "license"), ox.Literal(info["licence"]))
    return head + body


def serialize(c: Comparison, subject: str, mime: str) -> bytes:
    """The comparison's RDF in ``mime`` (one of :data:`RDF_FORMATS`)."""
    return ox.serialize(to_triples(c, subject), format=RDF_FORMATS[mime], prefixes=PREFIXES)
