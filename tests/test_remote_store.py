"""The same store interface over the embedded store, Virtuoso and the Oxigraph server.

The seeds (and a variant framework document) are loaded through the real ``competency-kg``
command into each remote backend and into an embedded reference store; the same queries must
then give each remote backend the reference's answers, and writes, dumps and errors must behave
alike. (The embedded store is the reference, never a backend compared with itself.)
"""

from __future__ import annotations

import io
import json
import re
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import XSD, BNode, Graph, Literal, URIRef
from remote_servers import VIRTUOSO_MAX_ROWS, Server, free_port, oxigraph_server, virtuoso

from competency_kg.examples import Example, load_examples
from competency_kg.store import (
    DescriptionReplacement,
    GraphReplacement,
    GraphStore,
    StoreError,
    open_store,
)
from competency_kg.store.remote import STAGING_PREFIX, RemoteStore, parse_store_url

from support import FIXTURES, SEEDS, run_cli

__all__ = ["oxigraph_server", "virtuoso"]  # session fixtures, used by name

SOURCES = [str(SEEDS), str(FIXTURES / "framework" / "nurse-framework.json")]
BACKENDS = ["virtuoso", "oxigraph"]  # each compared with the embedded reference
EX = "http://example.org/remote-test/"
T1, T2, TMETA = URIRef(EX + "g1"), URIRef(EX + "g2"), URIRef(EX + "meta")

PREFIXES = """
PREFIX ckg:   <https://w3id.org/competency-kg/ontology#>
PREFIX skos:  <http://www.w3.org/2004/02/skos/core#>
PREFIX ceasn: <https://purl.org/ctdlasn/terms/>
PREFIX rdf:   <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""

#: Queries over the loaded data: (name, query); each must give the reference's answer.
SELECTS = {
    "statements by level": """
        SELECT ?level (COUNT(?st) AS ?n) WHERE {
          ?st ckg:atLevel ?l . ?l skos:prefLabel ?level
        } GROUP BY ?level""",
    "statement text search": """
        SELECT ?st ?text WHERE {
          ?st ceasn:competencyText ?text
          FILTER(CONTAINS(LCASE(STR(?text)), "data"))
        }""",
    "requirements join": """
        SELECT ?occupation ?competency ?level WHERE {
          ?o ckg:requires ?r ; skos:prefLabel ?occupation .
          ?r ckg:competency/skos:prefLabel ?competency .
          OPTIONAL { ?r ckg:requiredLevel/skos:prefLabel ?level }
        } ORDER BY ?occupation ?competency""",
    "instances per class": """
        SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class""",
    "triples per graph": """
        SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g""",
    "english competency labels": """
        SELECT ?c ?label WHERE {
          ?c a ckg:Competency ; skos:prefLabel ?label
          FILTER(LANGMATCHES(LANG(?label), "en"))
        }""",
    "numbers and positions": """
        SELECT ?entry ?pos WHERE { ?entry <https://schema.org/position> ?pos FILTER(?pos <= 3) }""",
    "statements per source graph": """
        SELECT ?g (COUNT(?st) AS ?n) WHERE {
          GRAPH ?g { ?st a ckg:CompetencyStatement }
        } GROUP BY ?g""",
}
WHEN = "http://www.w3.org/ns/prov#generatedAtTime"
CONSTRUCT = """
    CONSTRUCT { ?o skos:prefLabel ?label ; ckg:usesTool ?tool }
    WHERE { ?o a ckg:Occupation ; skos:prefLabel ?label OPTIONAL { ?o ckg:usesTool ?tool } }"""


# --------------------------------------------------------------------------- fixtures
@dataclass
class Backend:
    name: str
    url: str  # what --store gets
    store: GraphStore


def _load(url: str) -> None:
    started = time.monotonic()
    done = run_cli("load", *SOURCES, store=url)  # type: ignore[arg-type]
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    print(f"load into {url.split('@')[-1]}: {time.monotonic() - started:.1f} s")


@pytest.fixture(scope="module")
def reference_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("reference") / "store")
    _load(path)
    return path


