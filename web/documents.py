"""A description as an RDF document: its quads (own triples, inverse links, summaries,
paging, sources) written in every RDF format through Oxigraph."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS

from competency_kg.namespaces import CC, HYDRA
from competency_kg.web.describe import Description
from competency_kg.web.sources import Source
from competency_kg.web.terms import (
    DOC_PREFIXES,
    LABEL_PROPS,
    NOTATION,
    TYPE,
    int_term,
    iri_term,
    iri_value,
    is_iri,
    literal_term,
)

Quad = tuple[str, str, str, str | None]

#: Media type → (Oxigraph format, carries graphs).
RDF_FORMATS: dict[str, tuple[ox.RdfFormat, bool]] = {
    "text/turtle": (ox.RdfFormat.TURTLE, False),
    "application/ld+json": (ox.RdfFormat.JSON_LD, False),
    "application/rdf+xml": (ox.RdfFormat.RDF_XML, False),
    "application/n-triples": (ox.RdfFormat.N_TRIPLES, False),
    "application/trig": (ox.RdfFormat.TRIG, True),
    "application/n-quads": (ox.RdfFormat.N_QUADS, True),
}

CONTENT_TYPES: dict[str, str] = {
    "text/turtle": "text/turtle; charset=utf-8",
    "application/ld+json": "application/ld+json",
    "application/rdf+xml": "application/rdf+xml",
    "application/n-triples": "application/n-triples",
    "application/trig": "application/trig; charset=utf-8",
    "application/n-quads": "application/n-quads",
}


class NotWritable(ValueError):
    """The description cannot be written in the format asked for (RDF/XML's limits)."""


#: RDF/XML writes a property as an XML element: its IRI must end in an XML name.
_XML_NAME_END = re.compile(r"[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*$")


def serialize(quads: Iterable[Quad], mime: str) -> bytes:
    """Write quads (N-Triples terms; graph None = default graph) in an RDF format.

    Triple formats get each distinct triple once, whatever graphs state it; quad formats
    keep one quad per graph. Everything goes through Oxigraph's parser and serializers, so a
    format never changes the triples.
    """
    fmt, with_graphs = RDF_FORMATS[mime]
    lines: dict[str, None] = {}
    if with_graphs:
        for s, p, o, g in quads:
            lines[f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n"] = None
        text = "".join(lines)
        parsed = list(ox.parse(text.encode("utf-8"), ox.RdfFormat.N_QUADS))
        prefixes = _prefixes(fmt, text)
        return ox.serialize(_grouped_quads(parsed), format=fmt, prefixes=prefixes) or b""
    predicates: set[str] = set()
    for s, p, o, _ in quads:
        lines[f"{s} {p} {o} .\n"] = None
        predicates.add(p)
    if fmt == ox.RdfFormat.RDF_XML:
        for p in sorted(predicates):
            if not _XML_NAME_END.search(iri_value(p)):
                raise NotWritable(
                    f"RDF/XML cannot write the property {p} (its IRI does not end in an XML "
                    "name); ask for Turtle, JSON-LD or N-Triples"
                )
    text = "".join(lines)
    triples = list(ox.parse(text.encode("utf-8"), ox.RdfFormat.N_TRIPLES))
    body = ox.serialize(triples, format=fmt, prefixes=_prefixes(fmt, text)) or b""
    if fmt == ox.RdfFormat.JSON_LD:
        return compact_jsonld(body, DOC_PREFIXES)
    return body


_RDF_TYPE = str(RDF.type)


def _all_iris(values: list[Any]) -> bool:
    """Whether every value is a reference to an IRI node (``rdf:type`` can then be ``@type``)."""
    return all(
        isinstance(v, dict) and set(v) == {"@id"} and not v["@id"].startswith("_:") for v in values
    )


def compact_jsonld(expanded: bytes, prefixes: dict[str, str]) -> bytes:
    """Expanded JSON-LD (what Oxigraph writes) with a ``@context`` of the prefixes it uses,
    compact IRIs (JSON-LD 1.1 §4.1.5) for properties, types and node references, and
    ``rdf:type`` written as ``@type``.

    Only names change, never the triples: every ``prefix:local`` expands back to the same IRI
    through the context, which is inline (nothing to fetch).

    >>> doc = b'[{"@id": "http://x.org/a", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type":'
    >>> doc += b' [{"@id": "http://x.org/T"}],'
    >>> doc += b' "http://x.org/p": [{"@id": "http://x.org/b"}, {"@value": "1"}]}]'
    >>> print(compact_jsonld(doc, {"x": "http://x.org/"}).decode())
    {"@context":{"x":"http://x.org/"},"@graph":[{"@id":"x:a","@type":["x:T"],"x:p":[{"@id":"x:b"},{"@value":"1"}]}]}
    """
    ordered = sorted(prefixes.items(), key=lambda kv: -len(kv[1]))
    used: dict[str, str] = {}

    def curie(iri: str) -> str:
        for prefix, ns in ordered:
            if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns) :].startswith("//"):
                used[prefix] = ns
                return f"{prefix}:{iri[len(ns) :]}"
        return iri

    def value(v: dict[str, Any]) -> dict[str, Any]:
        if "@value" in v:
            return {k: curie(x) if k == "@type" else x for k, x in v.items()}
        return node(v)

    def node(n: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, v in n.items():
            if key == "@id":
                out[key] = curie(v)
            elif key == "@type" or (key == _RDF_TYPE and _all_iris(v)):
                types = [t["@id"] if isinstance(t, dict) else t for t in v]
                out["@type"] = out.get("@type", []) + [curie(t) for t in types]
            elif key.startswith("@"):
                out[key] = v
            else:
                out[curie(key)] = [value(x) for x in v]
        return out

    nodes = [node(n) for n in json.loads(expanded)]
    doc = {"@context": dict(sorted(used.items())), "@graph": nodes}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _grouped_quads(quads: list[ox.Quad]) -> list[ox.Quad]:
    """Quads ordered graph by graph (TriG writes one block per run of a graph)."""
    order: dict[Any, int] = {}
    for q in quads:
        order.setdefault(q.graph_name, len(order))
    return sorted(quads, key=lambda q: order[q.graph_name])


def _prefixes(fmt: ox.RdfFormat, text: str) -> dict[str, str] | None:
    """The document prefixes the text uses (N-Triples, N-Quads and JSON-LD have none)."""
    if fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS, ox.RdfFormat.JSON_LD):
        return None
    return {p: ns for p, ns in DOC_PREFIXES.items() if "<" + ns in text}


