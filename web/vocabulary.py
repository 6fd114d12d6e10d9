"""Names for the terms pages show: the ckg: ontology's own labels and comments, and short
English names for the terms the graph reuses from SKOS, DCTERMS, PROV, schema.org, CTDL-ASN …

The ontology and shapes files are read once per process (they ship with the package).
"""

from __future__ import annotations

import importlib.resources
import threading
from dataclasses import dataclass, field
from functools import lru_cache

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, VOID

from competency_kg.names import local_name
from competency_kg.namespaces import CC, CEASN, CETERMS, CKG, HYDRA, ONTOLOGY_IRI, SCHEMA
from competency_kg.web.terms import compact, humanize

#: Short names (and, for some, the name of the inverse link) of reused terms.
BUILTIN: dict[str, tuple[str, str | None]] = {
    str(RDF.type): ("type", "instances"),
    str(RDF.value): ("value", None),
    str(RDFS.label): ("label", None),
    str(RDFS.comment): ("comment", None),
    str(RDFS.seeAlso): ("see also", "see also from"),
    str(RDFS.subClassOf): ("subclass of", "subclasses"),
    str(RDFS.subPropertyOf): ("subproperty of", "subproperties"),
    str(RDFS.domain): ("domain", "properties with this domain"),
    str(RDFS.range): ("range", "properties with this range"),
    str(SKOS.prefLabel): ("preferred label", None),
    str(SKOS.altLabel): ("alternative label", None),
    str(SKOS.hiddenLabel): ("hidden label", None),
    str(SKOS.definition): ("definition", None),
    str(SKOS.note): ("note", None),
    str(SKOS.scopeNote): ("scope note", None),
    str(SKOS.notation): ("code", None),
    str(SKOS.broader): ("broader", "narrower"),
    str(SKOS.narrower): ("narrower", "broader"),
    str(SKOS.related): ("related", "related"),
    str(SKOS.inScheme): ("in scheme", "concepts in this scheme"),
    str(SKOS.hasTopConcept): ("top concept", "top concept of"),
    str(SKOS.topConceptOf): ("top concept of", "top concepts"),
    str(SKOS.exactMatch): ("exact match", "exact match of"),
    str(SKOS.closeMatch): ("close match", "close match of"),
    str(SKOS.broadMatch): ("broad match", "broad match of"),
    str(SKOS.narrowMatch): ("narrow match", "narrow match of"),
    str(SKOS.Concept): ("SKOS concept", None),
    str(SKOS.ConceptScheme): ("SKOS concept scheme", None),
    str(DCTERMS.title): ("title", None),
    str(DCTERMS.description): ("description", None),
    str(DCTERMS.source): ("source", "source of"),
    str(DCTERMS.license): ("licence", "licence of"),
    str(DCTERMS.rights): ("rights", None),
    str(DCTERMS.publisher): ("publisher", "publisher of"),
    str(DCTERMS.creator): ("creator", "creator of"),
    str(DCTERMS.created): ("created", None),
    str(DCTERMS.date): ("date", None),
    str(DCTERMS.issued): ("issued", None),
    str(DCTERMS.modified): ("modified", None),
    str(DCTERMS.identifier): ("identifier", None),
    str(DCTERMS.format): ("format", None),
    str(PROV.wasDerivedFrom): ("derived from", "source of"),
    str(PROV.generatedAtTime): ("generated at", None),
    str(PROV.Entity): ("PROV entity", None),
    str(PROV.Activity): ("PROV activity", None),
    str(SCHEMA.position): ("position", None),
    str(SCHEMA.version): ("version", None),
    str(SCHEMA.url): ("web address", None),
    str(SCHEMA.name): ("name", None),
    str(SCHEMA.description): ("description", None),
    str(SCHEMA.minValue): ("minimum value", None),
    str(SCHEMA.maxValue): ("maximum value", None),
    str(SCHEMA.Occupation): ("Occupation (schema.org)", None),
    str(SCHEMA.DefinedTerm): ("Defined term (schema.org)", None),
    str(CEASN.name): ("name", None),
    str(CEASN.description): ("description", None),
    str(CEASN.competencyText): ("competency text", None),
    str(CEASN.competencyLabel): ("competency label", None),
    str(CEASN.isPartOf): ("part of", "parts"),
    str(CEASN.hasTopChild): ("top statement", "top statement of"),
    str(CEASN.source): ("source", "source of"),
    str(CEASN.CompetencyFramework): ("Competency framework (CTDL-ASN)", None),
    str(CEASN.Competency): ("Competency (CTDL-ASN)", None),
    str(CETERMS.precedes): ("precedes", "follows"),
    str(CC.attributionName): ("attribution", None),
    str(VOID.triples): ("triples", None),
    str(VOID.Dataset): ("VoID dataset", None),
    str(VOID.Linkset): ("VoID linkset", None),
    str(OWL.annotatedSource): ("annotated source", "link annotations"),
    str(OWL.annotatedProperty): ("annotated property", None),
    str(OWL.annotatedTarget): ("annotated target", "link annotations (as target)"),
    str(OWL.Axiom): ("OWL axiom (link annotation)", None),
    str(OWL.Class): ("OWL class", None),
    str(OWL.ObjectProperty): ("object property", None),
    str(OWL.DatatypeProperty): ("datatype property", None),
    str(OWL.Ontology): ("ontology", None),
    str(FOAF.primaryTopic): ("primary topic", None),
    str(HYDRA.totalItems): ("total items", None),
}

