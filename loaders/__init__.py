"""Loaders: one module per source format, each a function from a file to an rdflib graph.

``read_source`` picks the format: RDF files by extension, the two document formats by
content (a framework JSON export, an occupation-overview text), so a seed needs no special
name. Loaders touch no store; ``competency_kg.loading`` stores what they return.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph, URIRef

from competency_kg.loaders.errors import SourceError, read_text
from competency_kg.loaders.source import BulkGraph, CitedSource, LoadedSource, source_id_for

if TYPE_CHECKING:
    from competency_kg.iris import Minter

# Each loader is imported when read_source needs it: the CLI imports this package for every
# command, and importing all the loaders up front added 0.2-0.35 s to each (measured with
# python -X importtime).

__all__ = [
    "BulkGraph",
    "CitedSource",
    "LoadedSource",
    "SourceError",
    "is_source_folder",
    "read_source",
    "source_id_for",
]


def is_source_folder(path: Path) -> bool:
    """A folder that is one source as a whole (an O*NET database release), not a set of files."""
    from competency_kg.loaders.onet.files import looks_like_onet_release

    return looks_like_onet_release(path)


def _refuse_deep_json(path: Path) -> None:
    """JSON nested deeper than any document format needs is refused before it is parsed;
    the file is read in chunks, so the check's memory does not grow with the file."""
    from competency_kg.loaders.rdf_file import MAX_NESTING, file_chunks, json_depth

    depth = json_depth(file_chunks(path))
    if depth > MAX_NESTING:
        raise SourceError(
            path, None, f"JSON nested {depth} levels deep; more than {MAX_NESTING} is refused"
        )


def _checksum(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_source(
    path: str | Path,
    minter: Minter,
    graph_iri: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> LoadedSource:
    """Read one source file (or source folder) into a graph, detecting its format.

    Raises :class:`SourceError` (naming the file and the place) for anything unreadable.
    """
    p = Path(path)
    if p.is_dir() and is_source_folder(p):
        if graph_iri:
            raise SourceError(p, None, "--graph applies to RDF files only (by extension)")
        from competency_kg.loaders.onet.release import read_onet_release

        return read_onet_release(p, minter, progress=progress)
    if not p.is_file():
        raise SourceError(p, None, "no such file")
    sid = source_id_for(p)
    doc_iri = minter.source_document(sid)
    target = URIRef(graph_iri) if graph_iri else minter.source_graph(sid)
    file = _File(p, sid, doc_iri, target, _checksum(p))
    rdf = _read_rdf(file, minter)
    if rdf is not None:
        return rdf
    if graph_iri:
        raise SourceError(p, None, "--graph applies to RDF files only (by extension)")
    return _read_document(file, minter)


@dataclass(frozen=True)
class _File:
    """A source file and what every loader records of it."""

    path: Path
    sid: str
    doc_iri: URIRef
    target: URIRef
    checksum: str

    def source(
        self,
        loader: str,
        graph: Graph,
        *,
        title: str | None,
        licences: list[URIRef] | None = None,
        attribution: str | None = None,
        cites: list[CitedSource] | None = None,
    ) -> LoadedSource:
        """The one builder of what a file loader returns: the graph it read and what the file
        says of itself, with what every source records (file, ids, graph, checksum)."""
        return LoadedSource(
            self.path,
            self.sid,
            loader,
            graph,
            self.target,
            self.doc_iri,
            self.checksum,
            licences or [],
            attribution,
            title=title,
            cites=cites or [],
        )


def _read_rdf(file: _File, minter: Minter) -> LoadedSource | None:
    """An RDF file by its extension (a CTDL JSON-LD file by its content); None otherwise."""
    from competency_kg.loaders.rdf_file import parse_rdf_file, rdf_format_for, self_description

    p = file.path
    if p.suffix.lower() in (".jsonld", ".json-ld"):
        from competency_kg.loaders.ctdl import looks_like_ctdl, read_ctdl

        _refuse_deep_json(p)
        text = read_text(p)
        if looks_like_ctdl(text):  # its remote CTDL context is replaced by the local copy
            return read_ctdl(p, text, minter, file.target, file.doc_iri, file.checksum)
    if rdf_format_for(p) is None:
        return None
    g = parse_rdf_file(p, base_iri=str(file.doc_iri))
    title, licences, attribution = self_description(g)
    return file.source("rdf", g, title=title, licences=licences, attribution=attribution)


def _read_document(file: _File, minter: Minter) -> LoadedSource:
    """A document format recognised by its content: framework export, CTDL, overview."""
    from competency_kg.loaders.ctdl import looks_like_ctdl, read_ctdl
    from competency_kg.loaders.framework_json import looks_like_framework
    from competency_kg.loaders.overview import looks_like_overview

    p = file.path
    with p.open("rb") as f:  # JSON is checked for depth before it is read whole
        head = f.read(4096).removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith((b"{", b"[")):
        _refuse_deep_json(p)
    text = read_text(p)
    if looks_like_framework(text):
        return _framework_source(file, minter)
    if looks_like_ctdl(text):
        return read_ctdl(p, text, minter, file.target, file.doc_iri, file.checksum)
    if looks_like_overview(text):
        return _overview_source(file, minter)
    if text.lstrip().startswith(("{", "[")):
        raise SourceError(
            p,
            "$",
            "JSON of an unknown schema: expected a framework export with "
            "'schemaVersion' and 'framework'",
        )
    first = text.strip().splitlines()[0][:60]
    raise SourceError(
        p,
        "line 1",
        f"unrecognised document format (starts with {first!r}); expected a "
        "framework JSON export, an occupation-overview text, or an RDF file by extension",
    )


def _framework_source(file: _File, minter: Minter) -> LoadedSource:
    from competency_kg.loaders.framework_json import parse_framework
    from competency_kg.loaders.mapping import cited_sources, framework_title, framework_to_graph

    doc = parse_framework(file.path)
    # The export states no licence for itself: its sources' licences stay theirs.
    return file.source(
        "framework-json",
        framework_to_graph(doc, minter, file.doc_iri),
        title=framework_title(doc),
        attribution=doc.attribution,
        cites=cited_sources(doc),
    )


def _overview_source(file: _File, minter: Minter) -> LoadedSource:
    from competency_kg.loaders.mapping import overview_to_graph
    from competency_kg.loaders.overview import parse_overview

    overview = parse_overview(file.path)
    return file.source(
        "overview-text", overview_to_graph(overview, minter, file.doc_iri), title=overview.heading
    )