@pytest.fixture(scope="module")
def reference(reference_path: str) -> Iterator[GraphStore]:
    store = open_store(reference_path)
    yield store
    store.close()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """Each remote backend, loaded by the CLI like the reference."""
    server: Server = request.getfixturevalue(
        "virtuoso" if request.param == "virtuoso" else "oxigraph_server"
    )
    _load(server.url)
    store = open_store(server.url)
    yield Backend(request.param, server.url, store)
    store.close()


@pytest.fixture(params=["embedded", *BACKENDS])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """A new embedded store or a remote one: for what is checked without a reference
    (writes, errors), on every backend."""
    if request.param == "embedded":
        store = open_store(tmp_path / "store")
    else:
        server: Server = request.getfixturevalue(
            "virtuoso" if request.param == "virtuoso" else "oxigraph_server"
        )
        store = open_store(server.url)
    yield store
    store.close()


@pytest.fixture(params=["virtuoso", "oxigraph"])
def remote_url(request: pytest.FixtureRequest) -> str:
    server: Server = request.getfixturevalue(
        "virtuoso" if request.param == "virtuoso" else "oxigraph_server"
    )
    return server.url


@pytest.fixture
def remote(remote_url: str) -> Iterator[RemoteStore]:
    store = RemoteStore(remote_url)
    yield store
    store.replace_graphs([GraphReplacement(g, None) for g in (T1, T2, TMETA)])
    store.close()


# --------------------------------------------------------------------------- helpers
def norm(term: object) -> object:
    """A term as comparable data: blank nodes are all alike; language tags ignore case."""
    if isinstance(term, BNode):
        return "_:b"
    if isinstance(term, Literal):
        return ("literal", str(term), str(term.datatype or ""), (term.language or "").lower())
    return str(term)


def rows_of(store: GraphStore, query: str) -> Counter[frozenset]:
    return Counter(frozenset((k, norm(v)) for k, v in row.items()) for row in store.select(query))


def triples_of(graph: Graph) -> set[tuple[object, ...]]:
    return {tuple(norm(t) for t in triple) for triple in graph}


def quads_of(nquads: bytes) -> set[tuple[object, ...]]:
    """Quads of an N-Quads dump, blank nodes and language-tag case normalised."""

    def n(t: object) -> object:
        if isinstance(t, ox.BlankNode):
            return "_:b"
        if isinstance(t, ox.Literal):
            return (t.value, t.datatype.value, (t.language or "").lower())
        return str(t)

    return {
        (n(q.subject), n(q.predicate), n(q.object), n(q.graph_name))
        for q in ox.parse(nquads, ox.RdfFormat.N_QUADS)
    }


def stable(graph: Graph) -> set[tuple[object, ...]]:
    """A graph's triples but the load times, which differ from load to load."""
    return {t for t in triples_of(graph) if t[1] != WHEN}


def data_graphs(store: GraphStore) -> list[URIRef]:
    return [g for g in store.graph_names() if not g.startswith(EX)]


def graph(*triples: tuple[str, str, object]) -> Graph:
    g = Graph()
    for s, p, o in triples:
        g.add((URIRef(EX + s), URIRef(EX + p), o if isinstance(o, Literal) else URIRef(EX + o)))
    return g


# --------------------------------------------------------------------------- same answers
@pytest.mark.parametrize("name", sorted(SELECTS))
def test_select_gives_the_reference_answer(
    backend: Backend, reference: GraphStore, name: str
) -> None:
    query = PREFIXES + SELECTS[name]
    expected = rows_of(reference, query)
    assert expected, f"the reference has no answer to {name!r}: a useless test"
    assert rows_of(backend.store, query) == expected


def test_ask_and_construct_give_the_reference_answer(
    backend: Backend, reference: GraphStore
) -> None:
    for ask in ("ASK { ?o ckg:requires ?r }", "ASK { ?o ckg:requires ckg:nothing }"):
        assert backend.store.ask(PREFIXES + ask) == reference.ask(PREFIXES + ask)
    expected = triples_of(reference.construct(PREFIXES + CONSTRUCT))
    assert expected and triples_of(backend.store.construct(PREFIXES + CONSTRUCT)) == expected


