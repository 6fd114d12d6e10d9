"""The ontology and the SHACL shapes at their own addresses (``/ontology``, with its hash terms,
and ``/shapes``): a readable page for browsers, or the RDF by the same content negotiation as
every resource (:mod:`competency_kg.web.resources`); Turtle is the shipped file itself."""

from __future__ import annotations

import re
from collections.abc import Callable

import pyoxigraph as ox
from flask import Blueprint, Response
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from competency_kg.namespaces import CKG, ONTOLOGY_IRI
from competency_kg.web.documents import RDF_FORMATS
from competency_kg.web.resources import (
    CACHE,
    HTML,
    OFFERS,
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
from competency_kg.web.terms import DOC_PREFIXES, compact
from competency_kg.web.vocabulary import (
    ontology_graph,
    ontology_text,
    shapes_graph,
    shapes_text,
    vocabulary,
)

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
    """``ckg:ContentModelElement`` → ``content-model-element``; other classes by CURIE."""
    if iri.startswith(str(CKG)):
        return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", iri[len(str(CKG)) :]).lower()
    return compact(iri)


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
