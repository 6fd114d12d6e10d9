"""Every occupation of the store with its twins and similarity profile: the pickers'
list and the nearest occupations, cached while the store's state stays the same."""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain, repeat
from operator import add
from typing import Any

from competency_kg.compare.queries import (
    Row,
    Runner,
    cached,
    iri_term,
    literal_term,
    query_text,
    store_state,
    values_block,
    with_values,
)
from competency_kg.compare.scoring import (
    NEAREST,
    REQUIREMENT_WEIGHT,
    WEIGHTS,
    Profile,
    Similarity,
    number,
    rating_weight,
    version_key,
)
from competency_kg.compare.tool_keys import tool_keys
from competency_kg.iris import Minter

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


def representative_of(members: Iterable[str], codes: dict[str, str]) -> str:
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
        rep = representative_of(members, codes)
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
        importance = number(r.get("importance"))
        if i is None or importance is None:
            continue
        key = (i, r["element"])
        v = version_key(versions.get(r["g"]))
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
        here = (number(r.get("levelPosition")) or 0.0, r["statement"])
        if mark not in first_statement or here < first_statement[mark]:
            first_statement[mark] = here
    for (i, topic), (_, statement) in first_statement.items():
        key = topic_keys.get(topic) or statement
        weights[i][key] = max(weights[i].get(key, 0.0), REQUIREMENT_WEIGHT)
    tool_match = tool_keys(rows["all-tool-matches"])
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


def local_path(iri: str, base: str) -> str | None:
    """The path on this server of a data IRI (``/`` + what follows the base), or None."""
    return "/" + iri[len(base) :] if iri.startswith(base) and len(iri) > len(base) else None
