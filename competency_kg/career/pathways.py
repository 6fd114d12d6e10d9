"""Career pathways: from one occupation to another through occupations a worker could move to,
learning as little as possible in all.

**Transitions.** A worker of occupation *A* can move to *B* when the comparison's similarity
``S(A, B)`` (:func:`competency_kg.compare.similarity`: competencies, tools and O*NET detailed
work activities) is at least :data:`THRESHOLD` and *B* is among *A*'s :data:`NEIGHBOURS` most
similar occupations. The threshold is read off O*NET's own yardstick: over the whole O*NET 27.0
release, the median S of a pair O*NET lists as related is about 0.47 and 0.35 sits at its
lower decile, while two occupations drawn at random score about 0.25 (``docs/career.md``):
below 0.35 a move is one O*NET itself would almost never call related. O*NET's
"Related Occupations" list is never read here; it is only the yardstick.

**Cost of a step** *A* → *B*: what must be learned, the level gaps weighted by importance::

    cost(A → B) = Σ over c required by B of  w_B(c) · max(0, level_B(c) − level_A(c))

with the comparison's weight *w* (O*NET (importance − 1)/4, at least ½ when a source requires
it) and levels on O*NET's 0-7 scale (``level_A`` 0 when *A* has no rating or requirement of
*c*; a level *B* does not state counts as :data:`UNKNOWN_GAP` when *A* lacks *c*, as nothing
when *A* has it). A path's cost is the sum of its steps': what is learned at each move. Paths
are the cheapest simple paths of at most ``max_steps`` steps (best-first search, each
(occupation, step count) expanded at most ``paths`` times).

The graph is built once per store state (cached like the comparison's profiles), every
occupation's candidates scored all pairs at once (:mod:`competency_kg.career.nearest`); a
server builds it in the background after each load (``web.match.warm_transitions``).
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from competency_kg.career.data import QUERIES, CareerData, career_data
from competency_kg.career.matching import Line
from competency_kg.career.nearest import all_nearest
from competency_kg.compare.queries import (
    Runner,
    cached,
    store_state,
)
from competency_kg.compare.resolution import BadInput, resolve
from competency_kg.compare.scoring import similarity
from competency_kg.iris import Minter

#: Least comparison similarity of a transition (see the module doc for why).
THRESHOLD = 0.35
#: How many of an occupation's most similar occupations are candidate transitions.
NEIGHBOURS = 25
#: The gap counted for a competency the target requires at no stated level and the origin lacks
#: (the middle of the 0-7 scale).
UNKNOWN_GAP = 3.5
MAX_STEPS = 3
PATHS = 3
#: Limits a request may ask for.
MAX_STEPS_LIMIT = 6
PATHS_LIMIT = 10
COST_RULE = (
    f"A step A → B is a transition when B is among A's {NEIGHBOURS} most similar occupations "
    f"with the comparison's similarity S ≥ {THRESHOLD:g}. Its cost is what must be learned: "
    "Σ w_B(c)·max(0, level_B(c) − level_A(c)) over the competencies B requires (w: the "
    "comparison's weight from O*NET importance; levels on O*NET's 0–7 scale, 0 when A lacks "
    f"c; {UNKNOWN_GAP:g} for a competency B requires at no stated level and A lacks). A "
    "path's cost is the sum of its steps'."
)


@dataclass(frozen=True)
class Edge:
    target: int
    similarity: float
    cost: float


@dataclass
class TransitionGraph:
    """Every occupation's transitions (cheapest first), with how long the build took."""

    data: CareerData
    edges: list[list[Edge]]
    seconds: float
    threshold: float = THRESHOLD
    neighbours: int = NEIGHBOURS
    _reverse: list[list[int]] | None = None

    def reverse(self) -> list[list[int]]:
        if self._reverse is None:
            rev: list[list[int]] = [[] for _ in self.edges]
            for i, out in enumerate(self.edges):
                for e in out:
                    rev[e.target].append(i)
            self._reverse = rev
        return self._reverse

    def edge_count(self) -> int:
        return sum(len(out) for out in self.edges)


def lines_to_learn(data: CareerData, a: int, b: int) -> list[Line]:
    """What a worker of ``a`` lacks of what ``b`` requires (positive gaps), largest weighted
    gap first."""
    have = data.needs[a]
    out: list[Line] = []
    for key, need in data.required(b).items():
        mine = have.get(key)
        line = Line(
            key,
            data.label(key),
            "competency",
            need.importance,
            need.level,
            mine.level if mine else None,
            need.weight,
            need.graphs,
            mine is not None,
        )
        if _gap(line) > 0:
            out.append(line)
    out.sort(key=lambda x: (-x.weight * _gap(x), x.label.casefold()))
    return out


