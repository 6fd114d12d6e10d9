"""Mapping the rating files: element ratings with importance and level, one measurement per
row and scale, values checked against their scale."""

from __future__ import annotations

from decimal import Decimal

from rdflib.namespace import XSD

from competency_kg.loaders.errors import SourceError
from competency_kg.loaders.onet.checks import (
    DIGITS,
    ELEMENT,
    NA,
    SCALE,
    check_cell,
    number_cell,
    place_of,
)
from competency_kg.loaders.onet.files import Table
from competency_kg.loaders.onet.references import ReferenceFiles
from competency_kg.loaders.onet.terms import FALSE, TRUE, C, P, iri_term, string_term, text_term
from competency_kg.namespaces import CKG

#: Scales whose values are shortcuts on the element rating.
SHORTCUTS = {"IM": CKG.importance, "LV": CKG.level}

#: O*NET's published ranges, used when a release has no Scales Reference (an Excel extract).
DEFAULT_SCALE_RANGES = {"IM": (Decimal(1), Decimal(5)), "LV": (Decimal(0), Decimal(7))}

#: In a ratings-only release (no occupation list), one in this many occupations is checked.
SAMPLE_EVERY = 200
#: Shortcut predicates as N-Triples terms, by scale.
SHORTCUT_TERMS = {sid: iri_term(str(term)) for sid, term in SHORTCUTS.items()}
#: A measurement's statistics: (predicate, column in the row, column name).
STATISTICS = (
    (P["standardError"], 9, "Standard Error"),
    (P["lowerCIBound"], 10, "Lower CI Bound"),
    (P["upperCIBound"], 11, "Upper CI Bound"),
)
TYPED_DECIMAL = f"^^<{XSD.decimal}>"
TYPED_INTEGER = f"^^<{XSD.integer}>"


class RatingFiles(ReferenceFiles):
    """The rating files (skills, knowledge, abilities, work activities, work context,
    education …): one ckg:ElementRating per occupation and element, one ckg:Measurement per row."""

    def ratings(self, table: Table) -> None:
        """Any O*NET rating file, by its header: one ckg:ElementRating per occupation and
        element, one ckg:Measurement per row (see the package doc)."""
        add = self.sink.add
        occupations: dict[str, str | None] = {}  # code → IRI (None: row skipped)
        elements: dict[str, str] = {}
        scales: dict[str, str] = {}
        for where, row in table:
            code, eid, sid, _value, title, ename, sname = row[:7]
            occ = occupations.get(code, "")
            if occ == "":
                occ = occupations[code] = self._rated_occupation(code, title, table, where)
            if occ is None:
                continue
            element = elements.get(eid)
            if element is None:
                check_cell(ELEMENT, eid, table, where, "Element ID", "like 2.A.1.b")
                self.rated_element(eid, ename, where)
                element = elements[eid] = iri_term(str(self.m.onet_element(eid)))
            scale = scales.get(sid)
            if scale is None:
                check_cell(SCALE, sid, table, where, "Scale ID", "like IM")
                scale = scales[sid] = self.scale(sid, sname, where)
            rating = f"{occ[1:-1]}/rating/{eid}"
            if rating not in self._ratings:
                self._ratings.add(rating)
                r = self.resource(f"<{rating}>", [C["ElementRating"]], where)
                add(occ, P["rating"], r)
                add(r, P["forOccupation"], occ)
                add(r, P["element"], element)
            self._measurement(rating, scale, row, table, where)

    def _rated_occupation(self, code: str, title: str, table: Table, where: str) -> str | None:
        """The occupation a rating row names, or None when the row is skipped (an occupation
        the release's list lacks); a ratings-only release's occupations are written here."""
        self.code(code, table, where)
        if self.occupations:
            known = self.known_occupation(code, table.name, where)
            return self.occupation(code) if known else None
        if code not in self.minimal_occupations:
            self.minimal_occupation(code, title, where)
        return self.occupation(code)

    def _measurement(
        self, rating: str, scale: str, row: tuple[str, ...], table: Table, where: str
    ) -> None:
        """One row's ckg:Measurement of the rating on its scale (and category): its value,
        checked against the scale, and its statistics and flags."""
        add = self.sink.add
        eid, sid, value, cat, n = row[1], row[2], row[3], row[7], row[8]
        r = f"<{rating}>"
        category = cat if cat not in NA else None
        m = f"<{rating}/{sid}/{category}>" if category else f"<{rating}/{sid}>"
        add(m, P["type"], C["Measurement"])
        add(m, P["location"], f'"{where}"')
        add(r, P["measurement"], m)
        add(m, P["ratingScale"], scale)
        v = number_cell(value, table, where, "Data Value")
        if v is None:
            raise SourceError(table.path, place_of(where), "Data Value is missing")
        add(m, P["dataValue"], f'"{v}"{TYPED_DECIMAL}')
        if category:
            check_cell(DIGITS, category, table, where, "Category", "a whole number")
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
            if sid in SHORTCUT_TERMS:
                add(r, SHORTCUT_TERMS[sid], f'"{v}"{TYPED_DECIMAL}')
            self._range(m, sid, v, where)
        if n not in NA:
            check_cell(DIGITS, n, table, where, "N", "a whole number")
            add(m, P["sampleSize"], f'"{n}"{TYPED_INTEGER}')
        for pred, i, col in STATISTICS:
            d = number_cell(row[i], table, where, col)
            if d is not None:
                add(m, pred, f'"{d}"{TYPED_DECIMAL}')
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
        self.add(occ, P["notation"], string_term(code))
        if title:
            self.add(occ, P["prefLabel"], text_term(title))

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
