"""The join-order rewrite gives the same answers as the query as written, and only rewrites
what the SPARQL algebra allows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from competency_kg.iris import Minter
from competency_kg.loading import load_paths
from competency_kg.namespaces import sparql_prefixes
from competency_kg.query_rewrite import hoist_required_patterns
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


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_example_queries_answer_the_same_rewritten(store: ox.Store, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _rows(store, hoist_required_patterns(text)) == _rows(store, text)


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
