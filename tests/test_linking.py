"""Links across sources: the seeds to their O*NET and CTDL-ASN counterparts; what stays alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import OWL, SKOS

from competency_kg.iris import Minter
from competency_kg.linking import compute_links, is_acronym_of, refresh_links
from competency_kg.loading import load_paths
from competency_kg.namespaces import CKG, sparql_prefixes
from competency_kg.store import GraphStore, open_store

from support import FIXTURES, FRAMEWORK_SEED, OVERVIEW_SEED, SEEDS

BASE = "https://w3id.org/competency-kg/"
LINKS = URIRef(BASE + "graph/links")
ACTIVE_LISTENING = URIRef(BASE + "competency/active-listening")
ELEMENT = URIRef(BASE + "onet/element/2.A.1.b")
CTDL_ACTIVE_LISTENING = URIRef(
    "https://www.onetcenter.org/ctdlasn/resources/ce-07c2613a-9119-11e8-b852-782bcb5df6ac"
)
BASIC_SKILLS = FIXTURES / "ctdl" / "ONET Basic Skills Competency Framework 9-27-19.json"


@pytest.fixture(scope="module")
def kg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    store = open_store(tmp_path_factory.mktemp("links") / "store")
    # no force: the seeds and the framework conform (a violation would refuse the load)
    load_paths(store, [SEEDS, BASIC_SKILLS], Minter())
    yield store
    store.close()


def links(store: GraphStore, subject: URIRef) -> dict[URIRef, tuple[URIRef, str, str]]:
    """target → (property, method, evidence) of the links from ``subject``."""
    rows = store.select(
        sparql_prefixes()
        + f"""SELECT ?p ?t ?method ?evidence WHERE {{ GRAPH <{LINKS}> {{
        ?ax owl:annotatedSource ?s ; owl:annotatedProperty ?p ; owl:annotatedTarget ?t ;
            ckg:matchMethod ?method ; ckg:evidence ?evidence . ?s ?p ?t }} }}""",
        {"s": subject},
    )
    return {r["t"]: (r["p"], str(r["method"]), str(r["evidence"])) for r in rows}  # type: ignore[misc]


def test_the_framework_occupation_is_the_onet_occupation_by_code(kg: GraphStore) -> None:
    occ = URIRef(BASE + "occupation/15-1299.00")
    graphs = {
        str(r["g"]).rsplit("/", 1)[1]
        for r in kg.select(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{occ}> a ?t }} }}")
    }
    assert {"000_78da1468efeafd76", "onet-27.0"} <= graphs
    report = compute_links(kg, Minter())
    assert "15-1299.00" in report.same[occ]


def test_the_overview_occupation_matches_by_exact_title(kg: GraphStore) -> None:
    overview = URIRef(BASE + "occupation/computer-user-support-specialists")
    got = links(kg, overview)
    assert got == {
        URIRef(BASE + "occupation/15-1232.00"): (
            SKOS.exactMatch,
            "exact title",
            "the title 'Computer User Support Specialists' is the title of O*NET occupation "
            "15-1232.00",
        )
    }


def test_active_listening_is_2_A_1_b_in_onet_and_ctdl(kg: GraphStore) -> None:
    got = links(kg, ACTIVE_LISTENING)
    assert got[ELEMENT][:2] == (SKOS.exactMatch, "normalized name")
    assert got[CTDL_ACTIVE_LISTENING][:2] == (SKOS.exactMatch, "normalized name")
    element = links(kg, ELEMENT)
    assert element[CTDL_ACTIVE_LISTENING][:2] == (SKOS.exactMatch, "coded notation")
    assert "2.A.1.b" in element[CTDL_ACTIVE_LISTENING][2]


def test_a_name_two_elements_share_gives_close_matches(kg: GraphStore) -> None:
    got = links(kg, URIRef(BASE + "competency/mathematics"))
    onet = {t: v for t, v in got.items() if str(t).startswith(BASE + "onet/element/")}
    assert set(onet) == {
        URIRef(BASE + "onet/element/2.A.1.e"),
        URIRef(BASE + "onet/element/2.C.4.a"),
    }
    assert {v[0] for v in onet.values()} == {SKOS.closeMatch}
    assert all("one of 2 with this name" in v[2] for v in onet.values())


def test_tools_match_by_name_and_acronym(kg: GraphStore) -> None:
    linux = links(kg, URIRef(BASE + "tool/linux"))
    assert linux[URIRef(BASE + "onet/technology/linux")][:2] == (SKOS.exactMatch, "normalized name")
    sql = links(kg, URIRef(BASE + "tool/sql"))
    target = URIRef(BASE + "onet/technology/structured-query-language-sql")
    assert sql[target][:2] == (SKOS.exactMatch, "acronym")
    assert is_acronym_of("SQL", "Structured query language SQL")
    assert not is_acronym_of("SQL", "Microsoft SQL Server")


def test_unmatched_items_are_reported(kg: GraphStore) -> None:
    rows = kg.select(
        f"SELECT ?x WHERE {{ GRAPH <{LINKS}> {{ "
        f"?r a <{CKG.LinkReport}> ; <{CKG.unmatched}> ?x }} }}"
    )
    unmatched = {r["x"] for r in rows}
    assert URIRef(BASE + "competency/tech-support") in unmatched
    assert URIRef(BASE + "tool/ticketing-systems") in unmatched
    assert ACTIVE_LISTENING not in unmatched
    report = compute_links(kg, Minter())
    assert report.seen["occupations"] == report.matched("occupations") == 2
    assert report.matched("competencies") > 30 and report.matched("tools") >= 3
    assert report.summary().startswith("links: occupations 2/2 matched; competencies ")


def test_links_are_recomputed_at_each_load(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    try:
        load_paths(store, [FRAMEWORK_SEED, OVERVIEW_SEED], Minter())
        assert LINKS not in store.graph_names()  # nothing to link to yet
        messages: list[str] = []
        load_paths(store, [SEEDS / "onet-extract"], Minter(), progress=messages.append)
        assert LINKS in store.graph_names()
        assert any(m.startswith("links: occupations 2/2 matched") for m in messages)
        assert any(m.startswith("  unmatched tools") and "Ticketing Systems" in m for m in messages)
        before = store.triple_count(LINKS)
        report = refresh_links(store, Minter())
        assert store.triple_count(LINKS) == before  # the same links, replaced not added
        assert len(report.links) > 0
        assert store.ask(
            f"ASK {{ GRAPH ?m {{ <{LINKS}> a <http://rdfs.org/ns/void#Linkset> ; "
            f"<http://rdfs.org/ns/void#triples> {before} }} }}"
        )
        assert (ACTIVE_LISTENING, SKOS.exactMatch, ELEMENT) in store.graph(LINKS)
        ax = store.graph(LINKS)
        assert (None, OWL.annotatedTarget, ELEMENT) in ax
        assert (None, CKG.matchMethod, Literal("normalized name")) in ax
    finally:
        store.close()
