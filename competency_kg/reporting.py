"""The SHACL report of what is in the store, whole or for one source graph.

A report of the whole store is assembled from one report per named graph, so that it stays
feasible with millions of bulk-loaded triples in the store and so that a load recomputes only
what it changed:

- **Per graph.** Every named graph but the metadata graph is checked on its own; a source's
  curation graph (the corrections applied to it, :mod:`competency_kg.curation`) is checked
  together with the source it corrects.
- **Across graphs.** A graph's data is completed with what the other graphs say about its
  resources, and about the resources those statements point to (two steps out): a competency
  a document only names but another source defines (through the links graph), or the class
  another graph gives to something this one points at, is then seen as in the union of all
  graphs. Only results about the graph's own resources (the subjects of its triples) are kept;
  a resource several graphs describe is reported once, naming them all. Statements *pointing
  at* a graph's resources from other graphs are not fetched (a shared scale can have millions).
- **Entailed statements** (``{base}graph/entailed``, :mod:`competency_kg.entailment`) are
  neither checked nor taken as context: they only restate the sources' own statements in the
  vocabularies the ontology aligns to, and the shapes are written for what sources state.
- **Bulk sources** (any graph over :data:`BULK_TRIPLES` triples: a whole O*NET release) are
  not re-validated: pySHACL over millions of triples takes
  hours. Their load already ran the checks that scale (``loaders/onet.py``: row checks over
  every row, SHACL over a sample) and refuses violations unless forced; the report shows the
  load-time summary the metadata graph records for them, and says so.
- **Cache.** Each graph's report is kept in process memory, keyed by its fingerprint (triple
  count, load time and source checksum from the metadata graph; a triple count for graphs
  the metadata graph does not describe) and its curation graph's. The fingerprints of all the
  other graphs are kept beside it: when one of those changed, the graph's cross-graph context
  is fetched again and compared by digest, and only a different context means a new
  validation. Reading the fingerprints costs a few small queries per report.
- **Corrections.** For a graph with corrections, the report of the source as it was (the
  retracted statements put back, the additions taken out) is compared with the current one:
  what disappeared is *resolved*, credited to exactly the corrections whose undoing brings it
  back (:func:`_resolved`). Stale corrections are read from the metadata graph.
- **Documents not stored.** :func:`document_report` gives the report a document would have
  once loaded (the upload check): the same per-graph computation on the document's graph as
  the load would correct it, with the store's other graphs as its context.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, VOID
from rdflib.term import Node

from competency_kg.iris import Minter
from competency_kg.namespaces import CEASN, CKG, SH
from competency_kg.shacl_sparql import bnode_closure
from competency_kg.sparql.terms import to_rdflib
from competency_kg.store import GraphStore, StoreError
from competency_kg.store.versions import store_of
from competency_kg.validation import (
    SEVERITY_NAMES,
    STORE_CONTEXT,
    CorrectionInfo,
    Report,
    ResolvedResult,
    Result,
    SourceSummary,
    validate_graph,
)

#: A graph with more triples than this is summarised, not re-validated.
BULK_TRIPLES = 200_000
#: Most context triples fetched for one graph (each of the two steps).
CONTEXT_LIMIT = 250_000
#: Held while pySHACL runs: one validation at a time per process (they share the shapes
#: graph, and are CPU-bound anyway).
VALIDATION_LOCK = threading.RLock()

Triple = tuple[Node, Node, Node]
ResultKey = tuple[str, str, str, str | None, str | None, str]


def result_key(r: Result) -> ResultKey:
    """What makes two results the same finding, whichever graph's check found it."""
    return (r.severity, r.source_shape, r.focus, r.path, r.value, r.message)


# --------------------------------------------------------------------------- the store's state
@dataclass(frozen=True)
class GraphInfo:
    """What the metadata graph says about one named graph."""

    iri: str
    kind: str  # "source" (described as a ckg:SourceGraph), "links", or "other"
    loader: str | None = None
    triples: int | None = None
    loaded: str | None = None
    checksum: str | None = None
    document: str | None = None
    title: str | None = None  # the document's own title (its file name when it gives none)
    description: str | None = None
    file: str | None = None  # the file (or release folder) it was loaded from

    @property
    def names(self) -> list[str]:
        """Every name a page or report shows for it: each one picks it out for ``--source``."""
        local = self.iri.rstrip("/").rsplit("/", 1)[-1]
        return list(dict.fromkeys(n for n in (self.title, self.file, self.iri, local) if n))

    @property
    def bulk(self) -> bool:
        """Too big for pySHACL here: only its size counts (an O*NET extract is validated)."""
        return (self.triples or 0) > BULK_TRIPLES

    @property
    def label(self) -> str:
        if self.title:
            return self.title
        if self.kind == "links":
            return "Links across sources"
        return self.iri.rstrip("/").rsplit("/", 1)[-1]


@dataclass
class StoreState:
    """The named graphs of the store and their fingerprints, read for each report."""

    metadata: str
    graphs: dict[str, GraphInfo]  # every graph to check: not metadata, not curation
    curation_of: dict[str, str]  # source graph → its curation graph
    fingerprints: dict[str, tuple[object, ...]]  # every named graph but the metadata graph
    last_load: str | None = None
    #: graphs neither checked nor read as context (the entailed graph)
    derived: frozenset[str] = frozenset()


