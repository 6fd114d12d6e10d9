"""Loading sources into the store: read, validate, then replace atomically.

Every source given is read and validated before anything is written; then the big sources are
streamed in one by one, the others and all the descriptions in the metadata graph are replaced
in one store transaction, and the cross-source links are recomputed. A bad file, or a source
whose SHACL report has violations (unless forced), leaves the store exactly as it was. The
writes together are one unit: the embedded store journals its writer session from the first
write until it has published the result (:mod:`competency_kg.store.journal`), so a load killed
between any two of them, or failing halfway, leaves the old data to the next reader and writer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, VOID, XSD
from rdflib.term import Node

from competency_kg.curation import (
    Applied,
    Correction,
    apply_corrections,
    curation_graph,
    missing_retractions,
    read_corrections,
)
from competency_kg.entailment import refresh_entailed
from competency_kg.hash_iris import keep_hash_documents
from competency_kg.iris import Minter
from competency_kg.linking import refresh_links
from competency_kg.loaders import LoadedSource, SourceError, is_source_folder, read_source
from competency_kg.names import slugify
from competency_kg.namespaces import CC, CKG, SCHEMA
from competency_kg.reporting import ReportCache, assemble, read_state, version_drops
from competency_kg.search_labels import keep_search_labels
from competency_kg.stats import record_statistics
from competency_kg.store import DescriptionReplacement, GraphReplacement, GraphStore
from competency_kg.store.faults import stop_point
from competency_kg.validation import Report, Result, validate_graph

Progress = Callable[[str], None]

#: Files in a seeds folder that are not sources.
_SKIP_NAMES = {"readme", "readme.md", "readme.txt", "license", "licence"}


#: The two contexts a load counts results in (docs/curation.md): the document on its own with
#: its corrections, before anything is written; then in the store, as ``validate`` reports it.
ALONE = "in the document alone (corrections applied)"
IN_STORE = "in the store, with the other sources and links as context"


class ValidationFailed(Exception):
    """A source's SHACL report has violations; nothing was stored."""

    def __init__(self, source: LoadedSource, report: Report, context: str = ALONE) -> None:
        self.source = source
        self.report = report
        self.context = context
        super().__init__(
            f"{source.path}: {report.violations} SHACL violation(s) {context}; nothing was "
            "stored (see the report, or pass --force to store it anyway)"
        )


@dataclass
class LoadOutcome:
    source: LoadedSource
    report: Report
    triples: int
    applied: Applied | None = None
    curated: Graph | None = None
    stored: Report | None = None  # its report in the store after the load (``in_store``)


def _stale_corrections(
    store: GraphStore,
    minter: Minter,
    fixes: list[Correction],
    outcomes: list[LoadOutcome],
    say: Progress,
) -> DescriptionReplacement:
    """Record, in the metadata graph, the corrections that matched no source.

    A correction is current when it applied to a source loaded now, or is on record as applied
    to a source graph this load leaves untouched.
    """
    loaded = {o.source.graph_iri for o in outcomes}
    current = {c.iri for o in outcomes if o.applied for c in o.applied.corrections}
    for row in store.select(f"SELECT ?c ?g WHERE {{ GRAPH ?cg {{ ?c <{CKG.appliedTo}> ?g }} }}"):
        if row["g"] not in loaded:
            current.add(row["c"])  # type: ignore[arg-type]
    meta = minter.metadata_graph()
    g = Graph()
    stale = [c for c in fixes if c.iri not in current]
    # what no source states now: the sources read now, and the other graphs (bulk ones are
    # already written; the graphs this load replaces are not asked)
    replaced = {o.source.graph_iri for o in outcomes if o.source.bulk is None}
    not_in = ", ".join(f"<{x}>" for x in sorted({meta, *replaced}))

    def stated(t: tuple[Node, Node, Node]) -> bool:
        if any(t in o.source.graph for o in outcomes if o.source.bulk is None):
            return True
        s, p, o = (x.n3() for x in t)  # type: ignore[attr-defined]
        return store.ask(f"ASK {{ GRAPH ?g {{ {s} {p} {o} }} FILTER (?g NOT IN ({not_in})) }}")

    for c in stale:
        missing = missing_retractions(c, stated)
        gone = f"; no source states {', '.join(missing)}" if missing else ""
        say(f"stale correction <{c.iri}> ({c.path.name}) matches no source: {c.reason}{gone}")
        g.add((meta, CKG.staleCorrection, c.iri))
        g += c.description
        for line in missing:
            g.add((c.iri, CKG.missingRetraction, Literal(line)))
    before = [
        r["c"]
        for r in store.select(
            f"SELECT ?c WHERE {{ GRAPH <{meta}> {{ <{meta}> <{CKG.staleCorrection}> ?c }} }}"
        )
    ]
    subjects = (meta, *(c.iri for c in stale), *before)
    return DescriptionReplacement(meta, tuple(subjects), g)  # type: ignore[arg-type]


