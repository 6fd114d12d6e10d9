"""An O*NET database release folder (text or Excel format) → N-Triples, streamed.

A release is a folder with ``Read Me.txt`` and O*NET's files (``Occupation Data.txt``, ``Task
Statements.txt`` … or their ``.xlsx`` twins). Every file is read by its header names, never by
column position, so another release's files (columns added, reordered) load as well; a file a
release lacks is skipped and said so. What the files say becomes triples under the ckg:
ontology, written line by line to an N-Triples file that the store bulk-loads — the whole
release (millions of triples) never sits in one rdflib graph.

Model (IRIs under the configurable base):

- occupations ``occupation/15-1252.00`` (ckg:Occupation, skos:notation the code), placed in the
  SOC hierarchy derived from the code's digits: detailed occupation ``soc/15-1252`` → broad
  occupation ``soc/15-1250`` → minor group ``soc/15-1200`` → major group ``soc/15-0000``
  (ckg:SocGroup, skos:broader);
- Content Model elements ``onet/element/2.A.1.b`` (ckg:ContentModelElement in the scheme
  ``onet/content-model``; skills, knowledge and abilities are ckg:Competency, work activities
  with their IWAs and DWAs ckg:WorkActivity);
- tasks ``occupation/{code}/task/{id}`` (ckg:Task, core or supplemental, with their DWAs);
- technologies ``onet/technology/{name}`` and tools ``onet/tool/{name}`` (ckg:Tool) filed under
  UNSPSC commodities ``unspsc/43232202`` (ckg:ProductCategory, up to the segment), linked with
  ckg:usesTechnology / ckg:hotTechnology / ckg:usesEquipment;
- alternate and reported titles as ckg:JobTitle (``job-title/{name}``, shared with other
  sources) via ckg:alternateTitle / ckg:reportedTitle;
- job zones ``onet/job-zone/4``, related occupations (ckg:OccupationRelation with tier and rank);
- ratings: ``occupation/{code}/rating/{element}`` (ckg:ElementRating with ckg:importance and
  ckg:level) and one ckg:Measurement per row and scale (and category) with N, standard error,
  confidence bounds, suppression flags, date and domain source.

Validation (see :func:`_validator`): row checks over every row while writing (codes, numbers,
references between files, values within their scale) plus pySHACL over slices — every triple
of a few occupations chosen evenly over the release, of the reference resources they use, and
of a regular sample of the other reference resources — since pySHACL over millions of triples
would take hours.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS, XSD

from competency_kg.loaders.errors import SourceError
from competency_kg.namespaces import CKG, SCHEMA

if TYPE_CHECKING:
    from competency_kg.iris import Minter
    from competency_kg.loaders.source import LoadedSource
    from competency_kg.validation import Report

Progress = Callable[[str], None]

README = "Read Me.txt"
OCCUPATION_DATA = "Occupation Data"

#: Rating files read when present (text or Excel), all with the same header vocabulary.
RATING_FILES: tuple[str, ...] = (
    "Education, Training, and Experience",
    "Skills",
    "Knowledge",
    "Abilities",
    "Work Activities",
    "Work Context",
)
#: Files a release folder is recognised by (besides ``Read Me.txt``): one of these.
MARKER_FILES: tuple[str, ...] = (OCCUPATION_DATA, *RATING_FILES[1:])

#: Content Model branches whose elements are competencies (abilities, skills, knowledge).
COMPETENCY_BRANCHES: tuple[str, ...] = ("1.A.", "2.A.", "2.B.", "2.C.")
WORK_ACTIVITY_BRANCH = "4.A."

#: Scales whose values are shortcuts on the element rating.
SHORTCUTS = {"IM": CKG.importance, "LV": CKG.level}
#: O*NET's published ranges, used when a release has no Scales Reference (an Excel extract).
DEFAULT_SCALE_RANGES = {"IM": (Decimal(1), Decimal(5)), "LV": (Decimal(0), Decimal(7))}

#: SOC 2018 minor groups that do not end in 000 (SOC User Guide); all others are XX-Y000.
SOC_MINOR_EXCEPTIONS = {"15-1200", "31-1100", "51-5100"}
SOC_MAJOR_GROUPS = {
    "11": "Management Occupations",
    "13": "Business and Financial Operations Occupations",
    "15": "Computer and Mathematical Occupations",
    "17": "Architecture and Engineering Occupations",
    "19": "Life, Physical, and Social Science Occupations",
    "21": "Community and Social Service Occupations",
    "23": "Legal Occupations",
    "25": "Educational Instruction and Library Occupations",
    "27": "Arts, Design, Entertainment, Sports, and Media Occupations",
    "29": "Healthcare Practitioners and Technical Occupations",
    "31": "Healthcare Support Occupations",
    "33": "Protective Service Occupations",
    "35": "Food Preparation and Serving Related Occupations",
    "37": "Building and Grounds Cleaning and Maintenance Occupations",
    "39": "Personal Care and Service Occupations",
    "41": "Sales and Related Occupations",
    "43": "Office and Administrative Support Occupations",
    "45": "Farming, Fishing, and Forestry Occupations",
    "47": "Construction and Extraction Occupations",
    "49": "Installation, Maintenance, and Repair Occupations",
    "51": "Production Occupations",
    "53": "Transportation and Material Moving Occupations",
    "55": "Military Specific Occupations",
}

#: Occupations whose every triple pySHACL checks (chosen evenly over the release).
SAMPLE_OCCUPATIONS = 4
#: In a ratings-only release (no occupation list), one in this many occupations is checked.
SAMPLE_EVERY = 200
#: One in this many other reference resources (titles, tools, categories …) is checked too.
REFERENCE_SAMPLE_EVERY = 250

_CODE = re.compile(r"^\d{2}-\d{4}\.\d{2}$")
_ELEMENT = re.compile(r"^\d+(?:\.[A-Za-z0-9]+)*$")
_DIGITS = re.compile(r"^\d+$")
_SCALE = re.compile(r"^[A-Za-z0-9]+$")
_DECIMAL = re.compile(r"^-?\d+(?:\.\d+)?$")
_MONTH = re.compile(r"^(\d{2})/(\d{4})$")
_NA = {"", "n/a", "N/A", "na"}
_CC_BY = re.compile(r"Creative Commons Attribution (\d\.\d)", re.IGNORECASE)


# --------------------------------------------------------------------------- detection
def _find(folder: Path, stem: str) -> Path | None:
    for ext in (".txt", ".xlsx"):
        p = folder / (stem + ext)
        if p.is_file():
            return p
    return None


def looks_like_onet_release(path: Path) -> bool:
    """A folder with ``Read Me.txt`` and occupation data or a rating file, text or Excel."""
    if not path.is_dir() or not (path / README).is_file():
        return False
    return any(_find(path, stem) is not None for stem in MARKER_FILES)


@dataclass
class ReleaseInfo:
    title: str  # "O*NET 27.0 Database"
    version: str  # "27.0"
    issued: str | None  # "August 2022 Release"
    licence: URIRef | None
    attribution: str | None


def read_release_info(folder: Path) -> ReleaseInfo:
    """What ``Read Me.txt`` says: database name and version, release date, licence."""
    p = folder / README
    try:
        lines = [ln.strip() for ln in p.read_text(encoding="utf-8-sig").splitlines()]
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(p, None, f"cannot read the release notes: {exc}") from exc
    text = "\n".join(lines)
    head = [ln for ln in lines if ln and not set(ln) <= {"-"}]
    m = re.search(r"O\*NET\s+(\d+(?:\.\d+)*)\s+Database", text)
    if not head or m is None:
        raise SourceError(p, "line 1", "expected the release name, like 'O*NET 27.0 Database'")
    version = m.group(1)
    issued = next((ln for ln in head[1:3] if ln.lower().endswith("release")), None)
    lic = _CC_BY.search(text)
    licence = URIRef(f"https://creativecommons.org/licenses/by/{lic.group(1)}/") if lic else None
    attribution = (
        f"This product includes information from the O*NET {version} Database by the U.S. "
        "Department of Labor, Employment and Training Administration (USDOL/ETA). Used under "
        f"the CC BY {lic.group(1)} license. O*NET® is a trademark of USDOL/ETA."
        if lic
        else None
    )
    return ReleaseInfo(f"O*NET {version} Database", version, issued, licence, attribution)


# --------------------------------------------------------------------------- reading tables
class Table:
    """One release file read by header names: rows as tuples of the columns asked for.

    ``columns`` must all be in the header (else :class:`SourceError` naming the missing ones);
    ``optional`` columns come back as ``""`` when the file lacks them. Rows with a different
    number of fields than the header stop the load, naming file and line.
    """

    def __init__(self, path: Path, columns: Sequence[str], optional: Sequence[str] = ()) -> None:
        self.path = path
        self.name = path.name
        self.columns = columns
        self.optional = optional
        self.rows = 0

    def __iter__(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """``(location, values)`` per data row, location like ``"Tools Used.txt line 12"``."""
        if self.path.suffix.lower() == ".xlsx":
            from competency_kg.loaders.onet_excel import iter_xlsx_rows

            rows: Iterable[tuple[int, list[str]]] = iter_xlsx_rows(self.path)
            unit = "row"
        else:
            rows = self._text_rows()
            unit = "line"
        it = iter(rows)
        first = next(it, None)
        if first is None:
            raise SourceError(self.path, None, "file is empty")
        header = [h.strip() for h in first[1]]
        index = {h: i for i, h in enumerate(header)}
        missing = [c for c in self.columns if c not in index]
        if missing:
            raise SourceError(
                self.path,
                f"{unit} 1",
                f"missing column(s) {', '.join(repr(c) for c in missing)}; "
                f"the header has {', '.join(repr(h) for h in header)}",
            )
        picks = [index[c] for c in self.columns] + [index.get(c, -1) for c in self.optional]
        width = len(header)
        for n, fields in it:
            if len(fields) != width:
                if len(fields) == 1 and not fields[0].strip():
                    continue  # a blank line
                raise SourceError(
                    self.path,
                    f"{unit} {n}",
                    f"expected {width} tab-separated fields as in the header, found {len(fields)}",
                )
            self.rows += 1
            yield (
                f"{self.name} {unit} {n}",
                tuple(fields[i].strip() if i >= 0 else "" for i in picks),
            )

    def _text_rows(self) -> Iterator[tuple[int, list[str]]]:
        try:
            with self.path.open(encoding="utf-8-sig", newline="") as f:
                for n, line in enumerate(f, start=1):
                    yield n, line.rstrip("\r\n").split("\t")
        except UnicodeDecodeError as exc:
            raise SourceError(self.path, None, "file is not valid UTF-8 text") from exc
        except OSError as exc:
            raise SourceError(self.path, None, f"cannot read file: {exc}") from exc


# --------------------------------------------------------------------------- N-Triples terms
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
RDF_TYPE = f"<{RDF.type}>"


def _i(iri: str) -> str:
    return f"<{iri}>"


def _text(value: str, lang: str = "en") -> str:
    return f'"{value.translate(_ESCAPES)}"@{lang}'


def _str(value: str) -> str:
    return f'"{value.translate(_ESCAPES)}"'


def _typed(lexical: str, datatype: URIRef) -> str:
    return f'"{lexical}"^^<{datatype}>'


P = {  # predicates, serialized once
    name: _i(str(term))
    for name, term in {
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
    }.items()
}
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
    P[_name] = _i(str(getattr(CKG, _name)))
C = {
    name: _i(str(term))
    for name, term in {
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
    }.items()
}
TRUE = _typed("true", XSD.boolean)
FALSE = _typed("false", XSD.boolean)


# --------------------------------------------------------------------------- findings
@dataclass
class Finding:
    """A row check's result: what a SHACL result would say, for a row no shape saw."""

    severity: str  # "Violation" | "Warning"
    check: str  # short name: "rating-out-of-range"
    focus: str  # the resource concerned
    message: str
    location: str