def store_id(store: GraphStore) -> str:
    """A name for the store the cache can key on: its folder (the same for all its published
    versions) or its URL."""
    path = getattr(store, "path", None)
    if path is not None:
        return str(store_of(Path(path)))
    location = getattr(store, "location", None)
    return str(location) if location else f"memory:{id(store)}"


#: Where the metadata graph's description of a source graph, and of its document, goes.
_SOURCE_KEYS = {
    str(CKG.loader): "loader",
    str(VOID.triples): "triples",
    str(PROV.generatedAtTime): "time",
    str(DCTERMS.description): "desc",
    str(DCTERMS.source): "doc",
    str(DCTERMS.title): "title",
}
_DOCUMENT_KEYS = {
    str(DCTERMS.title): "doc_title",
    str(CKG.fileName): "file",
    str(CKG.checksum): "checksum",
}


def read_state(store: GraphStore, minter: Minter) -> StoreState:
    """The graphs in the store, what the metadata graph says of them, their fingerprints."""
    meta = str(minter.metadata_graph())
    derived = frozenset({str(minter.entailed_graph())})
    names = [str(n) for n in store.graph_names() if str(n) != meta and str(n) not in derived]
    # Two flat queries rather than one with nested OPTIONALs, which Virtuoso's cost estimator
    # refuses ("estimated execution time -165675008 sec exceeds the limit").
    sources = f"?g a ?type . FILTER (?type IN (<{CKG.SourceGraph}>, <{VOID.Linkset}>))"
    own = store.select(f"SELECT ?g ?type ?p ?o WHERE {{ GRAPH <{meta}> {{ {sources} ?g ?p ?o }} }}")
    docs = store.select(
        f"""SELECT ?g ?p ?o WHERE {{ GRAPH <{meta}> {{
          {sources} ?g <{DCTERMS.source}> ?doc . ?doc ?p ?o }} }}"""
    )
    described: dict[str, dict[str, Node]] = {}
    for rows, keys in ((own, _SOURCE_KEYS), (docs, _DOCUMENT_KEYS)):
        for row in rows:
            seen = described.setdefault(str(row["g"]), {})
            if "type" in row:
                seen.setdefault("type", row["type"])
            key = keys.get(str(row["p"]))
            if key is not None:
                seen.setdefault(key, row["o"])
    curation_rows = store.select(
        f"SELECT DISTINCT ?cg ?g WHERE {{ GRAPH ?cg {{ ?c <{CKG.appliedTo}> ?g }} }}"
    )
    curation_of = {str(r["g"]): str(r["cg"]) for r in curation_rows if str(r["cg"]) in names}
    curation_prefix = str(minter.curation_graph("x"))[:-1]
    curation = set(curation_of.values()) | {n for n in names if n.startswith(curation_prefix)}
    last_load = max((str(d["time"]) for d in described.values() if "time" in d), default=None)

    graphs: dict[str, GraphInfo] = {}
    fingerprints: dict[str, tuple[object, ...]] = {}
    for name in names:
        d = described.get(name)
        if name in curation:
            fingerprints[name] = ("curation", _bounded_count(store, name))
            continue
        if d is not None and (d.get("type") == CKG.SourceGraph or "loader" in d):
            info = GraphInfo(
                iri=name,
                kind="source",
                loader=_text(d.get("loader")),
                triples=_int(d.get("triples")),
                loaded=_text(d.get("time")),
                checksum=_text(d.get("checksum")),
                document=_text(d.get("doc")),
                title=_text(d.get("title") or d.get("doc_title")),
                description=_text(d.get("desc")),
                # a store loaded before titles existed has the file name as the document title
                file=_text(d.get("file") or d.get("doc_title")),
            )
            fingerprints[name] = (info.triples, info.loaded, info.checksum)
        elif d is not None:  # the links graph: recomputed at every load
            info = GraphInfo(iri=name, kind="links", triples=_int(d.get("triples")))
            fingerprints[name] = (info.triples, last_load)
        else:
            n = _bounded_count(store, name)
            info = GraphInfo(iri=name, kind="other", triples=n)
            fingerprints[name] = (n,)
        graphs[name] = info
    return StoreState(meta, graphs, curation_of, fingerprints, last_load, derived)


def _bounded_count(store: GraphStore, name: str) -> int:
    """Triples in a graph, counted up to just over :data:`BULK_TRIPLES`."""
    rows = store.select(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT ?s WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }} "
        f"LIMIT {BULK_TRIPLES + 1} }}"
    )
    return int(rows[0]["n"]) if rows else 0


def _text(node: Node | None) -> str | None:
    return None if node is None else str(node)


def _int(node: Node | None) -> int | None:
    try:
        return None if node is None else int(node)  # type: ignore[arg-type]
    except ValueError:
        return None


