"""The SPARQL endpoint over HTTP against the real server (gunicorn, query worker processes):
content negotiation, CORS, the service description, errors, read-only, no fetching, the query
timeout and the result-size cap. Plus unit tests of the Accept parser and the query check.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import http.client
import io
import json
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF
from sparql_support import (
    DECOY_MARK,
    MAX_RESULT_BYTES,
    QUERY_TIMEOUT,
    QUERY_WORKERS,
    Listener,
    LoadedStore,
    Reply,
    Server,
    cli,
    fetch,
    parse_rdf,
    start_server,
    stop_server,
)

from competency_kg.sparql.checks import check_query
from competency_kg.sparql.errors import QueryRefused
from competency_kg.sparql.text import inspect_query
from competency_kg.versioned_cache import MISSING, VersionedCache
from competency_kg.web.negotiation import negotiate, parse_accept, prefers

pytest_plugins = ["server_fixture"]

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SRX = "{http://www.w3.org/2005/sparql-results#}"
DATA1 = "http://kasei.us/2009/09/sparql/data/data1.rdf"
DATA2 = "http://kasei.us/2009/09/sparql/data/data2.rdf"
DATA3 = "http://kasei.us/2009/09/sparql/data/data3.rdf"
SELECT = f"SELECT ?s ?t WHERE {{ GRAPH <{DATA1}> {{ ?s a ?t }} }}"
ASK = f"ASK {{ <{DATA1}> a ?t }}"
CONSTRUCT = f"CONSTRUCT {{ ?s a ?t }} WHERE {{ GRAPH <{DATA1}> {{ ?s a ?t }} }}"


#: A query whose answer takes hours: 100^5 VALUES combinations, no data needed.
def _values(variables: int, values: int) -> str:
    """VALUES blocks whose join has values**variables solutions."""
    numbers = " ".join(str(j) for j in range(values))
    return " ".join(f"VALUES ?v{i} {{ {numbers} }}" for i in range(variables))


RUNAWAY = f"SELECT (COUNT(*) AS ?n) WHERE {{ {_values(5, 100)} }}"


def rows(reply: Reply) -> list[dict[str, str]]:
    """The bindings of a SELECT result, in any of the four result formats, as plain values."""
    ctype = reply.content_type
    if ctype == "application/sparql-results+json":
        doc = json.loads(reply.body)
        return [{k: v["value"] for k, v in b.items()} for b in doc["results"]["bindings"]]
    if ctype == "application/sparql-results+xml":
        out = []
        for result in ET.fromstring(reply.body).iter(f"{SRX}result"):
            out.append({b.get("name"): "".join(b.itertext()) for b in result})
        return out
    if ctype == "text/csv":
        return list(csv.DictReader(io.StringIO(reply.text)))
    if ctype == "text/tab-separated-values":
        lines = list(csv.reader(io.StringIO(reply.text), delimiter="\t"))
        names = [n.lstrip("?") for n in lines[0]]
        return [{n: v.strip("<>") for n, v in zip(names, line, strict=True)} for line in lines[1:]]
    raise AssertionError(f"not a results format: {ctype}")


# --------------------------------------------------------------------------- negotiation unit
RESULTS = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("", "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("application/*", "application/sparql-results+json"),
        ("text/*", "text/csv"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("text/csv, application/sparql-results+xml", "application/sparql-results+xml"),  # tie
        ("application/*;q=0.2, text/csv;q=0.3", "text/csv"),
        ("*/*;q=0.1, application/sparql-results+json;q=0", "application/sparql-results+xml"),
        ("application/sparql-results+json;q=0.000, */*;q=0.001", "application/sparql-results+xml"),
        ("TEXT/CSV", "text/csv"),
        ("text/csv; charset=utf-8; q=0.8, */*; q=0.5", "text/csv"),
        ('text/csv;foo="a,b;q=0";q=0.9, */*;q=0.5', "text/csv"),
        ("image/png", None),
        ("*/*;q=0", None),
        ("text/csv;q=1.5, application/sparql-results+xml;q=0.5", "application/sparql-results+xml"),
        ("garbage, , ;;", "application/sparql-results+json"),  # nothing usable: as if absent
    ],
)
def test_negotiate(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept, RESULTS) == expected


def test_most_specific_range_sets_the_quality() -> None:
    ranges = parse_accept("text/*;q=0.2, text/csv;q=0.9, */*;q=0.1")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [
        ("text", "*", 0.2),
        ("text", "csv", 0.9),
        ("*", "*", 0.1),
    ]
    assert negotiate("text/*;q=0.2, text/csv;q=0.9, */*;q=0.1", ["text/turtle", "text/csv"]) == (
        "text/csv"
    )
    assert negotiate("text/*;q=0.2, application/json;q=0.1", ["application/json", "text/x"]) == (
        "text/x"
    )


def test_prefers_html() -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert prefers(browser, "text/html", ["text/turtle", "application/rdf+xml"])
    assert not prefers("*/*", "text/html", ["text/turtle"])
    assert not prefers(None, "text/html", ["text/turtle"])
    assert not prefers("text/turtle, text/html", "text/html", ["text/turtle"])


# --------------------------------------------------------------------------- negotiation over HTTP
@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        (SELECT, None, "application/sparql-results+json"),
        (SELECT, "*/*", "application/sparql-results+json"),
        (SELECT, "application/sparql-results+json", "application/sparql-results+json"),
        (SELECT, "application/json", "application/sparql-results+json"),
        (SELECT, "application/sparql-results+xml", "application/sparql-results+xml"),
        (SELECT, "text/csv", "text/csv"),
        (SELECT, "text/tab-separated-values", "text/tab-separated-values"),
        (SELECT, "text/csv;q=0.4, text/tab-separated-values;q=0.6", "text/tab-separated-values"),
        (SELECT, "application/sparql-results+json;q=0, */*", "application/sparql-results+xml"),
        (SELECT, "text/*", "text/csv"),
        (SELECT, "text/html,application/xhtml+xml,*/*;q=0.8", "application/sparql-results+json"),
        (ASK, "application/sparql-results+xml", "application/sparql-results+xml"),
        (ASK, None, "application/sparql-results+json"),
        (CONSTRUCT, None, "text/turtle"),
        (CONSTRUCT, "*/*", "text/turtle"),
        (CONSTRUCT, "application/n-triples", "application/n-triples"),
        (CONSTRUCT, "application/ld+json", "application/ld+json"),
        (CONSTRUCT, "application/rdf+xml", "application/rdf+xml"),
        (CONSTRUCT, "text/turtle;q=0.5, application/ld+json", "application/ld+json"),
        (CONSTRUCT, "text/turtle;q=0, */*;q=0.5", "application/n-triples"),
        (CONSTRUCT, "application/rdf+xml;q=0.9, text/turtle;q=0.9", "text/turtle"),
        (f"DESCRIBE <{DATA1}>", "application/n-triples", "application/n-triples"),
    ],
)
def test_content_negotiation(
    sparql_server: Server, query: str, accept: str | None, expected: str
) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    reply = sparql_server.get(params={"query": query}, headers=headers)
    assert reply.status == 200, reply.body
    assert reply.content_type == expected
    assert "Accept" in reply.headers.get("Vary", "")
    if query is SELECT:
        assert rows(reply) == [{"s": DATA1, "t": "http://xmlns.com/foaf/0.1/Document"}]
    elif query is ASK:
        text = reply.text
        assert ('"boolean":true' in text) or ("<boolean>true</boolean>" in text)
    else:
        g = parse_rdf(reply.body, expected)
        assert (URIRef(DATA1), RDF.type, URIRef("http://xmlns.com/foaf/0.1/Document")) in g


def test_csv_and_tsv_say_utf8(sparql_server: Server) -> None:
    for accept in ("text/csv", "text/tab-separated-values"):
        reply = sparql_server.get(
            params={"query": 'SELECT ("Größe – ½" AS ?x) {}'}, headers={"Accept": accept}
        )
        assert reply.headers["Content-Type"].endswith("charset=utf-8")
        assert "Größe – ½" in reply.text


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        (SELECT, "image/png"),
        (SELECT, "text/turtle"),
        (ASK, "application/rdf+xml;q=1, text/csv;q=0"),
        (CONSTRUCT, "text/csv"),
        (CONSTRUCT, "application/sparql-results+json"),
        (CONSTRUCT, "*/*;q=0"),
    ],
)
def test_406_when_nothing_is_acceptable(sparql_server: Server, query: str, accept: str) -> None:
    reply = sparql_server.get(params={"query": query}, headers={"Accept": accept})
    assert reply.status == 406, reply.body
    assert reply.content_type == "text/plain"
    assert "offers" in reply.text
    assert reply.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("query", "param", "value", "expected"),
    [
        (SELECT, "format", "csv", "text/csv"),
        (SELECT, "format", "xml", "application/sparql-results+xml"),
        (SELECT, "output", "tsv", "text/tab-separated-values"),
        (SELECT, "format", "application/sparql-results+xml", "application/sparql-results+xml"),
        (SELECT, "format", "json", "application/sparql-results+json"),
        (CONSTRUCT, "format", "xml", "application/rdf+xml"),
        (CONSTRUCT, "output", "ntriples", "application/n-triples"),
        (CONSTRUCT, "format", "json-ld", "application/ld+json"),
        (CONSTRUCT, "format", "turtle", "text/turtle"),
    ],
)
def test_format_parameter_overrides_accept(
    sparql_server: Server, query: str, param: str, value: str, expected: str
) -> None:
    reply = sparql_server.get(params={"query": query, param: value}, headers={"Accept": "*/*"})
    assert reply.status == 200, reply.body
    assert reply.content_type == expected


def test_unknown_format_parameter(sparql_server: Server) -> None:
    reply = sparql_server.get(params={"query": SELECT, "format": "excel"})
    assert reply.status == 400
    assert "unknown format" in reply.text
    assert sparql_server.get(params={"query": CONSTRUCT, "format": "csv"}).status == 406


# --------------------------------------------------------------------------- CORS, methods
def test_cors(sparql_server: Server) -> None:
    ok = sparql_server.get(params={"query": ASK}, headers={"Origin": "https://example.org"})
    assert ok.headers["Access-Control-Allow-Origin"] == "*"
    bad = sparql_server.get(params={"query": "ASK {"}, headers={"Origin": "https://example.org"})
    assert bad.status == 400
    assert bad.headers["Access-Control-Allow-Origin"] == "*"
    pre = sparql_server.get(
        method="OPTIONS",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept",
        },
    )
    assert pre.status == 204
    assert pre.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert "content-type" in pre.headers["Access-Control-Allow-Headers"].lower()
    assert int(pre.headers["Access-Control-Max-Age"]) > 0


def test_post_forms(sparql_server: Server) -> None:
    form = sparql_server.post(
        body=f"query={ASK.replace(' ', '+')}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status == 200
    assert json.loads(form.body)["boolean"] is True
    direct = sparql_server.post(
        body=SELECT, headers={"Content-Type": "application/sparql-query; charset=UTF-8"}
    )
    assert direct.status == 200
    assert rows(direct)[0]["s"] == DATA1


@pytest.mark.parametrize(
    ("method", "params", "headers", "body", "status", "says"),
    [
        ("PUT", {"query": ASK}, {}, None, 405, "not allowed"),
        ("DELETE", None, {}, None, 405, "not allowed"),
        ("GET", {"query": [ASK, ASK]}, {}, None, 400, "one query"),
        ("GET", {"query": ASK, "update": "CLEAR ALL"}, {}, None, 400, "not both"),
        ("GET", {"query": "  "}, {}, None, 400, "empty"),
        ("POST", None, {"Content-Type": "text/plain"}, ASK, 415, "Content-Type"),
        ("POST", None, {}, "query=ASK%7B%7D", 415, "Content-Type"),
        (
            "POST",
            None,
            {"Content-Type": "application/sparql-query; charset=ISO-8859-1"},
            ASK,
            415,
            "UTF-8",
        ),
        (
            "POST",
            None,
            {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-16"},
            "query=ASK%7B%7D",
            415,
            "UTF-8",
        ),
        ("POST", None, {"Content-Type": "application/sparql-query"}, b"ASK {\xff}", 400, "UTF-8"),
        ("POST", {"query": ASK}, {"Content-Type": "application/sparql-query"}, ASK, 400, "one"),
    ],
)
def test_protocol_errors(
    sparql_server: Server,
    method: str,
    params: dict | None,
    headers: dict,
    body: str | bytes | None,
    status: int,
    says: str,
) -> None:
    reply = sparql_server.get(method=method, params=params, headers=headers, body=body)
    assert reply.status == status, reply.body
    assert reply.content_type == "text/plain"
    assert says in reply.text
    if status == 405:
        assert "POST" in reply.headers["Allow"]


def test_request_body_cap(sparql_server: Server) -> None:
    """A body over 10 MB is refused from its Content-Length, before it is read."""
    port = int(sparql_server.url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("POST", "/sparql")
        conn.putheader("Content-Type", "application/sparql-query")
        conn.putheader("Content-Length", str(11 * 1024 * 1024))
        conn.endheaders()
        conn.send(b"ASK {} # ")  # and no more
        resp = conn.getresponse()
        assert resp.status == 413
        assert resp.getheader("Content-Type", "").startswith("text/plain")
    finally:
        conn.close()


def test_head(sparql_server: Server) -> None:
    reply = sparql_server.get(method="HEAD", params={"query": ASK})
    assert reply.status == 200
    assert reply.body == b""


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "query",
    ["ASK {", "SELECT * WHERE { ?s ?p }", "SELEC * {}", "CONSTRUCT { <s> ?p ?o } WHERE { ?s ?p"],
)
def test_syntax_errors_are_400_with_the_parser_message(sparql_server: Server, query: str) -> None:
    reply = sparql_server.get(params={"query": query})
    assert reply.status == 400
    assert reply.content_type == "text/plain"
    assert reply.text.startswith("SPARQL syntax error: error at 1:")
    assert "Traceback" not in reply.text
    assert 'File "' not in reply.text


def test_relative_iris_resolve_against_the_endpoint(sparql_server: Server) -> None:
    reply = sparql_server.get(
        params={"query": "CONSTRUCT { <s> <p> 1 } WHERE {}"},
        headers={"Accept": "application/n-triples"},
    )
    assert reply.status == 200
    assert reply.text.startswith(f"<{sparql_server.endpoint.rsplit('/', 1)[0]}/s>")


def test_bad_graph_name_is_a_400(sparql_server: Server) -> None:
    reply = sparql_server.get(params={"query": ASK, "default-graph-uri": "not an iri"})
    assert reply.status == 400
    assert "graph name" in reply.text


# --------------------------------------------------------------------------- dataset
def ask(server: Server, query: str, **params: str | list[str]) -> bool:
    reply = server.get(params={"query": query, **params})
    assert reply.status == 200, reply.body
    return json.loads(reply.body)["boolean"]


def test_default_graph_is_the_union(sparql_server: Server) -> None:
    assert ask(sparql_server, f"ASK {{ <{DATA1}> a ?t . <{DATA2}> a ?t }}")


def test_query_from_is_honoured(sparql_server: Server) -> None:
    assert ask(sparql_server, f"ASK FROM <{DATA1}> {{ <{DATA1}> a ?t }}")
    assert not ask(sparql_server, f"ASK FROM <{DATA1}> {{ <{DATA2}> a ?t }}")
    # FROM NAMED alone: the default graph is empty, GRAPH sees only the named graph.
    assert not ask(sparql_server, f"ASK FROM NAMED <{DATA1}> {{ <{DATA1}> a ?t }}")
    assert ask(sparql_server, f"ASK FROM NAMED <{DATA1}> {{ GRAPH ?g {{ <{DATA1}> a ?t }} }}")
    assert not ask(sparql_server, f"ASK FROM NAMED <{DATA1}> {{ GRAPH ?g {{ <{DATA2}> a ?t }} }}")


def test_protocol_dataset_overrides_from(sparql_server: Server) -> None:
    q = f"ASK FROM <{DATA1}> {{ <{DATA2}> a ?t }}"
    assert ask(sparql_server, q, **{"default-graph-uri": DATA2})
    assert not ask(sparql_server, f"ASK {{ <{DATA3}> a ?t }}", **{"default-graph-uri": DATA1})
    assert ask(sparql_server, f"ASK {{ <{DATA1}> a ?t }}", **{"default-graph-uri": [DATA2, DATA1]})
    # named-graph-uri alone: empty default graph, only those named graphs
    named = {"named-graph-uri": [DATA1]}
    assert not ask(sparql_server, f"ASK {{ <{DATA1}> a ?t }}", **named)
    assert ask(sparql_server, f"ASK {{ GRAPH <{DATA1}> {{ ?s a ?t }} }}", **named)
    assert not ask(sparql_server, f"ASK {{ GRAPH <{DATA2}> {{ ?s a ?t }} }}", **named)


# --------------------------------------------------------------------------- service description
def test_service_description(sparql_server: Server) -> None:
    for accept in ["text/turtle", "application/ld+json", "application/rdf+xml", None]:
        reply = sparql_server.get(headers={"Accept": accept} if accept else {})
        assert reply.status == 200
        assert reply.content_type == (accept or "text/turtle")
        assert reply.headers["Access-Control-Allow-Origin"] == "*"
        g = parse_rdf(reply.body, reply.content_type)
        service = g.value(predicate=RDF.type, object=SD.Service)
        assert service is not None, accept
        assert g.value(service, SD.endpoint) == URIRef(sparql_server.endpoint)
        assert (service, SD.supportedLanguage, SD.SPARQL11Query) in g
        assert (service, SD.feature, SD.UnionDefaultGraph) in g
        assert (service, SD.feature, SD.BasicFederatedQuery) not in g  # SERVICE is refused
        assert (service, SD.supportedLanguage, SD.SPARQL11Update) not in g
        formats = {str(f).rsplit("/", 1)[1] for f in g.objects(service, SD.resultFormat)}
        assert {"SPARQL_Results_JSON", "SPARQL_Results_CSV", "Turtle", "JSON-LD"} <= formats
        names = {str(n) for n in g.objects(None, SD.name)}
        assert {DATA1, DATA2, DATA3} <= names
        dataset = g.value(service, SD.defaultDataset)
        assert len(list(g.objects(dataset, SD.namedGraph))) == len(names)


def test_service_description_by_post_and_format(sparql_server: Server) -> None:
    reply = sparql_server.post(headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 200
    assert reply.content_type == "text/turtle"
    reply = sparql_server.get(params={"format": "json-ld"})
    assert reply.content_type == "application/ld+json"
    assert sparql_server.get(headers={"Accept": "image/png"}).status == 406


def test_browser_gets_the_editor_page(sparql_server: Server) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    reply = sparql_server.get(headers={"Accept": browser})
    assert reply.status == 200
    assert reply.content_type == "text/html"
    assert "<form" in reply.text
    assert "service description" in reply.text


# --------------------------------------------------------------------------- read-only
def test_updates_are_refused(sparql_server: Server) -> None:
    count = "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"
    before = sparql_server.get(params={"query": count})
    update = f"INSERT DATA {{ GRAPH <{DATA1}> {{ <urn:x> <urn:p> 1 }} }}"
    r = sparql_server.get(params={"update": update})
    assert r.status == 403
    assert "read-only" in r.text
    r = sparql_server.post(
        body=f"update={update}", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status == 403
    r = sparql_server.post(body=update, headers={"Content-Type": "application/sparql-update"})
    assert r.status == 403
    for text in (update, "CLEAR ALL", "DROP GRAPH <urn:g>", f"PREFIX ex: <urn:> {update}"):
        r = sparql_server.get(params={"query": text})
        assert r.status == 400, text
        assert "read-only" in r.text
    after = sparql_server.get(params={"query": count})
    assert rows(before) == rows(after)


def test_load_is_refused_and_fetches_nothing(sparql_server: Server) -> None:
    with Listener() as listener:
        for op in ("query", "update"):
            r = sparql_server.get(params={op: f"LOAD <{listener.url}/data.ttl>"})
            assert r.status in (400, 403)
            assert "read-only" in r.text
        time.sleep(0.3)
        assert listener.connections == 0


# --------------------------------------------------------------------------- no fetching
def service_queries(url: str) -> list[str]:
    return [
        f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ service silent <{url}/sparql> {{ ?s ?p ?o }} }}",
        f"PREFIX ex: <{url}/> SELECT * WHERE {{ SERVICE ex:sparql {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ VALUES ?e {{ <{url}/sparql> }} SERVICE ?e {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o .SERVICE <{url}/x> {{ ?a ?b ?c }} }}",
        f"PREFIX ex: <http://e/> SELECT * WHERE {{ ?s ?p ex: SERVICE <{url}/x> {{ }} }}",
        f'SELECT * WHERE {{ ?s ?p "x"SERVICE <{url}/x> {{ }} }}',
        f"SELECT * WHERE {{ <urn:a#b> ?p ?o SERVICE <{url}/x> {{ }} }}",
        f"ASK {{ FILTER(EXISTS {{ SERVICE <{url}/x> {{ ?s ?p ?o }} }}) }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}/x> {{ ?s ?p ?o }} }}",
        # a '<' that is a less-than sign, read as the start of an IRI, would hide the keyword
        f"SELECT * WHERE {{ ?x ?p ?o FILTER(?x<?y)SERVICE#>\n<{url}/x>{{}} }}",
        f"SELECT * WHERE {{ ?x ?p ?o FILTER(?x<?y||'>') SERVICE <{url}/x> {{}} #'\n}}",
    ]


def test_service_is_refused_before_anything_runs(sparql_server: Server) -> None:
    with Listener() as listener:
        for q in service_queries(listener.url):
            r = sparql_server.get(params={"query": q})
            assert r.status == 400, (q, r.body)
            assert r.text.startswith("SERVICE is not allowed on this endpoint"), q
            assert "fetch" in r.text
        time.sleep(0.3)
        assert listener.connections == 0


@pytest.mark.parametrize(
    "query",
    [
        'SELECT ?x WHERE { BIND("SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o }" AS ?x) }',
        "SELECT ?x WHERE { BIND('''SERVICE\n<http://127.0.0.1:1/> {}''' AS ?x) }",
        'SELECT ?x WHERE { BIND("say \\"SERVICE\\" <x> {}" AS ?x) }',
        "SELECT ?x WHERE { BIND(<http://example.org/SERVICE> AS ?x) }",
        "SELECT ?x WHERE { BIND(<http://example.org/a#SERVICE> AS ?x) } # SERVICE <x> {}",
        "PREFIX ex: <http://example.org/> SELECT ?x WHERE { BIND(ex:service AS ?x) }",
        "PREFIX ex: <http://example.org/> SELECT ?x WHERE { BIND(ex:self-service AS ?x) }",
        "PREFIX service: <http://example.org/> SELECT ?x WHERE { BIND(service:x AS ?x) }",
        "SELECT ?service WHERE { BIND(1 AS ?service) }",
        'SELECT ?x WHERE { BIND("a"@service AS ?x) }',
        "PREFIX sd: <http://www.w3.org/ns/sparql-service-description#>\n"
        "SELECT ?s WHERE { ?s a sd:Service }",
        "# SERVICE <http://127.0.0.1:1/> { }\nSELECT ?x WHERE { BIND(1 AS ?x) }",
    ],
)
def test_service_inside_strings_iris_and_names_is_not_refused(
    sparql_server: Server, query: str
) -> None:
    reply = sparql_server.get(params={"query": query})
    assert reply.status == 200, reply.body
    assert not inspect_query(query).uses_service


def test_from_fetches_nothing(sparql_server: Server) -> None:
    with Listener() as listener:
        queries = [
            f"SELECT * FROM <{listener.url}/a.ttl> WHERE {{ ?s ?p ?o }}",
            f"SELECT * FROM NAMED <{listener.url}/b.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ GRAPH <{listener.url}/c.ttl> {{ ?s ?p ?o }} }}",
            f"DESCRIBE <{listener.url}/d.ttl>",
        ]
        for q in queries:
            r = sparql_server.get(params={"query": q})
            assert r.status == 200, r.body
            if r.content_type.endswith("json"):
                assert rows(r) == []
        r = sparql_server.get(
            params={
                "query": "SELECT * { ?s ?p ?o }",
                "default-graph-uri": f"{listener.url}/e.ttl",
                "named-graph-uri": f"{listener.url}/f.ttl",
            }
        )
        assert r.status == 200
        assert rows(r) == []
        time.sleep(0.5)
        assert listener.connections == 0


def test_check_query_refuses() -> None:
    with pytest.raises(QueryRefused, match="SERVICE"):
        check_query("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }")
    with pytest.raises(QueryRefused, match="read-only"):
        check_query("WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")
    info = check_query("PREFIX select: <urn:> DESCRIBE ?x FROM <urn:g> WHERE { ?x ?p select:a }")
    assert (info.form, info.has_dataset) == ("describe", True)
    assert not check_query("SELECT (EXISTS { ?s ?p ?o } AS ?x) WHERE { }").has_dataset
    assert not check_query("SELECT * WHERE { ?s <urn:from> ?o }").has_dataset


# Fragments that play with the lexer: strings, comments, IRIs, less-than signs, escapes.
_FRAGMENTS = [
    " ",
    "\n",
    "?s ?p ?o",
    ".",
    '"',
    "'",
    '"""',
    "'''",
    "\\",
    "#",
    "<",
    ">",
    "<urn:a#b>",
    "?x<?y",
    "FILTER(",
    ")",
    "||",
    "'>'",
    "ex:",
    "{",
    "}",
    "\\u0022",
    "\\u003E",
    "BIND(1 AS ?z)",
]


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    with Listener() as it:
        yield it


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=st.lists(st.sampled_from(_FRAGMENTS), max_size=6),
    keyword=st.sampled_from(["SERVICE", "service", "Service"]),
    after=st.lists(st.sampled_from(_FRAGMENTS), max_size=6),
)
def test_no_query_that_reaches_the_network_passes_the_check(
    listener: Listener, before: list[str], keyword: str, after: list[str]
) -> None:
    """Whatever is wrapped around a SERVICE call: if the check lets the query through,
    Oxigraph (run here in-process, with no network guard) must not open a connection."""
    query = (
        "PREFIX ex: <http://e/> SELECT * WHERE { ?s ?p ?o "
        + "".join(before)
        + f" {keyword} <{listener.url}/> {{ ?a ?b ?c }} "
        + "".join(after)
        + " }"
    )
    if inspect_query(query).uses_service:
        return
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.NamedNode("urn:o")))
    connections = listener.connections
    with contextlib.suppress(SyntaxError, OSError, ValueError):
        list(store.query(query, use_default_graph_as_union=True))
    assert listener.connections == connections, query


