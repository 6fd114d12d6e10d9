"""The ontology and the SHACL shapes at their own addresses (``/ontology``, with its hash terms,
and ``/shapes``): a readable page for browsers, or the RDF by the same content negotiation as
every resource (:mod:`competency_kg.web.resources`); Turtle is the shipped file itself.

Also the page of a property the store uses but describes nothing of (a third-party file's
unlabelled ``ex:hasPart``): how many statements use it, a few of them, by the same negotiation
(:func:`property_use`, tried by the resource pages before their 404).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from competency_kg.namespaces import CKG, ONTOLOGY_IRI
from competency_kg.web.describe import Description, summarize
from competency_kg.web.documents import RDF_FORMATS, serialize
from competency_kg.web.pages.names import complete_labels, display_label
from competency_kg.web.reading import Reader
from competency_kg.web.resources import (
    CACHE,
    FORMAT_LABELS,
    HTML,
    OFFERS,
    SHORT,
    UNDESCRIBED,
    BadFormat,
    choose,
    content_type,
    finish,
    plain,
    render,
    site,
    with_document_headers,
)
from competency_kg.web.sources import licence_name
from competency_kg.web.terms import (
    DOC_PREFIXES,
    compact,
    iri_term,
    iri_value,
    is_iri,
    is_literal,
    literal,
    literal_term,
)
from competency_kg.web.vocabulary import (
    ontology_graph,
    ontology_text,
    shapes_graph,
    shapes_text,
    vocabulary,
)

if TYPE_CHECKING:
    from competency_kg.web.resources import _Document

bp = Blueprint("vocabulary", __name__)


@bp.route("/ontology", methods=["GET", "HEAD"])
def ontology() -> Response:
    """The ontology at its own IRI: a readable page, or the RDF (Turtle is the file itself)."""
    return _vocabulary_document(
        "/ontology",
        turtle=ontology_text,
        page=lambda: render("ontology.html", o=ontology_view(ontology_graph())),
    )


@bp.route("/shapes", methods=["GET", "HEAD"])
def shapes() -> Response:
    """The SHACL shapes the loader checks every source against, as a page or as RDF."""
    return _vocabulary_document(
        "/shapes",
        turtle=lambda: "\n".join(shapes_text().values()),
        page=lambda: render("shapes.html", shapes=shapes_view(shapes_graph())),
    )


def _vocabulary_document(path: str, turtle: Callable[[], str], page: Callable[[], str]) -> Response:
    try:
        mime = choose()
    except BadFormat as exc:
        return plain(400, str(exc))
    if mime is None:
        return plain(406, "available as " + ", ".join(OFFERS))
    s = site()

    def location(short: str) -> str:
        return s.url(f"{path}?format={short}")

    key = ("vocabulary", path, mime, s.server)
    body = CACHE.get(key)
    if body is None:
        if mime == HTML:
            body = page().encode("utf-8")
        elif mime == "text/turtle":
            body = turtle().encode("utf-8")
        else:
            body = _convert_turtle(turtle(), mime)
        CACHE.put(key, body, len(body))
    resp = Response(body, status=200, content_type=content_type(mime))
    return finish(with_document_headers(resp, mime, location))


def _convert_turtle(text: str, mime: str) -> bytes:
    fmt, with_graphs = RDF_FORMATS[mime]
    triples = [q.triple for q in ox.parse(text.encode("utf-8"), ox.RdfFormat.TURTLE)]
    if with_graphs:
        data = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
        return ox.serialize(data, format=fmt, prefixes=DOC_PREFIXES) or b""
    prefixes = DOC_PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
    return ox.serialize(triples, format=fmt, prefixes=prefixes) or b""


def ontology_view(g: object) -> dict[str, object]:
    """The ontology's terms by kind, each with label, comment, domain, range, parents."""
    assert isinstance(g, Graph)
    v = vocabulary()
    onto = URIRef(ONTOLOGY_IRI)
    sections: dict[str, list[dict[str, object]]] = {
        "Classes": [],
        "Object properties": [],
        "Datatype properties": [],
        "Individuals": [],
    }
    kinds = {
        "class": "Classes",
        "object": "Object properties",
        "datatype": "Datatype properties",
        "individual": "Individuals",
    }
    s = site()

    def ref(iri: str) -> dict[str, str]:
        return {"label": compact(iri), "href": s.href(iri, known=False), "title": v.label(iri)}

    for iri, term in sorted(v.terms.items(), key=lambda kv: kv[0].lower()):
        if not iri.startswith(str(CKG)) or term.kind not in kinds:
            continue
        types = [str(t) for t in g.objects(URIRef(iri), RDF.type) if t != OWL.NamedIndividual]
        sections[kinds[term.kind]].append(
            {
                "id": iri[len(str(CKG)) :],
                "iri": iri,
                "curie": compact(iri),
                "label": term.label,
                "comment": term.comment,
                "domain": [ref(x) for x in term.domain],
                "range": [ref(x) for x in term.range],
                "parents": [ref(x) for x in term.parents],
                "types": [ref(x) for x in types if x.startswith(str(CKG))],
                "listing": f"/class/{class_slug(iri)}" if term.kind == "class" else None,
            }
        )
    licences = [str(x) for x in g.objects(onto, URIRef("http://purl.org/dc/terms/license"))]
    return {
        "iri": ONTOLOGY_IRI,
        "title": str(g.value(onto, URIRef("http://purl.org/dc/terms/title")) or "Ontology"),
        "comment": str(g.value(onto, URIRef("http://www.w3.org/2000/01/rdf-schema#comment")) or ""),
        "version": str(g.value(onto, OWL.versionInfo) or ""),
        "licences": [(licence_name(x), x) for x in licences],
        "sections": [(name, items) for name, items in sections.items() if items],
        "triples": len(g),
    }