def resolve_source(
    store: GraphStore, minter: Minter, source: str, state: StoreState | None = None
) -> URIRef:
    """A source graph named by any name a page shows for it: its title, its file name, its
    graph IRI or the graph's local name (the source id); also its document's IRI.

    Raises :class:`StoreError` listing the accepted names when none matches.
    """
    state = state or read_state(store, minter)
    names = {str(g) for g in store.graph_names() if g != minter.metadata_graph()}
    wanted = source.strip()
    for candidate in (wanted, str(minter.source_graph(wanted))):  # strings: a title is no IRI
        if candidate in names:
            return URIRef(candidate)
    for exact in (True, False):  # names as given first, then ignoring case
        for info in state.graphs.values():
            if any(
                n == wanted if exact else n.casefold() == wanted.casefold()
                for n in (*info.names, info.document or "")
            ):
                return URIRef(info.iri)
    accepted = [
        " | ".join(repr(n) for n in info.names)
        for info in sorted(state.graphs.values(), key=lambda i: (i.kind != "source", i.iri))
    ]
    raise StoreError(
        f"no source graph {source!r} in the store; name one by its title, file name, graph "
        f"IRI or graph name: {'; '.join(accepted) or 'none (the store holds no sources)'}"
    )


# --------------------------------------------------------------------------- one graph's report
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


@dataclass
class _Context:
    graph: Graph
    graphs_of: dict[str, set[str]]  # subject → the other graphs describing it
    digest: str
    truncated: bool


def _iris(triples: Iterable[Triple]) -> set[str]:
    out: set[str] = set()
    for s, _, o in triples:
        if isinstance(s, URIRef):
            out.add(str(s))
        if isinstance(o, URIRef):
            out.add(str(o))
    return out


def _fetch(
    store: GraphStore, iris: Iterable[str], exclude: set[str], limit: int
) -> list[dict[str, Node]]:
    """The statements other graphs make about ``iris``, in batches."""
    rows: list[dict[str, Node]] = []
    todo = sorted(iris)
    not_in = ", ".join(f"<{g}>" for g in sorted(exclude))
    raw = getattr(store, "oxigraph", None)  # the embedded store: skip the row conversion
    for i in range(0, len(todo), 2000):
        values = " ".join(f"<{iri}>" for iri in todo[i : i + 2000])
        query = (
            f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} "
            f"FILTER (?g NOT IN ({not_in})) }} LIMIT {limit - len(rows) + 1}"
        )
        if raw is not None:
            for sol in raw.query(query):
                rows.append({k: to_rdflib(sol[k]) for k in ("g", "s", "p", "o")})
        else:
            rows.extend(store.select(query))
        if len(rows) > limit:
            break
    return rows


def _context(store: GraphStore, state: StoreState, graph: str, nodes: Iterable[str]) -> _Context:
    """What the other graphs say about ``nodes`` and about what that points to."""
    exclude = {graph, state.metadata, *state.derived}
    if graph in state.curation_of:
        exclude.add(state.curation_of[graph])
    nodes = set(nodes)
    ctx = Graph()
    graphs_of: dict[str, set[str]] = {}
    truncated = False
    frontier = nodes
    for _step in range(2):
        if not frontier:
            break
        rows = _fetch(store, frontier, exclude, CONTEXT_LIMIT)
        if len(rows) > CONTEXT_LIMIT:
            rows, truncated = rows[:CONTEXT_LIMIT], True
        fresh: set[str] = set()
        for r in rows:
            s, p, o = r["s"], r["p"], r["o"]
            ctx.add((s, p, o))
            graphs_of.setdefault(str(s), set()).add(str(r["g"]))
            if isinstance(o, URIRef) and str(o) not in nodes:
                fresh.add(str(o))
        nodes |= fresh
        frontier = fresh
    lines = sorted(f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in ctx)  # type: ignore[union-attr]
    digest = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
    return _Context(ctx, graphs_of, digest, truncated)


@dataclass
class _Curation:
    """What a source's curation graph records: each correction and exactly what it changed."""

    infos: list[CorrectionInfo]
    retracted_by: dict[str, list[Triple]]
    added_by: dict[str, list[Triple]]
    additions: list[Triple]  # every statement the corrections added (the graph's data)

    @property
    def retracted(self) -> list[Triple]:
        return [t for ts in self.retracted_by.values() for t in ts]


def _reified(curation: Graph, c: Node, prop: URIRef, bookkeeping: set[Node]) -> list[Triple]:
    triples: list[Triple] = []
    for st in curation.objects(c, prop):
        bookkeeping.add(st)
        s = curation.value(st, RDF.subject)
        p = curation.value(st, RDF.predicate)
        o = curation.value(st, RDF.object)
        if s is not None and p is not None and o is not None:
            triples.append((s, p, o))
    return sorted(triples, key=lambda t: tuple(map(str, t)))