def test_workers_cannot_open_network_sockets() -> None:
    """The second line of defence: a query worker has no IPv4/IPv6 sockets at all."""
    with Listener() as listener:
        code = f"""
import socket, sys
from competency_kg.query_sandbox import deny_network
assert deny_network(), "seccomp unavailable"
try:
    socket.socket(socket.AF_INET)
except PermissionError:
    pass
else:
    sys.exit("AF_INET socket allowed")
socket.socketpair()  # local IPC still works
import pyoxigraph as ox
try:
    list(ox.Store().query("SELECT * {{ SERVICE <{listener.url}/> {{ ?s ?p ?o }} }}"))
except OSError as exc:
    print("refused:", exc)
"""
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert "refused:" in done.stdout
        time.sleep(0.2)
        assert listener.connections == 0


def test_server_workers_run_under_the_network_guard(sparql_server: Server) -> None:
    assert "network guard on" in sparql_server.log()


# --------------------------------------------------------------------------- timeout
def _post_in_thread(server: Server, query: str, out: list[Reply]) -> threading.Thread:
    def run() -> None:
        out.append(server.post(body=query, headers={"Content-Type": "application/sparql-query"}))

    t = threading.Thread(target=run)
    t.start()
    return t


def test_runaway_query_is_cancelled_while_others_are_answered(sparql_server: Server) -> None:
    runaway: list[Reply] = []
    started = time.monotonic()
    thread = _post_in_thread(sparql_server, RUNAWAY, runaway)
    time.sleep(0.3)
    meanwhile = []
    # Queries a worker answers, until the pool's early damage probe (EARLY_PROBE_AFTER, here
    # as long as the timeout) takes the idle worker of the two for up to 2 s.
    while thread.is_alive() and len(meanwhile) < 20 and time.monotonic() - started < 1.5:
        r = sparql_server.get(params={"query": worker_query()})
        assert r.status == 200
        meanwhile.append(r.elapsed)
        time.sleep(0.05)
    thread.join(30)
    cut = time.monotonic() - started
    reply = runaway[0]
    assert reply.status == 503, reply.body
    assert reply.content_type == "text/plain"
    assert f"exceeded the {QUERY_TIMEOUT:g} s limit and was cancelled" in reply.text
    assert QUERY_TIMEOUT <= reply.elapsed < QUERY_TIMEOUT + 2, reply.elapsed
    assert meanwhile, "no query was answered while the runaway one ran"
    assert max(meanwhile) < 1.0, meanwhile
    print(
        f"\nrunaway query cut after {reply.elapsed:.3f} s (timeout {QUERY_TIMEOUT:g} s, "
        f"{cut:.3f} s from the client's start); {len(meanwhile)} queries answered meanwhile, "
        f"slowest {max(meanwhile) * 1000:.1f} ms"
    )
    # The killed worker was replaced: queries keep working, on every worker.
    for _ in range(6):
        assert sparql_server.get(params={"query": worker_query()}).status == 200


