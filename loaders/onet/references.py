"""Mapping the reference files: the O*NET Content Model, scales, job zones, UNSPSC,
IWAs and DWAs, rating categories."""

from __future__ import annotations

from decimal import Decimal

from rdflib.namespace import XSD

from competency_kg.loaders.onet.checks import DIGITS, ELEMENT, NA, SCALE, check_cell, decimal_cell
from competency_kg.loaders.onet.files import Table
from competency_kg.loaders.onet.terms import C, P, iri_term, string_term, text_term, typed_term
from competency_kg.loaders.onet.writer import Scale, WriterBase

#: Content Model branches whose elements are competencies (abilities, skills, knowledge).
COMPETENCY_BRANCHES: tuple[str, ...] = ("1.A.", "2.A.", "2.B.", "2.C.")

WORK_ACTIVITY_BRANCH = "4.A."


class ReferenceFiles(WriterBase):
    """The reference files (Content Model, scales, job zones, UNSPSC, IWAs, DWAs, categories)
    and the resources they define, which the other files name."""

    def content_model(self, table: Table) -> None:
        self.content_model_read = True
        for where, (eid, name, desc) in table:
            check_cell(ELEMENT, eid, table, where, "Element ID", "like 2.A.1.b")
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
        s = iri_term(str(self.m.onet_element(eid)))
        types = [C["Concept"], C["ContentModelElement"]]
        if eid.startswith(COMPETENCY_BRANCHES):
            types.append(C["Competency"])
        if eid.startswith(WORK_ACTIVITY_BRANCH):
            types.append(C["WorkActivity"])
        self.resource(s, types, where)
        self.add(s, P["prefLabel"], text_term(name))
        self.add(s, P["notation"], string_term(eid))
        self.add(s, P["inScheme"], self.scheme)
        if desc and desc != name:
            self.add(s, P["definition"], text_term(desc))
        parent = parent if parent is not None else eid.rpartition(".")[0]
        if not place:
            pass
        elif parent:
            self.add(s, P["broader"], iri_term(str(self.m.onet_element(parent))))
        else:
            self.add(s, P["topConceptOf"], self.scheme)
            self.add(self.scheme, P["hasTopConcept"], s)
        self.elements.add(eid)
        return s

    def scheme_header(self, title: str) -> None:
        self.resource(self.scheme, [C["ConceptScheme"]], None)
        self.add(self.scheme, P["prefLabel"], text_term("O*NET Content Model"))
        del title

    def scales_reference(self, table: Table) -> None:
        for where, (sid, name, low, high) in table:
            check_cell(SCALE, sid, table, where, "Scale ID", "like IM")
            lo = decimal_cell(low, table, where, "Minimum")
            hi = decimal_cell(high, table, where, "Maximum")
            self.scale(sid, name, where, lo, hi)

    def scale(
        self,
        sid: str,
        name: str,
        where: str,
        low: Decimal | None = None,
        high: Decimal | None = None,
    ) -> str:
        s = iri_term(str(self.m.rating_scale(sid)))
        if sid in self.scales:
            return s
        self.scales[sid] = Scale(name, low, high)
        self.resource(s, [C["Concept"], C["RatingScale"]], where)
        self.add(s, P["prefLabel"], text_term(name or sid))
        self.add(s, P["notation"], string_term(sid))
        if low is not None:
            self.add(s, P["minValue"], typed_term(str(low), XSD.decimal))
        if high is not None:
            self.add(s, P["maxValue"], typed_term(str(high), XSD.decimal))
        return s

    def job_zone_reference(self, table: Table) -> None:
        for where, (zone, name, exp, edu, training, examples, svp) in table:
            check_cell(DIGITS, zone, table, where, "Job Zone", "a whole number")
            s = self.resource(
                iri_term(str(self.m.job_zone(zone))), [C["Concept"], C["JobZone"]], where
            )
            self.add(s, P["prefLabel"], text_term(name))
            self.add(s, P["notation"], string_term(zone))
            for p, v in (
                ("experience", exp),
                ("education", edu),
                ("jobTraining", training),
                ("example", examples),
                ("svpRange", svp),
            ):
                if v and v not in NA:
                    self.add(s, P[p], text_term(v) if p != "svpRange" else string_term(v))

    def unspsc_reference(self, table: Table) -> None:
        for where, row in table:
            previous: str | None = None
            for level, (code, title) in zip(
                ("commodity", "class", "family", "segment"),
                ((row[0], row[1]), (row[2], row[3]), (row[4], row[5]), (row[6], row[7])),
                strict=True,
            ):
                check_cell(DIGITS, code, table, where, f"{level.title()} Code", "digits")
                s = self.commodity(code, title, level, where)
                if previous is not None:
                    self.add(previous, P["broader"], s)
                if code in self.commodities and level != "commodity":
                    break  # the rest of the chain is written already
                self.commodities.add(code)
                previous = s

    def commodity(self, code: str, title: str, level: str, where: str) -> str:
        s = iri_term(str(self.m.unspsc(code)))
        if code in self.commodities:
            return s
        scheme = iri_term(str(self.m.unspsc_scheme()))
        if not self.commodities:
            self.resource(scheme, [C["ConceptScheme"]], None)
            self.add(
                scheme,
                P["prefLabel"],
                text_term("United Nations Standard Products and Services Code (UNSPSC)"),
            )
        if level == "commodity":
            self.commodities.add(code)
        self.resource(s, [C["Concept"], C["ProductCategory"]], where)
        self.add(s, P["prefLabel"], text_term(title))
        self.add(s, P["notation"], string_term(code))
        self.add(s, P["classificationLevel"], string_term(level))
        self.add(s, P["inScheme"], scheme)
        if level == "segment":
            self.add(s, P["topConceptOf"], scheme)
        return s

    def iwa_reference(self, table: Table) -> None:
        for where, (gwa, iwa, title) in table:
            check_cell(ELEMENT, iwa, table, where, "IWA ID", "like 4.A.1.a.1.I01")
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
            check_cell(ELEMENT, dwa, table, where, "DWA ID", "like 4.A.1.a.1.I01.D01")
            self.element(dwa, title, None, where, parent=iwa)

    def category_reference(self, table: Table) -> None:
        for where, (eid, sid, cat, desc) in table:
            check_cell(DIGITS, cat, table, where, "Category", "a whole number")
            self.category(eid, sid, cat, desc, where)

    def category(self, eid: str, sid: str, cat: str, desc: str | None, where: str) -> str:
        s = iri_term(str(self.m.rating_category(eid, sid, cat)))
        key = f"{eid}/{sid}/{cat}"
        if key in self.categories:
            return s
        self.categories.add(key)
        self.resource(s, [C["Concept"], C["RatingCategory"]], where)
        self.add(s, P["prefLabel"], text_term(desc or f"{eid} {sid} category {cat}"))
        self.add(s, P["notation"], string_term(cat))
        self.add(s, P["element"], iri_term(str(self.m.onet_element(eid))))
        self.add(s, P["ratingScale"], iri_term(str(self.m.rating_scale(sid))))
        return s
