"""Corrections kept in files, applied at every load, reported when they no longer match."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import URIRef

from competency_kg.iris import Minter
from competency_kg.loaders.errors import SourceError
from competency_kg.loading import load_paths
from competency_kg.namespaces import sparql_prefixes
from competency_kg.reporting import store_report
from competency_kg.store import GraphStore, open_store

from support import FIXTURES, OVERVIEW_SEED

LIST = URIRef(
    "https://w3id.org/competency-kg/occupation/computer-user-support-specialists/list/"
    "occupation-specific/other-relevant"
)
CORRECTIONS = FIXTURES / "curation"


#: The source's statement the correction retracts, in any graph.
_ASSERTED = f"ASK {{ GRAPH ?g {{ <{LIST}> ckg:emptyRank 20 }} }}"


def _empty_ranks(store: GraphStore) -> list[int]:
    rows = store.select(sparql_prefixes() + f"SELECT ?r WHERE {{ <{LIST}> ckg:emptyRank ?r }}")
    return sorted(int(r["r"]) for r in rows)


RANKS = [20, 21, 22, 23, 24, 25]  # the source prints these with no competency


def test_correction_applies_and_survives_reloads(tmp_path: Path) -> None:
    minter = Minter()
    store = open_store(tmp_path / "store")
    load_paths(store, [OVERVIEW_SEED], minter, corrections=[])
    assert _empty_ranks(store) == RANKS
    assert store.ask(sparql_prefixes() + _ASSERTED)  # the control: the ASK finds it when there
    before = {r.message for r in store_report(store, minter)[0].results}
    assert any("prints rank 20 with no competency" in m for m in before)

    messages: list[str] = []
    for _ in range(2):  # a reload re-reads the source and applies the correction again
        load_paths(
            store, [OVERVIEW_SEED], minter, corrections=[CORRECTIONS], progress=messages.append
        )
        assert _empty_ranks(store) == RANKS[1:]
    after = {r.message for r in store_report(store, minter)[0].results}
    assert not any("prints rank 20 with no competency" in m for m in after)
    assert any("rank 20 is missing" in m for m in after - before)

    applied = store.select(
        sparql_prefixes()
        + """SELECT ?c ?g ?why WHERE {
        GRAPH ?cg { ?c a ckg:Correction ; ckg:appliedTo ?g ; rdfs:comment ?why ;
                       ckg:retracted [ rdf:predicate ckg:emptyRank ; rdf:object 20 ] } }"""
    )
    assert len(applied) == 1 and str(applied[0]["c"]).endswith("#break-point-rank-2")
    # what the source said stays on record, reified, but is no longer asserted in any graph
    # (checked by breaking it: without the correction this ASK is true, see the first load)
    assert not store.ask(sparql_prefixes() + _ASSERTED)

    stale = store.select(
        sparql_prefixes()
        + """SELECT ?c WHERE {
        GRAPH ?m { ?m ckg:staleCorrection ?c } }"""
    )
    assert [str(r["c"]).rsplit("#")[-1] for r in stale] == ["stale"]
    assert any("stale correction" in m and "#stale" in m for m in messages)
    # the stale correction's additions were not applied
    assert not store.ask('ASK { ?s <http://www.w3.org/2000/01/rdf-schema#label> "somebody" }')
    store.close()


def test_dropping_a_correction_file_restores_the_source_statement(tmp_path: Path) -> None:
    minter = Minter()
    store = open_store(tmp_path / "store")
    load_paths(store, [OVERVIEW_SEED], minter, corrections=[CORRECTIONS])
    load_paths(store, [OVERVIEW_SEED], minter, corrections=[])
    assert _empty_ranks(store) == RANKS
    assert not store.select(sparql_prefixes() + "SELECT ?c WHERE { ?c a ckg:Correction }")
    store.close()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("<a> <b> <c> .\n<g> { <a> <b> ", "not valid TriG"),
        ("<a> <b> <c> .", "no ckg:Correction"),
        (
            "@prefix ckg: <https://w3id.org/competency-kg/ontology#> .\n"
            '<c> a ckg:Correction ; <http://www.w3.org/2000/01/rdf-schema#comment> "why" .',
            "who made it and why",
        ),
    ],
)
def test_bad_correction_files_name_the_file(tmp_path: Path, text: str, words: str) -> None:
    folder = tmp_path / "curation"
    folder.mkdir()
    (folder / "bad.trig").write_text(text)
    store = open_store(tmp_path / "store")
    with pytest.raises(SourceError) as err:
        load_paths(store, [OVERVIEW_SEED], Minter(), corrections=[folder])
    assert "bad.trig" in str(err.value) and words in str(err.value)
    assert store.graph_names() == []
    store.close()


GLOSSARY = """@prefix ckg: <https://w3id.org/competency-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/competency-kg/competency/kiln-loading> a ckg:Competency ;
    skos:prefLabel "Kiln loading"@en , "Kiln Loading"@en .
"""
TWO_FIXES = """@prefix ckg: <https://w3id.org/competency-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<curation/kiln#one-name> a ckg:Correction ; dcterms:creator "test curator" ;
    rdfs:comment "Keep one name." ; ckg:retractions <curation/kiln#one-name-r> .
<curation/kiln#define> a ckg:Correction ; dcterms:creator "test curator" ;
    rdfs:comment "Say what it is." ; ckg:additions <curation/kiln#define-a> .
<curation/kiln#one-name-r> {
    <competency/kiln-loading> skos:prefLabel "Kiln Loading"@en . }
<curation/kiln#define-a> {
    <competency/kiln-loading> skos:definition "Stacking ware in a kiln for firing."@en . }
"""


def test_each_correction_is_credited_with_exactly_what_it_resolves(tmp_path: Path) -> None:
    """Two corrections of one resource, each fixing one of its two warnings: each is credited
    with its own (a document and corrections of the test's making). Checked by breaking it:
    crediting every correction touching the focus node (the old rule) gave both results to
    both corrections, and this failed."""
    doc = tmp_path / "kiln-glossary.ttl"
    doc.write_text(GLOSSARY)
    fixes = tmp_path / "fixes"
    fixes.mkdir()
    (fixes / "kiln.trig").write_text(TWO_FIXES)
    minter = Minter()
    with open_store(tmp_path / "store") as store:
        load_paths(store, [doc], minter, corrections=[fixes])
        report, _ = store_report(store, minter)
    assert not [r for r in report.results if "kiln-loading" in r.focus]
    credit = {rr.result.source_shape.rsplit("#")[-1]: rr.corrections for rr in report.resolved}
    base = minter.base + "curation/kiln#"
    assert credit == {
        "Competency-prefLabelPerLanguage": [base + "one-name"],
        "Competency-definitionMissing": [base + "define"],
    }