def test_every_worker_can_be_killed_and_replaced(sparql_server: Server) -> None:
    replies: list[Reply] = []
    threads = [_post_in_thread(sparql_server, RUNAWAY, replies) for _ in range(2)]
    for t in threads:
        t.join(30)
    assert [r.status for r in replies] == [503, 503]
    started = time.monotonic()
    r = sparql_server.get(params={"query": worker_query()})  # neither kept nor in-process
    assert r.status == 200
    print(f"\nfirst query after both workers were killed: {time.monotonic() - started:.3f} s")


def worker_query() -> str:
    """A query only a worker answers: never asked before (no kept answer), and a filter
    makes it more than one pattern (not answered in the web process)."""
    return f'ASK {{ <{DATA1}> a ?t FILTER(?t != "{uuid.uuid4()}") }}'


def _cache_marks(server: Server, query: str, expected: int) -> list[str]:
    """The ``cache=`` field of the request log's lines for ``query`` ("-" where there is none),
    once ``expected`` lines are there (a line is written as its answer is sent)."""
    digest = hashlib.sha256(query.encode("utf-8")).hexdigest()[:12]
    for _ in range(100):
        lines = [line for line in server.log().splitlines() if f"query_hash={digest}" in line]
        if len(lines) >= expected:
            break
        time.sleep(0.05)
    return [(re.findall(r" cache=(\w+)", line) or ["-"])[0] for line in lines]