# --------------------------------------------------------------------------- the sink
class Sink:
    """N-Triples lines to a file; copies of the lines pySHACL will check kept aside.

    Subjects under ``occupation/{code}`` belong to that occupation's slice; all other subjects
    are reference resources, kept per subject so the ones a slice uses can be added to it.
    """

    def __init__(self, path: Path, occupation_base: str, sample: set[str] | None) -> None:
        self.path = path
        self._f = path.open("w", encoding="utf-8")
        self._buf: list[str] = []
        self.triples = 0
        self._occ = "<" + occupation_base
        self._occ_len = len(self._occ)
        self.sample = sample  # occupation codes sampled; None = every line
        self.slice_lines: list[str] = []
        self.reference: dict[str, list[str]] = defaultdict(list)
        self.occupation_types: dict[str, list[str]] = defaultdict(list)

    def add(self, s: str, p: str, o: str) -> None:
        line = f"{s} {p} {o} .\n"
        self._buf.append(line)
        self.triples += 1
        if len(self._buf) >= 50_000:
            self._f.write("".join(self._buf))
            self._buf.clear()
        if s.startswith(self._occ):
            rest = s[self._occ_len :]
            if self.sample is None or rest[:10] in self.sample:
                self.slice_lines.append(line)
            if p == RDF_TYPE and len(rest) == 11:
                self.occupation_types[s].append(line)
        elif self.sample is None:
            self.slice_lines.append(line)
        else:
            self.reference[s].append(line)

    def close(self) -> None:
        if self._buf:
            self._f.write("".join(self._buf))
            self._buf.clear()
        self._f.close()

    def sample_graph(self) -> tuple[Graph, set[str], int]:
        """The slices as one graph, the stub subjects in it (type triples only, for
        ``sh:class`` checks; their own results are dropped) and the reference resources in it."""
        lines = list(self.slice_lines)
        included: set[str] = set()
        if self.sample is not None:
            frontier = [s for n, s in enumerate(self.reference) if n % REFERENCE_SAMPLE_EVERY == 0]
            frontier += [o for o in _objects(lines) if o in self.reference]
            while frontier:
                s = frontier.pop()
                if s in included:
                    continue
                included.add(s)
                own = self.reference[s]
                lines.extend(own)
                frontier.extend(o for o in _objects(own) if o in self.reference)
        subjects = {ln.split(" ", 1)[0] for ln in lines}
        stubs: set[str] = set()
        for o in set(_objects(lines)) - subjects:
            types = self.occupation_types.get(o) or [
                ln for ln in self.reference.get(o, ()) if ln.split(" ", 2)[1] == RDF_TYPE
            ]
            if types:
                stubs.add(o[1:-1])
                lines.extend(types)
        g = Graph()
        if lines:
            g.parse(data="".join(lines), format="nt")
        return g, stubs, len(included)


