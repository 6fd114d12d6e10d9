"""The state and helpers every file's mapper shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from rdflib import URIRef
from rdflib.namespace import XSD

from competency_kg.loaders.errors import SourceError
from competency_kg.loaders.onet.checks import CODE, MONTH, NA, Finding, place_of
from competency_kg.loaders.onet.files import OCCUPATION_DATA, Table
from competency_kg.loaders.onet.sink import Sink
from competency_kg.loaders.onet.terms import P, iri_term, string_term, typed_term

if TYPE_CHECKING:
    from competency_kg.iris import Minter


@dataclass
class Scale:
    name: str
    low: Decimal | None = None
    high: Decimal | None = None


class WriterBase:
    """What every O*NET file's mapper shares: the sink, the resources written so far (so
    each is written once) and the row checks' findings."""

    def __init__(self, minter: Minter, sink: Sink, document: URIRef) -> None:
        self.m = minter
        self.sink = sink
        self.doc = iri_term(str(document))
        self.findings: list[Finding] = []
        self.occupations: set[str] = set()  # codes in Occupation Data
        self.minimal_occupations: set[str] = set()  # codes met only in a rating file
        self.elements: set[str] = set()  # Content Model element IDs (incl. IWAs, DWAs)
        self.content_model_read = False
        self.commodities: set[str] = set()
        self.tasks: set[str] = set()
        self.scales: dict[str, Scale] = {}
        self.categories: set[str] = set()
        self._titles: dict[str, str] = {}  # job-title IRI → its preferred label
        self._title_labels: set[tuple[str, str]] = set()
        self._tools: dict[str, str] = {}
        self._tool_broader: set[tuple[str, str]] = set()
        self._ratings: set[str] = set()
        self._soc: set[str] = set()
        self.scheme = iri_term(str(minter.onet_scheme()))

    def add(self, s: str, p: str, o: str) -> None:
        self.sink.add(s, p, o)

    def resource(self, s: str, types: Sequence[str], where: str | None) -> str:
        add = self.sink.add
        for t in types:
            add(s, P["type"], t)
        add(s, P["derived"], self.doc)
        if where:
            add(s, P["location"], string_term(where))
        return s

    def find(self, severity: str, check: str, focus: str, message: str, where: str) -> None:
        self.findings.append(Finding(severity, check, focus.strip("<>"), message, where))

    def code(self, value: str, table: Table, where: str, column: str = "O*NET-SOC Code") -> str:
        if not CODE.match(value):
            raise SourceError(
                table.path,
                place_of(where),
                f"{column} {value!r} is not an O*NET-SOC code like 15-1252.00",
            )
        return value

    def occupation(self, code: str) -> str:
        return iri_term(str(self.m.occupation(code, "")))

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

    def _date_domain(self, s: str, date: str, domain: str, table: Table, where: str) -> None:
        if date and date not in NA:
            m = MONTH.match(date)
            if m is None:
                raise SourceError(table.path, place_of(where), f"Date {date!r} is not MM/YYYY")
            self.add(s, P["date"], typed_term(f"{m.group(2)}-{m.group(1)}", XSD.gYearMonth))
        if domain and domain not in NA:
            self.add(s, P["domainSource"], string_term(domain))