def _split_curation(curation: Graph) -> _Curation:
    """Corrections recorded in a curation graph, what each retracted and added, the additions.

    A store loaded before additions were reified (``ckg:added``) has them only as data: they
    are then attributed by :func:`_attribute_additions`.
    """
    infos: list[CorrectionInfo] = []
    retracted_by: dict[str, list[Triple]] = {}
    added_by: dict[str, list[Triple]] = {}
    bookkeeping: set[Node] = set()
    for c in sorted(set(curation.subjects(RDF.type, CKG.Correction)), key=str):
        bookkeeping.add(c)
        retracted_by[str(c)] = _reified(curation, c, CKG.retracted, bookkeeping)
        added_by[str(c)] = _reified(curation, c, CKG.added, bookkeeping)
        infos.append(
            CorrectionInfo(
                iri=str(c),
                creator=_text(curation.value(c, DCTERMS.creator)),
                created=_text(curation.value(c, DCTERMS.created)),
                reason=_text(curation.value(c, RDFS.comment)),
                file=_text(curation.value(c, DCTERMS.source)),
                applied_to=sorted(str(g) for g in curation.objects(c, CKG.appliedTo)),
                retracted=[_nt(t) for t in retracted_by[str(c)]],
                added=[_nt(t) for t in added_by[str(c)]],
            )
        )
    additions = [t for t in curation if t[0] not in bookkeeping]
    if infos and not any(added_by.values()) and additions:
        _attribute_additions(infos, retracted_by, additions, added_by)
    return _Curation(infos, retracted_by, added_by, additions)


def _nt(t: Triple) -> tuple[str, str, str]:
    return (t[0].n3(), t[1].n3(), t[2].n3())  # type: ignore[union-attr]


def _attribute_additions(
    infos: list[CorrectionInfo],
    retracted_by: dict[str, list[Triple]],
    additions: list[Triple],
    added_by: dict[str, list[Triple]],
) -> None:
    """For a store from before ``ckg:added``: which additions each correction made.

    One correction gets them all; otherwise an addition goes to the corrections that retract
    something about its subject, else to the corrections that retract nothing.
    """
    touched = {c.iri: _iris(retracted_by[c.iri]) for c in infos}
    add_only = [c.iri for c in infos if not retracted_by[c.iri]]
    for t in sorted(additions, key=lambda t: tuple(map(str, t))):
        claim = [c.iri for c in infos if str(t[0]) in touched[c.iri]] or add_only
        for iri in claim or [c.iri for c in infos]:
            added_by[iri].append(t)
    for c in infos:
        c.added = [_nt(t) for t in added_by[c.iri]]


def _validate(
    data: Graph, subjects: set[str], graphs_of: dict[str, set[str]], graph: str
) -> tuple[list[Result], dict[ResultKey, list[Triple]]]:
    """Validate ``data``; keep the results about ``subjects`` and their RDF."""
    graph_of: dict[Node, str] = {}
    focus: set[URIRef] = set()
    blank = False
    for s in set(data.subjects()):
        if str(s) in subjects:
            graph_of[s] = " ".join([graph, *sorted(graphs_of.get(str(s), set()) - {graph})])
            if isinstance(s, URIRef):
                focus.add(s)
            else:
                blank = True
    if not graph_of:
        return [], {}
    # pySHACL can limit a check to given focus nodes, but only to IRIs
    with VALIDATION_LOCK:
        report, report_graph = validate_graph(data, graph_of, None if blank else focus)
    results = [r for r in report.results if r.focus in subjects]
    wanted = {result_key(r) for r in results}
    rdf: dict[ResultKey, list[Triple]] = {}
    for node in report_graph.subjects(RDF.type, SH.ValidationResult):
        key = _rdf_key(report_graph, node)
        if key in wanted and key not in rdf:
            rdf[key] = bnode_closure(report_graph, node)
    return results, rdf


def _rdf_key(g: Graph, node: Node) -> ResultKey:
    """:func:`result_key` of a result node of a report graph (as ``validate_graph`` reads it)."""
    severity = g.value(node, SH.resultSeverity)
    path = g.value(node, SH.resultPath)
    value = g.value(node, SH.value)
    messages = [str(m) for m in g.objects(node, SH.resultMessage)]
    return (
        SEVERITY_NAMES.get(str(severity), str(severity)),
        str(g.value(node, SH.sourceShape)),
        str(g.value(node, SH.focusNode)),
        str(path) if isinstance(path, URIRef) else (None if path is None else "(path)"),
        None if value is None else str(value),
        messages[0] if messages else "",
    )


def compute_graph_report(
    store: GraphStore,
    state: StoreState,
    graph: str,
    context: _Context | None = None,
    own: Graph | None = None,
    curation: Graph | None = None,
) -> GraphReport:
    """Validate one named graph (with its curation graph and cross-graph context).

    ``own`` and ``curation``, when given, stand for what the store holds under ``graph``: the
    report of a document as a load would store it (the upload check), with the same context.
    """
    start = time.perf_counter()
    curation_name = state.curation_of.get(graph)
    given = own is not None
    if own is None:
        own = store.graph(URIRef(graph))
        curation = store.graph(URIRef(curation_name)) if curation_name else Graph()
    cur = _split_curation(curation if curation is not None else Graph())
    data = own + (curation if curation is not None else Graph())
    subjects = {str(s) for s in data.subjects() if not isinstance(s, BNode)}
    subjects |= {str(s) for s in own.subjects()}
    nodes = _iris(own) | _iris(cur.additions) | _iris(cur.retracted)
    if context is None:
        context = _context(store, state, graph, nodes)
    results, rdf = _validate(data + context.graph, subjects, context.graphs_of, graph)
    resolved = _resolved(own, cur, results, context, graph) if cur.infos else []
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


