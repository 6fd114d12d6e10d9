"""Any RDF file (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD) into one graph.

Parsed with Oxigraph's parsers, which never touch the network: a JSON-LD document that names
a remote ``@context`` is refused rather than fetched. RDF/XML with a DOCTYPE is refused before
parsing, so no entity is ever expanded (no XXE, no "billion laughs"). Quads from N-Quads or
TriG are merged into the one named graph the caller chose.

A file that describes itself (an ``owl:Ontology`` or ``void:Dataset`` with a title, licence or
attribution) is named and credited by that description (:func:`self_description`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, VOID

from competency_kg.loaders.errors import SourceError
from competency_kg.namespaces import CC

#: File extension → (Oxigraph format, media type).
RDF_EXTENSIONS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ntriples": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".nquads": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json-ld": ox.RdfFormat.JSON_LD,
}

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)


def rdf_format_for(path: str | Path) -> ox.RdfFormat | None:
    """The RDF format a file's extension names, or None."""
    return RDF_EXTENSIONS.get(Path(path).suffix.lower())


#: Deeper nesting than this is refused before parsing: Oxigraph's JSON-LD parser overflows its
#: stack on some ten thousand levels, and its RDF/XML parser slows down quadratically.
MAX_NESTING = 500

_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_XML_TAGS = re.compile(rb"<(/?)[A-Za-z_][^>]*?(/?)>")


def nesting_depth(data: bytes, fmt: ox.RdfFormat) -> int:
    """The deepest nesting of JSON arrays/objects or XML elements (strings skipped).

    >>> nesting_depth(b'{"a": [[1], "[[["]}', ox.RdfFormat.JSON_LD)
    3
    """
    depth = deepest = 0
    if fmt == ox.RdfFormat.JSON_LD:
        for m in _JSON_TOKENS.finditer(data):
            tok = m.group(0)
            if tok in (b"[", b"{"):
                depth += 1
                deepest = max(deepest, depth)
            elif tok in (b"]", b"}"):
                depth -= 1
    elif fmt == ox.RdfFormat.RDF_XML:
        for m in _XML_TAGS.finditer(data):
            if m.group(1):
                depth -= 1
            elif not m.group(2):
                depth += 1
                deepest = max(deepest, depth)
    return deepest


def check_safe(data: bytes, fmt: ox.RdfFormat, path: str | Path) -> None:
    """Refuse what would make a parser expand entities or fetch anything, or nest too deep."""
    if fmt in (ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML):
        depth = nesting_depth(data, fmt)
        if depth > MAX_NESTING:
            raise SourceError(
                path, None, f"nested {depth} levels deep; more than {MAX_NESTING} is refused"
            )
    if fmt == ox.RdfFormat.RDF_XML and (_DOCTYPE.search(data) or _ENTITY.search(data)):
        line = data[: (_DOCTYPE.search(data) or _ENTITY.search(data)).start()].count(b"\n") + 1
        raise SourceError(
            path,
            f"line {line}",
            "RDF/XML with a DOCTYPE or entity declaration is refused (entities are never expanded)",
        )


def parse_rdf_bytes(
    data: bytes, fmt: ox.RdfFormat, path: str | Path, base_iri: str | None = None
) -> Graph:
    """Parse RDF bytes into an rdflib graph, or raise :class:`SourceError` naming the place."""
    if not data.strip():
        raise SourceError(path, None, "file is empty")
    check_safe(data, fmt, path)
    try:
        quads = ox.parse(data, fmt, base_iri=base_iri)
        triples = [q.triple for q in quads]
    except SyntaxError as exc:
        where = f"line {exc.lineno}, column {exc.offset}" if exc.lineno else None
        message = str(exc)
        if "LoadDocumentCallback" in message:
            message = "the JSON-LD names a remote @context, which is never fetched; inline it"
        raise SourceError(path, where, f"not valid {fmt.name}: {message}") from exc
    except ValueError as exc:  # e.g. bad IRIs reported outside the syntax layer
        raise SourceError(path, None, f"not valid {fmt.name}: {exc}") from exc
    from competency_kg.store.embedded import triples_to_graph

    try:
        return triples_to_graph(triples)
    except TypeError as exc:  # an RDF-star quoted triple: not part of this graph model
        raise SourceError(path, None, f"unsupported RDF term: {exc}") from exc


def parse_rdf_file(path: str | Path, base_iri: str | None = None) -> Graph:
    """Parse an RDF file chosen by its extension."""
    p = Path(path)
    fmt = rdf_format_for(p)
    if fmt is None:
        raise SourceError(p, None, f"unknown RDF file extension {p.suffix!r}")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise SourceError(p, None, f"cannot read file: {exc.strerror or exc}") from exc
    return parse_rdf_bytes(data, fmt, p, base_iri=base_iri or p.resolve().as_uri())


def _english_first(values: list[Literal]) -> str | None:
    ranked = sorted(values, key=lambda v: (not (v.language or "en").startswith("en"), str(v)))
    return " ".join(str(ranked[0]).split()) if ranked else None


def self_description(g: Graph) -> tuple[str | None, list[URIRef], str | None]:
    """What the file says of itself: (title, licences, attribution).

    Read from the ``owl:Ontology`` or ``void:Dataset`` it declares (``dcterms:title``, else
    ``rdfs:label``; ``dcterms:license`` or ``cc:license``; ``cc:attributionName``). A file that
    declares none gets no title (its file name stands in) and no licence: nothing is guessed.
    """
    nodes = sorted(
        {s for cls in (OWL.Ontology, VOID.Dataset) for s in g.subjects(RDF.type, cls)}, key=str
    )
    title: str | None = None
    licences: set[URIRef] = set()
    attribution: str | None = None
    for node in nodes:
        for prop in (DCTERMS.title, RDFS.label):
            found = [o for o in g.objects(node, prop) if isinstance(o, Literal)]
            title = title or _english_first(found)
        for prop in (DCTERMS.license, CC.license):
            licences.update(o for o in g.objects(node, prop) if isinstance(o, URIRef))
        found = [o for o in g.objects(node, CC.attributionName) if isinstance(o, Literal)]
        attribution = attribution or _english_first(found)
    return title, sorted(licences, key=str), attribution