def test_bindings_give_the_reference_answer(backend: Backend, reference: GraphStore) -> None:
    query = PREFIXES + "SELECT ?competency WHERE { ?o ckg:requires/ckg:competency ?competency }"
    occupations = [r["o"] for r in reference.select(PREFIXES + "SELECT ?o { ?o ckg:requires ?r }")]
    for occupation in set(occupations):
        bound = {"o": occupation}
        assert rows_of_bound(backend.store, query, bound) == rows_of_bound(reference, query, bound)
    hostile = Literal('x" } ; DROP ALL ; #')
    assert backend.store.select("SELECT ?s WHERE { ?s ?p ?o }", {"o": hostile}) == []
    built = PREFIXES + "CONSTRUCT { ?o ckg:requires ?r } WHERE { ?o ckg:requires ?r }"
    one = {"o": occupations[0]}
    assert triples_of(backend.store.construct(built, one)) == triples_of(
        reference.construct(built, one)
    )


def rows_of_bound(store: GraphStore, query: str, bindings: dict) -> Counter[frozenset]:
    return Counter(
        frozenset((k, norm(v)) for k, v in row.items()) for row in store.select(query, bindings)
    )


def test_graph_names_and_counts_match(backend: Backend, reference: GraphStore) -> None:
    names = data_graphs(reference)
    assert len(names) >= 4  # the sources and the metadata graph
    assert data_graphs(backend.store) == names
    counts = {name: reference.triple_count(name) for name in names}
    for name in names:
        assert backend.store.triple_count(name) == counts[name]
    # Whole graphs: the metadata graph and the biggest (past Virtuoso's cap: read in pages).
    for name in {max(counts, key=lambda n: counts[n]), *(n for n in names if "metadata" in n)}:
        assert stable(backend.store.graph(name)) == stable(reference.graph(name))
    assert backend.store.triple_count() == reference.triple_count()


def test_dump_round_trips(backend: Backend, reference: GraphStore) -> None:
    """N-Quads dumps hold the same quads (bar load times); the other formats parse."""
    mine, theirs = io.BytesIO(), io.BytesIO()
    backend.store.dump(mine, "application/n-quads")
    reference.dump(theirs, "application/n-quads")
    drop = lambda quads: {q for q in quads if q[1] != f"<{WHEN}>"}  # noqa: E731
    assert drop(quads_of(mine.getvalue())) == drop(quads_of(theirs.getvalue()))
    reloaded = ox.Store()
    reloaded.load(mine.getvalue(), ox.RdfFormat.N_QUADS)
    assert len(reloaded) == reference.triple_count()
    # The graphs merged (the other formats are the same rows through another writer).
    buf, ref = io.BytesIO(), io.BytesIO()
    backend.store.dump(buf, "text/turtle")
    reference.dump(ref, "text/turtle")
    merged = lambda data: len(list(ox.parse(data, ox.RdfFormat.TURTLE)))  # noqa: E731
    assert merged(buf.getvalue()) == merged(ref.getvalue())


def test_query_raw_speaks_each_format(backend: Backend, reference: GraphStore) -> None:
    select = PREFIXES + SELECTS["statements by level"]
    for mime, fmt in [
        ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
        ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
        ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
    ]:
        raw = backend.store.query_raw(select, results_mime=mime)
        assert (raw.kind, raw.mime) == ("select", mime)
        solutions = ox.parse_query_results(raw.data, fmt)
        assert len(list(solutions)) == len(reference.select(select)), mime
    csv = backend.store.query_raw(select, results_mime="text/csv")
    assert csv.kind == "select" and csv.data.decode().splitlines()[0].strip() in (
        "level,n",
        '"level","n"',
    )
    ask = backend.store.query_raw(PREFIXES + "ASK { ?o ckg:requires ?r }")
    assert ask.kind == "ask" and json.loads(ask.data)["boolean"] is True
    for mime, fmt in [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/n-quads", ox.RdfFormat.N_QUADS),
    ]:
        raw = backend.store.query_raw(PREFIXES + CONSTRUCT, graph_mime=mime)
        assert (raw.kind, raw.mime) == ("graph", mime)
        assert len(list(ox.parse(raw.data, fmt))) == len(reference.construct(PREFIXES + CONSTRUCT))
    meta = [str(g) for g in reference.graph_names() if g.endswith("/metadata")]
    raw = backend.store.query_raw(
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graphs=meta, named_graphs=[]
    )
    n = json.loads(raw.data)["results"]["bindings"][0]["n"]["value"]
    assert int(n) == reference.triple_count(URIRef(meta[0]))