def _resolved(
    own: Graph, cur: _Curation, results: list[Result], context: _Context, graph: str
) -> list[ResolvedResult]:
    """The results the source as written gives and the corrected one does not, each credited
    to exactly the corrections that resolve it.

    A correction resolves a result when undoing it alone (its retractions put back, its own
    additions taken out) brings the result back. When no single undo does (two corrections
    each fix it), the corrections that would fix it on their own are credited. Each check
    validates only the focus nodes of the results in question.
    """
    now = {result_key(r) for r in results}

    def report_of(data: Graph, focus: set[str]) -> set[ResultKey]:
        found, _ = _validate(data + context.graph, focus, context.graphs_of, graph)
        return {result_key(r) for r in found}

    written = own + Graph()
    for t in cur.retracted:
        written.add(t)
    was, _ = _validate(written + context.graph, _subjects(written), context.graphs_of, graph)
    gone = [r for r in was if result_key(r) not in now]
    if not gone:
        return []
    focus = {r.focus for r in gone}
    corrected = own + Graph()
    for t in cur.additions:
        corrected.add(t)
    credit: dict[ResultKey, list[str]] = {result_key(r): [] for r in gone}
    for c in cur.infos:
        others = {t for o in cur.infos if o.iri != c.iri for t in cur.added_by[o.iri]}
        undone = corrected + Graph()
        for t in cur.added_by[c.iri]:
            if t not in others:
                undone.remove(t)
        for t in cur.retracted_by[c.iri]:
            undone.add(t)
        back = report_of(undone, focus)
        for key, by in credit.items():
            if key in back:
                by.append(c.iri)
    jointly = [key for key, by in credit.items() if not by]
    if jointly:
        for c in cur.infos:
            alone = written + Graph()
            for t in cur.retracted_by[c.iri]:
                alone.remove(t)
            for t in cur.added_by[c.iri]:
                alone.add(t)
            still = report_of(alone, {r.focus for r in gone if result_key(r) in jointly})
            for key in jointly:
                if key not in still:
                    credit[key].append(c.iri)
    every = [c.iri for c in cur.infos]  # no subset tells: the corrections together
    return [ResolvedResult(r, credit[result_key(r)] or every) for r in gone]


def _subjects(g: Graph) -> set[str]:
    return {str(s) for s in g.subjects()}


def document_report(
    store: GraphStore, minter: Minter, graph: str, own: Graph, curation: Graph
) -> tuple[GraphReport, StoreState]:
    """The report ``graph`` would have in the store holding ``own`` (corrected) and its
    ``curation`` graph in place of what it holds now: what ``validate`` shows after the load."""
    state = read_state(store, minter)
    return compute_graph_report(store, state, graph, None, own, curation), state


# --------------------------------------------------------------------------- conflicts
#: Single-valued facts about an occupation that sources may disagree on: property → (rule,
#: name, severity, the key a framework export gives it). A code names the occupation (its IRI
#: is minted from it), so two codes break its identity: a violation, and a load stops. Two
#: job zones make queries by job zone find the occupation in both: a violation too, unless
#: the source says its own was inferred (``ckg:jobZoneInferred``), a guess the other source
#: settles: a warning. Titles legitimately vary between sources: a warning to review.
CONFLICTS: dict[URIRef, tuple[str, str, str, str]] = {
    SKOS.notation: ("Occupation-codeConflict", "O*NET-SOC code", "Violation", "soc"),
    CKG.jobZone: ("Occupation-jobZoneConflict", "job zone", "Violation", "jobZone"),
    SKOS.prefLabel: ("Occupation-titleConflict", "title", "Warning", "title"),
}
_SHAPES = "https://w3id.org/competency-kg/shapes#"


def _place(where: str | None, key: str) -> str | None:
    """The place of a fact: a JSON path gets the fact's key (``$.occupation.jobZone``)."""
    if where and where.startswith("$"):
        return f"{where}.{key}"
    return where


