"""The W3C SPARQL 1.1 Protocol test suite (tests/w3c/sparql11-protocol), run against the real
server over HTTP.

Each manifest entry is a list of ``ht:Request``s with the expected status class, result format
and boolean. The endpoint is read-only: an ``update_*`` test's update request must be refused
with a 4xx status, and the ASK query that follows it must find that nothing changed (false
where the suite, for a writable store, expects true).
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pytest
from rdflib import RDF, Graph, Namespace
from rdflib.collection import Collection
from sparql_support import W3C_PROTOCOL, Reply, Server, fetch, parse_rdf

pytest_plugins = ["server_fixture"]

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
SRX = "{http://www.w3.org/2005/sparql-results#}"

RESULT_TYPES = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}


@dataclass
class Exchange:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[int]  # acceptable status classes: 2, 3, 4
    format: str | None
    boolean: bool | None


@dataclass
class ProtocolTest:
    name: str
    title: str
    exchanges: list[Exchange] = field(default_factory=list)


def _manifest() -> list[ProtocolTest]:
    g = Graph().parse(W3C_PROTOCOL / "manifest.ttl", format="turtle")
    manifest = next(iter(g.subjects(RDF.type, MF.Manifest)))
    tests = []
    for entry in Collection(g, g.value(manifest, MF.entries)):
        test = ProtocolTest(str(entry).rsplit("#", 1)[-1], str(g.value(entry, MF.name)))
        action = g.value(entry, MF.action)
        for req in Collection(g, g.value(action, HT.requests)):
            headers = {}
            if (hlist := g.value(req, HT.headers)) is not None:
                for h in Collection(g, hlist):
                    headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
            body = None
            if (b := g.value(req, HT.body)) is not None:
                encoding = str(g.value(b, CNT.characterEncoding) or "UTF-8")
                body = str(g.value(b, CNT.chars)).encode(encoding)
            resp = g.value(req, HT.resp)
            statuses = {
                int(str(s).rsplit("StatusCode", 1)[1][0])
                for s in g.objects(resp, MF.expectedStatus)
            }
            fmt = g.value(resp, MF.expectedFormat)
            boolean = g.value(resp, MF.expectedBoolean)
            test.exchanges.append(
                Exchange(
                    method=str(g.value(req, HT.methodName)),
                    path=str(g.value(req, HT.absolutePath)),
                    headers=headers,
                    body=body,
                    statuses=statuses,
                    format=str(fmt) if fmt is not None else None,
                    boolean=boolean.toPython() if boolean is not None else None,
                )
            )
        tests.append(test)
    return tests


TESTS = _manifest()


def test_the_suite_has_all_34_tests() -> None:
    assert len(TESTS) == 34
    assert sum(t.name.startswith("update_") for t in TESTS) == 7


def _endpoint_path(path: str) -> str:
    assert path.startswith("/sparql/")
    return "/sparql" + path[len("/sparql/") :]


def _boolean(reply: Reply) -> bool:
    if reply.content_type == "application/sparql-results+json":
        return json.loads(reply.body)["boolean"]
    if reply.content_type == "application/sparql-results+xml":
        el = ET.fromstring(reply.body).find(f"{SRX}boolean")
        assert el is not None, reply.text
        return el.text == "true"
    raise AssertionError(f"not a boolean result format: {reply.content_type}")


def _check_format(reply: Reply, fmt: str) -> None:
    ctype = reply.content_type
    if fmt == "boolean":
        _boolean(reply)
    elif fmt == "tabular":
        assert ctype in RESULT_TYPES, ctype
        if ctype.endswith("json"):
            assert "bindings" in json.loads(reply.body)["results"]
        elif ctype.endswith("xml"):
            assert ET.fromstring(reply.body).find(f"{SRX}results") is not None
        else:
            delimiter = "," if ctype == "text/csv" else "\t"
            assert list(csv.reader(io.StringIO(reply.text), delimiter=delimiter))
    elif fmt == "RDF":
        assert ctype in RDF_TYPES, ctype
        parse_rdf(reply.body, ctype)
    else:
        raise AssertionError(f"unknown expected format {fmt}")


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_protocol(sparql_server: Server, test: ProtocolTest) -> None:
    # Every graph the suite names is in the store.
    assert {
        "http://kasei.us/2009/09/sparql/data/data1.rdf",
        "http://kasei.us/2009/09/sparql/data/data2.rdf",
        "http://kasei.us/2009/09/sparql/data/data3.rdf",
    } <= set(sparql_server.store.graphs)
    read_only_refusal = test.name.startswith("update_")
    for i, ex in enumerate(test.exchanges):
        reply = fetch(
            sparql_server.url,
            _endpoint_path(ex.path),
            method=ex.method,
            headers=ex.headers,
            body=ex.body,
        )
        where = f"{test.name} request {i + 1} ({test.title}): {reply.status} {reply.body[:300]!r}"
        if read_only_refusal and i == 0:
            assert 400 <= reply.status < 500, where
            assert b"read-only" in reply.body, where
            continue
        assert reply.status // 100 in ex.statuses, where
        assert b"Traceback" not in reply.body, where
        if ex.format is not None:
            _check_format(reply, ex.format)
        if ex.boolean is not None:
            expected = False if read_only_refusal else ex.boolean
            assert _boolean(reply) is expected, where