def test_bad_query_is_a_syntax_error(any_store: GraphStore) -> None:
    with pytest.raises(SyntaxError):
        any_store.select("SELECT ?s WHERE { ?s ?p ")


# --------------------------------------------------------------------------- writes
def test_replace_is_whole_graph_and_atomic_on_bad_data(any_store: GraphStore) -> None:
    store = any_store
    try:
        store.replace_graphs([GraphReplacement(T1, graph(("a", "p", "b"), ("a", "p", "c")))])
        store.replace_graphs([GraphReplacement(T1, graph(("x", "p", "y")))])
        assert triples_of(store.graph(T1)) == triples_of(graph(("x", "p", "y")))
        bad = Graph()
        bad.add((URIRef(EX + "s"), URIRef(EX + "p"), URIRef("http://exa mple.org/bad iri")))
        with pytest.raises((StoreError, SyntaxError, ValueError)):
            store.replace_graphs([GraphReplacement(T1, Graph()), GraphReplacement(T2, bad)])
        assert triples_of(store.graph(T1)) == triples_of(graph(("x", "p", "y")))
        assert T2 not in store.graph_names()
        d = lambda s, o: DescriptionReplacement(TMETA, (URIRef(EX + s),), graph((s, "p", o)))  # noqa: E731
        store.replace_graphs([], [d("a", "1")])
        store.replace_graphs([], [d("b", "2")])
        store.replace_graphs([], [d("a", "3")])
        assert triples_of(store.graph(TMETA)) == triples_of(graph(("a", "p", "3"), ("b", "p", "2")))
    finally:
        store.replace_graphs([GraphReplacement(g, None) for g in (T1, T2, TMETA)])
    assert not any(g.startswith(EX) for g in store.graph_names())


def _tricky() -> Graph:
    g = graph(("a", "p", Literal('é\n"q" \\ tab\t 𝄞 <>{}', lang="en-GB")))
    g.add(
        (
            URIRef(EX + "a"),
            URIRef(EX + "p"),
            Literal(
                "2026-01-02T03:04:05+00:00",
                datatype=URIRef("http://www.w3.org/2001/XMLSchema#dateTime"),
            ),
        )
    )
    g.add((URIRef(EX + "a"), URIRef(EX + "p"), Literal(42)))
    g.add((URIRef(EX + "a"), URIRef(EX + "p"), Literal("x" * 5000)))
    b = BNode()
    g.add((URIRef(EX + "a"), URIRef(EX + "q"), b))
    g.add((b, URIRef(EX + "p"), Literal("inside a blank node")))
    return g


def test_terms_survive_the_trip(remote: RemoteStore) -> None:
    remote.replace_graphs([GraphReplacement(T1, _tricky())])
    assert triples_of(remote.graph(T1)) == triples_of(_tricky())
    got = remote.select(f"SELECT ?o WHERE {{ <{EX}a> <{EX}p> ?o }}")
    assert {norm(r["o"]) for r in got} == {
        norm(o) for o in _tricky().objects(URIRef(EX + "a"), URIRef(EX + "p"))
    }


def test_big_replacement_is_staged_and_swapped(remote: RemoteStore, remote_url: str) -> None:
    """Past max_request_bytes the triples go to staging graphs first, then one swap."""
    small = RemoteStore(remote_url, max_request_bytes=30_000, block_triples=200)
    remote.replace_graphs([GraphReplacement(T1, graph(("old", "p", "x")))])
    g = Graph()
    for i in range(1200):
        g.add((URIRef(f"{EX}s{i}"), URIRef(EX + "p"), Literal(f"value {i}")))
        b = BNode()
        g.add((URIRef(f"{EX}s{i}"), URIRef(EX + "b"), b))
        g.add((b, URIRef(EX + "n"), Literal(i)))
    meta = DescriptionReplacement(TMETA, (T1,), graph(("g1", "count", Literal(len(g)))))
    small.replace_graphs([GraphReplacement(T1, g), GraphReplacement(T2, None)], [meta])
    assert small.triple_count(T1) == 3600
    blank = small.select(
        "SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE "
        f"{{ GRAPH <{T1}> {{ ?s <{EX}b> ?b . ?b <{EX}n> ?i }} }}"
    )
    assert int(blank[0]["n"]) == 1200
    assert triples_of(small.graph(TMETA)) == triples_of(meta.graph)
    assert not [g for g in small._all_graphs() if g.startswith(STAGING_PREFIX)]


