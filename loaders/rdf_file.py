"""Any RDF file (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD) into one graph.

Parsed with Oxigraph's parsers, which never touch the network: a JSON-LD document that names
a remote ``@context`` is refused rather than fetched. RDF/XML with a DOCTYPE is refused before
parsing, so no entity is ever expanded (no XXE, no "billion laughs"); a DOCTYPE quoted in a
CDATA literal or a comment is data, not a declaration. Quads from N-Quads or TriG are merged
into the one named graph the caller chose. A UTF-8 byte order mark is skipped; a token over
the parsers' 16 MiB buffer is one error line naming the place, not a crash.

A file that describes itself (an ``owl:Ontology`` or ``void:Dataset`` with a title, licence or
attribution) is named and credited by that description (:func:`self_description`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, VOID

from competency_kg.loaders.errors import SourceError
from competency_kg.namespaces import CC
from competency_kg.sparql.terms import triples_to_graph

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

#: Where XML markup that is not data may start: a DOCTYPE or ENTITY declaration, or the
#: start of a comment, CDATA section or processing instruction (whose text is skipped).
_XML_MARKUP = re.compile(rb"<!(?i:DOCTYPE|ENTITY)|<!--|<!\[CDATA\[|<\?")
_XML_SKIP_TO = {b"<!--": b"-->", b"<![CDATA[": b"]]>", b"<?": b"?>"}
#: The longest token (IRI, literal, comment) Oxigraph's parsers buffer; longer ones fail.
MAX_TOKEN = 16 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"


def rdf_format_for(path: str | Path) -> ox.RdfFormat | None:
    """The RDF format a file's extension names, or None."""
    return RDF_EXTENSIONS.get(Path(path).suffix.lower())


#: Deeper nesting than this is refused before parsing: Oxigraph's JSON-LD parser overflows its
#: stack on some ten thousand levels, and its RDF/XML parser slows down quadratically.
MAX_NESTING = 500

#: JSON up to the next bracket, whole strings included (possessive: no backtracking state,
#: so no memory per byte); it stops early at a string the chunk does not finish.
_JSON_SKIP = re.compile(rb'(?:[^\[\]{}"]++|"(?:[^"\\]++|\\.)*+")*+')
#: The rest of a string, up to its closing quote or a backslash the chunk cuts off.
_JSON_STRING_REST = re.compile(rb'(?:[^"\\]++|\\.)*+', re.DOTALL)
_XML_TAGS = re.compile(rb"<(/?)[A-Za-z_][^>]*?(/?)>")
_CHUNK = 1 << 20


def json_depth(chunks: Iterable[bytes]) -> int:
    """The deepest nesting of arrays/objects in JSON given as consecutive byte chunks.

    A state machine (in a string or not, after a backslash or not) carried from chunk to
    chunk, whose steps are brackets: strings and everything else between brackets are
    skipped by possessive patterns. Its memory is that of one chunk, whatever the size of
    the document or of its strings (a pattern matching whole strings with backtracking took
    ~120 times the file's size).

    >>> json_depth([b'{"a": [[1], "[[[\\\\"', b'\\"]"]}'])
    3
    """
    depth = deepest = 0
    in_string = escaped = False
    for chunk in chunks:
        i, n = 0, len(chunk)
        if escaped and n:
            i, escaped = 1, False
        while i < n:
            m = (_JSON_STRING_REST if in_string else _JSON_SKIP).match(chunk, i)
            i = m.end() if m else i
            if i >= n:
                break
            c = chunk[i]
            i += 1
            if in_string:
                if c == 0x22:  # the closing quote
                    in_string = False
                else:  # a backslash, the chunk's last byte: the next one is escaped
                    escaped = True
            elif c == 0x22:  # a string this chunk does not finish
                in_string = True
            elif c in (0x5B, 0x7B):  # '[' '{'
                depth += 1
                deepest = max(deepest, depth)
            else:
                depth -= 1
    return deepest


def file_chunks(path: str | Path, size: int = _CHUNK) -> Iterator[bytes]:
    """A file's bytes, one chunk at a time."""
    with open(path, "rb") as f:
        while chunk := f.read(size):
            yield chunk


def nesting_depth(data: bytes, fmt: ox.RdfFormat) -> int:
    """The deepest nesting of JSON arrays/objects or XML elements (strings skipped).

    >>> nesting_depth(b'{"a": [[1], "[[["]}', ox.RdfFormat.JSON_LD)
    3
    """
    if fmt == ox.RdfFormat.JSON_LD:
        view = memoryview(data)
        return json_depth(view[i : i + _CHUNK] for i in range(0, len(data), _CHUNK))
    depth = deepest = 0
    if fmt == ox.RdfFormat.RDF_XML:
        for m in _XML_TAGS.finditer(data):
            if m.group(1):
                depth -= 1
            elif not m.group(2):
                depth += 1
                deepest = max(deepest, depth)
    return deepest