def _objects(lines: Iterable[str]) -> Iterator[str]:
    for ln in lines:
        o = ln.split(" ", 2)[2]
        if o.startswith("<"):
            yield o[: o.index(">") + 1]


# --------------------------------------------------------------------------- the writer
@dataclass
class _Scale:
    name: str
    low: Decimal | None = None
    high: Decimal | None = None


@dataclass
class Counts:
    """What was read and written, by kind (the test suite and the progress lines use it)."""

    rows: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # files this release does not have
    read: list[Path] = field(default_factory=list)


class OnetWriter:
    """Turns O*NET rows into triples on a :class:`Sink`; checks every row while it goes."""

    def __init__(self, minter: Minter, sink: Sink, document: URIRef) -> None:
        self.m = minter
        self.sink = sink
        self.doc = _i(str(document))
        self.findings: list[Finding] = []
        self.occupations: set[str] = set()  # codes in Occupation Data
        self.minimal_occupations: set[str] = set()  # codes met only in a rating file
        self.elements: set[str] = set()  # Content Model element IDs (incl. IWAs, DWAs)
        self.content_model_read = False
        self.commodities: set[str] = set()
        self.tasks: set[str] = set()
        self.scales: dict[str, _Scale] = {}
        self.categories: set[str] = set()
        self._titles: dict[str, str] = {}  # job-title IRI → its preferred label
        self._title_labels: set[tuple[str, str]] = set()
        self._tools: dict[str, str] = {}
        self._tool_broader: set[tuple[str, str]] = set()
        self._ratings: set[str] = set()
        self._soc: set[str] = set()
        self.scheme = _i(str(minter.onet_scheme()))

    # -- helpers
    def add(self, s: str, p: str, o: str) -> None:
        self.sink.add(s, p, o)

    def resource(self, s: str, types: Sequence[str], where: str | None) -> str:
        add = self.sink.add
        for t in types:
            add(s, P["type"], t)
        add(s, P["derived"], self.doc)
        if where:
            add(s, P["location"], _str(where))
        return s

    def find(self, severity: str, check: str, focus: str, message: str, where: str) -> None:
        self.findings.append(Finding(severity, check, focus.strip("<>"), message, where))

    def code(self, value: str, table: Table, where: str, column: str = "O*NET-SOC Code") -> str:
        if not _CODE.match(value):
            raise SourceError(
                table.path,
                _place(where),
                f"{column} {value!r} is not an O*NET-SOC code like 15-1252.00",
            )
        return value

    def occupation(self, code: str) -> str:
        return _i(str(self.m.occupation(code, "")))

    def known_occupation(self, code: str, file: str, where: str) -> bool:
        if code in self.occupations or not self.occupations:
            return True
        self.find(
            "Warning",
            "unknown-occupation",
            self.occupation(code),
            f"{file} names occupation {code}, which is not in {OCCUPATION_DATA}; "
            "the row was not loaded",
            where,
        )
        return False

    # -- reference files
    def content_model(self, table: Table) -> None:
        self.content_model_read = True
        for where, (eid, name, desc) in table:
            _check(_ELEMENT, eid, table, where, "Element ID", "like 2.A.1.b")
            self.element(eid, name, desc, where)

    def element(
        self,
        eid: str,
        name: str,
        desc: str | None,
        where: str,
        parent: str | None = None,
        place: bool = True,
    ) -> str:
        """A Content Model element; ``place`` puts it in the hierarchy (not done for elements a
        rating file names without the Content Model Reference: their parents are unknown)."""
        s = _i(str(self.m.onet_element(eid)))
        types = [C["Concept"], C["ContentModelElement"]]
        if eid.startswith(COMPETENCY_BRANCHES):
            types.append(C["Competency"])
        if eid.startswith(WORK_ACTIVITY_BRANCH):
            types.append(C["WorkActivity"])
        self.resource(s, types, where)
        self.add(s, P["prefLabel"], _text(name))
        self.add(s, P["notation"], _str(eid))
        self.add(s, P["inScheme"], self.scheme)
        if desc and desc != name:
            self.add(s, P["definition"], _text(desc))
        parent = parent if parent is not None else eid.rpartition(".")[0]
        if not place:
            pass
        elif parent:
            self.add(s, P["broader"], _i(str(self.m.onet_element(parent))))
        else:
            self.add(s, P["topConceptOf"], self.scheme)
            self.add(self.scheme, P["hasTopConcept"], s)
        self.elements.add(eid)
        return s

    def scheme_header(self, title: str) -> None:
        self.resource(self.scheme, [C["ConceptScheme"]], None)
        self.add(self.scheme, P["prefLabel"], _text("O*NET Content Model"))
        del title

    def scales_reference(self, table: Table) -> None:
        for where, (sid, name, low, high) in table:
            _check(_SCALE, sid, table, where, "Scale ID", "like IM")
            lo = _decimal(low, table, where, "Minimum")
            hi = _decimal(high, table, where, "Maximum")
            self.scale(sid, name, where, lo, hi)

    def scale(
        self,
        sid: str,
        name: str,
        where: str,
        low: Decimal | None = None,
        high: Decimal | None = None,
    ) -> str:
        s = _i(str(self.m.rating_scale(sid)))
        if sid in self.scales:
            return s
        self.scales[sid] = _Scale(name, low, high)
        self.resource(s, [C["Concept"], C["RatingScale"]], where)
        self.add(s, P["prefLabel"], _text(name or sid))
        self.add(s, P["notation"], _str(sid))
        if low is not None:
            self.add(s, P["minValue"], _typed(str(low), XSD.decimal))
        if high is not None:
            self.add(s, P["maxValue"], _typed(str(high), XSD.decimal))
        return s

    def job_zone_reference(self, table: Table) -> None:
        for where, (zone, name, exp, edu, training, examples, svp) in table:
            _check(_DIGITS, zone, table, where, "Job Zone", "a whole number")
            s = self.resource(_i(str(self.m.job_zone(zone))), [C["Concept"], C["JobZone"]], where)
            self.add(s, P["prefLabel"], _text(name))
            self.add(s, P["notation"], _str(zone))
            for p, v in (
                ("experience", exp),
                ("education", edu),
                ("jobTraining", training),
                ("example", examples),
                ("svpRange", svp),
            ):
                if v and v not in _NA:
                    self.add(s, P[p], _text(v) if p != "svpRange" else _str(v))

    def unspsc_reference(self, table: Table) -> None:
        for where, row in table:
            previous: str | None = None
            for level, (code, title) in zip(
                ("commodity", "class", "family", "segment"),
                ((row[0], row[1]), (row[2], row[3]), (row[4], row[5]), (row[6], row[7])),
                strict=True,
            ):
                _check(_DIGITS, code, table, where, f"{level.title()} Code", "digits")
                s = self.commodity(code, title, level, where)
                if previous is not None:
                    self.add(previous, P["broader"], s)
                if code in self.commodities and level != "commodity":
                    break  # the rest of the chain is written already
                self.commodities.add(code)
                previous = s

    def commodity(self, code: str, title: str, level: str, where: str) -> str:
        s = _i(str(self.m.unspsc(code)))
        if code in self.commodities:
            return s
        scheme = _i(str(self.m.unspsc_scheme()))
        if not self.commodities:
            self.resource(scheme, [C["ConceptScheme"]], None)
            self.add(
                scheme,
                P["prefLabel"],
                _text("United Nations Standard Products and Services Code (UNSPSC)"),
            )
        if level == "commodity":
            self.commodities.add(code)
        self.resource(s, [C["Concept"], C["ProductCategory"]], where)
        self.add(s, P["prefLabel"], _text(title))
        self.add(s, P["notation"], _str(code))
        self.add(s, P["classificationLevel"], _str(level))
        self.add(s, P["inScheme"], scheme)
        if level == "segment":
            self.add(s, P["topConceptOf"], scheme)
        return s

    def iwa_reference(self, table: Table) -> None:
        for where, (gwa, iwa, title) in table:
            _check(_ELEMENT, iwa, table, where, "IWA ID", "like 4.A.1.a.1.I01")
            if gwa not in self.elements and self.elements:
                self.find(
                    "Warning",
                    "unknown-element",
                    str(self.m.onet_element(iwa)),
                    f"the IWA's work activity {gwa} is not in the Content Model Reference",
                    where,
                )
            self.element(iwa, title, None, where, parent=gwa)

    def dwa_reference(self, table: Table) -> None:
        for where, (iwa, dwa, title) in table:
            _check(_ELEMENT, dwa, table, where, "DWA ID", "like 4.A.1.a.1.I01.D01")
            self.element(dwa, title, None, where, parent=iwa)

    def category_reference(self, table: Table) -> None:
        for where, (eid, sid, cat, desc) in table:
            _check(_DIGITS, cat, table, where, "Category", "a whole number")
            self.category(eid, sid, cat, desc, where)

    def category(self, eid: str, sid: str, cat: str, desc: str | None, where: str) -> str:
        s = _i(str(self.m.rating_category(eid, sid, cat)))
        key = f"{eid}/{sid}/{cat}"
        if key in self.categories:
            return s
        self.categories.add(key)
        self.resource(s, [C["Concept"], C["RatingCategory"]], where)
        self.add(s, P["prefLabel"], _text(desc or f"{eid} {sid} category {cat}"))
        self.add(s, P["notation"], _str(cat))
        self.add(s, P["element"], _i(str(self.m.onet_element(eid))))
        self.add(s, P["ratingScale"], _i(str(self.m.rating_scale(sid))))
        return s

    # -- occupations
    def occupation_data(self, table: Table) -> None:
        titles: dict[str, str] = {}
        for where, (code, title, desc) in table:
            self.code(code, table, where)
            occ = self.occupation(code)
            if code in self.occupations:
                self.find(
                    "Violation",
                    "duplicate-occupation",
                    occ,
                    f"occupation {code} is listed twice in {table.name}",
                    where,
                )
                continue
            self.occupations.add(code)
            titles[code] = title
            self.resource(occ, [C["Occupation"]], where)
            self.add(occ, P["prefLabel"], _text(title))
            self.add(occ, P["notation"], _str(code))
            if desc:
                self.add(occ, P["description"], _text(desc))
            self.add(occ, P["broader"], self.soc_chain(code, where))
        # detailed SOC occupations take the title of their .00 occupation where there is one
        for detailed in sorted(self._soc):
            if detailed[-1] != "0":
                title = titles.get(f"{detailed}.00", f"SOC detailed occupation {detailed}")
                self.add(_i(str(self.m.soc_group(detailed))), P["prefLabel"], _text(title))

    def soc_chain(self, code: str, where: str) -> str:
        """The SOC groups above an O*NET-SOC code, written once each; the detailed one's IRI."""
        soc = code[:7]  # 15-1252
        major = soc[:2] + "-0000"
        minor = soc[:4] + "000"
        if soc[:5] + "00" in SOC_MINOR_EXCEPTIONS:
            minor = soc[:5] + "00"
        broad = soc[:6] + "0"
        chain = [
            (soc, "detailed occupation"),
            (broad, "broad occupation"),
            (minor, "minor group"),
            (major, "major group"),
        ]
        scheme = _i(str(self.m.soc_scheme()))
        if not self._soc:
            self.resource(scheme, [C["ConceptScheme"]], None)
            self.add(scheme, P["prefLabel"], _text("Standard Occupational Classification"))
        below: str | None = None
        for group, level in chain:
            s = _i(str(self.m.soc_group(group)))
            if below is not None:
                self.add(below, P["broader"], s)
            if group in self._soc:
                break
            self._soc.add(group)
            self.resource(s, [C["Concept"], C["SocGroup"]], where)
            self.add(s, P["notation"], _str(group))
            self.add(s, P["classificationLevel"], _str(level))
            self.add(s, P["inScheme"], scheme)
            if level == "major group":
                name = SOC_MAJOR_GROUPS.get(group[:2], f"SOC major group {group}")
                self.add(s, P["prefLabel"], _text(name))
                self.add(s, P["topConceptOf"], scheme)
                self.add(scheme, P["hasTopConcept"], s)
            elif level != "detailed occupation":  # those are labelled once the file is read
                self.add(s, P["prefLabel"], _text(f"SOC {level} {group}"))
            below = s
        return _i(str(self.m.soc_group(soc)))

    def job_zones(self, table: Table) -> None:
        for where, (code, zone, date, domain) in table:
            self.code(code, table, where)
            if not self.known_occupation(code, table.name, where):
                continue
            if zone not in {"1", "2", "3", "4", "5"}:
                raise SourceError(table.path, _place(where), f"Job Zone {zone!r} is not 1 to 5")
            occ = self.occupation(code)
            self.add(occ, P["jobZone"], _typed(zone, XSD.integer))
            self.add(occ, P["inJobZone"], _i(str(self.m.job_zone(zone))))
            del date, domain

    def job_title(self, title: str, where: str) -> str:
        s = _i(str(self.m.job_title(title)))
        known = self._titles.get(s)
        if known is None:
            self._titles[s] = title
            self.resource(s, [C["JobTitle"]], where)
            self.add(s, P["prefLabel"], _text(title))
        elif known != title and (s, title) not in self._title_labels:
            self._title_labels.add((s, title))
            self.add(s, P["altLabel"], _text(title))
        return s

    def alternate_titles(self, table: Table) -> None:
        for where, (code, title, short) in table:
            self.code(code, table, where)
            if not title or not self.known_occupation(code, table.name, where):
                continue
            t = self.job_title(title, where)
            self.add(self.occupation(code), P["alternateTitle"], t)
            if short and short not in _NA and (t, "short:" + short) not in self._title_labels:
                self._title_labels.add((t, "short:" + short))
                self.add(t, P["shortTitle"], _text(short))

    def reported_titles(self, table: Table) -> None:
        for where, (code, title, shown) in table:
            self.code(code, table, where)
            if not title or not self.known_occupation(code, table.name, where):
                continue
            t = self.job_title(title, where)
            occ = self.occupation(code)
            self.add(occ, P["reportedTitle"], t)
            if shown == "Y":
                self.add(occ, P["myNextMoveTitle"], t)

    def task_statements(self, table: Table) -> None:
        for where, (code, tid, text, ttype, incumbents, date, domain) in table:
            self.code(code, table, where)
            _check(_DIGITS, tid, table, where, "Task ID", "a whole number")
            if not self.known_occupation(code, table.name, where):
                continue
            occ = self.occupation(code)
            t = _i(f"{occ[1:-1]}/task/{tid}")
            self.tasks.add(f"{code}/{tid}")
            self.resource(t, [C["Task"]], where)
            self.add(occ, P["task"], t)
            self.add(t, P["forOccupation"], occ)
            self.add(t, P["prefLabel"], _text(text))
            self.add(t, P["notation"], _str(tid))
            if ttype == "Core":
                self.add(t, P["taskType"], C["CoreTask"])
            elif ttype == "Supplemental":
                self.add(t, P["taskType"], C["SupplementalTask"])
            elif ttype not in _NA:
                self.find("Warning", "task-type", t, f"unknown task type {ttype!r}", where)
            if incumbents not in _NA:
                _check(_DIGITS, incumbents, table, where, "Incumbents Responding", "a number")
                self.add(t, P["incumbentsResponding"], _typed(incumbents, XSD.integer))
            self._date_domain(t, date, domain, table, where)

    def tasks_to_dwas(self, table: Table) -> None:
        for where, (code, tid, dwa) in table:
            self.code(code, table, where)
            if not self.known_occupation(code, table.name, where):
                continue
            t = f"<{self.occupation(code)[1:-1]}/task/{tid}>"
            if self.tasks and f"{code}/{tid}" not in self.tasks:
                self.find(
                    "Warning", "unknown-task", t, f"task {tid} is not in Task Statements", where
                )
                continue
            if self.elements and dwa not in self.elements:
                self.find(
                    "Warning", "unknown-element", t, f"DWA {dwa} is not in the DWA Reference", where
                )
                continue
            self.add(t, P["workActivity"], _i(str(self.m.onet_element(dwa))))

    def examples(self, table: Table, technology: bool) -> None:
        make = self.m.technology if technology else self.m.onet_tool
        uses = P["usesTechnology"] if technology else P["usesEquipment"]
        types = (
            [C["Concept"], C["Tool"], C["Technology"]] if technology else [C["Concept"], C["Tool"]]
        )
        for where, (code, example, commodity, ctitle, hot) in table:
            self.code(code, table, where)
            if not example or not self.known_occupation(code, table.name, where):
                continue
            t = _i(str(make(example)))
            known = self._tools.get(t)
            if known is None:
                self._tools[t] = example
                self.resource(t, types, where)
                self.add(t, P["prefLabel"], _text(example))
            elif known != example and (t, example) not in self._title_labels:
                self._title_labels.add((t, example))
                self.add(t, P["altLabel"], _text(example))
            if commodity and commodity not in _NA:
                _check(_DIGITS, commodity, table, where, "Commodity Code", "digits")
                if commodity not in self.commodities:
                    if self.commodities:
                        self.find(
                            "Warning",
                            "unknown-commodity",
                            t,
                            f"commodity {commodity} is not in the UNSPSC Reference",
                            where,
                        )
                    self.commodity(commodity, ctitle or commodity, "commodity", where)
                if (t, commodity) not in self._tool_broader:
                    self._tool_broader.add((t, commodity))
                    self.add(t, P["broader"], _i(str(self.m.unspsc(commodity))))
            occ = self.occupation(code)
            self.add(occ, uses, t)
            if technology and hot == "Y":
                self.add(occ, P["hotTechnology"], t)

    def related_occupations(self, table: Table) -> None:
        for where, (code, related, tier, index) in table:
            self.code(code, table, where)
            self.code(related, table, where, "Related O*NET-SOC Code")
            if not self.known_occupation(code, table.name, where):
                continue
            if not self.known_occupation(related, table.name, where):
                continue
            occ, other = self.occupation(code), self.occupation(related)
            r = self.resource(
                _i(f"{occ[1:-1]}/related/{related}"), [C["OccupationRelation"]], where
            )
            self.add(occ, P["relatedOccupation"], other)
            self.add(occ, P["relation"], r)
            self.add(r, P["forOccupation"], occ)
            self.add(r, P["relatedOccupation"], other)
            if tier and tier not in _NA:
                self.add(r, P["relatednessTier"], _str(tier))
            if index and index not in _NA:
                _check(_DIGITS, index, table, where, "Index", "a whole number")
                self.add(r, P["position"], _typed(index, XSD.integer))

    # -- ratings
    def ratings(self, table: Table) -> None:
        """Any O*NET rating file, by its header: one ckg:Measurement per row (see module doc)."""
        add = self.sink.add
        occupations: dict[str, str | None] = {}  # code → IRI (None: row skipped)
        elements: dict[str, str] = {}
        scales: dict[str, str] = {}
        typed_decimal = f"^^<{XSD.decimal}>"
        typed_integer = f"^^<{XSD.integer}>"
        stats = (
            (P["standardError"], 9, "Standard Error"),
            (P["lowerCIBound"], 10, "Lower CI Bound"),
            (P["upperCIBound"], 11, "Upper CI Bound"),
        )
        shortcuts = {sid: _i(str(term)) for sid, term in SHORTCUTS.items()}
        for where, row in table:
            code, eid, sid, value, title, ename, sname, cat, n = row[:9]
            occ = occupations.get(code, "")
            if occ == "":
                self.code(code, table, where)
                if self.occupations:
                    known = self.known_occupation(code, table.name, where)
                    occ = occupations[code] = self.occupation(code) if known else None
                else:
                    if code not in self.minimal_occupations:
                        self.minimal_occupation(code, title, where)
                    occ = occupations[code] = self.occupation(code)
            if occ is None:
                continue
            element = elements.get(eid)
            if element is None:
                _check(_ELEMENT, eid, table, where, "Element ID", "like 2.A.1.b")
                self.rated_element(eid, ename, where)
                element = elements[eid] = _i(str(self.m.onet_element(eid)))
            scale = scales.get(sid)
            if scale is None:
                _check(_SCALE, sid, table, where, "Scale ID", "like IM")
                scale = scales[sid] = self.scale(sid, sname, where)
            rating = f"{occ[1:-1]}/rating/{eid}"
            r = f"<{rating}>"
            if rating not in self._ratings:
                self._ratings.add(rating)
                self.resource(r, [C["ElementRating"]], where)
                add(occ, P["rating"], r)
                add(r, P["forOccupation"], occ)
                add(r, P["element"], element)
            category = cat if cat not in _NA else None
            m = f"<{rating}/{sid}/{category}>" if category else f"<{rating}/{sid}>"
            add(m, P["type"], C["Measurement"])
            add(m, P["location"], f'"{where}"')
            add(r, P["measurement"], m)
            add(m, P["ratingScale"], scale)
            v = _number(value, table, where, "Data Value")
            if v is None:
                raise SourceError(table.path, _place(where), "Data Value is missing")
            add(m, P["dataValue"], f'"{v}"{typed_decimal}')
            if category:
                _check(_DIGITS, category, table, where, "Category", "a whole number")
                add(m, P["category"], self.category(eid, sid, category, None, where))
                if not 0 <= float(v) <= 100:
                    self.find(
                        "Violation",
                        "rating-out-of-range",
                        m,
                        f"the share {v} of category {category} is not a percentage (0 to 100)",
                        where,
                    )
            else:
                if sid in shortcuts:
                    add(r, shortcuts[sid], f'"{v}"{typed_decimal}')
                self._range(m, sid, v, where)
            if n not in _NA:
                _check(_DIGITS, n, table, where, "N", "a whole number")
                add(m, P["sampleSize"], f'"{n}"{typed_integer}')
            for pred, i, col in stats:
                d = _number(row[i], table, where, col)
                if d is not None:
                    add(m, pred, f'"{d}"{typed_decimal}')
            for pred, flag in ((P["recommendSuppress"], row[12]), (P["notRelevant"], row[13])):
                if flag == "Y":
                    add(m, pred, TRUE)
                elif flag == "N":
                    add(m, pred, FALSE)
            self._date_domain(m, row[14], row[15], table, where)

    def rated_element(self, eid: str, ename: str, where: str) -> None:
        """A rating file's element: known from the Content Model Reference, or described from
        the row (an Excel release without the reference names its elements)."""
        if eid in self.elements:
            return
        if self.content_model_read or not ename:
            self.find(
                "Warning",
                "unknown-element",
                str(self.m.onet_element(eid)),
                f"element {eid} is not in the Content Model Reference",
                where,
            )
        if ename:
            self.element(eid, ename, None, where, place=False)

    def minimal_occupation(self, code: str, title: str, where: str) -> None:
        """An occupation a ratings-only release names: its code and the title it prints."""
        self.minimal_occupations.add(code)
        if self.sink.sample is not None and len(self.minimal_occupations) % SAMPLE_EVERY == 1:
            self.sink.sample.add(code)  # no occupation list to spread the sample over
        occ = self.resource(self.occupation(code), [C["Occupation"]], where)
        self.add(occ, P["notation"], _str(code))
        if title:
            self.add(occ, P["prefLabel"], _text(title))

    def _range(self, m: str, sid: str, v: str, where: str) -> None:
        scale = self.scales.get(sid)
        if scale is not None and scale.low is not None and scale.high is not None:
            low, high = scale.low, scale.high
        elif sid in DEFAULT_SCALE_RANGES:
            low, high = DEFAULT_SCALE_RANGES[sid]
        else:
            return
        if not float(low) <= float(v) <= float(high):
            self.find(
                "Violation",
                "rating-out-of-range",
                m,
                f"the value {v} is outside scale {sid} ({low} to {high})",
                where,
            )

    def _date_domain(self, s: str, date: str, domain: str, table: Table, where: str) -> None:
        if date and date not in _NA:
            m = _MONTH.match(date)
            if m is None:
                raise SourceError(table.path, _place(where), f"Date {date!r} is not MM/YYYY")
            self.add(s, P["date"], _typed(f"{m.group(2)}-{m.group(1)}", XSD.gYearMonth))
        if domain and domain not in _NA:
            self.add(s, P["domainSource"], _str(domain))