def test_bulk_replace_streams_a_file(remote: RemoteStore, tmp_path: Path) -> None:
    remote.replace_graphs([GraphReplacement(T1, graph(("old", "p", "x")))])
    big = tmp_path / "big.nt"
    with big.open("w") as f:
        for i in range(10_500):  # past Virtuoso's result cap: graph() reads it in pages
            f.write(f'<{EX}s{i}> <{EX}p> "value {i}" .\n')
        f.write(f'<{EX}s> <{EX}p> _:x .\n_:x <{EX}p> "blank" .\n')
    meta = DescriptionReplacement(TMETA, (T1,), graph(("g1", "p", "described")))
    remote.bulk_replace(T1, big, [meta])
    assert remote.triple_count(T1) == 10_502 and remote.triple_count(TMETA) == 1
    assert len(remote.graph(T1)) == 10_502
    bad = tmp_path / "bad.nt"
    lines = big.read_text().splitlines(keepends=True)
    bad.write_text("".join(lines[:2500]) + "<broken\n")  # fails after a block was staged
    with pytest.raises(StoreError, match="store unchanged"):
        remote.bulk_replace(T1, bad)
    assert remote.triple_count(T1) == 10_502
    assert not [g for g in remote._all_graphs() if g.startswith(STAGING_PREFIX)]


def test_what_one_update_request_guarantees(remote: RemoteStore) -> None:
    """What the module doc promises per server, shown on the servers themselves."""
    old = triples_of(graph(("old", "p", "x")))
    new = triples_of(graph(("new", "p", "x")))
    remote.replace_graphs([GraphReplacement(T1, graph(("old", "p", "x")))])
    swap = (
        f"DROP SILENT GRAPH <{T1}> ;\n"
        f"INSERT DATA {{ GRAPH <{T1}> {{ <{EX}new> <{EX}p> <{EX}x> }} }} ;\n"
    )
    # Malformed: refused before anything runs, on every server.
    with pytest.raises(StoreError):
        remote._send(swap + "INSERT DATA { <broken ", update=True)
    assert triples_of(remote.graph(T1)) == old
    # An operation that fails at run time, after the drop and the insert.
    with pytest.raises(StoreError, match="HTTP 500"):
        remote._send(swap + f"CREATE GRAPH <{T1}>", update=True)
    if remote.server() == "virtuoso":
        assert triples_of(remote.graph(T1)) == new  # Virtuoso keeps what ran before
    else:
        assert triples_of(remote.graph(T1)) == old  # one transaction: nothing changed


def test_cli_reads_a_remote_store(oxigraph_server: Server) -> None:
    done = run_cli("--store", oxigraph_server.url, "stats", store=Path("unused"))
    assert done.returncode == 0, done.stderr
    assert "ckg:Occupation" in done.stdout


# --------------------------------------------------------------------------- errors
def test_unreachable_server_is_a_clean_store_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/sparql"
    store = open_store(url)
    with pytest.raises(StoreError, match="cannot reach the SPARQL endpoint"):
        store.select("SELECT * WHERE { ?s ?p ?o }")
    with pytest.raises(StoreError, match="cannot reach"):
        store.replace_graphs([GraphReplacement(T1, graph(("a", "p", "b")))])
    done = run_cli("--store", url, "load", SOURCES[1], store=Path("unused"))
    assert done.returncode == 2
    assert "error: cannot reach the SPARQL endpoint" in done.stderr
    assert "Traceback" not in done.stderr


