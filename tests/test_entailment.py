"""The vocabularies we reuse find what the ckg: terms say: entailment into its own graph.

Through ``competency-kg load`` and ``competency-kg query`` as a user runs them. Each promise
was checked by breaking the code once and watching its test fail (said per test).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDFS

from competency_kg.entailment import closure

from support import run_cli

BASE = "https://w3id.org/competency-kg/"
ENTAILED = BASE + "graph/entailed"
OCCUPATION = BASE + "occupation/15-1299.00"
PREFIXES = """
PREFIX ckg:     <https://w3id.org/competency-kg/ontology#>
PREFIX schema:  <https://schema.org/>
PREFIX ceterms: <https://purl.org/ctdl/terms/>
PREFIX ceasn:   <https://purl.org/ctdlasn/terms/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos:    <http://www.w3.org/2004/02/skos/core#>
PREFIX prov:    <http://www.w3.org/ns/prov#>
PREFIX void:    <http://rdfs.org/ns/void#>
"""


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("entail") / "store"
    r = run_cli("load", store=store)
    assert r.returncode == 0, r.stderr
    assert "entailed: " in r.stderr + r.stdout
    return store


def rows(store: Path, query: str) -> list[dict[str, str]]:
    r = run_cli("query", "--format", "json", PREFIXES + query, store=store)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    if "boolean" in doc:
        return [{"boolean": str(doc["boolean"]).lower()}]
    return [{k: v["value"] for k, v in b.items()} for b in doc["results"]["bindings"]]


def count(store: Path, where: str, what: str = "DISTINCT ?x") -> int:
    return int(rows(store, f"SELECT (COUNT({what}) AS ?n) WHERE {{ {where} }}")[0]["n"])


def ask(store: Path, where: str) -> bool:
    return rows(store, f"ASK {{ {where} }}")[0]["boolean"] == "true"


def test_aligned_vocabularies_count_what_the_ckg_terms_say(seeds: Path) -> None:
    """Checked: without the refresh in loading.py, all four counts are 0 and this fails."""
    occupations = count(seeds, "?x a ckg:Occupation")
    assert occupations > 0
    assert count(seeds, "?x a schema:Occupation") == occupations
    assert count(seeds, "?x a ceterms:Occupation") == occupations
    competencies = count(
        seeds,
        "{ ?x a ckg:Competency } UNION { ?x a ckg:CompetencyStatement } UNION "
        f"{{ GRAPH ?g {{ ?x a ceasn:Competency }} FILTER(?g != <{ENTAILED}>) }}",
    )
    assert competencies > 0
    assert count(seeds, "?x a ceasn:Competency") == competencies
    # definitions and the ckg: description properties are found as dcterms:description
    described = count(
        seeds,
        "?x skos:definition|ckg:narrative|ckg:jobDescription|ckg:contextCovered|"
        "dcterms:description ?d",
        "DISTINCT *",
    )
    assert described > 0
    assert count(seeds, "?x dcterms:description ?d", "DISTINCT *") == described
    # transitively, through ckg: terms: a task is a ckg:Activity is a ceterms:Task
    tasks = count(seeds, "?x a ckg:Task")
    assert tasks > 0
    assert count(seeds, "?x a ckg:Task ; a ceterms:Task") == tasks


def test_graph_names_the_entailed_graph_and_sources_keep_their_own(seeds: Path) -> None:
    """Checked: with the entailed triples written into the metadata graph instead, the first
    assertion fails; without the MINUS in the queries, the restated one does."""
    graphs = rows(seeds, f"SELECT ?g WHERE {{ GRAPH ?g {{ <{OCCUPATION}> a schema:Occupation }} }}")
    assert [r["g"] for r in graphs] == [ENTAILED]
    stated = rows(seeds, f"SELECT ?g WHERE {{ GRAPH ?g {{ <{OCCUPATION}> a ckg:Occupation }} }}")
    assert stated and ENTAILED not in {r["g"] for r in stated}
    # nothing a source states is restated, and no ckg: term is entailed
    assert not ask(
        seeds,
        f"GRAPH <{ENTAILED}> {{ ?s ?p ?o }} GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{ENTAILED}>)",
    )
    assert not ask(
        seeds,
        f"GRAPH <{ENTAILED}> {{ ?s ?p ?o }} "
        f"FILTER(STRSTARTS(STR(?p), STR(ckg:)) || (isIRI(?o) && STRSTARTS(STR(?o), STR(ckg:))))",
    )


def test_the_metadata_graph_describes_the_entailed_graph(seeds: Path) -> None:
    """Checked: with void:triples left at 0 in entailment.describe, the count assertion fails."""
    triples = count(seeds, f"GRAPH <{ENTAILED}> {{ ?s ?p ?o }}", "*")
    assert triples > 0
    meta = BASE + "graph/metadata"
    about = rows(
        seeds,
        f"SELECT ?n ?rules ?when WHERE {{ GRAPH <{meta}> {{ <{ENTAILED}> void:triples ?n ; "
        "prov:generatedAtTime ?when ; prov:wasGeneratedBy ?act . ?act prov:used ?rules . "
        "?rules a prov:Plan } }",
    )
    assert len(about) == 1 and int(about[0]["n"]) == triples
    derived = {
        r["d"]
        for r in rows(
            seeds,
            f"SELECT ?d WHERE {{ GRAPH <{meta}> {{ <{ENTAILED}> prov:wasDerivedFrom ?d }} }}",
        )
    }
    sources = {
        r["g"]
        for r in rows(seeds, f"SELECT ?g WHERE {{ GRAPH <{meta}> {{ ?g a ckg:SourceGraph }} }}")
    }
    assert sources and sources <= derived
    assert "https://w3id.org/competency-kg/ontology" in derived


TOOL_TTL = """
@prefix ckg: <https://w3id.org/competency-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://example.org/thing> a ckg:{cls} ; skos:prefLabel "Thing"@en .
"""


def test_a_reload_of_a_changed_source_updates_the_entailed_graph(tmp_path: Path) -> None:
    """Checked: with the refresh skipped when the entailed graph exists already, the stale
    schema:Occupation stays and this fails."""
    store, source = tmp_path / "store", tmp_path / "thing.ttl"
    thing = "<https://example.org/thing>"
    source.write_text(TOOL_TTL.replace("{cls}", "Occupation"))
    assert run_cli("load", "--force", str(source), store=store).returncode == 0
    assert ask(store, f"GRAPH <{ENTAILED}> {{ {thing} a schema:Occupation }}")
    source.write_text(TOOL_TTL.replace("{cls}", "Tool"))
    r = run_cli("load", "--force", str(source), store=store)
    assert r.returncode == 0, r.stderr
    assert not ask(store, f"{thing} a schema:Occupation")
    assert not ask(store, f"{thing} a ceterms:Occupation")
    assert ask(store, f"GRAPH <{ENTAILED}> {{ {thing} a schema:DefinedTerm }}")


def test_equivalence_works_both_ways_and_chains() -> None:
    """The ontology has no equivalence axioms yet, so the rule is checked on its own.
    Checked: with only one direction of owl:equivalentClass taken, this fails."""
    a, b, c, p, q = (URIRef(f"https://example.org/{n}") for n in "abcpq")
    g = Graph()
    g.add((a, OWL.equivalentClass, b))
    g.add((c, RDFS.subClassOf, a))
    g.add((p, OWL.equivalentProperty, q))
    rules = closure(g)
    assert rules.classes == {a: frozenset({b, c}), b: frozenset({a, c})}
    assert rules.properties == {p: frozenset({q}), q: frozenset({p})}


def test_seeds_store_checks_as_before(seeds: Path) -> None:
    """The entailed graph is neither checked by SHACL nor its context (it would make the seeds
    fail on shapes written for what sources state). Checked: with it read as context, the
    overview gets violations and this fails."""
    r = run_cli("validate", "--format", "json", store=seeds)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["violations"] == 0
    assert ENTAILED not in {s.get("graph") for s in doc.get("sources", [])}
