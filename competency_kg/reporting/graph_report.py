"""One graph's report (with its curation graph and context) and the cache that keeps it
per graph fingerprint, so an unchanged graph keeps its report across loads."""

from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, replace

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, SKOS

from competency_kg.iris import Minter
from competency_kg.namespaces import CEASN, CKG
from competency_kg.reporting.checks import InPlace, validate_in_place, validate_subjects
from competency_kg.reporting.conflicts import CONFLICTS, conflicts, version_drops, with_conflicts
from competency_kg.reporting.context import Context, fetch_context, iris_of
from competency_kg.reporting.corrections import Curation, resolved_by_corrections, split_curation
from competency_kg.reporting.results import ResultKey, Triple
from competency_kg.reporting.state import StoreState, read_state, store_id
from competency_kg.sparql.terms import to_rdflib
from competency_kg.store import GraphStore
from competency_kg.validation import CorrectionInfo, ResolvedResult, Result


@dataclass
class GraphReport:
    """The cached report of one named graph (with its curation graph)."""

    graph: str
    own_key: tuple[object, ...]
    world: dict[str, tuple[object, ...]]
    nodes: tuple[str, ...]  # IRIs of the graph's resources: where its context starts
    subjects: frozenset[str]
    context_digest: str
    results: list[Result]
    rdf: dict[ResultKey, list[Triple]]
    corrections: list[CorrectionInfo]
    resolved: list[ResolvedResult]
    seconds: float
    computed_at: float = field(default_factory=time.time)
    truncated: bool = False
    #: checked in place in the store (a bulk source): its context is the whole store, so a
    #: change to any other graph recomputes it; ``subjects`` is then empty (ask the store)
    in_place: bool = False
    unchecked: tuple[str, ...] = ()  # node shapes only pySHACL runs, not checked in place


def compute_graph_report(
    store: GraphStore,
    state: StoreState,
    graph: str,
    context: Context | None = None,
    own: Graph | None = None,
    curation: Graph | None = None,
) -> GraphReport:
    """Validate one named graph (with its curation graph and cross-graph context).

    ``own`` and ``curation``, when given, stand for what the store holds under ``graph``: the
    report of a document as a load would store it (the upload check), with the same context.
    """
    start = time.perf_counter()
    info = state.graphs.get(graph)
    raw = getattr(store, "oxigraph", None)  # the embedded store, read in place
    if own is None and info is not None and info.bulk and raw is not None:
        return _in_place_report(store, raw, state, graph, start)
    curation_name = state.curation_of.get(graph)
    given = own is not None
    if own is None:
        own = store.graph(URIRef(graph))
        curation = store.graph(URIRef(curation_name)) if curation_name else Graph()
    cur = split_curation(curation if curation is not None else Graph())
    data = own + (curation if curation is not None else Graph())
    subjects = {str(s) for s in data.subjects() if not isinstance(s, BNode)}
    subjects |= {str(s) for s in own.subjects()}
    nodes = iris_of(own) | iris_of(cur.additions) | iris_of(cur.retracted)
    if context is None:
        context = fetch_context(store, state, graph, nodes)
    results, rdf = validate_subjects(data + context.graph, subjects, context.graphs_of, graph)
    resolved = resolved_by_corrections(own, cur, results, context, graph) if cur.infos else []
    stated = own + Graph()
    for t in cur.additions:
        stated.add(t)
    results = with_conflicts(results, conflicts(store, state, graph, stated))
    # a document not stored yet replaces what its graph holds: compare with that version too
    results += version_drops(store, state, graph, stated, replacing=given)
    own_key = (state.fingerprints.get(graph), state.fingerprints.get(curation_name or ""))
    world = {g: fp for g, fp in state.fingerprints.items() if g not in (graph, curation_name)}
    return GraphReport(
        graph=graph,
        own_key=own_key,
        world=world,
        nodes=tuple(sorted(nodes)),
        subjects=frozenset(subjects),
        context_digest=context.digest,
        results=results,
        rdf=rdf,
        corrections=cur.infos,
        resolved=resolved,
        seconds=time.perf_counter() - start,
        truncated=context.truncated,
    )


