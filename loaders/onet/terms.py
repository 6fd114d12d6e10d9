"""N-Triples terms written as text: the predicates and classes serialized once, and the
literals of a row."""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS, XSD

from competency_kg.namespaces import CKG, SCHEMA

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})

RDF_TYPE = f"<{RDF.type}>"


def iri_term(iri: str) -> str:
    return f"<{iri}>"


def text_term(value: str, lang: str = "en") -> str:
    return f'"{value.translate(_ESCAPES)}"@{lang}'


def string_term(value: str) -> str:
    return f'"{value.translate(_ESCAPES)}"'


def typed_term(lexical: str, datatype: URIRef) -> str:
    return f'"{lexical}"^^<{datatype}>'


def _serialized(terms: dict[str, URIRef]) -> dict[str, str]:
    """Terms by short name, written as N-Triples once (not for every triple)."""
    return {name: iri_term(str(term)) for name, term in terms.items()}


P = _serialized(  # predicates
    {
        "type": RDF.type,
        "prefLabel": SKOS.prefLabel,
        "altLabel": SKOS.altLabel,
        "notation": SKOS.notation,
        "definition": SKOS.definition,
        "broader": SKOS.broader,
        "inScheme": SKOS.inScheme,
        "topConceptOf": SKOS.topConceptOf,
        "hasTopConcept": SKOS.hasTopConcept,
        "example": SKOS.example,
        "description": DCTERMS.description,
        "date": DCTERMS.date,
        "derived": PROV.wasDerivedFrom,
        "location": CKG.sourceLocation,
        "position": SCHEMA.position,
        "minValue": SCHEMA.minValue,
        "maxValue": SCHEMA.maxValue,
    }
)

_ONTOLOGY_PREDICATES = (
    "alternateTitle",
    "category",
    "classificationLevel",
    "dataValue",
    "domainSource",
    "education",
    "element",
    "experience",
    "forOccupation",
    "hotTechnology",
    "importance",
    "inJobZone",
    "incumbentsResponding",
    "jobTraining",
    "jobZone",
    "level",
    "lowerCIBound",
    "measurement",
    "myNextMoveTitle",
    "notRelevant",
    "rating",
    "ratingScale",
    "recommendSuppress",
    "relatedOccupation",
    "relatednessTier",
    "relation",
    "reportedTitle",
    "sampleSize",
    "shortTitle",
    "standardError",
    "svpRange",
    "task",
    "taskType",
    "upperCIBound",
    "usesEquipment",
    "usesTechnology",
    "workActivity",
)

for _name in _ONTOLOGY_PREDICATES:
    P[_name] = iri_term(str(getattr(CKG, _name)))

C = _serialized(  # classes
    {
        "Concept": SKOS.Concept,
        "ConceptScheme": SKOS.ConceptScheme,
        "Occupation": CKG.Occupation,
        "SocGroup": CKG.SocGroup,
        "ContentModelElement": CKG.ContentModelElement,
        "Competency": CKG.Competency,
        "WorkActivity": CKG.WorkActivity,
        "ProductCategory": CKG.ProductCategory,
        "Tool": CKG.Tool,
        "Technology": CKG.Technology,
        "JobTitle": CKG.JobTitle,
        "Task": CKG.Task,
        "JobZone": CKG.JobZone,
        "OccupationRelation": CKG.OccupationRelation,
        "RatingScale": CKG.RatingScale,
        "RatingCategory": CKG.RatingCategory,
        "ElementRating": CKG.ElementRating,
        "Measurement": CKG.Measurement,
        "CoreTask": CKG.CoreTask,
        "SupplementalTask": CKG.SupplementalTask,
    }
)

TRUE = typed_term("true", XSD.boolean)

FALSE = typed_term("false", XSD.boolean)
