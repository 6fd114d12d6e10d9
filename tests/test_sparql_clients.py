"""Standard SPARQL clients against the running endpoint: SPARQLWrapper and rdflib's SPARQLStore."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import FOAF, RDF, SKOS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from sparql_support import Server
from SPARQLWrapper import GET, JSON, POST, POSTDIRECTLY, TURTLE, URLENCODED, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

pytest_plugins = ["server_fixture"]

DATA1 = "http://kasei.us/2009/09/sparql/data/data1.rdf"
DATA2 = "http://kasei.us/2009/09/sparql/data/data2.rdf"
CKG = "https://w3id.org/competency-kg/ontology#"


def wrapper(server: Server, query: str, fmt: str = JSON, method: str = GET) -> SPARQLWrapper:
    sw = SPARQLWrapper(server.endpoint)
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    sw.setMethod(method)
    return sw


# --------------------------------------------------------------------------- SPARQLWrapper
@pytest.mark.parametrize("method", [GET, POST], ids=["GET", "POST"])
def test_sparqlwrapper_select_json(sparql_server: Server, method: str) -> None:
    sw = wrapper(
        sparql_server,
        f"SELECT DISTINCT ?doc ?type WHERE {{ GRAPH ?g {{ ?doc a ?type }} "
        f"VALUES ?type {{ <{FOAF.Document}> }} "
        "FILTER(STRSTARTS(STR(?doc), 'http://kasei.us/')) } ORDER BY ?doc",
        method=method,
    )
    result = sw.query().convert()
    assert result["head"]["vars"] == ["doc", "type"]
    docs = [b["doc"]["value"] for b in result["results"]["bindings"]]
    assert docs[:2] == [DATA1, DATA2]
    assert {b["type"]["value"] for b in result["results"]["bindings"]} == {str(FOAF.Document)}


def test_sparqlwrapper_select_direct_post(sparql_server: Server) -> None:
    sw = wrapper(sparql_server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", method=POST)
    sw.setRequestMethod(POSTDIRECTLY)
    n = int(sw.query().convert()["results"]["bindings"][0]["n"]["value"])
    assert n > 3
    sw.setRequestMethod(URLENCODED)
    assert int(sw.query().convert()["results"]["bindings"][0]["n"]["value"]) == n


def test_sparqlwrapper_select_on_the_knowledge_graph(sparql_server: Server) -> None:
    sw = wrapper(
        sparql_server,
        f"PREFIX ckg: <{CKG}> PREFIX skos: <{SKOS}> "
        "SELECT ?label WHERE { ?o a ckg:Occupation ; skos:prefLabel ?label }",
    )
    labels = [b["label"]["value"] for b in sw.query().convert()["results"]["bindings"]]
    assert labels  # the seeds (or the nurse fixture) hold at least one occupation


def test_sparqlwrapper_select_xml(sparql_server: Server) -> None:
    sw = wrapper(
        sparql_server, f"SELECT ?t WHERE {{ GRAPH <{DATA1}> {{ <{DATA1}> a ?t }} }}", fmt=XML
    )
    doc = sw.query().convert()  # an xml.dom.minidom document
    values = [n.firstChild.data for n in doc.getElementsByTagName("uri")]
    assert values == [str(FOAF.Document)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [(f"ASK {{ <{DATA1}> a ?t }}", True), ("ASK { <urn:nothing> ?p ?o }", False)],
)
def test_sparqlwrapper_ask(sparql_server: Server, query: str, expected: bool) -> None:
    assert wrapper(sparql_server, query).query().convert()["boolean"] is expected


# SPARQLWrapper builds its graph with rdflib's deprecated ConjunctiveGraph.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_sparqlwrapper_construct(sparql_server: Server) -> None:
    query = f"CONSTRUCT {{ ?s a ?t }} WHERE {{ GRAPH <{DATA1}> {{ ?s a ?t }} }}"
    g = wrapper(sparql_server, query, fmt=XML).query().convert()  # RDF/XML → rdflib Graph
    assert isinstance(g, Graph)
    assert set(g) == {(URIRef(DATA1), RDF.type, FOAF.Document)}
    turtle = wrapper(sparql_server, query, fmt=TURTLE).query().convert()
    assert set(Graph().parse(data=turtle, format="turtle")) == set(g)


def test_sparqlwrapper_sees_errors(sparql_server: Server) -> None:
    with pytest.raises(QueryBadFormed):
        wrapper(sparql_server, "SELECT * WHERE { ?s ?p }").query()
    with pytest.raises(QueryBadFormed):
        wrapper(
            sparql_server, "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }"
        ).query()


# --------------------------------------------------------------------------- rdflib SPARQLStore
@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore_queries(sparql_server: Server, method: str) -> None:
    store = SPARQLStore(sparql_server.endpoint, method=method)
    g = Graph(store=store)
    rows = list(
        g.query(
            f"SELECT DISTINCT ?doc WHERE {{ GRAPH ?g {{ ?doc a <{FOAF.Document}> }} "
            "FILTER(STRSTARTS(STR(?doc), 'http://kasei.us/')) } ORDER BY ?doc"
        )
    )
    assert [r.doc for r in rows] == [
        URIRef(DATA1),
        URIRef(DATA2),
        URIRef("http://kasei.us/2009/09/sparql/data/data3.rdf"),
    ]
    assert g.query(f"ASK {{ <{DATA1}> a <{FOAF.Document}> }}").askAnswer is True
    constructed = g.query(f"CONSTRUCT {{ ?s a ?t }} WHERE {{ GRAPH <{DATA2}> {{ ?s a ?t }} }}")
    assert set(constructed.graph) == {(URIRef(DATA2), RDF.type, FOAF.Document)}
    store.close()


def test_rdflib_sparqlstore_triples_and_dataset(sparql_server: Server) -> None:
    store = SPARQLStore(sparql_server.endpoint)
    g = Graph(store=store)
    assert (URIRef(DATA1), RDF.type, FOAF.Document) in g
    assert set(g.subjects(RDF.type, FOAF.Document)) >= {URIRef(DATA1), URIRef(DATA2)}
    # A graph with a name sends it as default-graph-uri: the protocol's dataset.
    only1 = Graph(store=store, identifier=URIRef(DATA1))
    assert set(only1.subjects(RDF.type, FOAF.Document)) == {URIRef(DATA1)}
    assert len(only1) == 1
    label = next(iter(g.objects(None, SKOS.prefLabel)), None)
    assert isinstance(label, Literal)
    store.close()