def conflicts(store: GraphStore, state: StoreState, graph: str, own: Graph) -> list[Result]:
    """One result per single-valued fact of this graph's occupations that another source
    (or the graph itself) gives a different value, naming each value with its source and
    place (docs/curation.md, "Conflicts")."""
    occupations = sorted(
        str(s) for s in own.subjects(RDF.type, CKG.Occupation) if isinstance(s, URIRef)
    )
    if not occupations:
        return []
    exclude = {graph, state.metadata, *state.derived, state.curation_of.get(graph, "")}
    values: dict[tuple[str, URIRef], dict[str, set[tuple[str, str | None]]]] = {}
    inferred: set[str] = set()  # occupations a source says it inferred the job zone of

    def note(s: str, p: URIRef, o: Node, source: str, where: str | None) -> None:
        if p == CKG.jobZoneInferred:
            if isinstance(o, Literal) and o.toPython() is True:
                inferred.add(s)
            return
        if p == SKOS.prefLabel and isinstance(o, Literal) and o.language not in (None, "en"):
            return  # a title in another language is a translation, not a conflict
        shown = str(o).strip()
        values.setdefault((s, p), {}).setdefault(shown.casefold(), set()).add(
            (source, _place(where, CONFLICTS[p][3]))
        )

    for occ in occupations:
        where = own.value(URIRef(occ), CKG.sourceLocation)
        for p in (*CONFLICTS, CKG.jobZoneInferred):
            for o in own.objects(URIRef(occ), p):
                note(occ, p, o, graph, str(where) if where is not None else None)
    props = " ".join(f"<{p}>" for p in (*CONFLICTS, CKG.jobZoneInferred))
    for i in range(0, len(occupations), 500):
        subjects = " ".join(f"<{o}>" for o in occupations[i : i + 500])
        rows = store.select(
            f"""SELECT ?g ?s ?p ?o ?where WHERE {{
              VALUES ?s {{ {subjects} }} VALUES ?p {{ {props} }}
              GRAPH ?g {{ ?s ?p ?o OPTIONAL {{ ?s <{CKG.sourceLocation}> ?where }} }} }}"""
        )
        for r in rows:
            if str(r["g"]) in exclude:
                continue
            where = r.get("where")
            note(str(r["s"]), r["p"], r["o"], str(r["g"]), str(where) if where else None)  # type: ignore[arg-type]
    out: list[Result] = []
    for (occ, p), found in sorted(values.items()):
        if len(found) < 2:
            continue
        rule, name, severity, _key = CONFLICTS[p]
        if p == CKG.jobZone and occ in inferred:
            severity = "Warning"
        # the same message whichever source's report finds it: one result in the store report
        parts = []
        for v, places in sorted(found.items()):
            original = next(
                (str(o) for o in own.objects(URIRef(occ), p) if str(o).strip().casefold() == v),
                v,
            )
            where = "; ".join(
                f"{state.graphs[g].label if g in state.graphs else 'this document'}"
                + (f" ({w})" if w else "")
                for g, w in sorted(places)
            )
            parts.append(f"{original!r} in {where}")
        message = (
            f"Sources disagree on this occupation's {name}: " + ", but ".join(parts) + ". "
            "Check which is right and correct the other with a correction "
            "(seeds/curation/), or confirm that both name one occupation."
        )
        own_where = own.value(URIRef(occ), CKG.sourceLocation)
        out.append(
            Result(
                severity=severity,
                shape=_SHAPES + "OccupationShape",
                source_shape=_SHAPES + rule,
                constraint="Conflict",
                focus=occ,
                focus_label=next((str(o) for o in own.objects(URIRef(occ), SKOS.prefLabel)), None),
                path=str(p),
                value=None,
                message=message,
                graph=graph,
                location=_place(str(own_where) if own_where else None, _key),
            )
        )
    return out


def version_drops(
    store: GraphStore, state: StoreState, graph: str, own: Graph, replacing: bool = False
) -> list[Result]:
    """Warnings for a framework that lacks levels, or statements at a level, that another
    version of it in the store has (another framework for the same occupation sharing a level
    key; with ``replacing``, also the version the document's own graph holds now)."""
    levels: dict[tuple[str, str], dict[str, int]] = {}  # (framework, occupation) → key → n
    for fw in own.subjects(RDF.type, CEASN.CompetencyFramework):
        occ = own.value(fw, CKG.forOccupation)
        scale = own.value(fw, CKG.proficiencyScale)
        if not isinstance(fw, URIRef) or occ is None or scale is None:
            continue
        counts = levels.setdefault((str(fw), str(occ)), {})
        for level in own.objects(scale, SKOS.hasTopConcept):
            key = str(own.value(level, SKOS.notation) or level)
            counts[key] = len(set(own.subjects(CKG.atLevel, level)))
    if not levels:
        return []
    skip = {state.metadata, *state.derived} | (set() if replacing else {graph})
    occupations = " ".join(sorted({f"<{occ}>" for _, occ in levels}))
    rows = store.select(
        f"""SELECT ?g ?occ ?fw ?key (COUNT(DISTINCT ?st) AS ?n) WHERE {{
          VALUES ?occ {{ {occupations} }}
          GRAPH ?g {{ ?fw <{CKG.forOccupation}> ?occ ; <{CKG.proficiencyScale}> ?scale .
                     ?scale <{SKOS.hasTopConcept}> ?level . ?level <{SKOS.notation}> ?key .
                     OPTIONAL {{ ?st <{CKG.atLevel}> ?level }} }} }}
        GROUP BY ?g ?occ ?fw ?key"""
    )
    others: dict[tuple[str, str, str], dict[str, int]] = {}
    for r in rows:
        if str(r["g"]) in skip:
            continue
        others.setdefault((str(r["g"]), str(r["occ"]), str(r["fw"])), {})[str(r["key"])] = int(
            r["n"]  # type: ignore[arg-type]
        )
    out: list[Result] = []
    for (fw, occ), mine in sorted(levels.items()):
        for (g, other_occ, other_fw), theirs in sorted(others.items()):
            if other_occ != occ or not set(mine) & set(theirs):
                continue
            where = state.graphs[g].label if g in state.graphs else g
            if g == graph:
                where = f"the version loaded now ({where})"
            for key, n in sorted(theirs.items()):
                if key not in mine:
                    message = (
                        f"This framework has no level '{key}', which the framework "
                        f"<{other_fw}> in {where} has ({n} statement(s)): a level dropped "
                        "from this version? Restore it, or confirm the new version drops it."
                    )
                elif mine[key] < n:
                    message = (
                        f"The level '{key}' has {mine[key]} statement(s), the framework "
                        f"<{other_fw}> in {where} has {n} there: statements dropped from "
                        "this version? Restore them, or confirm the new version drops them."
                    )
                else:
                    continue
                out.append(
                    Result(
                        severity="Warning",
                        shape=_SHAPES + "CompetencyFrameworkShape",
                        source_shape=_SHAPES + "CompetencyFramework-keepsLoadedLevels",
                        constraint="VersionComparison",
                        focus=fw,
                        focus_label=next(
                            (str(o) for o in own.objects(URIRef(fw), CEASN.name)), None
                        ),
                        path=str(CKG.proficiencyScale),
                        value=key,
                        message=message,
                        graph=graph,
                        location="$.framework.levels" + (f".{key}" if key in mine else ""),
                    )
                )
    return out