def _gap(line: Line) -> float:
    gap = line.gap
    if gap is None:
        return 0.0 if line.has else UNKNOWN_GAP
    return max(0.0, gap)


def step_cost(lines: list[Line]) -> float:
    return sum(x.weight * _gap(x) for x in lines)


def learning_cost(data: CareerData, a: int, b: int) -> float:
    """``step_cost(lines_to_learn(data, a, b))`` without building the lines (the graph
    needs only the cost of its 22,000 transitions on the whole O*NET release): the same
    terms summed in the same order, largest first (equal terms in either order give the same
    sum), so the same number to the bit."""
    have = data.needs[a]
    terms = []
    for key, need in data.required(b).items():
        mine = have.get(key)
        if need.level is None:
            gap = 0.0 if mine is not None else UNKNOWN_GAP
        elif mine is None:
            gap = max(0.0, need.level)
        else:
            gap = 0.0 if mine.level is None else max(0.0, need.level - mine.level)
        if gap > 0:
            terms.append(need.weight * gap)
    terms.sort(reverse=True)
    return sum(terms)


def build_graph(data: CareerData) -> TransitionGraph:
    """The transitions of every occupation (its :data:`NEIGHBOURS` nearest occupations by
    the comparison's score, at least :data:`THRESHOLD`), each with its learning cost."""
    started = time.perf_counter()
    edges: list[list[Edge]] = []
    for i, near in enumerate(all_nearest(data.index.clusters, NEIGHBOURS, THRESHOLD)):
        out = [Edge(j, score, learning_cost(data, i, j)) for score, j in near]
        out.sort(key=lambda e: (e.cost, -e.similarity))
        edges.append(out)
    return TransitionGraph(data, edges, time.perf_counter() - started)


def transition_graph(runner: Runner, minter: Minter, state: str | None = None) -> TransitionGraph:
    """The :class:`TransitionGraph` of the store, cached while its state stays the same."""
    state = state or store_state(runner, minter)
    data = career_data(runner, minter, state)
    return cached(runner, "transition-graph", state, lambda: build_graph(data))


@dataclass
class Step:
    origin: int
    target: int
    similarity: float
    cost: float
    learn: list[Line]

    def as_json(self, data: CareerData) -> dict[str, Any]:
        return {
            "from": data.occupation_json(self.origin),
            "to": data.occupation_json(self.target),
            "similarity": round(self.similarity, 4),
            "cost": round(self.cost, 3),
            "learn": [x.as_json(data.base) for x in self.learn],
        }


@dataclass
class Path:
    steps: list[Step]

    @property
    def cost(self) -> float:
        return sum(s.cost for s in self.steps)

    def occupations(self) -> list[int]:
        return [self.steps[0].origin] + [s.target for s in self.steps]


@dataclass
class Reachable:
    cluster: int
    steps: int
    cost: float
    similarity: float | None  # to the target


@dataclass
class Pathways:
    """The answer to "from A to B": the best paths, or the nearest occupations reachable."""

    graph: TransitionGraph
    origin: int
    target: int
    max_steps: int
    paths: list[Path]
    nearest_reachable: list[Reachable] = field(default_factory=list)

    @property
    def data(self) -> CareerData:
        return self.graph.data

    def message(self) -> str | None:
        if self.paths:
            return None
        names = ", ".join(self.data.title(r.cluster) for r in self.nearest_reachable[:5])
        return (
            f"no path of at most {self.max_steps} step{'s' if self.max_steps != 1 else ''} "
            f"from {self.data.title(self.origin)} to {self.data.title(self.target)}"
            + (f"; the nearest reachable occupations are {names}" if names else "")
        )

    def as_json(self) -> dict[str, Any]:
        d = self.data
        return {
            "from": d.occupation_json(self.origin),
            "to": d.occupation_json(self.target),
            "max_steps": self.max_steps,
            "threshold": self.graph.threshold,
            "neighbours": self.graph.neighbours,
            "rule": COST_RULE,
            "paths": [
                {
                    "rank": k,
                    "cost": round(p.cost, 3),
                    "occupations": [d.occupation_json(i) for i in p.occupations()],
                    "steps": [s.as_json(d) for s in p.steps],
                }
                for k, p in enumerate(self.paths, start=1)
            ],
            "message": self.message(),
            "nearest_reachable": [
                {
                    **d.occupation_json(r.cluster),
                    "steps": r.steps,
                    "cost": round(r.cost, 3),
                    "similarity_to_target": None
                    if r.similarity is None
                    else round(r.similarity, 4),
                }
                for r in self.nearest_reachable
            ],
            "queries": QUERIES,
        }


def _step(graph: TransitionGraph, a: int, e: Edge) -> Step:
    return Step(a, e.target, e.similarity, e.cost, lines_to_learn(graph.data, a, e.target))


