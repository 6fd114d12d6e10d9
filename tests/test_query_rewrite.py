"""The query rewrites give the same answers as the queries as written (in the same order
where the query orders them), and only rewrite what the SPARQL algebra allows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from competency_kg.iris import Minter
from competency_kg.loading import load_paths
from competency_kg.namespaces import sparql_prefixes
from competency_kg.query_rewrite import (
    distinct_before_order,
    hoist_required_patterns,
    optional_as_lateral,
    rewrite,
)
from competency_kg.store import open_store

from support import ROOT, SEEDS

QUERIES = sorted((ROOT / "queries").glob("*.rq"))
P = sparql_prefixes()

CRAFTED = [
    # hoistable: the later patterns share only ?o / ?r with the OPTIONALs, bound before them
    P
    + """SELECT ?o ?t ?lv ?c WHERE { ?o a ckg:Occupation . OPTIONAL { ?o ckg:jobZone ?z }
           ?o ckg:requires ?r . OPTIONAL { ?r ckg:requiredLevel ?lv }
           ?r ckg:competency ?c . ?c skos:prefLabel ?t . }""",
    P
    + """SELECT ?s ?l WHERE { ?s a ckg:CompetencyStatement .
           OPTIONAL { ?s ceasn:competencyLabel ?l }
           ?s ckg:atLevel ?lv . FILTER(BOUND(?l)) }""",
    # not hoistable: ?z is bound by the OPTIONAL and read after it
    P
    + """SELECT ?o ?z ?x WHERE { ?o a ckg:Occupation . OPTIONAL { ?o ckg:jobZone ?z }
           ?x ckg:jobZone ?z . }""",
    # not hoistable: BIND and MINUS depend on position
    P
    + """SELECT ?o ?n WHERE { ?o a ckg:Occupation . OPTIONAL { ?o ckg:jobZone ?z }
           BIND(STR(?z) AS ?n) ?o skos:prefLabel ?t . }""",
    P
    + """SELECT ?o WHERE { ?o a ckg:Occupation . OPTIONAL { ?o ckg:jobZone ?z }
           MINUS { ?o skos:notation ?c } ?o skos:prefLabel ?t . }""",
]


DISTINCT_ORDERED = [
    # rewritten: the sort variable ?t is not projected; duplicates of ?c differ in ?t
    P
    + """SELECT DISTINCT ?c WHERE { ?o ckg:requires ?r . ?r ckg:competency ?c .
           ?c skos:prefLabel ?t } ORDER BY ?t ?c""",
    P
    + """SELECT DISTINCT ?o ?c WHERE { ?o ckg:requires ?r . ?r ckg:competency ?c .
           OPTIONAL { ?r ckg:requiredLevel/schema:position ?n } }
         ORDER BY DESC(COALESCE(?n, -1)) STR(?c) ?o LIMIT 7 OFFSET 2""",
]
NOT_DISTINCT_ORDERED = [
    P + "SELECT DISTINCT ?c WHERE { ?r ckg:competency ?c } GROUP BY ?c ORDER BY ?c",
    P + "SELECT DISTINCT * WHERE { ?r ckg:competency ?c } ORDER BY ?c",
    P + "SELECT DISTINCT (STR(?c) AS ?s) WHERE { ?r ckg:competency ?c } ORDER BY ?s",
    P + "SELECT DISTINCT ?c FROM <urn:g> WHERE { ?r ckg:competency ?c } ORDER BY ?c",
    P + "SELECT DISTINCT ?c WHERE { ?r ckg:competency ?c } ORDER BY ?c VALUES ?c { ckg:x }",
    P + "SELECT ?c WHERE { { SELECT DISTINCT ?c WHERE { ?r ckg:competency ?c } } } ORDER BY ?c",
    P + "SELECT DISTINCT ?c WHERE { ?r ckg:competency ?c }",
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ox.Store]:
    path = tmp_path_factory.mktemp("rewrite") / "store"
    s = open_store(path)
    load_paths(s, [SEEDS], Minter())
    s.close()
    yield ox.Store.read_only(str(path))


def _rows(store: ox.Store, query: str) -> Counter:
    result = store.query(query, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryBoolean):
        return Counter([bool(result)])
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        return Counter(tuple(str(row[n]) for n in names) for row in result)
    return Counter(str(t) for t in result)


def _sequence(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    result = store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [tuple(str(row[n]) for n in names) for row in result]


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_example_queries_answer_the_same_rewritten(store: ox.Store, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _rows(store, rewrite(text)) == _rows(store, text)
    if "ORDER BY" in text and distinct_before_order(text) != text:
        assert _sequence(store, rewrite(text)) == _sequence(store, text)


@pytest.mark.parametrize("query", CRAFTED, ids=[f"crafted-{i}" for i in range(len(CRAFTED))])
def test_crafted_queries_answer_the_same_rewritten(store: ox.Store, query: str) -> None:
    assert _rows(store, hoist_required_patterns(query)) == _rows(store, query)


def test_what_is_and_is_not_rewritten() -> None:
    assert hoist_required_patterns(CRAFTED[0]) != CRAFTED[0]
    for q in CRAFTED[2:]:
        assert hoist_required_patterns(q) == q
    top = (ROOT / "queries" / "top-skills-of-an-occupation.rq").read_text(encoding="utf-8")
    rewritten = hoist_required_patterns(top)
    assert rewritten.index("skos:prefLabel ?skill") < rewritten.index("OPTIONAL")
    # strings and IRIs that look like syntax do not confuse it
    tricky = P + 'SELECT * WHERE { ?s ?p "OPTIONAL { }" . OPTIONAL { ?s <urn:x#{> ?o } ?s a ?t . }'
    assert "OPTIONAL { }" in hoist_required_patterns(tricky)


@pytest.mark.parametrize(
    "query", DISTINCT_ORDERED, ids=[f"distinct-{i}" for i in range(len(DISTINCT_ORDERED))]
)
def test_distinct_before_order_keeps_the_sequence(store: ox.Store, query: str) -> None:
    rewritten = distinct_before_order(query)
    assert rewritten != query
    expected = _sequence(store, query)
    assert len(expected) > 3
    assert _sequence(store, rewritten) == expected


@pytest.mark.parametrize("query", NOT_DISTINCT_ORDERED)
def test_distinct_before_order_leaves_other_shapes(query: str) -> None:
    assert distinct_before_order(query) == query


def test_the_examples_that_sort_distinct_rows_are_rewritten() -> None:
    """The two examples Oxigraph sorted before deduplicating (10 s each at 1 M triples)."""
    for name in ("prioritized-lists-in-rank-order", "what-a-scenario-exercises"):
        text = (ROOT / "queries" / f"{name}.rq").read_text(encoding="utf-8")
        assert "{ { SELECT DISTINCT" in distinct_before_order(text), name


LATERAL = [
    # anchored by a literal: each OPTIONAL is evaluated per row
    P
    + """SELECT ?c ?lv ?n WHERE { ?o skos:prefLabel "Computer User Support Specialists"@en ;
           ckg:requires ?r . ?r ckg:competency ?c .
           OPTIONAL { ?r ckg:requiredLevel ?l . ?l skos:prefLabel ?lv ; schema:position ?n } }""",
    # anchored by a one-row VALUES; the second OPTIONAL reads a variable the first may bind
    P
    + """SELECT ?c ?k ?lv WHERE { VALUES ?t { "Computer User Support Specialists"@en }
           ?o skos:prefLabel ?t ; ckg:requires ?r . ?r ckg:competency ?c .
           OPTIONAL { ?c ckg:competencyKind ?k }
           OPTIONAL { ?r ckg:requiredLevel ?l . ?l skos:prefLabel ?lv ; skos:inScheme ?k } }""",
]


@pytest.mark.parametrize("query", LATERAL, ids=[f"lateral-{i}" for i in range(len(LATERAL))])
def test_optional_as_lateral_gives_the_same_rows(store: ox.Store, query: str) -> None:
    rewritten = optional_as_lateral(query)
    assert "LATERAL { OPTIONAL" in rewritten
    expected = _rows(store, query)
    assert sum(expected.values()) > 3
    assert _rows(store, rewritten) == expected


def test_optional_as_lateral_leaves_other_shapes() -> None:
    unanchored = P + "SELECT * WHERE { ?r ckg:competency ?c OPTIONAL { ?c skos:prefLabel ?l } }"
    many = P + (
        'SELECT * WHERE { VALUES ?t { "a" "b" } ?o skos:prefLabel ?t ; ckg:requires ?r '
        "OPTIONAL { ?r ckg:requiredLevel ?l } }"
    )
    with_filter = P + (
        'SELECT * WHERE { ?o skos:notation "15-1232.00" ; ckg:requires ?r '
        "OPTIONAL { ?r ckg:requiredLevel ?l FILTER(?l != ?o) } }"
    )
    unrelated = P + 'SELECT * WHERE { ?o skos:notation "15-1232.00" OPTIONAL { ?x ?p ?y } }'
    for q in (unanchored, many, with_filter, unrelated):
        assert optional_as_lateral(q) == q, q