def _in_place_report(
    store: GraphStore, raw: ox.Store, state: StoreState, graph: str, start: float
) -> GraphReport:
    """A bulk source's report (a whole O*NET release): its share of the results of every
    shape run as queries over the on-disk store, the whole store as context
    (:func:`_bulk_run`: once for all bulk sources). What needs the graph as rdflib data reads
    only the part it needs: conflicts the occupations' single-valued facts and the
    frameworks' levels, what corrections resolve the description of what they touch."""
    curation_name = state.curation_of.get(graph)
    curation = store.graph(URIRef(curation_name)) if curation_name else Graph()
    cur = split_curation(curation)
    mine = [graph, *([curation_name] if curation_name else [])]
    skip = {state.metadata, *state.derived, *mine}
    run = _bulk_run(store, raw, state)
    results = []
    for r in run.results:
        stating = run.graphs_of.get(r.focus, set())
        if stating & set(mine):  # as a copied graph's: itself first, then the other graphs
            results.append(replace(r, graph=" ".join([graph, *sorted(stating - skip)])))
    rdf = {k: v for k, v in run.rdf.items() if k[2] in {r.focus for r in results}}
    left = run.left
    resolved = _resolved_in_part(store, raw, state, graph, cur, curation) if cur.infos else []
    stated = _facts(raw, graph)
    for t in cur.additions:
        stated.add(t)
    results = with_conflicts(results, conflicts(store, state, graph, stated))
    results += version_drops(store, state, graph, stated)
    curation_key = state.fingerprints.get(curation_name or "")
    return GraphReport(
        graph=graph,
        own_key=(state.fingerprints.get(graph), curation_key),
        world={g: fp for g, fp in state.fingerprints.items() if g not in mine},
        nodes=(),
        subjects=frozenset(),
        context_digest="",
        results=results,
        rdf=rdf,
        corrections=cur.infos,
        resolved=resolved,
        seconds=time.perf_counter() - start,
        in_place=True,
        unchecked=tuple(str(s) for s in left),
    )


#: The last in-place run per store: (store, every graph's fingerprint) → its results.
_BULK_RUNS: dict[tuple[object, ...], InPlace] = {}
_BULK_LOCK = threading.Lock()


def _bulk_run(store: GraphStore, raw: ox.Store, state: StoreState) -> InPlace:
    """Every query run once over the store for all its bulk sources (and their curation
    graphs), kept while no graph changes: each bulk source's report takes its share. On a
    whole O*NET release (two graphs) one run costs 71 s of CPU; one per graph cost 140 s."""
    bulk = sorted(g for g, info in state.graphs.items() if info.bulk)
    key = (store_id(store), tuple(bulk), tuple(sorted(state.fingerprints.items())))
    with _BULK_LOCK:
        found = _BULK_RUNS.get(key)
        if found is None:
            mine = bulk + [state.curation_of[g] for g in bulk if g in state.curation_of]
            world = sorted(g for g in state.fingerprints if g not in state.derived)
            found = validate_in_place(raw, mine, world)
            for k in [k for k in _BULK_RUNS if k[0] == key[0]]:
                del _BULK_RUNS[k]
            _BULK_RUNS[key] = found
        return found


def _construct(raw: ox.Store, query: str) -> Graph:
    g = Graph()
    for t in raw.query(query):  # type: ignore[union-attr]
        g.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))  # type: ignore[arg-type]
    return g


def _facts(raw: ox.Store, graph: str) -> Graph:
    """What :func:`conflicts` and :func:`version_drops` read of a graph, from the store."""
    g = ox.NamedNode(graph)
    props = " ".join(
        f"<{p}>" for p in (*CONFLICTS, CKG.jobZoneInferred, CKG.sourceLocation, RDF.type)
    )
    occupations = _construct(
        raw,
        f"""CONSTRUCT {{ ?occ ?p ?o }} WHERE {{ GRAPH {g} {{
          ?occ a <{CKG.Occupation}> . VALUES ?p {{ {props} }} ?occ ?p ?o }} }}""",
    )
    frameworks = _construct(
        raw,
        f"""CONSTRUCT {{ ?fw a <{CEASN.CompetencyFramework}> ; <{CKG.forOccupation}> ?occ ;
            <{CKG.proficiencyScale}> ?scale ; <{CEASN.name}> ?name .
          ?scale <{SKOS.hasTopConcept}> ?level . ?level <{SKOS.notation}> ?key .
          ?st <{CKG.atLevel}> ?level }}
        WHERE {{ GRAPH {g} {{
          ?fw a <{CEASN.CompetencyFramework}> ; <{CKG.forOccupation}> ?occ ;
              <{CKG.proficiencyScale}> ?scale .
          OPTIONAL {{ ?fw <{CEASN.name}> ?name }}
          OPTIONAL {{ ?scale <{SKOS.hasTopConcept}> ?level
                     OPTIONAL {{ ?level <{SKOS.notation}> ?key }}
                     OPTIONAL {{ ?st <{CKG.atLevel}> ?level }} }} }} }}""",
    )
    return occupations + frameworks


