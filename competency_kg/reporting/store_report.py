"""The store's report assembled from the per-graph reports, and the badges a resource's
page shows from it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import quote

from rdflib import Graph
from rdflib.namespace import DCTERMS, RDFS

from competency_kg.iris import Minter
from competency_kg.metadata import SourceGraph
from competency_kg.namespaces import CKG
from competency_kg.reporting.context import CONTEXT_LIMIT
from competency_kg.reporting.formats import report_graph
from competency_kg.reporting.graph_report import CACHE, GraphReport, ReportCache
from competency_kg.reporting.results import ResultKey, Triple, result_key
from competency_kg.reporting.state import GraphInfo, StoreState, read_state, resolve_source
from competency_kg.store import GraphStore
from competency_kg.validation import (
    STORE_CONTEXT,
    CorrectionInfo,
    Report,
    Result,
    SourceSummary,
    limit_per_shape,
)


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
        elif p == CKG.missingRetraction:
            c.missing = sorted({*c.missing, str(o)})
    return [found[k] for k in sorted(found)]


def _summary(info: GraphInfo) -> SourceSummary:
    return SourceSummary(
        graph=info.iri,
        title=info.label,
        document=info.record.document,
        loader=info.record.loader,
        triples=info.record.triples,
        loaded=info.record.generated,
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

    def limited(self, limit: int) -> StoreReport:
        """At most ``limit`` results listed per rule, every count whole (``limit_per_shape``)."""
        return StoreReport(limit_per_shape(self.report, limit), self.rdf, self.graphs)

    def checked(self, iri: str, store: GraphStore | None = None) -> bool:
        """Whether a graph describing ``iri`` was validated (not only summarised); a graph
        checked in place keeps no list of its resources: ``store`` says whether it holds it."""
        if any(iri in g.subjects for g in self.graphs):
            return True
        in_place = [g.graph for g in self.graphs if g.in_place]
        if not in_place or store is None:
            return False
        graphs = " ".join(f"<{g}>" for g in in_place)
        found = f"VALUES ?g {{ {graphs} }} GRAPH ?g {{ <{iri}> ?p ?o }}"
        return bool(store.select(f"SELECT ?g WHERE {{ {found} }} LIMIT 1"))


def assemble(
    store: GraphStore,
    minter: Minter,
    source: str | None = None,
    cache: ReportCache | None = None,
) -> StoreReport:
    """The report of the store (or of one source graph), per graph, from the cache."""
    cache = cache or CACHE
    state = read_state(store, minter)
    targets = _targets(store, minter, source, state)

    merged: dict[ResultKey, Result] = {}
    rdf: dict[ResultKey, list[Triple]] = {}
    sources: list[SourceSummary] = []
    entries: list[GraphReport] = []
    for g in targets:
        info = state.graphs[g]
        summary = _summary(info)
        sources.append(summary)
        if info.bulk and getattr(store, "oxigraph", None) is None:
            summary.mode = "summary"
            summary.violations = summary.warnings = None
            record = info.record
            summary.description = record.description
            summary.note = (
                f"not re-validated here: a bulk-loaded source ({record.loader or 'large graph'}, "
                f"{record.triples or 0:,} triples) is checked in place only in the embedded "
                "store, not on a remote SPARQL server; its load ran the checks that scale and "
                "stored it only without violations (unless forced)"
            )
            continue
        entry, cached = cache.get(store, state, g)
        entries.append(entry)
        _count(summary, entry, info, cached)
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


def _targets(store: GraphStore, minter: Minter, source: str | None, state: StoreState) -> list[str]:
    """The graphs to report: one source (a curation graph stands for the source it corrects),
    or every graph, the sources first."""
    if source is None:
        return sorted(state.graphs, key=lambda g: (state.graphs[g].kind != "source", g))
    name = str(resolve_source(store, minter, source, state))
    for src, cur in state.curation_of.items():
        if cur == name:
            name = src
    if name not in state.graphs:
        state.graphs[name] = GraphInfo(SourceGraph(name, kind="other"))
    return [name]


def _count(summary: SourceSummary, entry: GraphReport, info: GraphInfo, cached: bool) -> None:
    """A graph's counts and the note saying how it was checked."""
    summary.cached = cached
    summary.seconds = round(entry.seconds, 3)
    summary.violations = sum(1 for r in entry.results if r.severity == "Violation")
    summary.warnings = sum(1 for r in entry.results if r.severity == "Warning")
    if entry.truncated:
        summary.note = f"the context from other graphs was cut at {CONTEXT_LIMIT:,} triples"
    if entry.in_place:
        unchecked = (
            f"; not checked here (pySHACL only): {', '.join(entry.unchecked)}"
            if entry.unchecked
            else ""
        )
        summary.note = (
            f"checked in place in the store ({info.record.triples or 0:,} triples), with the "
            f"whole store as context{unchecked}"
        )


def build_report(
    store: GraphStore,
    minter: Minter,
    source: str | None = None,
    cache: ReportCache | None = None,
    limit_per_shape: int | None = None,
) -> tuple[Report, Graph]:
    """The report of the store (or of one source graph) and its RDF form; with
    ``limit_per_shape``, at most that many results listed per rule (:meth:`StoreReport.limited`)."""
    assembled = assemble(store, minter, source, cache)
    if limit_per_shape:
        assembled = assembled.limited(limit_per_shape)
    return assembled.report, assembled.graph()


def store_report(
    store: GraphStore,
    minter: Minter,
    source: str | None = None,
    limit_per_shape: int | None = None,
) -> tuple[Report, Graph]:
    """Validate the store's graphs (or one of them) against the shapes, per graph, cached."""
    return build_report(store, minter, source, limit_per_shape=limit_per_shape)


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
        "checked": assembled.checked(iri, store),
        "link": focus_link(iri),
    }