def _place(where: str) -> str:
    """``"Skills.txt line 12"`` → ``"line 12"``."""
    unit, n = where.rsplit(" ", 2)[-2:]
    return f"{unit} {n}"


def _check(
    pattern: re.Pattern[str], value: str, table: Table, where: str, col: str, like: str
) -> None:
    if not pattern.match(value):
        raise SourceError(table.path, _place(where), f"{col} {value!r} is not {like}")


def _decimal(raw: str, table: Table, where: str, col: str) -> Decimal | None:
    d = _number(raw, table, where, col)
    return None if d is None else Decimal(d)


def _number(raw: str, table: Table, where: str, col: str) -> str | None:
    """A number cell as an xsd:decimal lexical form (``"4.12"``), or None for ``n/a``."""
    if raw in _NA:
        return None
    if _DECIMAL.match(raw):
        return raw
    try:
        d = Decimal(raw)  # a number written like 1e-05
    except InvalidOperation:
        raise SourceError(table.path, _place(where), f"{col} {raw!r} is not a number") from None
    if not d.is_finite():
        raise SourceError(table.path, _place(where), f"{col} {raw!r} is not a number")
    return format(d, "f")


# --------------------------------------------------------------------------- the release
#: (file stem, handler, required columns, optional columns) in reading order: references first.
_PLAN: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Content Model Reference", "content_model", ("Element ID", "Element Name"), ("Description",)),
    ("Scales Reference", "scales_reference", ("Scale ID", "Scale Name"), ("Minimum", "Maximum")),
    (
        "Job Zone Reference",
        "job_zone_reference",
        ("Job Zone", "Name"),
        ("Experience", "Education", "Job Training", "Examples", "SVP Range"),
    ),
    (
        "UNSPSC Reference",
        "unspsc_reference",
        (
            "Commodity Code",
            "Commodity Title",
            "Class Code",
            "Class Title",
            "Family Code",
            "Family Title",
            "Segment Code",
            "Segment Title",
        ),
        (),
    ),
    ("IWA Reference", "iwa_reference", ("Element ID", "IWA ID", "IWA Title"), ()),
    ("DWA Reference", "dwa_reference", ("IWA ID", "DWA ID", "DWA Title"), ()),
    (
        "Education, Training, and Experience Categories",
        "category_reference",
        ("Element ID", "Scale ID", "Category", "Category Description"),
        (),
    ),
    (OCCUPATION_DATA, "occupation_data", ("O*NET-SOC Code", "Title"), ("Description",)),
    ("Job Zones", "job_zones", ("O*NET-SOC Code", "Job Zone"), ("Date", "Domain Source")),
    (
        "Alternate Titles",
        "alternate_titles",
        ("O*NET-SOC Code", "Alternate Title"),
        ("Short Title",),
    ),
    (
        "Sample of Reported Titles",
        "reported_titles",
        ("O*NET-SOC Code", "Reported Job Title"),
        ("Shown in My Next Move",),
    ),
    (
        "Task Statements",
        "task_statements",
        ("O*NET-SOC Code", "Task ID", "Task"),
        ("Task Type", "Incumbents Responding", "Date", "Domain Source"),
    ),
    ("Tasks to DWAs", "tasks_to_dwas", ("O*NET-SOC Code", "Task ID", "DWA ID"), ()),
    (
        "Technology Skills",
        "technology_skills",
        ("O*NET-SOC Code", "Example", "Commodity Code"),
        ("Commodity Title", "Hot Technology"),
    ),
    (
        "Tools Used",
        "tools_used",
        ("O*NET-SOC Code", "Example", "Commodity Code"),
        ("Commodity Title", "Hot Technology"),
    ),
    (
        "Related Occupations",
        "related_occupations",
        ("O*NET-SOC Code", "Related O*NET-SOC Code"),
        ("Relatedness Tier", "Index"),
    ),
    *(
        (
            stem,
            "ratings",
            ("O*NET-SOC Code", "Element ID", "Scale ID", "Data Value"),
            (
                "Title",
                "Element Name",
                "Scale Name",
                "Category",
                "N",
                "Standard Error",
                "Lower CI Bound",
                "Upper CI Bound",
                "Recommend Suppress",
                "Not Relevant",
                "Date",
                "Domain Source",
            ),
        )
        for stem in RATING_FILES
    ),
)