def test_a_repeated_query_is_answered_from_the_kept_answer(sparql_server: Server) -> None:
    """Checked: with ``QueryPool._kept`` finding nothing the marks are miss, miss and this
    fails; with ``repeatable`` always true the two STRUUID answers are the same and this
    fails. (A load is a new version: ``test_a_new_load_is_seen_without_restarting`` asks the
    same query before and after one.)"""
    query = worker_query()
    first, second = (sparql_server.get(params={"query": query}) for _ in range(2))
    assert first.status == second.status == 200
    assert first.body == second.body
    assert _cache_marks(sparql_server, query, 2) == ["miss", "hit"]
    volatile = f'SELECT (STRUUID() AS ?u) WHERE {{ FILTER("{uuid.uuid4()}" != "") }}'
    a, b = (sparql_server.get(params={"query": volatile, "format": "csv"}) for _ in range(2))
    assert a.status == b.status == 200
    assert a.body != b.body, "a query calling STRUUID() is answered afresh each time"
    assert _cache_marks(sparql_server, volatile, 2) == ["-", "-"]


def test_kept_answers_are_bounded() -> None:
    """Checked: without the eviction loop in ``put`` the cache holds all 40 and this fails."""
    cache = VersionedCache(max_bytes=16_000)
    for i in range(40):
        assert cache.put(i, "v1", f"answer {i}", 1000)
    assert cache.size <= 16_000 and len(cache) == 16
    assert cache.find(39, "v1") == "answer 39" and cache.find(0, "v1") is MISSING
    assert cache.find(39, "v2") is MISSING  # another version: gone
    assert (cache.hits, cache.misses) == (1, 2)
    assert not cache.put("big", "v1", "x", 2000)  # over a sixteenth of the bound: not kept


