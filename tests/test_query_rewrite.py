"""The query rewrites give the same answers as the queries as written (in the same order
where the query orders them), and only rewrite what the SPARQL algebra allows.

Each answer check first asserts that the query WAS rewritten (comparing a query with itself
tests nothing); the queries left alone are asserted to be left alone. The rewritten queries
are checked on the seeds and on random graphs (Hypothesis) over each query's own vocabulary.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from competency_kg.iris import Minter
from competency_kg.loading import load_paths
from competency_kg.namespaces import sparql_prefixes
from competency_kg.sparql.class_counts import (
    class_counter,
    count_classes,
    counts_from_classes,
    open_read_only,
)
from competency_kg.sparql.hash_joins import (
    plan,
    scans_as_hash_joins,
    small_left_optional_as_lateral,
)
from competency_kg.sparql.rewrite import (
    distinct_before_order,
    grouped_subquery_as_lateral,
    hoist_required_patterns,
    optional_as_lateral,
    rewrite,
)
from competency_kg.sparql.sizes import pattern_counter
from competency_kg.store import open_store

from support import ROOT, SEEDS

QUERIES = sorted((ROOT / "queries").glob("*.rq"))
P = sparql_prefixes()

HOISTABLE = [
    # hoistable: the later patterns share only ?o / ?r with the OPTIONALs, bound before them
    P
    + """SELECT ?o ?t ?lv ?c WHERE { ?o a ckg:Occupation . OPTIONAL { ?o ckg:jobZone ?z }
           ?o ckg:requires ?r . OPTIONAL { ?r ckg:requiredLevel ?lv }
           ?r ckg:competency ?c . ?c skos:prefLabel ?t . }""",
    P
    + """SELECT ?s ?l WHERE { ?s a ckg:CompetencyStatement .
           OPTIONAL { ?s ceasn:competencyLabel ?l }
           ?s ckg:atLevel ?lv . FILTER(BOUND(?l)) }""",
]
NOT_HOISTABLE = [
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
    yield open_read_only(str(path))  # as the query workers open it: class counts are kept


def _rows(store: ox.Store, query: str, union: bool = False) -> Counter:
    """The answer as a multiset. The seeds' store is read as the server reads it: its default
    graph is the merge of the named graphs (a set). Reading it as the union of every graph,
    the merge among them, gave each triple twice and planned far worse: 17 s for the written
    "top skills" on 67 k quads, against 17 ms, for no more checked (the multiplicities of a
    bag of two copies)."""
    result = store.query(query, use_default_graph_as_union=union)
    if isinstance(result, ox.QueryBoolean):
        return Counter([bool(result)])
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        return Counter(tuple(str(row[n]) for n in names) for row in result)
    return Counter(str(t) for t in result)


def _sequence(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    result = store.query(query)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [tuple(str(row[n]) for n in names) for row in result]


def _every(prologue: str, pattern: str) -> int:
    """Sizes under which every unanchored group is hashed (sizes only choose the join)."""
    return 1


#: Which rewrites change which example query (every other example is left as written).
REWRITES = {"hoist": hoist_required_patterns, "lateral": optional_as_lateral}
REWRITES["distinct"] = distinct_before_order
REWRITES["grouped"] = grouped_subquery_as_lateral
REWRITES["hashed"] = lambda q: scans_as_hash_joins(q, _every)
EXAMPLES_REWRITTEN = {
    "competencies-by-level": {"distinct", "hashed"},
    "competencies-shared-across-a-job-family": {"grouped"},
    "learning-path-between-two-occupations": {"grouped"},
    "document-tools-with-their-onet-technology": {"distinct"},
    "occupation-requirements-with-levels": {"lateral", "distinct"},
    "prioritized-lists-in-rank-order": {"distinct"},
    "top-skills-of-an-occupation": {"hoist", "lateral", "distinct"},
    "what-a-scenario-exercises": {"distinct"},
}
REWRITTEN = [p for p in QUERIES if p.stem in EXAMPLES_REWRITTEN]


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_which_examples_are_rewritten(path: Path) -> None:
    """Each rewrite changes exactly the examples it should, and rewrite() leaves the others
    exactly as written. (Checked by breaking it: with hoisting disabled, top-skills fails.)"""
    text = path.read_text(encoding="utf-8")
    changed = {name for name, f in REWRITES.items() if f(text) != text}
    assert changed == EXAMPLES_REWRITTEN.get(path.stem, set())
    assert (plan(text, _every) != text) == bool(changed)


@pytest.mark.parametrize("path", REWRITTEN, ids=[p.stem for p in REWRITTEN])
def test_example_queries_answer_the_same_rewritten(store: ox.Store, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    rewritten = plan(text, _every)
    assert rewritten != text
    expected = _rows(store, text)
    assert expected, "no answer on the seeds: a useless check"
    assert _rows(store, rewritten) == expected
    if "ORDER BY" in text:
        assert _sequence(store, rewritten) == _sequence(store, text)


@pytest.mark.parametrize("query", HOISTABLE, ids=[f"hoistable-{i}" for i in range(len(HOISTABLE))])
def test_crafted_queries_answer_the_same_rewritten(store: ox.Store, query: str) -> None:
    assert hoist_required_patterns(query) != query
    expected = _rows(store, query)
    assert expected, "no answer on the seeds: a useless check"
    assert _rows(store, hoist_required_patterns(query)) == expected


def test_what_is_and_is_not_rewritten() -> None:
    for q in NOT_HOISTABLE:
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


GROUPED = [
    # the label sub-query after a pinned requirement list: evaluated per competency
    P
    + """SELECT ?r ?c ?name WHERE { ?o skos:prefLabel "Computer User Support Specialists"@en ;
           ckg:requires ?r . ?r ckg:competency ?c .
           { SELECT ?c (SAMPLE(?l) AS ?name) WHERE { ?c skos:prefLabel ?l } GROUP BY ?c } }""",
    # two keys, one shared with the rows before it, the other only its own
    P
    + """SELECT ?c ?k ?x ?n WHERE {
           ?o skos:prefLabel "Computer User Support Specialists"@en ; ckg:requires ?r .
           ?r ckg:competency ?c . ?c a ?k .
           { SELECT ?k ?x (COUNT(?y) AS ?n) WHERE { ?y a ?k ; ?x ?z } GROUP BY ?k ?x } }""",
]
NOT_GROUPED = [
    # nothing pins the keys to a few: per-row evaluation would lose
    P
    + """SELECT * WHERE { ?r ckg:competency ?c .
           { SELECT ?c (SAMPLE(?l) AS ?n) WHERE { ?c skos:prefLabel ?l } GROUP BY ?c } }""",
    # pinned only inside an OPTIONAL, or only by a FILTER: not fewer rows
    P
    + """SELECT * WHERE { ?r ckg:competency ?c . OPTIONAL { ?r ckg:note "x" }
           { SELECT ?c (SAMPLE(?l) AS ?n) WHERE { ?c skos:prefLabel ?l } GROUP BY ?c } }""",
    P
    + """SELECT * WHERE { ?r ckg:competency ?c . FILTER (STR(?c) != "x")
           { SELECT ?c (SAMPLE(?l) AS ?n) WHERE { ?c skos:prefLabel ?l } GROUP BY ?c } }""",
    # the aggregate's name, or the sub-query's own variable, is also bound before it
    P
    + """SELECT * WHERE { ?r ckg:competency ?c ; ckg:label "x" , ?n .
           { SELECT ?c (SAMPLE(?l) AS ?n) WHERE { ?c skos:prefLabel ?l } GROUP BY ?c } }""",
    P
    + """SELECT * WHERE { ?r ckg:competency ?c ; ckg:label "x" , ?l .
           { SELECT ?c (SAMPLE(?l) AS ?n) WHERE { ?c skos:prefLabel ?l } GROUP BY ?c } }""",
    # a FILTER, a limit or a non-key projection in the sub-query; a UNION around it
    P
    + """SELECT * WHERE { ?r ckg:competency ?c ; ckg:label "x" .
           { SELECT ?c (SAMPLE(?l) AS ?n) WHERE { ?c skos:prefLabel ?l FILTER(?l != "") }
             GROUP BY ?c } }""",
    P
    + """SELECT * WHERE { ?r ckg:competency ?c ; ckg:label "x" .
           { SELECT ?c (SAMPLE(?l) AS ?n) WHERE { ?c skos:prefLabel ?l } GROUP BY ?c LIMIT 1 } }""",
    P
    + """SELECT * WHERE { ?r ckg:competency ?c ; ckg:label "x" .
           { SELECT ?c ?l (SAMPLE(?l) AS ?n) WHERE { ?c skos:prefLabel ?l } GROUP BY ?c } }""",
    P
    + """SELECT * WHERE { ?r ckg:competency ?c ; ckg:label "x" .
           { SELECT ?c (SAMPLE(?l) AS ?n) WHERE { ?c skos:prefLabel ?l } GROUP BY ?c }
           UNION { ?c a ckg:Competency } }""",
    # the sub-query first: nothing before it to take keys from
    P
    + """SELECT * WHERE {
           { SELECT ?c (SAMPLE(?l) AS ?n) WHERE { ?c skos:prefLabel ?l } GROUP BY ?c }
           ?r ckg:competency ?c ; ckg:label "x" . }""",
]


@pytest.mark.parametrize("query", GROUPED, ids=[f"grouped-{i}" for i in range(len(GROUPED))])
def test_grouped_subquery_as_lateral_gives_the_same_rows(store: ox.Store, query: str) -> None:
    """Checked by breaking it: with ``LIMIT 1`` added to the rewritten sub-query (one row per
    key instead of all of them), grouped-1 fails (several groups per shared key); grouped-0,
    one group per key, cannot tell, which is why grouped-1 is here."""
    rewritten = grouped_subquery_as_lateral(query)
    assert "LATERAL { SELECT" in rewritten
    expected = _rows(store, query)
    assert sum(expected.values()) > 3
    assert _rows(store, rewritten) == expected


@pytest.mark.parametrize("query", NOT_GROUPED, ids=[f"not-{i}" for i in range(len(NOT_GROUPED))])
def test_grouped_subquery_as_lateral_leaves_other_shapes(query: str) -> None:
    assert grouped_subquery_as_lateral(query) == query


#: The benchmark's queries each rewrite changes (with :func:`_every`'s sizes for the hashing).
BENCH_REWRITTEN = {
    "multi-hop-shared-competencies", "statements-per-level", "text-search-statements",
    "count-by-class",
}  # fmt: skip


def test_the_benchmark_queries_answer_the_same_rewritten(store: ox.Store) -> None:
    """The benchmark's own queries (``bench/queries.py``) beside the examples: each is left as
    written or answers the same rewritten, every rewrite included (the hashing with sizes that
    take it wherever the shape allows)."""
    sys.path.insert(0, str(ROOT))
    from bench.queries import heavy_queries

    changed = set()
    classes = class_counter(store, {})
    for q in heavy_queries():
        if plan(q.text, _every, classes) != q.text:
            changed.add(q.name)
            assert _rows(store, plan(q.text, _every, classes)) == _rows(store, q.text), q.name
    assert changed == BENCH_REWRITTEN


HASHED = [
    # the benchmark's self-join shape: two paths meeting on ?c, and a FILTER over both
    P
    + """SELECT ?a ?b ?c WHERE { ?a ckg:rating/ckg:element ?c .
           ?b ckg:rating/ckg:element ?c . FILTER (STR(?a) < STR(?b)) }""",
    # ; and , lists spelled out, a class, an inverse path
    P
    + """SELECT * WHERE { ?s a ckg:CompetencyStatement ; ckg:atLevel ?l , ?m ;
           ceasn:isPartOf ?f . ?l skos:prefLabel ?n ; ^ckg:atLevel ?t . }""",
]
NOT_HASHED = [
    P + 'SELECT * WHERE { ?a ckg:requires ?r . ?r skos:prefLabel "x" }',  # a literal pins it
    P + "SELECT * WHERE { <urn:a> ckg:requires ?r . ?r ckg:competency ?c }",  # an IRI subject
    P + "SELECT * WHERE { ?a ckg:requires ?r . ?r ?p ?c }",  # a variable predicate
    P + "SELECT * WHERE { ?a ckg:requires _:r . _:r ckg:competency ?c }",  # a blank node joins
    P + "SELECT * WHERE { ?a ckg:requires [ ckg:competency ?c ] . ?c a ?k }",
    P + "SELECT * WHERE { ?a ckg:requires ?r OPTIONAL { ?r ckg:competency ?c } }",
    P + "SELECT * WHERE { ?a ckg:requires ?r . ?r ckg:competency+ ?c }",  # a closure
    P + "SELECT * WHERE { ?a ckg:requires|ckg:uses ?r . ?r ckg:competency ?c }",
    P
    + "SELECT * WHERE { ?a ckg:requires ?r . ?r ckg:competency ?c FILTER NOT EXISTS { ?c a ?k } }",
    P + "SELECT * WHERE { VALUES ?a { ckg:x } ?a ckg:requires ?r . ?r ckg:competency ?c }",
    P + "SELECT * WHERE { GRAPH ?g { ?a ckg:requires ?r } ?r ckg:competency ?c }",
    P + "SELECT * WHERE { ?a ckg:requires ?r . ?r ckg:level 3 }",  # a number pins it
    P + "CONSTRUCT { ?a ckg:requires ?r . ?r ckg:competency ?c } WHERE { ?a ckg:requires ?r }",
    P + "SELECT * WHERE { ?a ckg:requires ?r }",  # one pattern: nothing to join
]


def test_the_engine_path_counts_and_hashes(store: ox.Store) -> None:
    """What the server runs (``run_rewritten``) counts the patterns on the store and hashes
    the self-join (its sizes are alike), with the written answer. Checked by breaking it:
    with ``run_rewritten`` giving ``plan`` no sizes, the counts assert fails."""
    from competency_kg.sparql import sizes
    from competency_kg.sparql.execute import run_rewritten

    sizes._kept.clear()
    expected = _rows(store, HASHED[0])
    result = run_rewritten(store, HASHED[0], {})
    names = [v.value for v in result.variables]
    assert Counter(tuple(str(row[n]) for n in names) for row in result) == expected
    counted = {key[3] for key in sizes._kept if key[0] == id(store)}
    assert counted == {"?a ckg:rating/ckg:element ?c", "?b ckg:rating/ckg:element ?c"}
    assert scans_as_hash_joins(HASHED[0], pattern_counter(store, {})) != HASHED[0]


def test_a_new_comment_does_not_count_the_patterns_again(store: ox.Store) -> None:
    """A client that makes each text its own with a comment in the prologue (the benchmark's
    ``# round N``) has the patterns' sizes counted once, not per text: they are kept under the
    prologue's declarations. Checked by breaking it: kept under the prologue as written, the
    second text adds two figures and the assert fails."""
    from competency_kg.sparql import sizes
    from competency_kg.sparql.execute import run_rewritten

    sizes._kept.clear()
    list(run_rewritten(store, "# round 1\n" + HASHED[0], {}))
    kept = set(sizes._kept)
    assert len(kept) == 2
    list(run_rewritten(store, "# round 2\n" + HASHED[0].replace("PREFIX", "PREFIX  "), {}))
    assert set(sizes._kept) == kept


def test_a_plan_is_remembered_with_the_figures_it_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same text with another comment is not planned again (the plan is kept), unless a
    figure the plan read has changed: then it is planned anew, by the new figures. Checked by
    breaking it: with nothing kept, the first count assert fails; with the kept plan returned
    without reading its figures again, the lookups' text is hashed and the last asserts fail."""
    from competency_kg.sparql import hash_joins

    planned = []
    real = hash_joins.hoist_required_patterns
    monkeypatch.setattr(
        hash_joins, "hoist_required_patterns", lambda q: planned.append(q) or real(q)
    )
    hash_joins._plans.clear()
    query = "# round 1\n" + HASHED[0]
    hashed = plan(query, _every)
    assert "{ SELECT * WHERE" in hashed and "round 1" not in hashed
    assert plan(query.replace("round 1", "round 22"), _every) == hashed
    assert len(planned) == 1
    lookups = plan(query.replace("round 1", "round 3"), lambda _, tp: 250_000)  # over the cap
    assert len(planned) == 2
    assert lookups == query.replace("round 1", "round 3")  # nothing rewritten: as written


def test_the_checks_look_at_the_text_without_its_comments() -> None:
    """The checks see a text without its comments (what they remember it by): a ``#`` in a
    string or an IRI is no comment, and what follows it is still checked. Checked by breaking
    it: with comments taken out by ``#[^\\n]*`` (strings and IRIs not skipped), the SERVICE
    after a ``"#"`` is not refused and the first assert fails."""
    from competency_kg.sparql.checks import check_query
    from competency_kg.sparql.errors import QueryRefused

    for query in (
        'SELECT * { ?s ?p "#" . SERVICE <http://e/> { ?s ?p ?o } }',
        "SELECT * { ?s ?p <http://e/#a> . SERVICE <http://e/> { ?s ?p ?o } } # end",
        "# round 1\nSELECT * {" + "{" * 300 + "}" * 300 + "}",
    ):
        with pytest.raises(QueryRefused):
            check_query(query)
    info = check_query('# SERVICE <http://e/>\nSELECT * { ?s ?p "#x" } # SERVICE <http://e/>')
    assert info.form == "select" and not info.uses_service


@pytest.mark.parametrize("query", HASHED, ids=[f"hashed-{i}" for i in range(len(HASHED))])
def test_scans_as_hash_joins_gives_the_same_rows(store: ox.Store, query: str) -> None:
    """Checked by breaking it: with the FILTERs dropped from the rewritten group, hashed-0
    fails; with only the first object of a ``,`` list kept, hashed-1 does."""
    rewritten = scans_as_hash_joins(query, _every)
    assert rewritten.count("{ SELECT * WHERE") >= 2
    expected = _rows(store, query)
    assert sum(expected.values()) > 3
    assert _rows(store, rewritten) == expected


@pytest.mark.parametrize(
    "query", NOT_HASHED, ids=[f"not-hashed-{i}" for i in range(len(NOT_HASHED))]
)
def test_scans_as_hash_joins_leaves_other_shapes(query: str) -> None:
    assert scans_as_hash_joins(query, _every) == query


def test_the_sizes_choose_the_join(store: ox.Store) -> None:
    """Hashed where lookups would fan out, looked up where one side is small or a pattern is
    over the cap, left alone without sizes; the sizes counted on the store are its rows.
    (Checked by breaking it: with the cost comparison reversed, the first two asserts fail.)"""
    q = HASHED[0]
    assert scans_as_hash_joins(q, lambda _, tp: 3000) != q  # same sizes: 6000 ≤ 3000·16
    sizes = {"?a ckg:rating/ckg:element ?c": 10, "?b ckg:rating/ckg:element ?c": 5000}
    assert scans_as_hash_joins(q, lambda _, tp: sizes[tp]) == q  # 5010 > 10·16: lookups
    assert scans_as_hash_joins(q, lambda _, tp: 250_000) == q  # over the cap
    assert scans_as_hash_joins(q, None) == q
    count = pattern_counter(store, {})
    n = len(list(store.query(P + "SELECT * WHERE { ?a ckg:requires/ckg:competency ?c }")))
    assert n > 3 and count(P, "?a ckg:requires/ckg:competency ?c") == n


# --------------------------------------------------------------------------- random graphs
_NAME = re.compile(r"\b(?:ckg|skos|schema|ceasn|rdfs):[A-Za-z]+\b")
_STRING = re.compile(r'"([^"\n]*)"(@[A-Za-z-]+)?')
_PAGE = re.compile(r"\s+(?:LIMIT|OFFSET)\s+\d+", re.IGNORECASE)
_EXPANDED = dict(line.split()[1:3] for line in P.splitlines() if line.startswith("PREFIX"))
NODES = [ox.NamedNode(f"http://example.org/n{i}") for i in range(3)]
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
GRAPH = ox.NamedNode("http://example.org/g")  # a named graph: the query reads their union


def _iri(name: str) -> ox.NamedNode:
    prefix, _, local = name.partition(":")
    return ox.NamedNode(_EXPANDED[prefix + ":"].strip("<>") + local)


def _vocabulary(query: str) -> tuple[list[ox.NamedNode], list[ox.NamedNode], list[ox.Term]]:
    """What a random graph for ``query`` is made of: the query's predicates, its classes (the
    objects of ``rdf:type``, and objects of the others too: ``ckg:listType``) and the other
    objects: three nodes, the query's string literals (with their tags) and small numbers.
    So few terms make the query's joins meet often."""
    names = set(_NAME.findall(query))
    predicates = [_iri(n) for n in sorted(names) if n.split(":")[1][0].islower()]
    classes = [_iri(n) for n in sorted(names) if n.split(":")[1][0].isupper()]
    objects: list[ox.Term] = [*NODES, *classes]
    for text, tag in sorted(set(_STRING.findall(query))):
        objects.append(ox.Literal(text, language=tag[1:]) if tag else ox.Literal(text))
    objects += [ox.Literal(n) for n in (1, 2, 3)]
    return predicates, classes, objects


@st.composite
def graphs(draw: st.DrawFn, query: str) -> list[ox.Quad]:
    """A random graph: for each node and predicate (``rdf:type`` among them), none or one to
    three objects."""
    predicates, classes, objects = _vocabulary(query)
    choices = [(RDF_TYPE, classes), *((p, objects) for p in predicates)] if classes else []
    choices = choices or [(p, objects) for p in predicates]
    quads = []
    for s in NODES:
        for p, pool in choices:
            if draw(st.integers(0, 3)) == 0:
                continue  # a gap: an OPTIONAL finds nothing, a required pattern fails
            for o in draw(st.sets(st.sampled_from(pool), min_size=1, max_size=3)):
                quads.append(ox.Quad(s, p, o, GRAPH))
    return quads


def _memory_rows(quads: list[ox.Quad], query: str) -> Counter:
    store = ox.Store()
    store.extend(quads)
    return _rows(store, query, union=True)


#: The rewritten queries, their LIMIT and OFFSET dropped: on random graphs the sort keys tie
#: often, and which tied rows a page keeps is the engine's choice, not the rewrite's. Four
#: examples are left to the seeds and the benchmark's store: anchored on one or two
#: occupations' titles or codes, or on a job family's code, random graphs almost never answer
#: them (1 graph in 60; the job family and the learning path 0 of 150); their shapes are the
#: crafted ones' here.
ANCHORED = {
    "occupation-requirements-with-levels",
    "top-skills-of-an-occupation",
    "competencies-shared-across-a-job-family",
    "learning-path-between-two-occupations",
}
RANDOM_CASES = {
    **{
        f"example-{p.stem}": p.read_text(encoding="utf-8")
        for p in REWRITTEN
        if p.stem not in ANCHORED
    },
    **{f"hoistable-{i}": q for i, q in enumerate(HOISTABLE)},
    **{f"distinct-{i}": q for i, q in enumerate(DISTINCT_ORDERED)},
    **{f"lateral-{i}": q for i, q in enumerate(LATERAL)},
    **{f"hashed-{i}": q for i, q in enumerate(HASHED)},
    # grouped-1 needs a class with members of the anchored title's kind: random graphs of
    # this size never give it a row (checked: 0 of 150), so it stays with the seeds
    "grouped-0": GROUPED[0],
}


@pytest.mark.parametrize("name", sorted(RANDOM_CASES))
def test_rewrites_answer_the_same_on_random_graphs(name: str) -> None:
    """Hypothesis draws graphs from each query's own vocabulary (the same 150 every run); the
    rewritten query must give the same multiset of rows as written, and some graph must give
    rows (not all checks on empty answers). Every rewrite applies, the hashing with sizes that
    take it wherever the shape allows. Checked by breaking it: with the hoisted OPTIONALs
    put before the required patterns, hoistable-0 fails here (a node without ckg:jobZone)."""
    query = _PAGE.sub("", RANDOM_CASES[name])
    rewritten = plan(query, _every)
    assert rewritten != query, "not rewritten: the check would compare a query with itself"
    answered: list[int] = []

    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        derandomize=True,  # the same graphs every run: the any(answered) check cannot flake
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(graphs(query))
    def same_rows(quads: list[ox.Quad]) -> None:
        expected = _memory_rows(quads, query)
        answered.append(sum(expected.values()))
        assert _memory_rows(quads, rewritten) == expected

    same_rows()
    assert any(answered), f"no random graph gave {name} any row: a useless check"


# --------------------------------------------------------------------------- class counts
RDF = "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"
CLASS_COUNTED = [
    "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n)",
    "SELECT (COUNT(*) AS ?n) ?k WHERE { ?x a ?k . } GROUP BY ?k ORDER BY ?n ?k LIMIT 3 OFFSET 1",
    RDF + "SELECT DISTINCT ?c (COUNT(DISTINCT ?s) AS ?n) (count(*) AS ?m) WHERE "
    "{ ?s rdf:type ?c } GROUP BY ?c",
    "SELECT ?c (COUNT(?s) AS ?n) { ?s <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ?c } "
    "GROUP BY ?c ORDER BY ASC(?c)",
]
NOT_CLASS_COUNTED = [
    "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c . ?s <urn:p> ?o } GROUP BY ?c",  # a join
    "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c",
    "SELECT ?c (COUNT(?s) AS ?n) FROM <urn:g> WHERE { ?s a ?c } GROUP BY ?c",  # its own dataset
    "SELECT ?c (COUNT(?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } } GROUP BY ?c",  # per graph
    "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c HAVING (COUNT(?s) > 2)",
    "SELECT ?c (COUNT(?c) AS ?n) WHERE { ?s a ?c } GROUP BY ?c",  # counts another variable
    "SELECT ?c (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c } GROUP BY ?c",
    "SELECT ?s (COUNT(?c) AS ?n) WHERE { ?s a ?c } GROUP BY ?s",  # grouped by the subject
    "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY DESC(COUNT(?s))",
    "SELECT ?c (SUM(1) AS ?n) WHERE { ?s a ?c } GROUP BY ?c",  # another aggregate
    "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s <urn:type> ?c } GROUP BY ?c",  # not rdf:type
    "PREFIX rdf: <urn:x#> SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s rdf:type ?c } GROUP BY ?c",
    "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s ?p ?c } GROUP BY ?c",  # any predicate
    "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?c a ?c } GROUP BY ?c",  # one variable twice
    "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c VALUES ?c { <urn:C> }",
    "SELECT * WHERE { { SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c } }",
    "SELECT ?c ?n WHERE { ?s a ?c BIND(1 AS ?n) }",  # no group
]


@pytest.mark.parametrize(
    "query", CLASS_COUNTED, ids=[f"counted-{i}" for i in range(len(CLASS_COUNTED))]
)
def test_class_counts_give_the_same_rows(store: ox.Store, query: str) -> None:
    """On the seeds' store (its default graph the merge), with the counts kept for it: the
    same rows, in the same order where the order is total. Checked by breaking it: with the
    counts written one too high, every case fails."""
    rewritten = counts_from_classes(query, class_counter(store, {}))
    assert "VALUES" in rewritten
    expected = _rows(store, query)
    assert len(expected) >= 3
    assert _rows(store, rewritten) == expected
    if "ASC(?c)" in query or "?n ?k" in query:  # a total order: the same sequence
        assert _sequence(store, rewritten) == _sequence(store, query)


@pytest.mark.parametrize(
    "query", NOT_CLASS_COUNTED, ids=[f"not-counted-{i}" for i in range(len(NOT_CLASS_COUNTED))]
)
def test_class_counts_leave_other_shapes(query: str) -> None:
    """(Checked by breaking it: with the predicate check dropped, not-counted-10 and 11 fail.)"""
    assert counts_from_classes(query, lambda: {"<urn:C>": 1}) == query


def test_class_counts_only_for_read_only_stores_and_their_default_graph(
    store: ox.Store, tmp_path: Path
) -> None:
    """The engine path (``run_rewritten``) answers from kept counts only on a store opened
    read-only by ``open_read_only`` and its default graph: a store that can be written would
    go stale, a dataset argument reads other graphs. Checked by breaking it: with
    ``class_counter`` not looking at the registry, the writable store gets a counter here."""
    from competency_kg.sparql.execute import run_rewritten

    query = CLASS_COUNTED[0]
    assert class_counter(store, {}) is not None
    assert class_counter(store, {"default_graph": [GRAPH]}) is None
    assert class_counter(store, {"use_default_graph_as_union": True}) is None
    writable = ox.Store(str(tmp_path / "w"))
    c = ox.NamedNode("urn:C")
    for i in range(2):
        writable.add(ox.Quad(ox.NamedNode(f"urn:s{i}"), RDF_TYPE, c))
    assert class_counter(writable, {}) is None
    assert [r["n"].value for r in run_rewritten(writable, query, {})] == ["2"]
    writable.add(ox.Quad(ox.NamedNode("urn:s2"), RDF_TYPE, c))
    assert [r["n"].value for r in run_rewritten(writable, query, {})] == ["3"]
    result = run_rewritten(store, query, {})
    names = [v.value for v in result.variables]
    assert Counter(tuple(str(row[n]) for n in names) for row in result) == _rows(store, query)


@st.composite
def typed_graphs(draw: st.DrawFn) -> list[ox.Quad]:
    """Types in two named graphs, often the same triple in both, and their merge in the
    default graph (as the store keeps it); classes are IRIs and a literal."""
    classes: list[ox.Term] = [*NODES, ox.Literal("k")]
    quads = []
    for s in NODES:
        for g in (GRAPH, ox.NamedNode("http://example.org/h")):
            for c in draw(st.sets(st.sampled_from(classes), max_size=3)):
                quads.append(ox.Quad(s, RDF_TYPE, c, g))
    return quads + [ox.Quad(q.subject, q.predicate, q.object) for q in quads]


@pytest.mark.parametrize("query", CLASS_COUNTED, ids=[f"random-{i}" for i in range(4)])
def test_class_counts_answer_the_same_on_random_graphs(query: str) -> None:
    """The default graph a set holding triples that two graphs state: every ``COUNT`` form
    the rewrite takes counts each typed subject once. Checked by breaking it: with the counts
    read from the union of the named graphs (``use_default_graph_as_union``) instead of the
    default graph, every case fails on a triple stated twice."""
    query = _PAGE.sub("", query)
    answered: list[int] = []

    @settings(max_examples=60, deadline=None, database=None, derandomize=True)
    @given(typed_graphs())
    def same_rows(quads: list[ox.Quad]) -> None:
        mem = ox.Store()
        mem.extend(quads)
        rewritten = counts_from_classes(query, lambda: count_classes(mem))
        assert "VALUES" in rewritten
        expected = _rows(mem, query)
        answered.append(len(expected))
        assert _rows(mem, rewritten) == expected

    same_rows()
    assert any(answered)


# --------------------------------------------------------------------------- small left sides
def _large(prologue: str, pattern: str) -> int:
    """Pattern sizes under which every OPTIONAL of a small left side is evaluated per row."""
    return 5000


def _plan_lateral(query: str) -> str:
    """What :func:`plan` does, with sizes that take :func:`small_left_optional_as_lateral`
    wherever the shape allows (one row on the left, 5,000 per pattern on the right)."""
    return rewrite(small_left_optional_as_lateral(hoist_required_patterns(query), _large, _every))


#: The examples the rewrite takes with those sizes.
SMALL_LEFT_EXAMPLES = [
    p
    for p in QUERIES
    if p.stem
    in {
        "document-tools-with-their-onet-technology",
        "occupation-requirements-with-levels",
        "prioritized-lists-in-rank-order",
        "top-skills-of-an-occupation",
        "what-a-scenario-exercises",
    }
]
SMALL_LEFT = [
    # the document tools' shape: a FILTER NOT EXISTS on the left, an OPTIONAL in the OPTIONAL
    P
    + """SELECT * WHERE { ?o ckg:requires ?r . FILTER NOT EXISTS { ?o ckg:jobZone ?z }
           ?r ckg:competency ?c .
           OPTIONAL { ?r ckg:requiredLevel ?l . ?l skos:prefLabel ?lv .
                      OPTIONAL { ?l schema:position ?n . ?c skos:prefLabel ?cn } } }""",
    # the second OPTIONAL reads ?k, which the first may leave unbound
    P
    + """SELECT * WHERE { ?o ckg:requires ?r . ?r ckg:competency ?c .
           OPTIONAL { ?c ckg:competencyKind ?k }
           OPTIONAL { ?r ckg:requiredLevel ?l . ?l skos:inScheme ?k } }""",
]
NOT_SMALL_LEFT = [
    P + "SELECT * WHERE { ?o ckg:requires ?r OPTIONAL { ?r ckg:level ?l FILTER(?l > 2) } }",
    P + 'SELECT * WHERE { ?o ckg:requires ?r OPTIONAL { ?r skos:prefLabel "x" } }',  # literal
    P + "SELECT * WHERE { ?o ckg:requires ?r OPTIONAL { ?x ckg:level ?l } }",  # nothing shared
    P + "SELECT * WHERE { ?o ckg:requires ?r MINUS { ?o a ?k } OPTIONAL { ?r ckg:level ?l } }",
    P + "SELECT * WHERE { { ?o ckg:requires ?r } OPTIONAL { ?r ckg:level ?l } }",  # a group
    P + "SELECT * WHERE { OPTIONAL { ?r ckg:level ?l } }",  # nothing on the left
    P + "SELECT * WHERE { ?o ckg:requires ?r OPTIONAL { ?r ckg:level [ a ?k ] } }",
    P + "SELECT * WHERE { ?o ckg:requires ?r OPTIONAL { ?r ckg:level ?l . ?l ?p ?v } }",
]


@pytest.mark.parametrize("path", SMALL_LEFT_EXAMPLES, ids=[p.stem for p in SMALL_LEFT_EXAMPLES])
def test_small_left_lateral_examples_answer_the_same(store: ox.Store, path: Path) -> None:
    """Checked by breaking it: with the OPTIONAL's keyword dropped inside the LATERAL (a join
    instead of a left join), occupation-requirements, prioritized-lists and what-a-scenario
    fail."""
    text = path.read_text(encoding="utf-8")
    assert small_left_optional_as_lateral(text, _large, _every) != text
    expected = _rows(store, text)
    assert expected, "no answer on the seeds: a useless check"
    assert _rows(store, _plan_lateral(text)) == expected
    if "ORDER BY" in text:
        assert _sequence(store, _plan_lateral(text)) == _sequence(store, text)


@pytest.mark.parametrize("query", SMALL_LEFT, ids=[f"small-left-{i}" for i in range(2)])
def test_small_left_lateral_gives_the_same_rows(store: ox.Store, query: str) -> None:
    rewritten = small_left_optional_as_lateral(query, _large, _every)
    # the outer OPTIONAL of small-left-0 holds an OPTIONAL: only the inner one is taken
    assert rewritten.count("LATERAL") == (1 if "NOT EXISTS" in query else 2)
    expected = _rows(store, query)
    assert sum(expected.values()) > 3
    assert _rows(store, rewritten) == expected


@pytest.mark.parametrize(
    "query", NOT_SMALL_LEFT, ids=[f"not-small-left-{i}" for i in range(len(NOT_SMALL_LEFT))]
)
def test_small_left_lateral_leaves_other_shapes(query: str) -> None:
    assert small_left_optional_as_lateral(query, _large, _every) == query


def test_the_sizes_choose_the_lateral(store: ox.Store) -> None:
    """Per row where the left's rows times the lookups cost less than building the right side
    whole, as written otherwise, by the figures counted on the store: for the document tools'
    inner OPTIONAL, the rows of its left (the links and their matches) and the sizes of its
    three patterns (at 1 M triples 119 rows against 54,764: taken; on the seeds 82 against
    3,373: not). Checked by breaking it: with the comparison reversed, the first two asserts
    fail."""
    q = SMALL_LEFT[1]
    # 6 rows · 2 patterns · 16 ≤ 2 · 100 (and 6 · 1 · 16 ≤ 100): both OPTIONALs; 7: neither
    assert (
        small_left_optional_as_lateral(q, lambda _, tp: 100, lambda _, tp: 6).count("LATERAL") == 2
    )
    assert small_left_optional_as_lateral(q, lambda _, tp: 100, lambda _, tp: 7) == q
    assert small_left_optional_as_lateral(q, None) == q
    text = (ROOT / "queries" / "document-tools-with-their-onet-technology.rq").read_text()
    count, seen = pattern_counter(store, {}), {}

    def counting(prologue: str, pattern: str) -> int:
        seen[pattern] = count(prologue, pattern)
        return seen[pattern]

    planned = small_left_optional_as_lateral(text, counting)
    left = [n for t, n in seen.items() if t.lstrip().startswith("?axiom")]
    right = [n for t, n in seen.items() if t.startswith(("?match skos:broader", "?category"))]
    assert len(left) == 1 and left[0] > 3 and len(right) == 3
    assert ("LATERAL" in planned) == (left[0] * 3 * 16 <= sum(right))
    assert _rows(store, rewrite(planned)) == _rows(store, text)


@pytest.mark.parametrize("query", SMALL_LEFT, ids=[f"random-small-left-{i}" for i in range(2)])
def test_small_left_lateral_on_random_graphs(query: str) -> None:
    """As :func:`test_rewrites_answer_the_same_on_random_graphs`, for this rewrite. Checked by
    breaking it: with the OPTIONAL's keyword dropped inside the LATERAL, both fail."""
    rewritten = _plan_lateral(query)
    assert "LATERAL" in rewritten
    answered: list[int] = []

    @settings(max_examples=100, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
    @given(graphs(query))
    def same_rows(quads: list[ox.Quad]) -> None:
        expected = _memory_rows(quads, query)
        answered.append(sum(expected.values()))
        assert _memory_rows(quads, rewritten) == expected

    same_rows()
    assert any(answered)


def test_the_rewrites_keep_no_writable_store_open(tmp_path: Path) -> None:
    """The loads run queries through the same path on a writable store and then open it again
    for the next load: nothing the rewrites leave behind may hold it (a reference cycle through
    a size counter kept RocksDB's lock until a garbage collection; found by
    tests/test_sparql_endpoint.py's loads). Checked by breaking it: with the OPTIONAL blocks
    visited by a closure that calls itself, reopening fails on the lock."""
    import gc

    from competency_kg.sparql.execute import run_rewritten

    path = tmp_path / "store"
    s = ox.Store(str(path))
    s.add(ox.Quad(NODES[0], RDF_TYPE, NODES[1]))
    gc.disable()  # only reference counts free the store: what a load between collections sees
    try:
        for query in (SMALL_LEFT[0], SMALL_LEFT[1], HASHED[0], CLASS_COUNTED[0]):
            list(run_rewritten(s, query, {}))
        del s
        ox.Store(str(path))  # OSError (the lock) while anything still holds the first handle
    finally:
        gc.enable()