#: Names of inverse links of the ontology's properties (else "‹label› of").
INVERSE: dict[str, str] = {
    "forOccupation": "parts describing this occupation",
    "competency": "named as competency in",
    "requiredLevel": "required at this level by",
    "statedLevel": "stated at this level in",
    "atLevel": "statements at this level",
    "exercises": "exercised in scenarios",
    "usesTool": "used by occupations",
    "usesTechnology": "used by occupations",
    "hotTechnology": "hot technology for",
    "usesEquipment": "used by occupations",
    "jobTitle": "job title of",
    "alternateTitle": "alternate title of",
    "reportedTitle": "reported title of",
    "myNextMoveTitle": "My Next Move title of",
    "preferredCertification": "preferred by occupations",
    "element": "rated in",
    "relatedOccupation": "related from",
    "inJobZone": "occupations in this job zone",
    "competencyKind": "of this kind",
    "listType": "lists of this type",
    "candidateList": "candidate list of unplaced entries",
    "workActivity": "tasks of this activity",
    "ratingScale": "measured on this scale",
    "category": "measurements of this category",
    "unmatched": "left unmatched by",
    "proficiencyScale": "scale of",
    "taskType": "tasks of this type",
}

#: How pages group a resource's properties (by the ontology's sections).
GROUPS: list[tuple[str, set[str]]] = [
    (
        "Names and description",
        {
            str(RDFS.label),
            str(RDFS.comment),
            str(SKOS.prefLabel),
            str(SKOS.altLabel),
            str(SKOS.hiddenLabel),
            str(SKOS.definition),
            str(SKOS.note),
            str(SKOS.scopeNote),
            str(SKOS.notation),
            str(DCTERMS.title),
            str(DCTERMS.description),
            str(SCHEMA.name),
            str(CEASN.name),
            str(CEASN.description),
            str(CEASN.competencyText),
            str(CEASN.competencyLabel),
            str(CKG.actionText),
            str(CKG.jobDescription),
            str(CKG.narrative),
            str(CKG.contextCovered),
            str(CKG.shortTitle),
            str(CKG.entryText),
            str(CKG.readingEvidence),
            str(CKG.evidence),
        },
    ),
    (
        "Classification",
        {
            str(RDF.type),
            str(SKOS.broader),
            str(SKOS.narrower),
            str(SKOS.inScheme),
            str(SKOS.hasTopConcept),
            str(SKOS.topConceptOf),
            str(CKG.competencyKind),
            str(CKG.listType),
            str(CKG.classificationLevel),
            str(CKG.occupationGroup),
            str(CKG.industrySector),
            str(CKG.jobZone),
            str(CKG.jobZoneInferred),
            str(CKG.inJobZone),
            str(CKG.taskType),
            str(SCHEMA.position),
        },
    ),
    (
        "Links to other sources",
        {
            str(SKOS.exactMatch),
            str(SKOS.closeMatch),
            str(SKOS.broadMatch),
            str(SKOS.narrowMatch),
            str(SKOS.related),
            str(RDFS.seeAlso),
            str(CKG.matchMethod),
            str(OWL.annotatedSource),
            str(OWL.annotatedProperty),
            str(OWL.annotatedTarget),
        },
    ),
    (
        "Provenance",
        {
            str(PROV.wasDerivedFrom),
            str(PROV.generatedAtTime),
            str(CKG.sourceLocation),
            str(CKG.sourceWording),
            str(CKG.checksum),
            str(CKG.loader),
            str(CKG.schemaVersion),
            str(CKG.sourceReference),
            str(CKG.sourceKey),
            str(DCTERMS.source),
            str(DCTERMS.license),
            str(DCTERMS.rights),
            str(DCTERMS.publisher),
            str(DCTERMS.issued),
            str(CC.attributionName),
            str(CEASN.source),
            str(SCHEMA.version),
        },
    ),
]
OTHER_GROUP = "Other properties"