def _dropped_since_loaded(
    store: GraphStore, minter: Minter, src: LoadedSource, curated: Graph
) -> list[Result]:
    """Levels or statements the version this load replaces (or another version) had: warnings
    only the store can tell, before the write replaces it (see ``reporting.version_drops``)."""
    if not any(True for _ in src.graph.subjects(CKG.proficiencyScale, None)):
        return []
    state = read_state(store, minter)
    return version_drops(store, state, str(src.graph_iri), src.graph + curated, replacing=True)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files to load: each file given, and the files directly inside each folder given."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir() and is_source_folder(p):  # an O*NET release is one source, read whole
            out.extend(_release_folders(p))
        elif p.is_dir():
            for child in sorted(p.iterdir()):
                if child.is_dir() and is_source_folder(child):
                    out.extend(_release_folders(child))
                elif (
                    child.is_file()
                    and not child.name.startswith(".")
                    and (child.name.lower() not in _SKIP_NAMES)
                ):
                    out.append(child)
        elif p.exists():
            out.append(p)
        else:
            raise SourceError(p, None, "no such file or folder")
    return out


def _release_folders(folder: Path) -> list[Path]:
    """A release folder and the release folders inside it (its Excel ratings, say)."""
    return [folder, *(c for c in sorted(folder.iterdir()) if c.is_dir() and is_source_folder(c))]


def describe_source(src: LoadedSource, triples: int, when: datetime, minter: Minter) -> Graph:
    """The metadata graph's description of one source graph and its file (VoID, PROV).

    Graph and document carry the document's own title (``dcterms:title``) and the licence and
    attribution it states for itself, nothing more; the file name is ``ckg:fileName``. Each
    source it names is a ``dcterms:source`` of the document, with the licence stated for it.
    """
    g = Graph()
    gi, doc = src.graph_iri, src.document_iri
    title = Literal(src.display_title)
    g.add((gi, RDF.type, CKG.SourceGraph))
    g.add((gi, RDF.type, VOID.Dataset))
    g.add((gi, DCTERMS.title, title))
    g.add((gi, DCTERMS.source, doc))
    g.add((gi, CKG.loader, Literal(src.loader)))
    g.add((gi, PROV.generatedAtTime, Literal(when.isoformat(), datatype=XSD.dateTime)))
    g.add((gi, VOID.triples, Literal(triples, datatype=XSD.integer)))
    g.add((gi, PROV.wasDerivedFrom, doc))
    g.add((doc, RDF.type, CKG.SourceDocument))
    g.add((doc, DCTERMS.title, title))
    g.add((doc, CKG.fileName, Literal(src.file_name)))
    g.add((doc, CKG.checksum, Literal(src.checksum)))
    for lic in src.licences:
        g.add((gi, DCTERMS.license, lic))
        g.add((doc, DCTERMS.license, lic))
    if src.attribution:
        g.add((gi, CC.attributionName, Literal(src.attribution)))
        g.add((doc, CC.attributionName, Literal(src.attribution)))
    for cited in src.cites:
        node = cited_source_iri(src, cited.key, minter)
        g.add((doc, DCTERMS.source, node))
        g.add((node, RDF.type, CKG.SourceReference))
        g.add((node, DCTERMS.title, Literal(cited.title)))
        g.add((node, CKG.sourceKey, Literal(cited.key)))
        for lic in cited.licences:
            g.add((node, DCTERMS.license, lic))
        if cited.url:
            g.add((node, SCHEMA.url, Literal(cited.url, datatype=XSD.anyURI)))
    if src.metadata is not None:
        g += src.metadata
    return g


def cited_source_iri(src: LoadedSource, key: str, minter: Minter) -> URIRef:
    """Where the metadata graph describes a source the document names: under the document."""
    return minter.under(src.document_iri, "cites", slugify(key))