def test_lookups_are_answered_while_runaway_queries_hold_every_worker(
    sparql_server: Server,
) -> None:
    """A one-pattern look-up is answered in the web process, without a worker: while both
    workers run a runaway query, look-ups never asked before are answered at once, and
    the runaways are still cut at the timeout. Checked: with ``QueryPool(inline=False)`` the
    look-ups wait for a worker, the runaways are over when they are answered, and this fails."""
    replies: list[Reply] = []
    threads = [_post_in_thread(sparql_server, RUNAWAY, replies) for _ in range(QUERY_WORKERS)]
    time.sleep(0.5)  # both runaways reach their workers
    lookups = [
        sparql_server.get(
            params={"query": f"SELECT ?t WHERE {{ <{DATA1}> a ?t }} # {uuid.uuid4()}"}
        )
        for _ in range(5)
    ]
    running = [t.is_alive() for t in threads]
    for t in threads:
        t.join(30)
    assert [r.status for r in lookups] == [200] * 5
    assert len({r.body for r in lookups}) == 1 and rows(lookups[0])
    assert running == [True] * QUERY_WORKERS, "the look-ups waited for the runaway queries"
    assert [r.status for r in replies] == [503] * QUERY_WORKERS
    broad = "SELECT * WHERE { ?s ?p ?o } LIMIT 1500"  # over INLINE_BYTES: a worker's
    reply = sparql_server.get(params={"query": broad})
    assert reply.status == 200 and len(rows(reply)) == 1500