def xml_declaration_at(data: bytes) -> int | None:
    """Where a DOCTYPE or ENTITY declaration starts in XML markup, or None.

    Comments, CDATA sections and processing instructions are text, not markup: a
    ``<!DOCTYPE`` quoted in a CDATA literal is data. Anywhere else it is refused, after the
    root element too (Oxigraph's RDF/XML parser honours a DOCTYPE met inside the root
    element, entities and all, so looking at the prolog alone would not do).

    >>> xml_declaration_at(b'<r><![CDATA[<!DOCTYPE x>]]><!-- <!ENTITY --></r>') is None
    True
    >>> xml_declaration_at(b'<r><!doctype x [<!ENTITY a "b">]></r>')
    3
    """
    pos = 0
    while (m := _XML_MARKUP.search(data, pos)) is not None:
        end = _XML_SKIP_TO.get(m.group(0))
        if end is None:
            return m.start()
        close = data.find(end, m.end())
        if close < 0:  # never closed: the parser stops there with a syntax error
            return None
        pos = close + len(end)
    return None


def check_safe(data: bytes, fmt: ox.RdfFormat, path: str | Path) -> None:
    """Refuse what would make a parser expand entities or fetch anything, or nest too deep."""
    if fmt in (ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML):
        depth = nesting_depth(data, fmt)
        if depth > MAX_NESTING:
            raise SourceError(
                path, None, f"nested {depth} levels deep; more than {MAX_NESTING} is refused"
            )
    if fmt == ox.RdfFormat.RDF_XML and (at := xml_declaration_at(data)) is not None:
        line = data[:at].count(b"\n") + 1
        raise SourceError(
            path,
            f"line {line}",
            "RDF/XML with a DOCTYPE or entity declaration is refused (entities are never expanded)",
        )


class _Tracked(io.BytesIO):
    """The bytes a parser reads, and how far it has read (to place a failure)."""


def parse_rdf_bytes(
    data: bytes, fmt: ox.RdfFormat, path: str | Path, base_iri: str | None = None
) -> Graph:
    """Parse RDF bytes into an rdflib graph, or raise :class:`SourceError` naming the place."""
    data = data.removeprefix(_BOM)  # a UTF-8 byte order mark says only "UTF-8"
    if not data.strip():
        raise SourceError(path, None, "file is empty")
    check_safe(data, fmt, path)
    source = _Tracked(data)
    try:
        quads = ox.parse(source, fmt, base_iri=base_iri)
        triples = [q.triple for q in quads]
    except MemoryError as exc:  # a token over the parser's buffer, e.g. a 17 MB comment line
        start = data[: max(0, source.tell() - MAX_TOKEN)].count(b"\n") + 1
        raise SourceError(
            path,
            f"near line {start}",
            f"not valid {fmt.name}: one token (an IRI, literal or comment) is over the "
            f"{MAX_TOKEN // (1024 * 1024)} MiB a parser takes",
        ) from exc
    except SyntaxError as exc:
        where = f"line {exc.lineno}, column {exc.offset}" if exc.lineno else None
        message = str(exc)
        if "LoadDocumentCallback" in message:
            message = "the JSON-LD names a remote @context, which is never fetched; inline it"
        raise SourceError(path, where, f"not valid {fmt.name}: {message}") from exc
    except ValueError as exc:  # e.g. bad IRIs reported outside the syntax layer
        raise SourceError(path, None, f"not valid {fmt.name}: {exc}") from exc
    try:
        return triples_to_graph(triples)
    except TypeError as exc:  # an RDF-star quoted triple: not part of this graph model
        raise SourceError(path, None, f"unsupported RDF term: {exc}") from exc


def parse_rdf_file(path: str | Path, base_iri: str) -> Graph:
    """Parse an RDF file chosen by its extension; relative IRIs resolve against ``base_iri``
    (the document's own IRI, ``{base}source/{file-stem}``), never against the file's path,
    which would publish a folder of the operator's machine as ``file:///…`` IRIs."""
    p = Path(path)
    fmt = rdf_format_for(p)
    if fmt is None:
        raise SourceError(p, None, f"unknown RDF file extension {p.suffix!r}")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise SourceError(p, None, f"cannot read file: {exc.strerror or exc}") from exc
    return parse_rdf_bytes(data, fmt, p, base_iri=base_iri)


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