def _resolved_in_part(
    store: GraphStore, raw: ox.Store, state: StoreState, graph: str, cur: Curation, curation: Graph
) -> list[ResolvedResult]:
    """What a bulk source's corrections resolve, judged on the description of the resources
    they touch (and its context, two steps out), before and after: the same comparison as a
    document-sized source's, on the part of the graph a correction can change."""
    touched = sorted({str(t[0]) for t in (*cur.retracted, *cur.additions)})
    own = Graph()
    for i in range(0, len(touched), 500):
        values = " ".join(f"<{s}>" for s in touched[i : i + 500])
        own += _construct(
            raw,
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {values} }} "
            f"GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}",
        )
    nodes = iris_of(own) | iris_of(cur.additions) | iris_of(cur.retracted)
    context = fetch_context(store, state, graph, nodes)
    data = own + curation
    subjects = {str(s) for s in data.subjects() if not isinstance(s, BNode)}
    now, _ = validate_subjects(data + context.graph, subjects, context.graphs_of, graph)
    return resolved_by_corrections(own, cur, now, context, graph)


def document_report(
    store: GraphStore, minter: Minter, graph: str, own: Graph, curation: Graph
) -> tuple[GraphReport, StoreState]:
    """The report ``graph`` would have in the store holding ``own`` (corrected) and its
    ``curation`` graph in place of what it holds now: what ``validate`` shows after the load."""
    state = read_state(store, minter)
    return compute_graph_report(store, state, graph, None, own, curation), state


class ReportCache:
    """Per-graph reports in process memory, most recently used kept (see the module doc).

    ``computations`` counts the validations run per graph (tests and the page read it);
    ``hits`` counts reports served from the cache; ``answered`` counts the reports given per
    store (computed or not: how far a report of the whole store has got, for the page shown
    while it is computed). :mod:`~competency_kg.reporting.kept` keeps a store's entries on
    disk per store version (:meth:`entries_of`, :meth:`restore`).
    """

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], GraphReport] = OrderedDict()
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()
        self.computations: Counter[str] = Counter()
        self.hits = 0
        self.answered: Counter[str] = Counter()

    def _lock(self, key: tuple[str, str]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def get(self, store: GraphStore, state: StoreState, graph: str) -> tuple[GraphReport, bool]:
        """The report of ``graph``, and whether it came from the cache."""
        key = (store_id(store), graph)
        curation_name = state.curation_of.get(graph)
        own_key = (state.fingerprints.get(graph), state.fingerprints.get(curation_name or ""))
        world = {g: fp for g, fp in state.fingerprints.items() if g not in (graph, curation_name)}
        with self._lock(key):
            entry = self._entries.get(key)
            context = None
            same = entry is not None and entry.own_key == own_key
            if same and entry.world == world:  # type: ignore[union-attr]
                return self._hit(key, entry)  # type: ignore[arg-type]
            if same and not entry.in_place:  # type: ignore[union-attr]
                # another graph changed: does this graph's context differ?
                context = fetch_context(store, state, graph, entry.nodes)  # type: ignore[union-attr]
                if context.digest == entry.context_digest:  # type: ignore[union-attr]
                    entry.world = world  # type: ignore[union-attr]
                    return self._hit(key, entry)  # type: ignore[arg-type]
            entry = compute_graph_report(store, state, graph, context)
            with self._guard:
                self.computations[graph] += 1
                self.answered[key[0]] += 1
                self._entries[key] = entry
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            return entry, False

    def _hit(self, key: tuple[str, str], entry: GraphReport) -> tuple[GraphReport, bool]:
        with self._guard:
            self.hits += 1
            self.answered[key[0]] += 1
            self._entries.move_to_end(key)
        return entry, True

    def entries_of(self, store: GraphStore) -> dict[str, GraphReport]:
        """The reports the cache holds for ``store``, per graph (what is kept on disk)."""
        sid = store_id(store)
        with self._guard:
            return {graph: e for (s, graph), e in self._entries.items() if s == sid}

    def restore(self, store: GraphStore, entries: dict[str, GraphReport]) -> None:
        """Put reports kept on disk back: :meth:`get` still checks each against the store's
        fingerprints, as any entry, before serving it."""
        sid = store_id(store)
        with self._guard:
            for graph, entry in entries.items():
                self._entries[(sid, graph)] = entry
                self._entries.move_to_end((sid, graph))
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._guard:
            self._entries.clear()
            self.computations.clear()
            self.answered.clear()
            self.hits = 0


#: The cache every report of this process shares.
CACHE = ReportCache()
