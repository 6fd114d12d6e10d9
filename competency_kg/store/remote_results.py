"""What a remote server answers, made what the embedded store answers: rdflib and pyoxigraph
terms from SPARQL JSON results (Virtuoso's blank node labels and ``1``/``0`` booleans
included), formats converted, values bound into a query's text, and a cut result refused."""

from __future__ import annotations

import io
import json
import re
import warnings
from collections.abc import Mapping

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node
from SPARQLWrapper import CONSTRUCT, SPARQLWrapper

from competency_kg.sparql.formats import (
    RDF_MIMES,
    RESULT_MIMES,
    RESULTS_JSON,
    rdf_format,
    results_format,
)
from competency_kg.sparql.terms import values_clause
from competency_kg.store.base import StoreError
from competency_kg.store.remote_protocol import QUERY_FORMS, EndpointResponse

_XSD_STRING = str(XSD.string)
_XSD_BOOLEAN = str(XSD.boolean)
_BOOLEANS = {"1": "true", "0": "false"}


_TOKENS = re.compile(
    r""""{3}(?:[^"\\]|\\.|"(?!""))*"{3}|'{3}(?:[^'\\]|\\.|'(?!''))*'{3}"""
    r"""|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'"""
    r"""|<[^<>"{}|^`\\\s]*>|\#[^\n]*|[{}]"""
)


def with_values(query: str, bindings: Mapping[str, Node], inside: bool) -> str:
    """The query with ``bindings`` as a VALUES block: trailing (as the embedded store does), or
    ``inside`` at the start of the WHERE group, which Virtuoso needs (its trailing VALUES only
    works in a SELECT that projects every bound variable)."""
    values = values_clause(bindings)
    if not inside:
        return query + "\n" + values
    depth, opens = 0, []
    for m in _TOKENS.finditer(query):
        if m.group() == "{":
            if depth == 0:
                opens.append(m.end())
            depth += 1
        elif m.group() == "}":
            depth -= 1
    if not opens:
        raise ValueError("cannot bind variables in a query without a WHERE clause")
    where = opens[0]
    if query_form(query) == CONSTRUCT and len(opens) > 1:
        before = _TOKENS.sub(" ", query[: opens[0] - 1]).rstrip()
        if not before.upper().endswith("WHERE"):
            where = opens[1]
    return f"{query[:where]} {values} {query[where:]}"


def truncated(cap: int) -> StoreError:
    return StoreError(
        f"the SPARQL endpoint cut the result at {cap} rows (Virtuoso's ResultSetMaxRows): "
        "narrow the query, page it with LIMIT/OFFSET, or raise the server's limit"
    )


def query_form(query: str) -> str | None:
    sw = SPARQLWrapper("http://localhost/")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            sw.setQuery(query)
        except RuntimeWarning:
            return None
    return sw.queryType if sw.queryType in QUERY_FORMS else None


def is_boolean(data: bytes, mime: str) -> bool:
    if mime == RESULTS_JSON:
        try:
            return "boolean" in json.loads(data)
        except ValueError:
            return False
    return b"<boolean>" in data


def _bnode_label(value: str) -> str:
    """A blank node label any N-Triples writer accepts (Virtuoso's look like nodeID://b10)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", value.removeprefix("_:"))


def term(b: dict) -> Node:
    """A SPARQL JSON results term as an rdflib term (like the embedded store's).

    Read here, not by ``pyoxigraph.parse_query_results``: that refuses Virtuoso's blank node
    labels (``nodeID://b10``) with a SyntaxError, and keeps its ``1``/``0`` booleans."""
    kind, value = b["type"], b["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(_bnode_label(value))
    lang = b.get("xml:lang")
    if lang:
        return Literal(value, lang=lang)
    dt = b.get("datatype")
    return Literal(value) if not dt or dt == _XSD_STRING else Literal(value, datatype=dt)


def ox_term(b: dict) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    kind, value = b["type"], b["value"]
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(_bnode_label(value))
    lang = b.get("xml:lang")
    if lang:
        return ox.Literal(value, language=lang)
    dt = b.get("datatype")
    if dt == _XSD_BOOLEAN and value in _BOOLEANS:  # Virtuoso stores booleans as 1 and 0
        value = _BOOLEANS[value]
    return ox.Literal(value, datatype=ox.NamedNode(dt)) if dt else ox.Literal(value)


def row(binding: dict) -> dict[str, Node]:
    return {name: term(value) for name, value in binding.items()}


def to_rdflib_graph(data: bytes, mime: str) -> Graph:
    g = Graph()
    if data.strip():
        fmt = {"text/plain": "nt", "application/n-triples": "nt"}.get(mime, mime)
        g.parse(data=data, format=fmt)
    return g


def convert_graph(response: EndpointResponse, mime: str) -> bytes:
    source = response.mime if response.mime in RDF_MIMES else "application/n-triples"
    if source == mime:
        return response.data
    out = io.BytesIO()
    ox.serialize(ox.parse(response.data, rdf_format(source)), out, rdf_format(mime))
    return out.getvalue()


def convert_results(response: EndpointResponse, mime: str) -> bytes:
    fmt = results_format(response.mime) if response.mime in RESULT_MIMES else None
    if fmt is None or fmt == ox.QueryResultsFormat.CSV:
        raise StoreError(f"the SPARQL endpoint answered {response.mime}, not {mime}")
    out = io.BytesIO()
    ox.parse_query_results(response.data, fmt).serialize(out, results_format(mime))
    return out.getvalue()