def class_slug(iri: str) -> str:
    """``ckg:ContentModelElement`` → ``content-model-element``; other classes by CURIE, and a
    class outside every prefix by its whole IRI (``#`` and ``?`` escaped, so the path keeps
    them): ``/class/{slug}`` lists any class (``home.class_for_slug`` reads it back)."""
    if iri.startswith(str(CKG)):
        return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", iri[len(str(CKG)) :]).lower()
    return quote(compact(iri), safe=":/@!$&'()*+,;=~-._")


def shapes_view(g: object) -> list[dict[str, object]]:
    """Node shapes with their property shapes: what each checks, how severe, what it says."""
    assert isinstance(g, Graph)
    sh = "http://www.w3.org/ns/shacl#"
    out = []
    s = site()
    for shape in sorted(g.subjects(RDF.type, URIRef(sh + "NodeShape")), key=str):
        if not isinstance(shape, URIRef):
            continue
        props = []
        for ps in sorted(g.objects(shape, URIRef(sh + "property")), key=str):
            path = g.value(ps, URIRef(sh + "path"))
            severity = g.value(ps, URIRef(sh + "severity"))
            props.append(
                {
                    "id": compact(str(ps)),
                    "name": str(g.value(ps, URIRef(sh + "name")) or ""),
                    "path": compact(str(path)) if isinstance(path, URIRef) else "(a path)",
                    "severity": compact(str(severity)).split(":")[-1] if severity else "Violation",
                    "message": str(g.value(ps, URIRef(sh + "message")) or ""),
                }
            )
        target = g.value(shape, URIRef(sh + "targetClass"))
        out.append(
            {
                "id": str(shape).rsplit("#", 1)[-1],
                "curie": compact(str(shape)),
                "name": str(g.value(shape, URIRef(sh + "name")) or compact(str(shape))),
                "message": str(g.value(shape, URIRef(sh + "message")) or ""),
                "target": compact(str(target)) if target else None,
                "target_href": s.href(str(target), known=False) if target else None,
                "properties": props,
            }
        )
    return out


