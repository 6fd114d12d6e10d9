"""The ontology: every term labelled and commented, and the code's closed namespace matches it."""

from __future__ import annotations

from importlib.resources import files

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from competency_kg.namespaces import CKG, ONTOLOGY_IRI


@pytest.fixture(scope="module")
def ontology() -> Graph:
    g = Graph()
    g.parse(
        data=files("competency_kg.ontology").joinpath("competency-kg.ttl").read_bytes(),
        format="turtle",
    )
    return g


def _terms(g: Graph) -> set[str]:
    ns = str(CKG._NS)
    return {str(s)[len(ns) :] for s in g.subjects() if str(s).startswith(ns)}


def test_namespace_class_lists_exactly_the_ontology_terms(ontology: Graph) -> None:
    declared = {n for n in CKG.__annotations__}
    assert declared == _terms(ontology)


def test_every_term_has_label_and_comment(ontology: Graph) -> None:
    for name in sorted(_terms(ontology)):
        term = URIRef(str(CKG._NS) + name)
        assert ontology.value(term, RDFS.label) is not None, f"{name} has no rdfs:label"
        assert ontology.value(term, RDFS.comment) is not None, f"{name} has no rdfs:comment"
        assert (term, RDF.type, None) in ontology, f"{name} has no type"


def test_ontology_header(ontology: Graph) -> None:
    assert (URIRef(ONTOLOGY_IRI), RDF.type, OWL.Ontology) in ontology


def test_misspelt_term_fails() -> None:
    with pytest.raises(AttributeError):
        CKG.requiresCompetencyTypo  # noqa: B018