# --------------------------------------------------------------------------- result size cap
def test_result_size_cap(sparql_server: Server) -> None:
    values = " ".join(str(i) for i in range(100))
    big = f"SELECT * WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} }}"
    r = sparql_server.get(params={"query": big})
    assert r.status == 413, r.status
    assert r.content_type == "text/plain"
    assert "larger than this endpoint's 976.6 KB cap" in r.text
    under = f"SELECT * WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ 1 }} }}"
    small = sparql_server.get(params={"query": under, "format": "csv"})
    assert small.status == 200
    assert len(rows(small)) == 100
    padding = "x" * 100
    construct = (  # 10,000 triples of about 150 bytes each
        f"CONSTRUCT {{ ?s <urn:p> ?o }} WHERE {{ VALUES ?a {{ {values} }} "
        f"VALUES ?b {{ {values} }} BIND(IRI(CONCAT('urn:', STR(?a), ':', STR(?b))) AS ?s) "
        f"BIND('{padding}' AS ?o) }}"
    )
    r = sparql_server.get(params={"query": construct})
    assert r.status == 413, r.body[:200]
    assert "cap" in r.text
    assert MAX_RESULT_BYTES == 1_000_000


# --------------------------------------------------------------------------- the store changes
def test_a_new_load_is_seen_without_restarting(sparql_server: Server, tmp_path: Path) -> None:
    fresh = "http://example.org/graph/loaded-while-serving"
    data = tmp_path / "fresh.nt"
    data.write_text('<http://example.org/fresh> <http://example.org/p> "loaded" .\n')
    query = f"ASK {{ GRAPH <{fresh}> {{ <http://example.org/fresh> ?p ?o }} }}"
    assert not ask(sparql_server, query)
    code, log = cli("load", "--graph", fresh, str(data), store=sparql_server.store.path)
    assert code == 0, log
    for _ in range(4):  # each worker reopens its snapshot on its next query
        assert ask(sparql_server, query)
    names = Graph().parse(data=sparql_server.get().body, format="turtle")
    assert (None, SD.name, URIRef(fresh)) in names