def with_conflicts(results: list[Result], found: list[Result]) -> list[Result]:
    """The results with each conflict in place of the count result it explains (two values
    in the merge break ``sh:maxCount``: "must be one whole number" is not the problem)."""
    explained = {(r.focus, r.path) for r in found}
    kept = [
        r
        for r in results
        if not (r.constraint == "MaxCountConstraintComponent" and (r.focus, r.path) in explained)
    ]
    return kept + found


# --------------------------------------------------------------------------- the cache
class ReportCache:
    """Per-graph reports in process memory, most recently used kept (see the module doc).

    ``computations`` counts the validations run per graph (tests and the page read it);
    ``hits`` counts reports served from the cache.
    """

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], GraphReport] = OrderedDict()
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()
        self.computations: Counter[str] = Counter()
        self.hits = 0

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
            if entry is not None and entry.own_key == own_key:
                if entry.world == world:
                    return self._hit(key, entry)
                # another graph changed: does this graph's context differ?
                context = _context(store, state, graph, entry.nodes)
                if context.digest == entry.context_digest:
                    entry.world = world
                    return self._hit(key, entry)
            entry = compute_graph_report(store, state, graph, context)
            with self._guard:
                self.computations[graph] += 1
                self._entries[key] = entry
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            return entry, False

    def _hit(self, key: tuple[str, str], entry: GraphReport) -> tuple[GraphReport, bool]:
        with self._guard:
            self.hits += 1
            self._entries.move_to_end(key)
        return entry, True

    def clear(self) -> None:
        with self._guard:
            self._entries.clear()
            self.computations.clear()
            self.hits = 0


#: The cache every report of this process shares.
CACHE = ReportCache()


# --------------------------------------------------------------------------- the store report
def read_stale(store: GraphStore, state: StoreState) -> list[CorrectionInfo]:
    """The corrections the last load found matching no source (metadata graph)."""
    rows = store.select(
        f"""SELECT ?c ?p ?o WHERE {{ GRAPH <{state.metadata}> {{
          <{state.metadata}> <{CKG.staleCorrection}> ?c . OPTIONAL {{ ?c ?p ?o }} }} }}"""
    )
    found: dict[str, CorrectionInfo] = {}
    for r in rows:
        c = found.setdefault(str(r["c"]), CorrectionInfo(iri=str(r["c"]), stale=True))
        p, o = r.get("p"), r.get("o")
        if p == DCTERMS.creator:
            c.creator = str(o)
        elif p == DCTERMS.created:
            c.created = str(o)
        elif p == RDFS.comment:
            c.reason = str(o)
        elif p == DCTERMS.source:
            c.file = str(o)
    return [found[k] for k in sorted(found)]


def _summary(info: GraphInfo) -> SourceSummary:
    return SourceSummary(
        graph=info.iri,
        title=info.label,
        document=info.document,
        loader=info.loader,
        triples=info.triples,
        loaded=info.loaded,
    )


@dataclass
class StoreReport:
    """A store report, with the RDF of each result and the graph reports it was made of."""

    report: Report
    rdf: dict[ResultKey, list[Triple]]
    graphs: list[GraphReport]

    def graph(self) -> Graph:
        """The report as a ``sh:ValidationReport`` (see :func:`report_graph`)."""
        return report_graph(self.report, self.rdf)

    def select(self, keep: Callable[[Result], bool]) -> StoreReport:
        """The part of the report whose results ``keep`` accepts (resolved ones too)."""
        results = [r for r in self.report.results if keep(r)]
        if len(results) == len(self.report.results):
            return self
        report = replace(
            self.report,
            conforms=not any(r.severity == "Violation" for r in results),
            results=results,
            resolved=[rr for rr in self.report.resolved if keep(rr.result)],
        )
        return StoreReport(report, self.rdf, self.graphs)

    def checked(self, iri: str) -> bool:
        """Whether a graph describing ``iri`` was validated (not only summarised)."""
        return any(iri in g.subjects for g in self.graphs)