def _source_description(
    store: GraphStore, src: LoadedSource, triples: int, when: datetime, minter: Minter
) -> DescriptionReplacement:
    """The replacement of a source's description, dropping the sources it named before too."""
    meta = minter.metadata_graph()
    before = [
        r["c"]
        for r in store.select(
            f"SELECT ?c WHERE {{ GRAPH <{meta}> {{ <{src.document_iri}> <{DCTERMS.source}> ?c }} }}"
        )
    ]
    cited = [cited_source_iri(src, c.key, minter) for c in src.cites]
    curation = minter.curation_graph(src.source_id)
    described = describe_source(src, triples, when, minter)
    # the curation graph beside it is named after the source it corrects (pages, SPARQL)
    if src.bulk is None:  # bulk sources take no corrections
        described.add((curation, DCTERMS.title, Literal(f"Corrections to {src.display_title}")))
        described.add((curation, PROV.wasDerivedFrom, src.graph_iri))
    return DescriptionReplacement(
        meta,
        (src.graph_iri, src.document_iri, curation, *cited, *before),  # type: ignore[arg-type]
        described,
    )


def load_paths(
    store: GraphStore,
    paths: Iterable[str | Path],
    minter: Minter,
    *,
    graph_iri: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
    corrections: list[Path] | None = None,
    in_store: bool = False,
) -> list[LoadOutcome]:
    """Read, correct, validate and store sources; all or nothing.

    Corrections come from ``corrections`` folders, else from ``curation/`` inside each folder
    loaded (``seeds/curation/``); see :mod:`competency_kg.curation`. Raises
    :class:`SourceError` for unreadable input and :class:`ValidationFailed` for a source with
    SHACL violations (unless ``force``); in both cases the store is unchanged.

    With ``in_store``, each source is then reported as ``validate`` reports it, with the other
    sources and the new links as context (:attr:`LoadOutcome.stored`): the count that agrees
    with ``validate`` and ``/validation``. Violations that only show in the store (a conflict
    with another source) stop the load too, unless ``force``: raised before the store publishes
    the load, so the embedded store rolls it back (a remote store cannot: it keeps the data,
    and the command still exits 1).
    """
    say = progress or (lambda _msg: None)
    paths = list(paths)
    folders = (
        corrections
        if corrections is not None
        else [Path(p) / "curation" for p in paths if Path(p).is_dir()]
    )
    fixes = [c for folder in folders for c in read_corrections(Path(folder), minter)]
    if fixes:
        say(f"{len(fixes)} correction(s) from {', '.join(map(str, folders))}")
    files = expand_paths(paths)
    if not files:
        raise SourceError(", ".join(str(p) for p in paths), None, "no source files found")
    if graph_iri and len(files) != 1:
        raise SourceError(", ".join(map(str, files)), None, "--graph takes exactly one file")
    outcomes = [
        _read_and_check(store, f, f"[{n}/{len(files)}]", minter, graph_iri, fixes, force, say)
        for n, f in enumerate(files, start=1)
    ]
    _store_sources(store, minter, outcomes, fixes, say)
    refresh_links(store, minter, say)
    stop_point("links-stored")
    refresh_entailed(store, minter, say)  # after the links: it reads them too
    stop_point("entailed-stored")
    if in_store:
        _report_in_store(store, minter, outcomes, force, say)
    # the figures pages show, counted once here rather than on a visitor's first fetch
    figures = record_statistics(store, minter)
    stop_point("statistics-stored")
    say(f"counted {figures.statements:,} statements in {len(figures.graph_quads)} graph(s)")
    # what the pages need, kept for the version this load publishes, so that a fresh server
    # neither scans for it nor builds it (seconds each on the whole O*NET release)
    docs = keep_hash_documents(store, minter)
    labels = keep_search_labels(store)
    say(f"kept for the pages: the hash IRIs of {len(docs)} document(s), {labels:,} labels")
    store.optimize()
    return outcomes