def _handler(w: OnetWriter, name: str) -> Callable[[Table], None]:
    if name == "technology_skills":
        return lambda t: w.examples(t, technology=True)
    if name == "tools_used":
        return lambda t: w.examples(t, technology=False)
    return getattr(w, name)


def release_files(folder: Path) -> list[Path]:
    """The files of the release this loader reads, in reading order."""
    return [p for stem, *_ in _PLAN if (p := _find(folder, stem)) is not None]


def _occupation_codes(folder: Path) -> list[str]:
    """Every occupation code in ``Occupation Data`` (for choosing the sample), or none."""
    path = _find(folder, OCCUPATION_DATA)
    if path is None:
        return []
    return sorted({row[0] for _, row in Table(path, ("O*NET-SOC Code",))})


def choose_sample(codes: Sequence[str], k: int = SAMPLE_OCCUPATIONS) -> set[str]:
    """``k`` codes spread evenly over the sorted codes, first and last included.

    >>> sorted(choose_sample(["a", "b", "c", "d", "e", "f", "g"], 3))
    ['a', 'd', 'g']
    """
    if len(codes) <= k:
        return set(codes)
    step = (len(codes) - 1) / (k - 1)
    return {codes[round(i * step)] for i in range(k)}


def read_onet_release(
    folder: Path,
    minter: Minter,
    progress: Progress | None = None,
    sample_size: int = SAMPLE_OCCUPATIONS,
) -> LoadedSource:
    """Read an O*NET release folder into an N-Triples file; see the module doc."""
    from competency_kg.loaders.source import BulkGraph, LoadedSource

    say = progress or (lambda _m: None)
    info = read_release_info(folder)
    excel = _find(folder, OCCUPATION_DATA) is None and any(
        (p := _find(folder, s)) is not None and p.suffix == ".xlsx" for s in RATING_FILES
    )
    sid = f"onet-{info.version}" + ("-excel" if excel else "")
    doc = minter.source_document(sid)
    codes = _occupation_codes(folder)
    sample = choose_sample(codes, sample_size)
    tmp = Path(tempfile.mkdtemp(prefix="competency-kg-onet-"))
    path = tmp / f"{sid}.nt"
    occupation_base = str(minter.occupation("00-0000.00", ""))[: -len("00-0000.00")]
    sink = Sink(path, occupation_base, sample)
    w = OnetWriter(minter, sink, doc)
    w.scheme_header(info.title)
    counts = Counts()
    try:
        for stem, handler, required, optional in _PLAN:
            p = _find(folder, stem)
            if p is None:
                counts.skipped.append(stem)
                continue
            table = Table(p, required, optional)
            before = sink.triples
            _handler(w, handler)(table)
            counts.rows[p.name] = table.rows
            counts.read.append(p)
            say(f"  {p.name}: {table.rows:,} rows → {sink.triples - before:,} triples")
    except BaseException:
        sink.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    sink.close()
    # the file goes when the source is stored (close), or when the source is dropped unstored
    cleanup = weakref.finalize(sink, shutil.rmtree, tmp, ignore_errors=True)
    if counts.skipped:
        say(f"  not in this release: {', '.join(counts.skipped)}")

    checksum = _folder_checksum([folder / README, *counts.read])
    meta = Graph()
    gi = minter.source_graph(sid)
    meta.add((gi, SCHEMA.version, Literal(info.version)))
    meta.add(
        (
            gi,
            DCTERMS.publisher,
            Literal("U.S. Department of Labor, Employment and Training Administration (USDOL/ETA)"),
        )
    )
    validate = _validator(sink, w, counts, gi, meta)
    src = LoadedSource(
        folder,
        sid,
        "onet-excel" if excel else "onet-text",
        Graph(),
        gi,
        doc,
        checksum,
        [info.licence] if info.licence else [],
        info.attribution,
        bulk=BulkGraph(path, sink.triples, validate, cleanup),
        metadata=meta,
        title=" — ".join(x for x in (info.title, info.issued) if x),
    )
    src.onet_counts = counts  # type: ignore[attr-defined]
    return src


