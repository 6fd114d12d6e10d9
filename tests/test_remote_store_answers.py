"""The same answers from the embedded store, Virtuoso and the Oxigraph server.

The seeds (and a variant framework document) are loaded through the real ``competency-kg``
command into each remote backend and into an embedded reference store
(``remote_store_fixture``); the same queries, the site's example queries among them, must then
give each remote backend the reference's answers, and dumps must hold the same quads. (The
embedded store is the reference, never a backend compared with itself.) Writes are
``test_remote_store_writes.py``; errors, credentials and the dataset a query is sent with
``test_remote_store_protocol.py``.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import XSD, Graph, Literal, URIRef
from remote_store_support import EX, Backend, norm, rows_of, triples_of

from competency_kg.examples import Example, load_examples
from competency_kg.store import GraphStore, StoreError

from support import run_cli

pytest_plugins = ["remote_store_fixture"]

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


# --------------------------------------------------------------------------- helpers
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


@pytest.mark.parametrize("backend", ["oxigraph"], indirect=True)  # one server is enough
def test_cli_reads_a_remote_store(backend: Backend) -> None:
    done = run_cli("--store", backend.url, "stats", store=Path("unused"))
    assert done.returncode == 0, done.stderr
    assert "ckg:Occupation" in done.stdout


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