def assemble(
    store: GraphStore,
    minter: Minter,
    source: str | None = None,
    cache: ReportCache | None = None,
) -> StoreReport:
    """The report of the store (or of one source graph), per graph, from the cache."""
    cache = cache or CACHE
    state = read_state(store, minter)
    if source is not None:
        name = str(resolve_source(store, minter, source, state))
        for src, cur in state.curation_of.items():
            if cur == name:  # a curation graph stands for the source it corrects
                name = src
        if name not in state.graphs:
            state.graphs[name] = GraphInfo(name, "other")
        targets = [name]
    else:
        targets = sorted(state.graphs, key=lambda g: (state.graphs[g].kind != "source", g))

    merged: dict[ResultKey, Result] = {}
    rdf: dict[ResultKey, list[Triple]] = {}
    sources: list[SourceSummary] = []
    entries: list[GraphReport] = []
    for g in targets:
        info = state.graphs[g]
        summary = _summary(info)
        sources.append(summary)
        if info.bulk:
            summary.mode = "summary"
            summary.violations = summary.warnings = None
            summary.description = info.description
            summary.note = (
                f"not re-validated here: a bulk-loaded source ({info.loader or 'large graph'}, "
                f"{info.triples or 0:,} triples) is too big for pySHACL; its load ran the checks "
                "that scale and stored it only without violations (unless forced)"
            )
            continue
        entry, cached = cache.get(store, state, g)
        entries.append(entry)
        summary.cached = cached
        summary.seconds = round(entry.seconds, 3)
        summary.violations = sum(1 for r in entry.results if r.severity == "Violation")
        summary.warnings = sum(1 for r in entry.results if r.severity == "Warning")
        if entry.truncated:
            summary.note = f"the context from other graphs was cut at {CONTEXT_LIMIT:,} triples"
        for r in entry.results:
            key = result_key(r)
            if key in merged:
                known = merged[key]
                graphs = sorted(set((known.graph or "").split()) | set((r.graph or "").split()))
                if graphs != (known.graph or "").split():
                    merged[key] = replace(known, graph=" ".join(graphs))
            else:
                merged[key] = r
                rdf[key] = entry.rdf.get(key, [])
    rank = {"Violation": 0, "Warning": 1, "Info": 2}
    results = sorted(
        merged.values(), key=lambda r: (rank.get(r.severity, 3), r.shape, r.focus, r.message)
    )
    report = Report(
        conforms=not any(r.severity == "Violation" for r in results),
        results=results,
        sources=sources,
        corrections=[c for e in entries for c in e.corrections],
        resolved=[rr for e in entries for rr in e.resolved],
        stale=read_stale(store, state),
        titles={g: info.label for g, info in state.graphs.items()},
        context=STORE_CONTEXT,
    )
    return StoreReport(report, rdf, entries)


def build_report(
    store: GraphStore,
    minter: Minter,
    source: str | None = None,
    cache: ReportCache | None = None,
) -> tuple[Report, Graph]:
    """The report of the store (or of one source graph) and its RDF form."""
    assembled = assemble(store, minter, source, cache)
    return assembled.report, assembled.graph()


def report_graph(report: Report, rdf: dict[ResultKey, list[Triple]] | None = None) -> Graph:
    """The report as a ``sh:ValidationReport``; each result also names its source graphs
    (``dcterms:source``) and its place in the source (``ckg:sourceLocation``)."""
    g = Graph()
    g.bind("sh", SH)
    g.bind("ckg", CKG)
    g.bind("dcterms", DCTERMS)
    root = BNode()
    g.add((root, RDF.type, SH.ValidationReport))
    g.add((root, SH.conforms, Literal(report.conforms)))
    for r in report.results:
        triples = (rdf or {}).get(result_key(r))
        node: Node
        if triples:
            node = triples[0][0]
            for t in triples:
                g.add(t)
        else:  # rebuilt from the result (a result whose report graph was not kept)
            node = BNode()
            g.add((node, RDF.type, SH.ValidationResult))
            g.add((node, SH.focusNode, _term(r.focus)))
            g.add((node, SH.resultSeverity, SH[r.severity]))
            g.add((node, SH.sourceShape, URIRef(r.source_shape)))
            g.add((node, SH.resultMessage, Literal(r.message)))
            if r.path and r.path != "(path)":
                g.add((node, SH.resultPath, URIRef(r.path)))
            if r.value is not None:
                g.add((node, SH.value, Literal(r.value)))
        g.add((root, SH.result, node))
        for source in (r.graph or "").split():
            g.add((node, DCTERMS.source, URIRef(source)))
        if r.location:
            g.add((node, CKG.sourceLocation, Literal(r.location)))
    return g


def _term(text: str) -> Node:
    return BNode(text[2:]) if text.startswith("_:") else URIRef(text)


def store_report(
    store: GraphStore, minter: Minter, source: str | None = None
) -> tuple[Report, Graph]:
    """Validate the store's graphs (or one of them) against the shapes, per graph, cached."""
    return build_report(store, minter, source)


# --------------------------------------------------------------------------- badges
def focus_link(iri: str) -> str:
    """The report page listing a resource's own results."""
    return "/validation?focus=" + quote(iri, safe="")


def focus_badges(store: GraphStore, minter: Minter, iri: str) -> dict[str, object]:
    """A resource's own violations and warnings, for a badge on its page.

    ``checked`` is false when no graph holding the resource was validated here (it is only
    in bulk-loaded sources, whose load-time checks stand in).
    """
    assembled = assemble(store, minter)
    counts = Counter(r.severity for r in assembled.report.results if r.focus == iri)
    return {
        "iri": iri,
        "violations": counts.get("Violation", 0),
        "warnings": counts.get("Warning", 0),
        "infos": counts.get("Info", 0),
        "total": sum(counts.values()),
        "checked": assembled.checked(iri),
        "link": focus_link(iri),
    }