def description_quads(
    d: Description,
    doc_url: Callable[[int], str],
    collection: str,
    sources: dict[str, Source],
    metadata_graph: str,
) -> list[Quad]:
    """The quads of a description document (see the README's "What a resource's RDF holds").

    ``doc_url(n)`` is the address of page ``n`` of the document on this server and
    ``collection`` the IRI of the collection of inverse links (hydra).
    """
    out: list[Quad] = []
    # own triples, then the closure, subject by subject
    order = {n: i for i, n in enumerate(d.nodes)}
    by_subject: dict[str, list[tuple[str, str, set[str]]]] = defaultdict(list)
    for (s, p, o), gs in d.triples.items():
        by_subject[s].append((p, o, gs))
    for s in sorted(by_subject, key=lambda n: order.get(n, len(order))):
        for p, o, gs in sorted(by_subject[s], key=lambda x: (_prop_rank(x[0]), x[0], x[1])):
            out.extend((s, p, o, g) for g in sorted(gs))
    # the inverse links of this page
    for (s, p), gs in d.inverse.items():
        out.extend((s, p, d.term, g) for g in sorted(gs))
    # labels, types … of what it links to
    linked: set[str] = {o for (_, _, o) in d.triples if is_iri(o)} | {s for s, _ in d.inverse}
    linked.update(d.skipped)
    for x in sorted(d.summary):
        if x in linked:
            for p, v, g in d.summary[x]:
                out.append((x, p, v, g))
    out.extend(paging_quads(d, doc_url, collection))
    out.extend(source_quads(d, doc_url(d.page), sources, metadata_graph))
    return out


def paging_quads(d: Description, doc_url: Callable[[int], str], collection: str) -> list[Quad]:
    """The document, its place among the pages, and the counts of inverse links (hydra)."""
    h = str(HYDRA)
    doc = iri_term(doc_url(d.page))
    coll = iri_term(collection)
    q: list[Quad] = [
        (doc, TYPE, f"<{FOAF.Document}>", None),
        (doc, TYPE, f"<{h}PartialCollectionView>", None),
        (doc, f"<{FOAF.primaryTopic}>", d.term, None),
        (coll, TYPE, f"<{h}Collection>", None),
        (coll, f"<{RDFS.label}>", literal_term("resources linking to this one", "en"), None),
        (coll, f"<{h}manages>", iri_term(collection + "-block"), None),
        (iri_term(collection + "-block"), f"<{h}object>", d.term, None),
        (coll, f"<{h}totalItems>", int_term(d.inverse_total), None),
        (coll, f"<{h}view>", doc, None),
        (doc, f"<{h}first>", iri_term(doc_url(1)), None),
        (doc, f"<{h}last>", iri_term(doc_url(d.pages)), None),
        (doc, f"<{HYDRA.itemsPerPage}>", int_term(d.page_size), None),
    ]
    if d.page > 1:
        q.append((doc, f"<{h}previous>", iri_term(doc_url(d.page - 1)), None))
    if d.page < d.pages:
        q.append((doc, f"<{h}next>", iri_term(doc_url(d.page + 1)), None))
    for i, (p, n) in enumerate(d.inverse_counts.items(), start=1):
        part = iri_term(f"{collection}-{i}")
        block = iri_term(f"{collection}-{i}-block")
        q += [
            (coll, f"<{h}member>", part, None),
            (part, TYPE, f"<{h}Collection>", None),
            (part, f"<{h}manages>", block, None),
            (block, f"<{h}property>", p, None),
            (block, f"<{h}object>", d.term, None),
            (part, f"<{h}totalItems>", int_term(n), None),
        ]
    return q


def source_quads(
    d: Description, doc: str, sources: dict[str, Source], metadata_graph: str
) -> list[Quad]:
    """Which graphs the document's facts come from, with their licence and attribution."""
    out: list[Quad] = []
    meta = iri_term(metadata_graph)
    for g in sorted(d.graphs):
        src = sources.get(iri_value(g)) if is_iri(g) else None
        out.append((iri_term(doc), f"<{DCTERMS.source}>", g, None))
        if src is None:
            continue
        if src.title:
            out.append((g, f"<{DCTERMS.title}>", literal_term(src.title), meta))
        for lic in src.licences:
            out.append((g, f"<{DCTERMS.license}>", iri_term(lic), meta))
        if src.attribution:
            out.append((g, f"<{CC.attributionName}>", literal_term(src.attribution), meta))
    return out


_PROP_ORDER = {
    TYPE: 0,
    **{p: 1 + i for i, p in enumerate(LABEL_PROPS)},
    NOTATION: 10,
    f"<{SKOS.definition}>": 11,
}


def _prop_rank(p: str) -> int:
    return _PROP_ORDER.get(p, 50)
