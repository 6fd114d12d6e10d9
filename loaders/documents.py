"""What a source document says, before it becomes RDF.

Each format module parses a file into one of these plain dataclasses; ``loaders.mapping``
turns them into triples. Keeping the two steps apart means a parser never needs to know the
ontology, and the mapping never needs to know a file layout.

Every parsed item carries ``where``: the place in the file it came from (``"line 115"`` for
text, a JSON path such as ``"$.framework.levels.emerging.statements[0]"`` for JSON), so
curators can go from a SHACL result back to the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["foundational", "occupation-specific"]
ListType = Literal[
    "most-common-required",
    "most-common-break-point",
    "most-preferred",
    "most-hard-to-find",
    "most-evolving",
    "other-relevant",
]


# --------------------------------------------------------------------------- JSON export
@dataclass
class FrameworkLevel:
    key: str  # "emerging"
    label: str  # "Emerging"
    position: int  # 1-based, in document order
    statements: list[Statement]
    where: str


@dataclass
class Statement:
    text: str  # full text as printed
    topic: str | None  # text before the dash; None when the statement has no dash
    action: str | None  # text after the dash
    position: int  # 1-based within its level
    where: str


@dataclass
class SourceReference:
    key: str  # "onet"
    value: str  # "v30.2 (CC BY 4.0)" exactly as printed
    where: str


@dataclass
class FrameworkDocument:
    """A competency-framework JSON export (``schemaVersion`` 1.x)."""

    schema_version: str
    exported_at: str | None
    soc_code: str | None
    title: str
    group: str | None
    sector: str | None
    job_zone: int | None
    job_zone_inferred: bool | None
    framework_version: str | None
    framework_description: str | None
    context_covered: str | None
    levels: list[FrameworkLevel]
    sources: list[SourceReference]
    attribution: str | None
    document_title: str | None = None  # a title or name the export gives itself, if any


# --------------------------------------------------------------------------- overview text
@dataclass
class CompetencyDefinition:
    """A bullet ``• Name: definition`` of the overview's competency section."""

    wording: str  # the name as printed, level prefix included: "Basic IT/Hardware"
    kind: Kind
    definition: str  # joined across line and page breaks
    where: str


@dataclass
class RankedEntry:
    """A competency named in a prioritized list."""

    wording: str  # as printed, level prefix included
    text: str | None  # the elaboration after the colon ("See previous." included); None if absent
    rank: int | None  # None when the layout does not say which rank
    where: str
    # Why the loader read it so: each layout rule that placed it, with the lines it read.
    evidence: list[str] = field(default_factory=list)


@dataclass
class RankedList:
    kind: Kind
    list_type: ListType
    heading: str  # as printed
    entries: list[RankedEntry]
    empty_ranks: list[int]  # rank numbers printed with no competency beside them
    where: str


@dataclass
class UnplacedEntry:
    """An entry the layout does not tie to one list: the columns of several lists interleave."""

    entry: RankedEntry
    kind: Kind
    candidate_lists: list[ListType]  # the lists it may belong to, in document order
    # Every (list, rank) the layout rules leave open for it; rank None: no rank left to take.
    readings: list[tuple[ListType, int | None]] = field(default_factory=list)


@dataclass
class ScenarioCompetency:
    wording: str  # as printed: "Basic IT / Hardware"
    position: int
    where: str


@dataclass
class Scenario:
    title: str
    narrative: str
    position: int
    competencies: list[ScenarioCompetency]  # empty when the layout does not say
    where: str


@dataclass
class Activity:
    text: str
    position: int
    where: str


@dataclass
class NamedItem:
    """A job title, certification or tool."""

    name: str
    position: int
    where: str


@dataclass
class OverviewDocument:
    """An occupation-overview document extracted from a two-column PDF."""

    title: str
    where: str
    competencies: list[CompetencyDefinition]
    job_description: str | None
    activity_lists: list[list[Activity]]  # each bullet list in document order
    ranked_lists: list[RankedList]
    unplaced: list[UnplacedEntry]
    scenarios: list[Scenario]
    job_titles: list[NamedItem]
    certifications: list[NamedItem]
    tools: list[NamedItem]
    notes: list[str] = field(
        default_factory=list
    )  # what the parser could not resolve, said plainly
    heading: str = ""  # the title line as printed: the document's own title