def _read_and_check(
    store: GraphStore,
    f: Path,
    step: str,
    minter: Minter,
    graph_iri: str | None,
    fixes: list[Correction],
    force: bool,
    say: Progress,
) -> LoadOutcome:
    """One source read, corrected and checked alone (:class:`ValidationFailed` on a violation
    unless ``force``); a big source is checked as it streams (``loaders/onet/``)."""
    say(f"{step} reading {f}")
    src = read_source(f, minter, graph_iri=graph_iri, progress=say)
    if src.bulk is not None:  # a big source: checks that scale (loaders/onet/), streamed
        report = src.bulk.validate()
        say(
            f"{step} {src.loader}: {src.bulk.triples:,} triples → "
            f"<{src.graph_iri}>; load-time checks (every row, SHACL over a sample): "
            f"{report.violations} violation(s), {report.warnings} warning(s)"
        )
        if report.violations and not force:
            raise ValidationFailed(src, report)
        return LoadOutcome(src, report, src.bulk.triples)
    src.graph, applied = apply_corrections(src.graph, src.graph_iri, fixes)
    curated = curation_graph(applied)
    report, _ = validate_graph(src.graph + curated, {})
    report.results += _dropped_since_loaded(store, minter, src, curated)
    fixed = f", {len(applied.corrections)} correction(s)" if applied.corrections else ""
    say(
        f"{step} {src.loader}: {len(src.graph)} triples → <{src.graph_iri}>"
        f"{fixed}; {ALONE}: {report.violations} violation(s), {report.warnings} warning(s)"
    )
    if report.violations and not force:
        raise ValidationFailed(src, report)
    return LoadOutcome(src, report, len(src.graph), applied, curated)


def _store_sources(
    store: GraphStore,
    minter: Minter,
    outcomes: list[LoadOutcome],
    fixes: list[Correction],
    say: Progress,
) -> None:
    """Big sources streamed in first, one at a time (the store's journal spans them all),
    then the others, their curation graphs and every description in one replacement."""
    when = datetime.now(UTC).replace(microsecond=0)
    streamed = 0
    for o in outcomes:  # big sources first, each streamed in (the store's journal spans them all)
        if o.source.bulk is not None:
            say(f"storing {o.triples:,} triples in <{o.source.graph_iri}>")
            store.bulk_replace(
                o.source.graph_iri,
                o.source.bulk.ntriples,
                [_source_description(store, o.source, o.triples, when, minter)],
            )
            o.source.bulk.close()
            streamed += 1
            stop_point(f"stored-{streamed}")
    replacements = []
    for o in outcomes:
        if o.source.bulk is not None:
            continue
        replacements.append(GraphReplacement(o.source.graph_iri, o.source.graph))
        replacements.append(
            GraphReplacement(minter.curation_graph(o.source.source_id), o.curated or None)
        )
    descriptions = [
        _source_description(store, o.source, o.triples, when, minter)
        for o in outcomes
        if o.source.bulk is None
    ]
    descriptions.append(_stale_corrections(store, minter, fixes, outcomes, say))
    store.replace_graphs(replacements, descriptions)
    stop_point("sources-stored")
    say(f"stored {sum(o.triples for o in outcomes)} triples from {len(outcomes)} source(s)")


def _report_in_store(
    store: GraphStore, minter: Minter, outcomes: list[LoadOutcome], force: bool, say: Progress
) -> None:
    """Each loaded source's report in the store (what ``validate --source`` prints)."""

    cache = ReportCache()
    for o in outcomes:
        if o.source.bulk is not None:  # minutes of pySHACL: validate computes it on request
            say(
                f"<{o.source.graph_iri}> in the store: competency-kg validate --source "
                f"{o.source.source_id} (a bulk-loaded source: checked on request, not at load)"
            )
            continue
        report = assemble(store, minter, str(o.source.graph_iri), cache).report
        o.stored = report
        summary = report.sources[0] if report.sources else None
        if summary is not None and summary.mode != "validated":
            say(f"<{o.source.graph_iri}> in the store: {summary.note}")
            continue
        say(
            f"<{o.source.graph_iri}> {IN_STORE}: {report.violations} violation(s), "
            f"{report.warnings} warning(s) (competency-kg validate --source "
            f"{o.source.source_id})"
        )
        if report.violations and not force:
            raise ValidationFailed(o.source, report, IN_STORE)


def graph_sources(store: GraphStore, minter: Minter) -> dict[URIRef, URIRef]:
    """Source graph → source document, as the metadata graph records them."""
    rows = store.select(
        f"SELECT ?g ?doc WHERE {{ GRAPH <{minter.metadata_graph()}> {{ "
        f"?g a <{CKG.SourceGraph}> ; <{DCTERMS.source}> ?doc }} }}"
    )
    return {r["g"]: r["doc"] for r in rows}  # type: ignore[misc]
