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
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from competency_kg.namespaces import ONTOLOGY_IRI
from competency_kg.web.describe import (
    CC_NS,
    CEASN_NS,
    CETERMS_NS,
    CKG_NS,
    DCT_NS,
    FOAF_NS,
    HYDRA_NS,
    OWL_NS,
    PROV_NS,
    RDF_NS,
    RDFS_NS,
    SCHEMA_NS,
    SKOS_NS,
    VOID_NS,
    compact,
    humanize,
    local_name,
)

#: Short names (and, for some, the name of the inverse link) of reused terms.
BUILTIN: dict[str, tuple[str, str | None]] = {
    RDF_NS + "type": ("type", "instances"),
    RDF_NS + "value": ("value", None),
    RDFS_NS + "label": ("label", None),
    RDFS_NS + "comment": ("comment", None),
    RDFS_NS + "seeAlso": ("see also", "see also from"),
    RDFS_NS + "subClassOf": ("subclass of", "subclasses"),
    RDFS_NS + "subPropertyOf": ("subproperty of", "subproperties"),
    RDFS_NS + "domain": ("domain", "properties with this domain"),
    RDFS_NS + "range": ("range", "properties with this range"),
    SKOS_NS + "prefLabel": ("preferred label", None),
    SKOS_NS + "altLabel": ("alternative label", None),
    SKOS_NS + "hiddenLabel": ("hidden label", None),
    SKOS_NS + "definition": ("definition", None),
    SKOS_NS + "note": ("note", None),
    SKOS_NS + "scopeNote": ("scope note", None),
    SKOS_NS + "notation": ("code", None),
    SKOS_NS + "broader": ("broader", "narrower"),
    SKOS_NS + "narrower": ("narrower", "broader"),
    SKOS_NS + "related": ("related", "related"),
    SKOS_NS + "inScheme": ("in scheme", "concepts in this scheme"),
    SKOS_NS + "hasTopConcept": ("top concept", "top concept of"),
    SKOS_NS + "topConceptOf": ("top concept of", "top concepts"),
    SKOS_NS + "exactMatch": ("exact match", "exact match of"),
    SKOS_NS + "closeMatch": ("close match", "close match of"),
    SKOS_NS + "broadMatch": ("broad match", "broad match of"),
    SKOS_NS + "narrowMatch": ("narrow match", "narrow match of"),
    SKOS_NS + "Concept": ("SKOS concept", None),
    SKOS_NS + "ConceptScheme": ("SKOS concept scheme", None),
    DCT_NS + "title": ("title", None),
    DCT_NS + "description": ("description", None),
    DCT_NS + "source": ("source", "source of"),
    DCT_NS + "license": ("licence", "licence of"),
    DCT_NS + "rights": ("rights", None),
    DCT_NS + "publisher": ("publisher", "publisher of"),
    DCT_NS + "creator": ("creator", "creator of"),
    DCT_NS + "created": ("created", None),
    DCT_NS + "date": ("date", None),
    DCT_NS + "issued": ("issued", None),
    DCT_NS + "modified": ("modified", None),
    DCT_NS + "identifier": ("identifier", None),
    DCT_NS + "format": ("format", None),
    PROV_NS + "wasDerivedFrom": ("derived from", "source of"),
    PROV_NS + "generatedAtTime": ("generated at", None),
    PROV_NS + "Entity": ("PROV entity", None),
    PROV_NS + "Activity": ("PROV activity", None),
    SCHEMA_NS + "position": ("position", None),
    SCHEMA_NS + "version": ("version", None),
    SCHEMA_NS + "url": ("web address", None),
    SCHEMA_NS + "name": ("name", None),
    SCHEMA_NS + "description": ("description", None),
    SCHEMA_NS + "minValue": ("minimum value", None),
    SCHEMA_NS + "maxValue": ("maximum value", None),
    SCHEMA_NS + "Occupation": ("Occupation (schema.org)", None),
    SCHEMA_NS + "DefinedTerm": ("Defined term (schema.org)", None),
    CEASN_NS + "name": ("name", None),
    CEASN_NS + "description": ("description", None),
    CEASN_NS + "competencyText": ("competency text", None),
    CEASN_NS + "competencyLabel": ("competency label", None),
    CEASN_NS + "isPartOf": ("part of", "parts"),
    CEASN_NS + "hasTopChild": ("top statement", "top statement of"),
    CEASN_NS + "source": ("source", "source of"),
    CEASN_NS + "CompetencyFramework": ("Competency framework (CTDL-ASN)", None),
    CEASN_NS + "Competency": ("Competency (CTDL-ASN)", None),
    CETERMS_NS + "precedes": ("precedes", "follows"),
    CC_NS + "attributionName": ("attribution", None),
    VOID_NS + "triples": ("triples", None),
    VOID_NS + "Dataset": ("VoID dataset", None),
    VOID_NS + "Linkset": ("VoID linkset", None),
    OWL_NS + "annotatedSource": ("annotated source", "link annotations"),
    OWL_NS + "annotatedProperty": ("annotated property", None),
    OWL_NS + "annotatedTarget": ("annotated target", "link annotations (as target)"),
    OWL_NS + "Axiom": ("OWL axiom (link annotation)", None),
    OWL_NS + "Class": ("OWL class", None),
    OWL_NS + "ObjectProperty": ("object property", None),
    OWL_NS + "DatatypeProperty": ("datatype property", None),
    OWL_NS + "Ontology": ("ontology", None),
    FOAF_NS + "primaryTopic": ("primary topic", None),
    HYDRA_NS + "totalItems": ("total items", None),
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
            RDFS_NS + "label",
            RDFS_NS + "comment",
            SKOS_NS + "prefLabel",
            SKOS_NS + "altLabel",
            SKOS_NS + "hiddenLabel",
            SKOS_NS + "definition",
            SKOS_NS + "note",
            SKOS_NS + "scopeNote",
            SKOS_NS + "notation",
            DCT_NS + "title",
            DCT_NS + "description",
            SCHEMA_NS + "name",
            CEASN_NS + "name",
            CEASN_NS + "description",
            CEASN_NS + "competencyText",
            CEASN_NS + "competencyLabel",
            CKG_NS + "actionText",
            CKG_NS + "jobDescription",
            CKG_NS + "narrative",
            CKG_NS + "contextCovered",
            CKG_NS + "shortTitle",
            CKG_NS + "entryText",
            CKG_NS + "readingEvidence",
            CKG_NS + "evidence",
        },
    ),
    (
        "Classification",
        {
            RDF_NS + "type",
            SKOS_NS + "broader",
            SKOS_NS + "narrower",
            SKOS_NS + "inScheme",
            SKOS_NS + "hasTopConcept",
            SKOS_NS + "topConceptOf",
            CKG_NS + "competencyKind",
            CKG_NS + "listType",
            CKG_NS + "classificationLevel",
            CKG_NS + "occupationGroup",
            CKG_NS + "industrySector",
            CKG_NS + "jobZone",
            CKG_NS + "jobZoneInferred",
            CKG_NS + "inJobZone",
            CKG_NS + "taskType",
            SCHEMA_NS + "position",
        },
    ),
    (
        "Links to other sources",
        {
            SKOS_NS + "exactMatch",
            SKOS_NS + "closeMatch",
            SKOS_NS + "broadMatch",
            SKOS_NS + "narrowMatch",
            SKOS_NS + "related",
            RDFS_NS + "seeAlso",
            CKG_NS + "matchMethod",
            OWL_NS + "annotatedSource",
            OWL_NS + "annotatedProperty",
            OWL_NS + "annotatedTarget",
        },
    ),
    (
        "Provenance",
        {
            PROV_NS + "wasDerivedFrom",
            PROV_NS + "generatedAtTime",
            CKG_NS + "sourceLocation",
            CKG_NS + "sourceWording",
            CKG_NS + "checksum",
            CKG_NS + "loader",
            CKG_NS + "schemaVersion",
            CKG_NS + "sourceReference",
            CKG_NS + "sourceKey",
            DCT_NS + "source",
            DCT_NS + "license",
            DCT_NS + "rights",
            DCT_NS + "publisher",
            DCT_NS + "issued",
            CC_NS + "attributionName",
            CEASN_NS + "source",
            SCHEMA_NS + "version",
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
                kind = kinds.get(t, kind) or ("individual" if str(t).startswith(CKG_NS) else kind)
            iri = str(s)
            name = local_name(iri)
            inverse = INVERSE.get(name) if iri.startswith(CKG_NS) else None
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
