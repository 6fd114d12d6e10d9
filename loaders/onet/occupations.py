"""Mapping the occupation files: occupations placed in the SOC hierarchy, job zones, job
titles, tasks and their DWAs, technologies and tools, related occupations."""

from __future__ import annotations

from rdflib.namespace import XSD

from competency_kg.loaders.errors import SourceError
from competency_kg.loaders.onet.checks import DIGITS, NA, check_cell, place_of
from competency_kg.loaders.onet.files import Table
from competency_kg.loaders.onet.references import ReferenceFiles
from competency_kg.loaders.onet.terms import C, P, iri_term, string_term, text_term, typed_term

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


class OccupationFiles(ReferenceFiles):
    """The occupation files: occupations in the SOC hierarchy, job zones, titles, tasks,
    technologies and tools, related occupations."""

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
            self.add(occ, P["prefLabel"], text_term(title))
            self.add(occ, P["notation"], string_term(code))
            if desc:
                self.add(occ, P["description"], text_term(desc))
            self.add(occ, P["broader"], self.soc_chain(code, where))
        # detailed SOC occupations take the title of their .00 occupation where there is one
        for detailed in sorted(self._soc):
            if detailed[-1] != "0":
                title = titles.get(f"{detailed}.00", f"SOC detailed occupation {detailed}")
                self.add(
                    iri_term(str(self.m.soc_group(detailed))), P["prefLabel"], text_term(title)
                )

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
        scheme = iri_term(str(self.m.soc_scheme()))
        if not self._soc:
            self.resource(scheme, [C["ConceptScheme"]], None)
            self.add(scheme, P["prefLabel"], text_term("Standard Occupational Classification"))
        below: str | None = None
        for group, level in chain:
            s = iri_term(str(self.m.soc_group(group)))
            if below is not None:
                self.add(below, P["broader"], s)
            if group in self._soc:
                break
            self._soc.add(group)
            self.resource(s, [C["Concept"], C["SocGroup"]], where)
            self.add(s, P["notation"], string_term(group))
            self.add(s, P["classificationLevel"], string_term(level))
            self.add(s, P["inScheme"], scheme)
            if level == "major group":
                name = SOC_MAJOR_GROUPS.get(group[:2], f"SOC major group {group}")
                self.add(s, P["prefLabel"], text_term(name))
                self.add(s, P["topConceptOf"], scheme)
                self.add(scheme, P["hasTopConcept"], s)
            elif level != "detailed occupation":  # those are labelled once the file is read
                self.add(s, P["prefLabel"], text_term(f"SOC {level} {group}"))
            below = s
        return iri_term(str(self.m.soc_group(soc)))

    def job_zones(self, table: Table) -> None:
        for where, (code, zone, date, domain) in table:
            self.code(code, table, where)
            if not self.known_occupation(code, table.name, where):
                continue
            if zone not in {"1", "2", "3", "4", "5"}:
                raise SourceError(table.path, place_of(where), f"Job Zone {zone!r} is not 1 to 5")
            occ = self.occupation(code)
            self.add(occ, P["jobZone"], typed_term(zone, XSD.integer))
            self.add(occ, P["inJobZone"], iri_term(str(self.m.job_zone(zone))))
            del date, domain

    def job_title(self, title: str, where: str) -> str:
        s = iri_term(str(self.m.job_title(title)))
        known = self._titles.get(s)
        if known is None:
            self._titles[s] = title
            self.resource(s, [C["JobTitle"]], where)
            self.add(s, P["prefLabel"], text_term(title))
        elif known != title and (s, title) not in self._title_labels:
            self._title_labels.add((s, title))
            self.add(s, P["altLabel"], text_term(title))
        return s

    def alternate_titles(self, table: Table) -> None:
        for where, (code, title, short) in table:
            self.code(code, table, where)
            if not title or not self.known_occupation(code, table.name, where):
                continue
            t = self.job_title(title, where)
            self.add(self.occupation(code), P["alternateTitle"], t)
            if short and short not in NA and (t, "short:" + short) not in self._title_labels:
                self._title_labels.add((t, "short:" + short))
                self.add(t, P["shortTitle"], text_term(short))

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
            check_cell(DIGITS, tid, table, where, "Task ID", "a whole number")
            if not self.known_occupation(code, table.name, where):
                continue
            occ = self.occupation(code)
            t = iri_term(f"{occ[1:-1]}/task/{tid}")
            self.tasks.add(f"{code}/{tid}")
            self.resource(t, [C["Task"]], where)
            self.add(occ, P["task"], t)
            self.add(t, P["forOccupation"], occ)
            self.add(t, P["prefLabel"], text_term(text))
            self.add(t, P["notation"], string_term(tid))
            if ttype == "Core":
                self.add(t, P["taskType"], C["CoreTask"])
            elif ttype == "Supplemental":
                self.add(t, P["taskType"], C["SupplementalTask"])
            elif ttype not in NA:
                self.find("Warning", "task-type", t, f"unknown task type {ttype!r}", where)
            if incumbents not in NA:
                check_cell(DIGITS, incumbents, table, where, "Incumbents Responding", "a number")
                self.add(t, P["incumbentsResponding"], typed_term(incumbents, XSD.integer))
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
            self.add(t, P["workActivity"], iri_term(str(self.m.onet_element(dwa))))

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
            t = iri_term(str(make(example)))
            known = self._tools.get(t)
            if known is None:
                self._tools[t] = example
                self.resource(t, types, where)
                self.add(t, P["prefLabel"], text_term(example))
            elif known != example and (t, example) not in self._title_labels:
                self._title_labels.add((t, example))
                self.add(t, P["altLabel"], text_term(example))
            if commodity and commodity not in NA:
                check_cell(DIGITS, commodity, table, where, "Commodity Code", "digits")
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
                    self.add(t, P["broader"], iri_term(str(self.m.unspsc(commodity))))
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
                iri_term(f"{occ[1:-1]}/related/{related}"), [C["OccupationRelation"]], where
            )
            self.add(occ, P["relatedOccupation"], other)
            self.add(occ, P["relation"], r)
            self.add(r, P["forOccupation"], occ)
            self.add(r, P["relatedOccupation"], other)
            if tier and tier not in NA:
                self.add(r, P["relatednessTier"], string_term(tier))
            if index and index not in NA:
                check_cell(DIGITS, index, table, where, "Index", "a whole number")
                self.add(r, P["position"], typed_term(index, XSD.integer))
