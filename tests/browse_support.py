"""Helpers for the browsing tests (constants, HTTP, parsing); the fixtures built on them live
in ``browse_fixture`` (a plugin module).
"""

from __future__ import annotations

import gzip
import warnings

from rdflib import Dataset, Graph
from sparql_support import Server, fetch

BASE = "https://w3id.org/competency-kg/"
OTHER_BASE = "http://kg.example.org/data/"
TRICKY_GRAPH = BASE + "graph/tricky"

#: A small RDF file with what sources may throw at the pages: markup in labels, nested blank
#: nodes, a resource only ever used as an object, an IRI outside the base with data.
TRICKY_TTL = """\
@prefix ex:   <https://w3id.org/competency-kg/test/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .

ex:tricky a ex:Gadget ;
    skos:prefLabel "<script>alert('label')</script> & \\"quotes\\" </script><b>bold</b>"@en ;
    skos:definition "A definition with <em>markup</em> and a line\\nbreak."@en ;
    ex:hasPart [ rdfs:label "outer part" ;
                 ex:hasPart [ rdfs:label "inner part" ; ex:weight 3 ] ] ;
    skos:broader ex:only-an-object ;
    skos:related <http://example.org/elsewhere/thing> ;
    skos:exactMatch <javascript:alert('iri')> ;
    <javascript:alert('property')> <data:text/html,%3Cscript%3Ealert(1)%3C/script%3E> .

<http://example.org/elsewhere/thing> rdfs:label "A thing outside the base" ;
    dcterms:description "Described here, though its IRI is not ours." .
"""

FORMAT_PARSERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}
RDF_MIMES = list(FORMAT_PARSERS)


def parse(body: bytes, mime: str, public_id: str = "http://x.test/") -> Graph:
    """Every triple of a response (quad formats: of all its graphs) as one rdflib graph."""
    fmt = FORMAT_PARSERS[mime]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if fmt in ("trig", "nquads"):
            ds = Dataset()
            ds.parse(data=body, format=fmt, publicID=public_id)
            g = Graph()
            for s, p, o, _ in ds.quads((None, None, None, None)):
                g.add((s, p, o))
            return g
        return Graph().parse(data=body, format=fmt, publicID=public_id)


def gunzip(data: bytes) -> bytes:
    return gzip.decompress(data)


def get(server: Server, path: str, accept: str | None = None, **kwargs: object):
    headers = dict(kwargs.pop("headers", {}) or {})  # type: ignore[arg-type]
    if accept is not None:
        headers["Accept"] = accept
    return fetch(server.url, path, headers=headers, **kwargs)  # type: ignore[arg-type]


def local_path(iri: str, base: str = BASE) -> str:
    """The path a client asks for to dereference ``iri`` (a hash IRI: its document's)."""
    assert iri.startswith(base), iri
    return "/" + iri[len(base) :].split("#", 1)[0]
