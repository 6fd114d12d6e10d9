"""Namespaces: the project's own ontology terms and the vocabularies it reuses.

``CKG`` is a closed ``DefinedNamespace``: a misspelt term raises instead of minting a new IRI.
The ontology namespace is fixed; data IRIs are minted under a configurable base (see
``competency_kg.iris``).
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, VOID, XSD, DefinedNamespace

ONTOLOGY_IRI = "https://w3id.org/competency-kg/ontology"


class CKG(DefinedNamespace):
    """The competency-kg ontology (``ontology/competency-kg.ttl``)."""

    _NS = Namespace(ONTOLOGY_IRI + "#")
    _fail = True

    # classes
    Activity: URIRef
    ActivityList: URIRef
    Certification: URIRef
    Competency: URIRef
    CompetencyKind: URIRef
    CompetencyRequirement: URIRef
    CompetencyStatement: URIRef
    Correction: URIRef
    JobTitle: URIRef
    ListEntry: URIRef
    ListType: URIRef
    Occupation: URIRef
    PrioritizedList: URIRef
    ProficiencyLevel: URIRef
    ProficiencyScale: URIRef
    ScenarioCompetency: URIRef
    SourceDocument: URIRef
    SourceGraph: URIRef
    SourceReference: URIRef
    Tool: URIRef
    WorkScenario: URIRef
    # individuals
    Foundational: URIRef
    OccupationSpecific: URIRef
    MostCommonBreakPoint: URIRef
    MostCommonRequired: URIRef
    MostEvolving: URIRef
    MostHardToFind: URIRef
    MostPreferred: URIRef
    OtherRelevant: URIRef
    # properties
    actionText: URIRef
    additions: URIRef
    appliedTo: URIRef
    activity: URIRef
    activityList: URIRef
    atLevel: URIRef
    candidateList: URIRef
    checksum: URIRef
    competency: URIRef
    competencyKind: URIRef
    contextCovered: URIRef
    emptyRank: URIRef
    fileName: URIRef
    entry: URIRef
    entryText: URIRef
    readingEvidence: URIRef
    exercise: URIRef
    exercises: URIRef
    forOccupation: URIRef
    hasFramework: URIRef
    industrySector: URIRef
    jobDescription: URIRef
    jobTitle: URIRef
    jobZone: URIRef
    jobZoneInferred: URIRef
    listType: URIRef
    loader: URIRef
    narrative: URIRef
    occupationGroup: URIRef
    preferredCertification: URIRef
    prioritizedList: URIRef
    proficiencyScale: URIRef
    requiredLevel: URIRef
    requires: URIRef
    retracted: URIRef
    added: URIRef
    retractions: URIRef
    scenario: URIRef
    schemaVersion: URIRef
    sourceKey: URIRef
    sourceLocation: URIRef
    sourceReference: URIRef
    sourceWording: URIRef
    staleCorrection: URIRef
    missingRetraction: URIRef
    statedLevel: URIRef
    statisticsOf: URIRef
    unplacedEntry: URIRef
    usesTool: URIRef
    # O*NET releases, CTDL-ASN and links across sources
    ContentModelElement: URIRef
    CoreTask: URIRef
    ElementRating: URIRef
    JobZone: URIRef
    LinkReport: URIRef
    # links: kinds, evidence, the report per kind and curators' decisions (linking/)
    LinkCandidate: URIRef
    LinkKindReport: URIRef
    about: URIRef
    candidateSource: URIRef
    candidateTarget: URIRef
    confidence: URIRef
    linkKind: URIRef
    matchScore: URIRef
    matchedLabel: URIRef
    matchedResource: URIRef
    nearCandidate: URIRef
    rejectedMatch: URIRef
    Measurement: URIRef
    OccupationRelation: URIRef
    ProductCategory: URIRef
    RatingCategory: URIRef
    RatingScale: URIRef
    SocGroup: URIRef
    SupplementalTask: URIRef
    Task: URIRef
    TaskType: URIRef
    Technology: URIRef
    WorkActivity: URIRef
    alternateTitle: URIRef
    category: URIRef
    classificationLevel: URIRef
    dataValue: URIRef
    domainSource: URIRef
    education: URIRef
    element: URIRef
    evidence: URIRef
    experience: URIRef
    hotTechnology: URIRef
    importance: URIRef
    inJobZone: URIRef
    incumbentsResponding: URIRef
    jobTraining: URIRef
    level: URIRef
    lowerCIBound: URIRef
    matchMethod: URIRef
    measurement: URIRef
    myNextMoveTitle: URIRef
    notRelevant: URIRef
    rating: URIRef
    ratingScale: URIRef
    recommendSuppress: URIRef
    relatedOccupation: URIRef
    relatednessTier: URIRef
    relation: URIRef
    reportedTitle: URIRef
    sampleSize: URIRef
    shortTitle: URIRef
    standardError: URIRef
    svpRange: URIRef
    task: URIRef
    taskType: URIRef
    unmatched: URIRef
    upperCIBound: URIRef
    usesEquipment: URIRef
    usesTechnology: URIRef
    workActivity: URIRef
    # comparing occupations (competency_kg/compare/)
    ComparisonItem: URIRef
    ComparisonStatus: URIRef
    NotNeeded: URIRef
    OccupationComparison: URIRef
    Shared: URIRef
    SimilarOccupation: URIRef
    ToLearn: URIRef
    comparedResource: URIRef
    comparisonStatus: URIRef
    competencySimilarity: URIRef
    fromImportance: URIRef
    fromLevel: URIRef
    fromOccupation: URIRef
    item: URIRef
    levelGap: URIRef
    similarOccupation: URIRef
    similarity: URIRef
    toImportance: URIRef
    toLevel: URIRef
    toOccupation: URIRef
    toolSimilarity: URIRef
    workActivitySimilarity: URIRef
    # matching and career pathways (competency_kg/career/)
    CareerPath: URIRef
    CareerPathways: URIRef
    MatchResult: URIRef
    OccupationMatch: URIRef
    PathwayStep: URIRef
    careerPath: URIRef
    fitScore: URIRef
    givenResource: URIRef
    hasStep: URIRef
    learningCost: URIRef
    matchCoverage: URIRef
    matchResult: URIRef
    matchUse: URIRef
    maxSteps: URIRef


CEASN = Namespace("https://purl.org/ctdlasn/terms/")
CETERMS = Namespace("https://purl.org/ctdl/terms/")
ASN = Namespace("http://purl.org/ASN/schema/core/")
SCHEMA = Namespace("https://schema.org/")
CC = Namespace("http://creativecommons.org/ns#")
SH = Namespace("http://www.w3.org/ns/shacl#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
#: The IRI of the shapes document (``shapes/*.shacl.ttl``): shapes are ``{SHAPES_IRI}#Name``.
SHAPES_IRI = "https://w3id.org/competency-kg/shapes"

#: Prefixes offered to every serializer, query editor and page.
PREFIXES: dict[str, str] = {
    "ckg": str(CKG._NS),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "void": str(VOID),
    "schema": str(SCHEMA),
    "ceasn": str(CEASN),
    "ceterms": str(CETERMS),
    "asn": str(ASN),
    "cc": str(CC),
    "sh": str(SH),
}


def sparql_prefixes() -> str:
    """The PREFIX lines for every namespace in :data:`PREFIXES`."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