# --------------------------------------------------------------------------- a property's use
#: Statements a property's page shows (and its RDF document holds) as examples.
PROPERTY_EXAMPLES = 10
RDF_PROPERTY = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#Property>"
_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_VOID = "http://rdfs.org/ns/void#"
_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
_NAME = (
    "(<http://www.w3.org/2004/02/skos/core#prefLabel>|<http://www.w3.org/2000/01/rdf-schema#label>)"
)


def property_use(reader: Reader, iri: str, mime: str, doc: _Document) -> bytes | None:
    """The document of an IRI the store describes nothing of but uses as a property: the
    number of statements using it and a few of them (each in its source graph); None when no
    statement uses it (the 404 stands). Its RDF says no more than the store and RDF's own
    semantics do: a predicate is an ``rdf:Property`` (pattern rdfD2,
    https://www.w3.org/TR/rdf11-mt/#patterns-of-rdf-entailment), and the dataset's VoID
    property partition counts its statements (https://www.w3.org/TR/void/#class-property)."""
    if doc.page > 1:
        return None
    term = iri_term(iri)
    [row] = reader.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s {term} ?o }}")
    n = int(literal(row["n"]).value) if row.get("n") else 0
    if n == 0:
        return None
    # a blank node's label is read with it: its label cannot be put back into a query
    rows = reader.select(
        f"SELECT ?s ?o ?g ?sl ?ol WHERE {{ "
        f"{{ SELECT ?s ?o ?g WHERE {{ GRAPH ?g {{ ?s {term} ?o }} }} LIMIT {PROPERTY_EXAMPLES} }} "
        f"OPTIONAL {{ ?s {_NAME} ?sl FILTER(isBlank(?s)) }} "
        f"OPTIONAL {{ ?o {_NAME} ?ol FILTER(isBlank(?o)) }} }}"
    )
    first: dict[tuple[str, str, str], dict[str, str]] = {}
    for r in rows:  # one row per statement (a blank node with two labels gives two)
        first.setdefault((r["s"], r["o"], r["g"]), r)
    examples = list(first.values())
    if mime != HTML:
        partition = "_:use"
        quads = [
            (term, _TYPE, RDF_PROPERTY, None),
            (iri_term(doc.site.base), f"<{_VOID}propertyPartition>", partition, None),
            (partition, f"<{_VOID}property>", term, None),
            (partition, f"<{_VOID}triples>", literal_term(str(n), datatype=_INTEGER), None),
            *((r["s"], term, r["o"], r["g"]) for r in examples),
        ]  # fmt: skip
        return serialize(quads, mime)
    return _property_page(reader, iri, n, examples, doc).encode("utf-8")


def _property_page(
    reader: Reader, iri: str, n: int, rows: list[dict[str, str]], doc: _Document
) -> str:
    """The page: its name by the site's label rule for properties (the vocabulary's label, or
    its local name where nothing labels it, said as such: the same text as the links to it),
    the count, the examples with their ends named as every page names them."""
    s = doc.site
    v = vocabulary()
    known = iri in v.terms
    nodes = list(dict.fromkeys(t for r in rows for t in (r["s"], r["o"]) if is_iri(t)))
    d = Description(iri="", term="")
    d.summary = summarize(reader, nodes)
    complete_labels(reader, d, nodes)

    def end(t: str, label: str | None) -> dict[str, str | None]:
        if is_literal(t):
            return {"text": literal(t).value, "href": None}
        if not is_iri(t):
            return {"text": literal(label).value if label else "(blank node)", "href": None}
        return {"text": display_label(d, t, v), "href": s.href(iri_value(t))}

    ends = {(r["s"], r["o"]): (end(r["s"], r.get("sl")), end(r["o"], r.get("ol"))) for r in rows}
    return render(
        "property.html",
        iri=iri,
        label=v.label(iri),
        labelled=known,
        count=n,
        examples=[{"s": a, "o": b} for a, b in ends.values()],
        formats=[(FORMAT_LABELS[m], doc.relative(SHORT[m]), m) for m in RDF_FORMATS],
        query=f"SELECT ?s ?o WHERE {{ ?s <{iri}> ?o }} LIMIT 100",
    )


UNDESCRIBED.append(property_use)