def test_wrong_password_is_refused(virtuoso: Server) -> None:
    url = virtuoso.url.replace(":dba@", ":wrong@")
    with pytest.raises(StoreError, match="refused access"):
        RemoteStore(url).replace_graphs([GraphReplacement(T1, graph(("a", "p", "b")))])


def test_credentials_from_the_environment(virtuoso: Server) -> None:
    public = virtuoso.public_url + "-auth"
    env = {"COMPETENCY_KG_STORE_USER": "dba", "COMPETENCY_KG_STORE_PASSWORD": "dba"}
    store = RemoteStore(public, environ=env)
    try:
        store.replace_graphs([GraphReplacement(T1, graph(("a", "p", "b")))])
        assert store.triple_count(T1) == 1
    finally:
        store.replace_graphs([GraphReplacement(T1, None)])
    assert "password" not in repr(store.endpoints)


def test_virtuoso_result_cap_is_an_error_not_a_short_answer(virtuoso: Server) -> None:
    store = RemoteStore(virtuoso.public_url)
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    with pytest.raises(StoreError, match=f"cut the result at {VIRTUOSO_MAX_ROWS} rows"):
        store.select(query)
    with pytest.raises(StoreError, match="cut the result"):
        store.query_raw(query)


def test_store_url_convention() -> None:
    env: dict[str, str] = {}
    ox_ = parse_store_url("http://127.0.0.1:7878", env)
    assert (ox_.query, ox_.update) == (
        "http://127.0.0.1:7878/query",
        "http://127.0.0.1:7878/update",
    )
    fuseki = parse_store_url("http://h:3030/ds/query", env)
    assert fuseki.update == "http://h:3030/ds/update"
    v = parse_store_url("https://u:p%40ss@h:8890/sparql-auth", env)
    assert (v.query, v.update, v.user, v.password) == (
        "https://h:8890/sparql-auth",
        "https://h:8890/sparql-auth",
        "u",
        "p@ss",
    )
    env = {"COMPETENCY_KG_STORE_UPDATE_URL": "http://h/up", "COMPETENCY_KG_STORE_USER": "me"}
    e = parse_store_url("http://h/sparql?x=1", env)
    assert (e.query, e.update, e.user) == ("http://h/sparql?x=1", "http://h/up", "me")
    with pytest.raises(StoreError):
        parse_store_url("ftp://h/sparql", env)


# --------------------------------------------------------------------------- a set, not a bag
SET_GRAPHS = ("urn:x-test:set:g1", "urn:x-test:set:g2")
SET_OTHER = URIRef("urn:x-test:set:other")
SET_COUNT = (
    "SELECT (COUNT(*) AS ?n) (SUM(?o) AS ?sum) {} WHERE {{ <urn:x-test:s> <urn:x-test:p> ?o }}"
)


