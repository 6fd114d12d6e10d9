"""Loaders: one module per source format, each a function from a file to an rdflib graph.

``read_source`` picks the format: RDF files by extension, the two document formats by
content (a framework JSON export, an occupation-overview text), so a seed needs no special
name. Loaders touch no store; ``competency_kg.loading`` stores what they return.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import URIRef

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
    from competency_kg.loaders.rdf_file import parse_rdf_file, rdf_format_for

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
    checksum = _checksum(p)

    if p.suffix.lower() in (".jsonld", ".json-ld"):
        from competency_kg.loaders.ctdl import looks_like_ctdl, read_ctdl

        _refuse_deep_json(p)
        text = read_text(p)
        if looks_like_ctdl(text):  # its remote CTDL context is replaced by the local copy
            return read_ctdl(p, text, minter, target, doc_iri, checksum)
    if rdf_format_for(p) is not None:
        from competency_kg.loaders.rdf_file import self_description

        g = parse_rdf_file(p, base_iri=str(doc_iri))
        title, licences, attribution = self_description(g)
        return LoadedSource(
            p, sid, "rdf", g, target, doc_iri, checksum, licences, attribution, title=title
        )
    if graph_iri:
        raise SourceError(p, None, "--graph applies to RDF files only (by extension)")

    with p.open("rb") as f:  # JSON is checked for depth before it is read whole
        head = f.read(4096).removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith((b"{", b"[")):
        _refuse_deep_json(p)
    text = read_text(p)
    from competency_kg.loaders.framework_json import looks_like_framework, parse_framework
    from competency_kg.loaders.mapping import (
        cited_sources,
        framework_title,
        framework_to_graph,
        overview_to_graph,
    )
    from competency_kg.loaders.overview import looks_like_overview, parse_overview

    if looks_like_framework(text):
        doc = parse_framework(p)
        # The export states no licence for itself: its sources' licences stay theirs.
        return LoadedSource(
            p,
            sid,
            "framework-json",
            framework_to_graph(doc, minter, doc_iri),
            target,
            doc_iri,
            checksum,
            [],
            doc.attribution,
            title=framework_title(doc),
            cites=cited_sources(doc),
        )
    from competency_kg.loaders.ctdl import looks_like_ctdl, read_ctdl

    if looks_like_ctdl(text):
        return read_ctdl(p, text, minter, target, doc_iri, checksum)
    if looks_like_overview(text):
        overview = parse_overview(p)
        return LoadedSource(
            p,
            sid,
            "overview-text",
            overview_to_graph(overview, minter, doc_iri),
            target,
            doc_iri,
            checksum,
            title=overview.heading,
        )
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