def _folder_checksum(paths: Sequence[Path]) -> str:
    """SHA-256 over the release's files read: each file's name and SHA-256, in order."""
    h = hashlib.sha256()
    for p in paths:
        f = hashlib.sha256()
        with p.open("rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                f.update(chunk)
        h.update(f"{p.name}\t{f.hexdigest()}\n".encode())
    return h.hexdigest()


def _validator(
    sink: Sink, w: OnetWriter, counts: Counts, gi: URIRef, meta: Graph
) -> Callable[[], Report]:
    def validate() -> Report:
        from competency_kg.validation import Report, Result, validate_graph

        sample, stubs, references = sink.sample_graph()
        report, _ = validate_graph(sample, {})
        results = [r for r in report.results if r.focus not in stubs]
        for r in results:
            r.graph = str(gi)
        for f in w.findings:
            results.append(
                Result(
                    severity=f.severity,
                    shape=f"https://w3id.org/competency-kg/shapes#OnetRowCheck-{f.check}",
                    source_shape=f"https://w3id.org/competency-kg/shapes#OnetRowCheck-{f.check}",
                    constraint="RowCheck",
                    focus=f.focus,
                    focus_label=None,
                    path=None,
                    value=None,
                    message=f.message,
                    graph=str(gi),
                    location=f.location,
                )
            )
        rows = sum(counts.rows.values())
        occupations = len(sink.occupation_types)
        sampled = occupations if sink.sample is None else len(sink.sample)
        scope = (
            f"row checks over all {rows:,} rows of {len(counts.rows)} files; SHACL over "
            f"{len(sample):,} triples: every triple of {sampled:,} of {occupations:,} occupations"
            + (
                ""
                if sink.sample is None
                else f" and of {references:,} reference resources (those they use, and one in "
                f"{REFERENCE_SAMPLE_EVERY} of the others)"
            )
        )
        meta.add((gi, DCTERMS.description, Literal(f"Validated by {scope}.")))
        return Report(conforms=not any(r.severity == "Violation" for r in results), results=results)

    return validate