# --------------------------------------------------------------------------- the serve command
def test_serve_without_a_store_explains(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("competency-kg")
    done = subprocess.run(
        [str(exe), "--store", str(tmp_path / "missing"), "serve", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "run 'competency-kg load' first" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_servers_python_children_run_its_code_whatever_its_working_directory(
    sparql_server: Server,
) -> None:
    """``sparql_server`` is started in a folder holding a decoy ``competency_kg`` package whose
    import fails (``plant_decoy``), as a server started inside another checkout: its query
    workers (and their fork server) and its dump writer (``python -m``) import the server's
    code, so a query a worker answers agrees with the same data read in the web process, the
    dump is written, and nothing imported the decoy.

    Checked: without ``start_fork_server``'s environment (the fork server with its working
    directory first, as Python 3.11 leaves it) this failed, the fork server (``['-c']``) having
    written the mark; with the pool as it was before, the workers never started (503); without
    the dump writer's environment, the writer (``['-m', …]``) wrote it."""
    # one triple pattern: a look-up answered in the web process
    by_type = Counter(row["t"] for row in rows(sparql_server.get(params={"query": SELECT})))
    grouped = (  # a group: only a worker answers it; a new text, never a kept answer
        f"SELECT ?t (COUNT(?s) AS ?n) WHERE {{ GRAPH <{DATA1}> {{ ?s a ?t }} }} GROUP BY ?t "
        f"# {uuid.uuid4()}"
    )
    reply = sparql_server.post(
        body=grouped, headers={"Content-Type": "application/sparql-query"}, timeout=60
    )
    assert reply.status == 200, reply.text
    assert {row["t"]: int(row["n"]) for row in rows(reply)} == by_type
    assert by_type
    # the warmer has started the dumps since the server started; this waits for one
    dump = fetch(sparql_server.url, "/dumps/all.ttl.gz", method="HEAD", timeout=60)
    assert dump.status == 200, dump.headers
    mark = sparql_server.log_path.parent / DECOY_MARK
    assert not mark.exists(), f"imported the decoy: {mark.read_text()}"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_graceful_shutdown(sparql_store: object, tmp_path: Path, sig: int) -> None:
    server = start_server(sparql_store, tmp_path, timeout=5)  # type: ignore[arg-type]
    children = server.descendants()
    assert len(children) >= 3  # the gunicorn worker, its query workers, the fork server
    slow: list[Reply] = []
    one_second = f"SELECT (COUNT(*) AS ?n) WHERE {{ {_values(3, 200)} }}"  # about 1 s
    thread = _post_in_thread(server, one_second, slow)
    time.sleep(0.3)
    started = time.monotonic()
    code = stop_server(server, sig)
    stopped = time.monotonic() - started
    thread.join(10)
    assert code == 0, server.log()
    assert slow and slow[0].status == 200, "a request in flight was not finished"
    assert stopped < 10
    deadline = time.monotonic() + 5
    while (alive := {p for p in children if _state(p) not in ("gone", "Z")}) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert alive == set(), "processes outlived the server"
    assert "Traceback" not in server.log()


# --------------------------------------------------------------------------- other stores
def test_app_factory_with_a_given_store(tmp_path: Path) -> None:
    """Tests (and other pages) can hand the factory a store: queries then run in-thread."""
    from competency_kg.config import Settings
    from competency_kg.store import open_store
    from competency_kg.web.app import create_app

    store = open_store(None)
    store.oxigraph.add(  # type: ignore[attr-defined]
        ox.Quad(
            ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("o"), ox.NamedNode("urn:g")
        )
    )
    app = create_app(Settings(store=str(tmp_path / "unused"), base_iri="urn:x:"), store=store)
    client = app.test_client()
    r = client.get("/sparql", query_string={"query": "SELECT ?o WHERE { ?s ?p ?o }"})
    assert r.status_code == 200
    assert json.loads(r.data)["results"]["bindings"][0]["o"]["value"] == "o"
    r = client.get("/sparql", query_string={"query": "SELECT * { SERVICE <urn:x> {} }"})
    assert r.status_code == 400
    assert not (tmp_path / "unused").exists()  # nothing opened the configured folder


def _same_reply(a: Reply, b: Reply) -> tuple[object, object]:
    """Status, headers but the date, and body of two replies, for comparing them."""

    def kept(r: Reply) -> tuple[object, ...]:
        return (r.status, [(k, v) for k, v in r.headers.items() if k != "Date"], r.body)

    return kept(a), kept(b)


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        (SELECT, "application/sparql-results+json"),  # answered in the web process
        (CONSTRUCT, "text/turtle"),
        (ASK, "text/csv"),
        ("SELECT * WHERE {", "application/sparql-results+json"),  # a worker's 400
        ("SELECT * { SERVICE <urn:x> {} }", "application/sparql-results+json"),  # refused
        (ASK, "image/png"),  # 406
    ],
)
def test_the_lean_path_answers_as_the_view_does(
    sparql_server: Server, query: str, accept: str
) -> None:
    """The usual request (a form POST, one query) is answered by ``LeanEndpoint`` before
    Flask; with a parameter the endpoint ignores (``via=``) the lean path leaves it to
    Flask's view. Both must give the same status, headers (security, CORS, ``Vary``) and
    body. Checked: with ``_LEAN_HEADERS`` giving ``Vary`` another value all six cases
    fail."""
    lean = sparql_server.post(
        body=urllib.parse.urlencode({"query": query}),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
    )
    view = sparql_server.post(
        body=urllib.parse.urlencode({"query": query, "via": "flask"}),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
    )
    assert lean.status in (200, 400, 406)
    first, second = _same_reply(lean, view)
    assert first == second


def test_the_lean_path_takes_the_usual_requests_only(tmp_path: Path) -> None:
    """With Flask's view for ``/sparql`` replaced by one that fails, the usual requests are
    still answered (the lean path took them) and every other goes to the view. Checked: with
    ``_lean_request`` always None the first assertion fails; with it ignoring ``format`` the
    last one does."""
    from competency_kg.config import Settings
    from competency_kg.store import open_store
    from competency_kg.web.app import create_app

    store = open_store(None)
    store.oxigraph.add(  # type: ignore[attr-defined]
        ox.Quad(
            ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("o"), ox.NamedNode("urn:g")
        )
    )
    app = create_app(Settings(store=str(tmp_path / "unused"), base_iri="urn:x:"), store=store)

    def view_only() -> str:
        return "the view"

    app.view_functions["sparql.endpoint"] = view_only
    client = app.test_client()
    query = "SELECT ?o WHERE { ?s ?p ?o }"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    usual = [
        client.get("/sparql", query_string={"query": query}),
        client.post("/sparql", data=urllib.parse.urlencode({"query": query}), headers=form),
        client.post("/sparql", data=query, headers={"Content-Type": "application/sparql-query"}),
    ]
    assert [r.status_code for r in usual] == [200, 200, 200]
    assert all(b'"value":"o"' in r.data for r in usual)
    others = [
        client.get("/sparql"),
        client.get("/sparql", query_string={"query": query, "format": "csv"}),
        client.get("/sparql", query_string={"update": "CLEAR ALL"}),
        client.open("/sparql", method="OPTIONS"),
    ]
    assert [r.get_data(as_text=True) for r in others] == ["the view"] * len(others)
    # a form that is not UTF-8 is left to Flask, whose request checks answer it
    bad = client.post("/sparql", data=b"query=\xff", headers=form)
    assert (bad.status_code, bad.get_data(as_text=True)) == (
        400,
        "the form body is not valid UTF-8\n",
    )


def test_remote_store_behind_the_endpoint(tmp_path: Path) -> None:
    """With --store pointing at a SPARQL server, the endpoint forwards checked queries to it."""
    from remote_servers import start_oxigraph, stop

    backend = start_oxigraph(tmp_path / "oxigraph")
    try:
        data = tmp_path / "data.nt"
        data.write_text('<http://example.org/a> <http://example.org/p> "remote" .\n')
        code, log = cli("load", "--graph", "http://example.org/g", str(data), store=backend.url)
        assert code == 0, log
        server = start_server(LoadedStore(backend.url), tmp_path)
        try:
            r = server.get(params={"query": "SELECT ?o WHERE { <http://example.org/a> ?p ?o }"})
            assert r.status == 200, r.body
            assert rows(r) == [{"o": "remote"}]
            q = "ASK { <http://example.org/a> ?p ?o }"
            assert ask(server, q, **{"default-graph-uri": "http://example.org/g"})
            assert not ask(server, q, **{"default-graph-uri": "http://example.org/other"})
            r = server.get(params={"query": f"SELECT * {{ SERVICE <{backend.url}/query> {{}} }}"})
            assert r.status == 400
            assert server.get(params={"update": "CLEAR ALL"}).status == 403
            r = server.get(params={"query": "SELECT * WHERE { ?s ?p }"})
            assert r.status == 400
            assert r.text.startswith("SPARQL syntax error:")
            stop(backend)
            r = server.get(params={"query": q})
            assert r.status == 503  # unreachable: a client may retry (test_faults.py)
            assert r.text.startswith("the store's SPARQL server cannot be reached")
            assert r.headers["Retry-After"]
            assert "Traceback" not in server.log()
        finally:
            stop_server(server)
    finally:
        stop(backend)
