"""RDF terms between rdflib (the loaders' and pages' graphs) and pyoxigraph (the engine), and
terms bound into a query as data.

Conversions go term by term: as fast as a round trip through N-Triples on ordinary data, and
linear where rdflib's N-Triples parser is not. Values are bound with a trailing ``VALUES``
block written by Oxigraph's serializer, not pyoxigraph's ``substitutions=``: a remote store is
sent text, and one way of binding keeps both stores' answers the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

_XSD_STRING = str(XSD.string)


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
    """Convert an Oxigraph term to the equal rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        return Literal(term.value) if dt == _XSD_STRING else Literal(term.value, datatype=dt)
    raise TypeError(f"unsupported term {term!r}")


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """Convert an rdflib term to the equal Oxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


def values_clause(bindings: Mapping[str, Node]) -> str:
    """A trailing ``VALUES`` block that binds variables to terms.

    Terms are written by Oxigraph's own N-Triples serializer, which escapes them, so a value
    is always data and never changes the query's structure (no SPARQL injection).
    """
    names = list(bindings)
    for name in names:
        if not name.isidentifier():
            raise ValueError(f"not a variable name: {name!r}")
    cells = [_term_text(bindings[n]) for n in names]
    return f"VALUES ({' '.join('?' + n for n in names)}) {{ ({' '.join(cells)}) }}"


def _term_text(term: Node) -> str:
    value = to_oxigraph(term)
    if isinstance(value, ox.BlankNode):
        raise ValueError("a blank node cannot be bound from outside a query")
    return str(value)


def triples_to_graph(triples: Iterable[ox.Triple]) -> Graph:
    """Oxigraph triples as an rdflib graph, term by term.

    As fast as a round trip through N-Triples on ordinary data, and linear where rdflib's
    N-Triples parser is not (a 1 MB literal took it 5.7 s). Raises TypeError for RDF-star.
    """
    g = Graph()
    add = g.add
    for t in triples:
        add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return g