def find_paths(
    graph: TransitionGraph, a: int, b: int, max_steps: int = MAX_STEPS, k: int = PATHS
) -> Pathways:
    """The ``k`` cheapest simple paths from ``a`` to ``b`` of at most ``max_steps`` steps."""
    if a == b:
        raise BadInput("the two occupations are the same (or twins): nothing to cross")
    if not 1 <= max_steps <= MAX_STEPS_LIMIT:
        raise BadInput(f"--max-steps must be 1 to {MAX_STEPS_LIMIT}")
    if not 1 <= k <= PATHS_LIMIT:
        raise BadInput(f"--paths must be 1 to {PATHS_LIMIT}")
    hops = _hops_to(graph, b, max_steps)
    found: list[tuple[float, tuple[int, ...]]] = []
    heap: list[tuple[float, int, tuple[int, ...]]] = [(0.0, 0, (a,))]
    expanded: dict[tuple[int, int], int] = defaultdict(int)
    while heap and len(found) < k:
        cost, steps, path = heapq.heappop(heap)
        node = path[-1]
        if node == b:
            found.append((cost, path))
            continue
        expanded[(node, steps)] += 1
        if expanded[(node, steps)] > k:
            continue
        for e in graph.edges[node]:
            if e.target in path or steps + 1 + hops.get(e.target, max_steps + 1) > max_steps:
                continue
            heapq.heappush(heap, (cost + e.cost, steps + 1, (*path, e.target)))
    paths = []
    for _, nodes in found:
        steps_ = []
        for x, y in itertools.pairwise(nodes):
            edge = next(e for e in graph.edges[x] if e.target == y)
            steps_.append(_step(graph, x, edge))
        paths.append(Path(steps_))
    out = Pathways(graph, a, b, max_steps, paths)
    if not paths:
        out.nearest_reachable = _nearest_reachable(graph, a, b, max_steps)
    return out


def _hops_to(graph: TransitionGraph, b: int, limit: int) -> dict[int, int]:
    """How many steps each occupation is from ``b`` (up to ``limit``)."""
    hops = {b: 0}
    frontier = [b]
    rev = graph.reverse()
    for d in range(1, limit + 1):
        nxt = []
        for x in frontier:
            for y in rev[x]:
                if y not in hops:
                    hops[y] = d
                    nxt.append(y)
        frontier = nxt
    return hops


def reachable(graph: TransitionGraph, a: int, max_steps: int) -> dict[int, tuple[float, int]]:
    """Occupations reachable from ``a`` in at most ``max_steps`` steps: the cheapest cost of
    getting there and its step count (Bellman-Ford, one round per step)."""
    best: dict[int, tuple[float, int]] = {a: (0.0, 0)}
    frontier = {a}
    for step in range(1, max_steps + 1):
        changed = set()
        for x in frontier:
            cx = best[x][0]
            for e in graph.edges[x]:
                c = cx + e.cost
                if e.target not in best or c < best[e.target][0] - 1e-12:
                    best[e.target] = (c, step)
                    changed.add(e.target)
        frontier = changed
        if not frontier:
            break
    return best


def _nearest_reachable(graph: TransitionGraph, a: int, b: int, max_steps: int) -> list[Reachable]:
    clusters = graph.data.index.clusters
    target = clusters[b].profile
    out = []
    for i, (cost, steps) in reachable(graph, a, max_steps).items():
        if i == a:
            continue
        out.append(Reachable(i, steps, cost, similarity(clusters[i].profile, target).score))
    out.sort(key=lambda r: (-(r.similarity or 0.0), r.cost))
    return out[:5]


@dataclass
class Destinations:
    """The answer to "where can I go from A"."""

    graph: TransitionGraph
    origin: int
    steps: list[Step]
    job_zone: int | None

    def as_json(self) -> dict[str, Any]:
        d = self.graph.data
        return {
            "from": d.occupation_json(self.origin),
            "job_zone": self.job_zone,
            "threshold": self.graph.threshold,
            "rule": COST_RULE,
            "destinations": [{"rank": k, **s.as_json(d)} for k, s in enumerate(self.steps, 1)],
            "queries": QUERIES,
        }


def destinations(
    graph: TransitionGraph, a: int, job_zone: int | None = None, limit: int = 10
) -> Destinations:
    """The transitions from ``a``, cheapest first (only into ``job_zone`` if given)."""
    zones = graph.data.job_zones
    chosen = [e for e in graph.edges[a] if job_zone is None or zones[e.target] == job_zone]
    return Destinations(graph, a, [_step(graph, a, e) for e in chosen[:limit]], job_zone)


def resolve_cluster(runner: Runner, minter: Minter, graph: TransitionGraph, text: str) -> int:
    """The occupation (cluster) named by a code, IRI or exact title."""
    iri = resolve(runner, text, minter)
    return graph.data.index.by_member[iri]