def _raw_count(server: Server, query: str) -> tuple[int, int]:
    """What the server itself answers, bypassing this project (its public query endpoint)."""
    endpoint = server.public_url + ("/query" if "oxigraph" in server.name.lower() else "")
    body = urllib.parse.urlencode({"query": query}).encode()
    request = urllib.request.Request(
        endpoint, data=body, headers={"Accept": "application/sparql-results+json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        [row] = json.load(response)["results"]["bindings"]
    return int(row["n"]["value"]), int(row["sum"]["value"])


@pytest.mark.parametrize("server_name", ["virtuoso", "oxigraph_server"])
def test_remote_default_graph_is_a_set(server_name: str, request: pytest.FixtureRequest) -> None:
    """Oxigraph #1919's reproduction on each server: ``<s> <p> 10`` in two graphs.

    The servers themselves answer a bag for ``FROM g1 FROM g2`` (COUNT 2, SUM 20: Oxigraph
    #1919, Virtuoso #1406); through this project's remote store the default graph is the merge
    (COUNT 1, SUM 10), a ``FROM`` of every source graph reads the merge too, and a ``FROM`` of
    some of them is refused with a message rather than answered wrongly. (Checked to fail: with
    ``RemoteStore._dataset`` sending the source graphs as the default graph, COUNT is 2.)

    The two graphs are written by the store's own write (``replace_graphs``, which keeps the
    merge, as ``load`` ends by doing), not by two ``load`` commands: a load also recomputes the
    links, the entailed graph and the figures over the whole store, here the seeds of the
    comparisons above, which took Virtuoso 100 s of the suite's time for nothing this test is
    about (loading through the CLI is what :func:`backend` does).
    """
    server: Server = request.getfixturevalue(server_name)
    store = open_store(server.url)
    shared = Graph()
    shared.add((URIRef("urn:x-test:s"), URIRef("urn:x-test:p"), Literal(10)))
    other = Graph()  # a third graph: FROM g1 FROM g2 is then some of the graphs, not all
    other.add((URIRef("urn:x-test:other"), URIRef("urn:x-test:p"), Literal(1)))
    store.replace_graphs(
        [
            *(GraphReplacement(URIRef(g), shared) for g in SET_GRAPHS),
            GraphReplacement(SET_OTHER, other),
        ]
    )
    try:
        from_both = "".join(f"FROM <{g}> " for g in SET_GRAPHS)
        assert _raw_count(server, SET_COUNT.format(from_both)) == (2, 20)  # the server's bag
        [row] = store.select(SET_COUNT.format(""))
        assert (int(row["n"]), int(row["sum"])) == (1, 10)
        done = run_cli("query", "--format", "csv", SET_COUNT.format(""), store=server.url)  # type: ignore[arg-type]
        assert done.returncode == 0 and done.stdout.splitlines()[1:] == ["1,10"], done.stderr
        every = "".join(f"FROM <{g}> " for g in store.graph_names())
        [row] = store.select(SET_COUNT.format(every))
        assert (int(row["n"]), int(row["sum"])) == (1, 10)
        with pytest.raises(ValueError, match="cannot be evaluated as a set"):
            store.select(SET_COUNT.format(from_both))
        rows = store.select("SELECT ?g WHERE { GRAPH ?g { <urn:x-test:s> ?p ?o } }")
        assert sorted(str(r["g"]) for r in rows) == list(SET_GRAPHS)
    finally:
        gone = [
            *(GraphReplacement(URIRef(g), None) for g in SET_GRAPHS),
            GraphReplacement(SET_OTHER, None),
        ]
        store.replace_graphs(gone)
        store.close()


# --------------------------------------------------------------------------- example queries
EXAMPLES = load_examples()

#: Where Virtuoso 7.2 gets an example wrong (an engine bug, not a difference the standard allows).
VIRTUOSO_FAILS = {
    "learning-path-between-two-occupations": "Virtuoso 7.2's SQL compiler fails on the query "
    "(HTTP 500, error SQ156 'Internal Optimized compiler error': Bad dfe in sqlo_place_exp)",
}

#: ``GROUP_CONCAT(… ; separator="s") … AS ?v`` (perhaps inside COALESCE) and ``SAMPLE(?x) AS ?v``.
_GROUP_CONCAT = re.compile(
    r"GROUP_CONCAT\s*\(((?:[^()]|\([^()]*\))*)\)[^?]*?\bAS\s+\?(\w+)", re.IGNORECASE
)
_SEPARATOR = re.compile(r'separator\s*=\s*"([^"]*)"', re.IGNORECASE)
_SAMPLE = re.compile(r"SAMPLE\s*\(\s*\?(\w+)\s*\)(\s*AS\s+\?(\w+))", re.IGNORECASE)
_FLOATS = (XSD.double, XSD.float)
_UNIT = "\u001f"  # separates the members of a group in the reference's SAMPLE check


@dataclass(frozen=True)
class Leeway:
    """What SPARQL 1.1 leaves to the engine in one query's answer: the order of the parts of a
    GROUP_CONCAT (§18.5.1.7), the value SAMPLE picks (§18.5.1.8) and the rounding of doubles
    (Virtuoso prints six significant digits)."""

    concat: dict[str, str]  # GROUP_CONCAT result -> its separator
    samples: frozenset[str]  # SAMPLE results

    @classmethod
    def of(cls, query: str) -> Leeway:
        concat = {}
        for args, var in _GROUP_CONCAT.findall(query):
            sep = _SEPARATOR.search(args)
            concat[var] = sep.group(1) if sep else " "
        return cls(concat, frozenset(m.group(3) for m in _SAMPLE.finditer(query)))

    def term(self, var: str, term: object) -> object:
        if isinstance(term, Literal) and var in self.concat:
            parts = sorted(str(term).split(self.concat[var]))
            return norm(Literal(self.concat[var].join(parts), term.language, term.datatype))
        if isinstance(term, Literal) and term.datatype in _FLOATS:
            return ("literal", f"{float(term):.6g}", str(term.datatype), "")
        return norm(term)

    def key(self, row: dict) -> frozenset:
        """A row, what the engine may choose normalised, SAMPLE results left out."""
        return frozenset((k, self.term(k, v)) for k, v in row.items() if k not in self.samples)

    def rows(self, store: GraphStore, query: str) -> Counter[frozenset]:
        return Counter(self.key(row) for row in store.select(query))


def samples_are_members(
    reference: GraphStore, backend: GraphStore, query: str, leeway: Leeway
) -> None:
    """Each SAMPLE the backend picked is a member of its group, as the reference finds the
    group (the query with each ``SAMPLE(?x)`` turned into every distinct ``STR(?x)``)."""
    every = _SAMPLE.sub(
        lambda m: f'GROUP_CONCAT(DISTINCT STR(?{m.group(1)}); separator="{_UNIT}"){m.group(2)}',
        query,
    )
    members = {
        leeway.key(row): {s: set(str(row[s]).split(_UNIT)) for s in leeway.samples if s in row}
        for row in reference.select(every)
    }
    for row in backend.select(query):
        for s in leeway.samples & row.keys():
            assert str(row[s]) in members[leeway.key(row)][s], (s, row)


def test_leeway_normalises_only_what_the_engine_chooses() -> None:
    """The normalisation itself: parts sorted, doubles rounded, SAMPLEs found; other terms as
    they are (so a wrong count or label still differs)."""
    query = (
        'SELECT ?a (COALESCE(GROUP_CONCAT(DISTINCT ?x; separator="; "), "") AS ?xs) '
        "(GROUP_CONCAT(STR(?y)) AS ?ys) (SAMPLE(?z) AS ?one) WHERE {} GROUP BY ?a"
    )
    leeway = Leeway.of(query)
    assert leeway == Leeway({"xs": "; ", "ys": " "}, frozenset({"one"}))
    assert leeway.term("xs", Literal("b; a")) == leeway.term("xs", Literal("a; b"))
    assert leeway.term("a", Literal("b; a")) != leeway.term("a", Literal("a; b"))
    third = Literal(1 / 3, datatype=XSD.double)
    assert leeway.term("a", third) == leeway.term("a", Literal("0.333333", datatype=XSD.double))
    assert leeway.term("a", third) != leeway.term("a", Literal("0.333334", datatype=XSD.double))
    assert leeway.term("a", Literal(2)) != leeway.term("a", Literal(3))


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_the_site_example_queries_give_the_reference_answer(
    backend: Backend, reference: GraphStore, example: Example, request: pytest.FixtureRequest
) -> None:
    """The editor's worked examples answer the same on Virtuoso and the Oxigraph server as on
    the embedded store: rows compared as multisets, blank nodes and tag case normalised, and
    what the standard leaves to the engine too (:class:`Leeway`).

    Checked by breaking it: without the GROUP_CONCAT sort, hot-technologies fails on Virtuoso;
    without the rounding, nearest-occupations does; with the SAMPLE columns compared as they
    are, job-zone-occupations-sharing-tools does (and a SAMPLE that is no member of its group
    fails :func:`samples_are_members`); and the example query as it was before the
    workaround (FILTERs reading ?occupation in the OPTIONAL only) fails on Virtuoso with every
    sharedWith 0."""
    if backend.name == "virtuoso" and example.id in VIRTUOSO_FAILS:
        request.applymarker(
            pytest.mark.xfail(reason=VIRTUOSO_FAILS[example.id], raises=StoreError, strict=True)
        )
    leeway = Leeway.of(example.text)
    expected = leeway.rows(reference, example.text)
    assert expected, f"the reference has no answer to {example.id!r}: a useless test"
    assert leeway.rows(backend.store, example.text) == expected
    if leeway.samples:
        samples_are_members(reference, backend.store, example.text, leeway)