@dataclass
class Term:
    iri: str
    label: str
    comment: str | None = None
    kind: str | None = None  # class, object, datatype, annotation, individual
    inverse: str | None = None
    pref: str | None = None  # skos:prefLabel, where the ontology gives one (list types …)
    domain: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)


class Vocabulary:
    """Labels, comments and kinds of terms; ckg: terms from the ontology file."""

    def __init__(self, ontology: Graph) -> None:
        self.terms: dict[str, Term] = {}
        self._group: dict[str, str] = {}
        for name, members in GROUPS:
            for iri in members:
                self._group[iri] = name
        for iri, (label, inverse) in BUILTIN.items():
            self.terms[iri] = Term(iri, label, inverse=inverse)
        kinds = {
            OWL.Class: "class",
            OWL.ObjectProperty: "object",
            OWL.DatatypeProperty: "datatype",
            OWL.AnnotationProperty: "annotation",
            OWL.Ontology: "ontology",
        }
        for s in set(ontology.subjects()):
            if not isinstance(s, URIRef):
                continue
            label = _en(ontology, s, RDFS.label) or _en(ontology, s, SKOS.prefLabel)
            comment = _en(ontology, s, RDFS.comment)
            kind = None
            for t in ontology.objects(s, RDF.type):
                kind = kinds.get(t, kind) or ("individual" if str(t).startswith(str(CKG)) else kind)
            iri = str(s)
            name = local_name(iri)
            inverse = INVERSE.get(name) if iri.startswith(str(CKG)) else None
            self.terms[iri] = Term(
                iri,
                label or humanize(name),
                comment,
                kind,
                inverse,
                pref=_en(ontology, s, SKOS.prefLabel),
                domain=sorted(str(o) for o in ontology.objects(s, RDFS.domain)),
                range=sorted(str(o) for o in ontology.objects(s, RDFS.range)),
                parents=sorted(
                    str(o)
                    for p in (RDFS.subClassOf, RDFS.subPropertyOf)
                    for o in ontology.objects(s, p)
                ),
            )

    def term(self, iri: str) -> Term | None:
        return self.terms.get(iri)

    def label(self, iri: str) -> str:
        t = self.terms.get(iri)
        if t is not None:
            return t.label
        return humanize(local_name(iri)) if "#" in iri or "/" in iri else iri

    def comment(self, iri: str) -> str | None:
        t = self.terms.get(iri)
        return t.comment if t else None

    def inverse_label(self, iri: str) -> str:
        t = self.terms.get(iri)
        if t is not None and t.inverse:
            return t.inverse
        return f"{self.label(iri)} of"

    def group(self, iri: str) -> str:
        return self._group.get(iri, OTHER_GROUP)

    def curie(self, iri: str) -> str:
        return compact(iri)


def _en(g: Graph, s: URIRef, p: URIRef) -> str | None:
    best = None
    for o in g.objects(s, p):
        lang = getattr(o, "language", None)
        if lang is None or lang.startswith("en"):
            return str(o)
        best = best or str(o)
    return best


_lock = threading.Lock()


@lru_cache(maxsize=1)
def ontology_text() -> str:
    return (
        importlib.resources.files("competency_kg.ontology")
        .joinpath("competency-kg.ttl")
        .read_text(encoding="utf-8")
    )


@lru_cache(maxsize=1)
def ontology_graph() -> Graph:
    with _lock:
        return Graph().parse(data=ontology_text(), format="turtle", publicID=ONTOLOGY_IRI)


@lru_cache(maxsize=1)
def shapes_text() -> dict[str, str]:
    """The shapes files, by file name."""
    root = importlib.resources.files("competency_kg.shapes")
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(root.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".ttl")
    }


@lru_cache(maxsize=1)
def shapes_graph() -> Graph:
    g = Graph()
    with _lock:
        for text in shapes_text().values():
            g.parse(data=text, format="turtle")
    return g


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    return Vocabulary(ontology_graph())
