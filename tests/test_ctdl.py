"""CTDL-ASN frameworks (JSON-LD): O*NET's, and one from a publisher the loader never saw."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from competency_kg.iris import Minter
from competency_kg.loaders import SourceError, read_source
from competency_kg.loading import load_paths
from competency_kg.namespaces import CEASN, CKG
from competency_kg.store import GraphStore
from competency_kg.validation import validate_graph

from support import FIXTURES

CTDL = FIXTURES / "ctdl"
ONET_FRAMEWORKS = sorted(CTDL.glob("ONET * Competency Framework 9-27-19.json"))
WELDING = CTDL / "welding-framework.jsonld"
W = "https://example.org/welding/competency/"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test: contexts are never fetched."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the loader tried to reach the network: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_the_four_onet_frameworks_are_there() -> None:
    assert [p.name.split(" Competency")[0] for p in ONET_FRAMEWORKS] == [
        "ONET Abilities",
        "ONET Basic Skills",
        "ONET Cross-Functional Skills",
        "ONET Knowledge",
    ]


@pytest.mark.parametrize("path", ONET_FRAMEWORKS, ids=lambda p: p.name.split(" ")[1])
def test_onet_framework_loads_with_every_competency(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    nodes = doc["@graph"]
    competencies = [n for n in nodes if n["@type"] == "ceasn:Competency"]
    src = read_source(path, Minter())
    g = src.graph
    assert src.loader == "ctdl-asn"
    (fw,) = g.subjects(RDF.type, CEASN.CompetencyFramework)
    assert str(fw) == nodes[0]["@id"]
    got = set(g.subjects(RDF.type, CEASN.Competency))
    assert {str(c) for c in got} == {n["@id"] for n in competencies}
    for n in competencies:
        c = URIRef(n["@id"])
        assert g.value(c, CEASN.codedNotation) == Literal(n["ceasn:codedNotation"])
        label = n["ceasn:competencyLabel"]["en-us"]
        assert (c, CEASN.competencyLabel, Literal(label, lang="en-us")) in g
        assert (c, CEASN.isPartOf, fw) in g  # every competency is in the framework
        assert (c, PROV.wasDerivedFrom, src.document_iri) in g
        assert str(g.value(c, CKG.sourceLocation)).startswith("$['@graph'][")
        for child in n.get("ceasn:hasChild", []):  # the hierarchy, both ways
            assert (URIRef(child), CEASN.isChildOf, c) in g
    tops = set(g.objects(fw, CEASN.hasTopChild))
    assert tops == {URIRef(t) for t in nodes[0]["ceasn:hasTopChild"]}
    assert all((t, CEASN.isTopChildOf, fw) in g for t in tops)
    assert g.value(fw, CEASN.dateCreated) == Literal("1998-12-01", datatype=XSD.date)
    assert src.licences == [URIRef("https://creativecommons.org/licenses/by/4.0/")]
    assert "U.S. Department of Labor" in (src.attribution or "")
    assert "O*NET® is a trademark of USDOL/ETA" in (src.attribution or "")


def test_active_listening_is_2_A_1_b() -> None:
    g = read_source(CTDL / "ONET Basic Skills Competency Framework 9-27-19.json", Minter()).graph
    (c,) = g.subjects(CEASN.competencyLabel, Literal("Active Listening", lang="en-us"))
    assert g.value(c, CEASN.codedNotation) == Literal("2.A.1.b")


def test_concept_scheme_without_context_gets_the_ctdl_context() -> None:
    src = read_source(CTDL / "ONET Work Activities Concept Scheme.json", Minter())
    skos = "http://www.w3.org/2004/02/skos/core#"
    concepts = set(src.graph.subjects(RDF.type, URIRef(skos + "Concept")))
    assert len(concepts) == 3
    assert (None, URIRef(skos + "altLabel"), Literal("DWA", lang="en")) in src.graph


def test_a_framework_from_another_publisher_loads() -> None:
    src = read_source(WELDING, Minter())
    g = src.graph
    (fw,) = g.subjects(RDF.type, CEASN.CompetencyFramework)
    # language maps, declared by the context or not
    names = {(str(o), o.language) for o in g.objects(fw, CEASN.name)}
    assert names == {
        ("Structural Welding Competencies", "en"),
        ("Competencias de soldadura estructural", "es"),
        ("Compétences en soudage de charpente", "fr-CA"),
    }
    risk = {
        o.language
        for o in g.objects(
            URIRef(W + "safety"), URIRef("https://example.org/welding/terms/riskNote")
        )
    }
    assert risk == {"en", "de"}
    keywords = set(g.objects(URIRef(W + "smaw"), CEASN.conceptKeyword))
    assert keywords == {Literal("stick welding", lang="en"), Literal("SMAW", lang="en")}
    # the document's own prefix, from its context list
    assert (fw, URIRef("https://example.org/welding/terms/reviewCycle"), Literal("yearly")) in g
    # the hierarchy, completed both ways, and every competency in the framework
    assert (URIRef(W + "safety"), CEASN.hasChild, URIRef(W + "ppe")) in g
    assert (URIRef(W + "smaw"), CEASN.isChildOf, URIRef(W + "processes")) in g
    assert (URIRef(W + "smaw"), CEASN.hasChild, URIRef(W + "smaw-overhead")) in g
    for c in ("safety", "ppe", "processes", "smaw", "smaw-overhead"):
        assert (URIRef(W + c), CEASN.isPartOf, fw) in g, c
    assert (URIRef(W + "safety"), CEASN.isTopChildOf, fw) in g
    assert g.value(URIRef(W + "smaw-overhead"), CEASN.codedNotation) == Literal("W.2.1.a")
    assert g.value(fw, CEASN.dateModified) == Literal("2025-01-15T09:30:00Z", datatype=XSD.dateTime)
    assert src.licences == [URIRef("https://creativecommons.org/licenses/by-sa/4.0/")]
    assert src.attribution == (
        "Structural Welding Competencies by Example Welding Training Consortium. "
        "Used under the licence https://creativecommons.org/licenses/by-sa/4.0/."
    )
    assert str(g.value(URIRef(W + "smaw"), CKG.sourceLocation)) == "$['@graph'][4]"


def test_other_remote_contexts_are_refused(tmp_path: Path) -> None:
    doc = json.loads(WELDING.read_text(encoding="utf-8"))
    doc["@context"] = ["https://example.org/some/context.jsonld", doc["@context"][1]]
    f = tmp_path / "remote.json"
    f.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(SourceError) as err:
        read_source(f, Minter())
    assert "never fetched" in str(err.value) and "$.@context[0]" in str(err.value)


def test_ctdl_source_is_stored_with_its_licence(store: GraphStore) -> None:
    # no force: the framework conforms (a violation would refuse the load, not hide in it)
    (outcome,) = load_paths(store, [WELDING], Minter())
    assert outcome.source.loader == "ctdl-asn"
    rows = store.select(
        f"SELECT ?lic ?attr WHERE {{ GRAPH ?m {{ <{outcome.source.graph_iri}> "
        "<http://purl.org/dc/terms/license> ?lic ; "
        "<http://creativecommons.org/ns#attributionName> ?attr } }"
    )
    assert [str(r["lic"]) for r in rows] == ["https://creativecommons.org/licenses/by-sa/4.0/"]


def test_ctdl_competencies_meet_their_shapes() -> None:
    for path in [*ONET_FRAMEWORKS, WELDING]:
        report, _ = validate_graph(read_source(path, Minter()).graph)
        mine = [r for r in report.results if "CtdlCompetency" in r.shape]
        assert mine == [], path.name


def test_ctdl_frameworks_validate_without_violations() -> None:
    for path in [*ONET_FRAMEWORKS, WELDING]:
        report, _ = validate_graph(read_source(path, Minter()).graph)
        assert report.violations == 0, path.name
