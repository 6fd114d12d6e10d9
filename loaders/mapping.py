"""From parsed documents to RDF under the competency-kg ontology.

One function per document kind; each returns an rdflib ``Graph`` holding exactly what the
document says, every resource tagged with ``prov:wasDerivedFrom`` its source document and
``ckg:sourceLocation`` the place in it. Shared resources (occupations, competencies, levels,
tools, certifications, job titles) are minted from their identity, so two documents that name
the same thing produce the same IRI (see ``competency_kg.iris``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from competency_kg.iris import Minter
from competency_kg.labels import entry_label, exercise_label, requirement_label
from competency_kg.loaders.documents import (
    FrameworkDocument,
    Kind,
    ListType,
    OverviewDocument,
    RankedEntry,
    SourceReference,
)
from competency_kg.loaders.source import CitedSource
from competency_kg.names import LEVEL_PREFIXES, slugify, split_level
from competency_kg.namespaces import CC, CEASN, CETERMS, CKG, PREFIXES, SCHEMA

#: The scale of the overview's "Basic …" level prefixes (framework exports define their own).
OVERVIEW_SCALE = "skill-level"

KIND_TERMS: dict[str, URIRef] = {
    "foundational": CKG.Foundational,
    "occupation-specific": CKG.OccupationSpecific,
}
LIST_TERMS: dict[str, URIRef] = {
    "most-common-required": CKG.MostCommonRequired,
    "most-common-break-point": CKG.MostCommonBreakPoint,
    "most-preferred": CKG.MostPreferred,
    "most-hard-to-find": CKG.MostHardToFind,
    "most-evolving": CKG.MostEvolving,
    "other-relevant": CKG.OtherRelevant,
}

_CC_LICENCE = re.compile(r"\bCC[ -]?(BY(?:[ -](?:SA|NC|ND))*)[ -]?(\d\.\d)\b", re.IGNORECASE)
_CC0 = re.compile(r"\bCC0\b", re.IGNORECASE)
_VERSION = re.compile(r"^\s*(v?\d[\w.\-]*)")
_URL = re.compile(r"^https?://\S+$")


def licence_iri(text: str) -> URIRef | None:
    """The Creative Commons licence a text names, as its canonical IRI.

    >>> licence_iri("v30.2 (CC BY 4.0)")
    rdflib.term.URIRef('https://creativecommons.org/licenses/by/4.0/')
    >>> licence_iri("CC-BY-SA 3.0")
    rdflib.term.URIRef('https://creativecommons.org/licenses/by-sa/3.0/')
    """
    m = _CC_LICENCE.search(text)
    if m:
        code = re.sub(r"[ -]+", "-", m.group(1).lower())
        return URIRef(f"https://creativecommons.org/licenses/{code}/{m.group(2)}/")
    if _CC0.search(text):
        return URIRef("https://creativecommons.org/publicdomain/zero/1.0/")
    return None


#: The ``sources`` key naming the program that wrote an export: a credit, not a source of content.
GENERATOR_KEY = "generator"


def framework_title(doc: FrameworkDocument) -> str:
    """The export's title: its own title field, else what its fields say it is.

    "Competency framework 15-1299.00 v.26.05 (LER.me export)": the occupation's code (or
    title), the framework's version and the program that wrote it, each from the document.
    """
    if doc.document_title:
        return doc.document_title
    title = " ".join(
        x for x in ("Competency framework", doc.soc_code or doc.title, doc.framework_version) if x
    )
    generator = next((s.value for s in doc.sources if s.key.lower() == GENERATOR_KEY), None)
    return f"{title} ({generator} export)" if generator else title


def cited_sources(doc: FrameworkDocument) -> list[CitedSource]:
    """The sources an export names, each with the licence it states for that source only."""
    out = []
    for ref in doc.sources:
        if ref.key.lower() == GENERATOR_KEY:
            continue
        licence, _, url = _read_reference(ref.value)
        words = _CC_LICENCE.sub("", _CC0.sub("", ref.value))
        words = re.sub(r"\(\s*\)", "", words).strip(" ;,")
        out.append(
            CitedSource(
                ref.key,
                f"{ref.key} {words}".strip() if words and not url else ref.key,
                [licence] if licence is not None else [],
                url,
            )
        )
    return out


def _read_reference(value: str) -> tuple[URIRef | None, str | None, str | None]:
    """What a source reference's text states: (licence, version, address)."""
    if _URL.match(value):
        return None, None, value
    licence = licence_iri(value)
    version = _VERSION.match(value)
    return licence, version.group(1) if version and licence is not None else None, None


def new_graph() -> Graph:
    g = Graph()
    for prefix, iri in PREFIXES.items():
        g.bind(prefix, iri, override=True)
    return g


class _Builder:
    """Shared helpers: provenance on every resource, labels, scales."""

    def __init__(self, minter: Minter, source: URIRef) -> None:
        self.m = minter
        self.source = source
        self.g = new_graph()

    def resource(self, iri: URIRef, *types: URIRef, where: str | None = None) -> URIRef:
        for t in types:
            self.g.add((iri, RDF.type, t))
        self.g.add((iri, PROV.wasDerivedFrom, self.source))
        if where:
            self.g.add((iri, CKG.sourceLocation, Literal(where)))
        return iri

    def text(
        self, s: URIRef | BNode, p: URIRef, value: str | None, lang: str | None = "en"
    ) -> None:
        if value is not None and value.strip():
            self.g.add((s, p, Literal(value.strip(), lang=lang)))

    def scale(
        self,
        scale: URIRef,
        label: str,
        levels: Iterable[tuple[str, str] | tuple[str, str, int, str]],
        where: str | None = None,
    ) -> dict[str, URIRef]:
        """Emit an ordered proficiency scale at ``scale``; return level key → level IRI.

        Levels are minted under the scale (``{scale}/{key}``), so two scales that share a
        key ("advanced") never merge into one level with two positions.
        """
        self.resource(scale, CKG.ProficiencyScale, where=where)
        self.text(scale, SKOS.prefLabel, label)
        out: dict[str, URIRef] = {}
        previous: URIRef | None = None
        for n, (level_key, level_label, *given) in enumerate(levels, start=1):
            # a framework's own position (a gap shows a lost level) and place
            position, place = (given[0], given[1]) if given else (n, None)
            level = self.resource(
                self.m.under(scale, slugify(level_key)), CKG.ProficiencyLevel, where=place
            )
            self.text(level, SKOS.prefLabel, level_label)
            self.g.add((level, SKOS.notation, Literal(level_key)))
            self.g.add((level, SKOS.inScheme, scale))
            self.g.add((level, SCHEMA.position, Literal(position)))
            self.g.add((scale, SKOS.hasTopConcept, level))
            if previous is not None:
                self.g.add((previous, CETERMS.precedes, level))
            previous = level
            out[level_key] = level
        return out

    def occupation(self, soc: str | None, title: str, where: str) -> URIRef:
        occ = self.resource(self.m.occupation(soc, title), CKG.Occupation, where=where)
        self.text(occ, SKOS.prefLabel, title)
        if soc:
            self.g.add((occ, SKOS.notation, Literal(soc)))
        return occ

    def competency(self, wording: str) -> tuple[URIRef, str | None]:
        """The shared competency a wording names, and the level its prefix states."""
        level, name = split_level(wording)
        iri = self.resource(self.m.competency(name), CKG.Competency)
        scheme = self.m.competency_scheme()
        self.g.add((iri, SKOS.inScheme, scheme))
        if (scheme, SKOS.prefLabel, None) not in self.g:  # named, so no page shows its slug
            self.g.add((scheme, RDF.type, SKOS.ConceptScheme))
            self.g.add((scheme, SKOS.prefLabel, Literal("Competencies", lang="en")))
        return iri, level

    def name_competency(self, iri: URIRef, wording: str) -> None:
        """Keep every wording: the first one the document prints (its definition, where it
        defines the competency) is the preferred label, the other wordings alternatives."""
        _, name = split_level(wording)
        label = Literal(name, lang="en")
        if (iri, SKOS.prefLabel, None) not in self.g:
            self.g.add((iri, SKOS.prefLabel, label))
        elif (iri, SKOS.prefLabel, label) not in self.g:
            self.g.add((iri, SKOS.altLabel, label))


# --------------------------------------------------------------------------- JSON framework
def framework_to_graph(doc: FrameworkDocument, minter: Minter, source: URIRef) -> Graph:
    """The graph of a framework export: occupation, framework, scale, statements, sources."""
    b = _Builder(minter, source)
    g = b.g
    occ = b.occupation(doc.soc_code, doc.title, "$.occupation")
    b.text(occ, CKG.occupationGroup, doc.group, lang=None)
    if doc.sector is not None:
        g.add((occ, CKG.industrySector, Literal(doc.sector)))
    if doc.job_zone is not None:
        g.add((occ, CKG.jobZone, Literal(doc.job_zone, datatype=XSD.integer)))
    if doc.job_zone_inferred is not None:
        g.add((occ, CKG.jobZoneInferred, Literal(doc.job_zone_inferred)))

    version = doc.framework_version or "unversioned"
    fw = b.resource(
        minter.under(occ, "framework", slugify(version)),
        CEASN.CompetencyFramework,
        where="$.framework",
    )
    g.add((occ, CKG.hasFramework, fw))
    g.add((fw, CKG.forOccupation, occ))
    b.text(fw, CEASN.name, f"{doc.title} competency framework {version}")
    if doc.framework_version:
        g.add((fw, SCHEMA.version, Literal(doc.framework_version)))
    b.text(fw, CEASN.description, doc.framework_description)
    b.text(fw, CKG.contextCovered, doc.context_covered)
    if doc.exported_at:
        g.add((fw, DCTERMS.issued, _datetime(doc.exported_at)))
    if doc.attribution:
        g.add((fw, CC.attributionName, Literal(doc.attribution)))
        g.add((fw, DCTERMS.rights, Literal(doc.attribution)))
    for ref in doc.sources:
        _source_reference(b, fw, ref)

    # Each framework defines its own levels, in document order: its own scale.
    scale = minter.under(fw, "levels")
    levels = b.scale(
        scale,
        f"Proficiency levels of {doc.title} {version}",
        [(lv.key, lv.label, lv.position, lv.where) for lv in doc.levels],
        where="$.framework.levels",
    )
    g.add((fw, CKG.proficiencyScale, scale))
    for lv in doc.levels:
        for st in lv.statements:
            s = b.resource(
                minter.under(fw, slugify(lv.key), str(st.position)),
                CKG.CompetencyStatement,
                where=st.where,
            )
            g.add((s, CEASN.competencyText, Literal(st.text, lang="en")))
            b.text(s, CEASN.competencyLabel, st.topic)
            b.text(s, CKG.actionText, st.action, lang=None)
            g.add((s, CKG.atLevel, levels[lv.key]))
            g.add((s, CEASN.isPartOf, fw))
            g.add((s, SCHEMA.position, Literal(st.position)))
            g.add((fw, CEASN.hasTopChild, s))
    return g


def _datetime(text: str) -> Literal:
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})?", value):
        return Literal(value, datatype=XSD.dateTime)
    return Literal(value)


def _source_reference(b: _Builder, fw: URIRef, ref: SourceReference) -> None:
    g = b.g
    node = b.resource(
        b.m.under(fw, "source", slugify(ref.key)), CKG.SourceReference, where=ref.where
    )
    g.add((fw, CKG.sourceReference, node))
    g.add((node, CKG.sourceKey, Literal(ref.key)))
    g.add((node, RDFS.label, Literal(f"{ref.key}: {ref.value}")))
    g.add((node, RDF.value, Literal(ref.value)))
    licence, version, url = _read_reference(ref.value)
    if url is not None:
        g.add((node, SCHEMA.url, Literal(url, datatype=XSD.anyURI)))
        g.add((fw, CEASN.source, URIRef(url)))
        return
    if licence is not None:
        g.add((node, DCTERMS.license, licence))
    if version is not None:
        g.add((node, SCHEMA.version, Literal(version)))


# --------------------------------------------------------------------------- overview text
def overview_to_graph(doc: OverviewDocument, minter: Minter, source: URIRef) -> Graph:
    """The graph of an occupation overview: competencies, requirements, lists, scenarios …"""
    ov = _OverviewMapping(_Builder(minter, source), doc)
    ov.requirements()
    lists = ov.ranked_lists()
    ov.unplaced(lists)
    ov.activities()
    ov.scenarios()
    ov.named_items()
    return ov.b.g


class _OverviewMapping:
    """One overview into its graph, part by part (``overview_to_graph``)."""

    def __init__(self, b: _Builder, doc: OverviewDocument) -> None:
        self.b, self.g, self.m, self.doc = b, b.g, b.m, doc
        self.occ = b.occupation(None, doc.title, doc.where)
        b.text(self.occ, CKG.jobDescription, doc.job_description)
        # The "Basic …"/"Intermediate …" prefixes are the format's own scale, shared by every
        # overview.
        self.levels = b.scale(
            self.m.scale(OVERVIEW_SCALE), "Skill levels", [(k, k.title()) for k in LEVEL_PREFIXES]
        )

    def requirements(self) -> None:
        """Each defined competency, and the occupation's requirement of it."""
        b, g, occ = self.b, self.g, self.occ
        for d in self.doc.competencies:
            comp, level = b.competency(d.wording)
            b.name_competency(comp, d.wording)
            g.add((comp, SKOS.definition, Literal(d.definition, lang="en")))
            g.add((comp, CKG.competencyKind, KIND_TERMS[d.kind]))
            req = b.resource(
                self.m.under(occ, "requirement", comp.rsplit("/", 1)[1]),
                CKG.CompetencyRequirement,
                where=d.where,
            )
            g.add((occ, CKG.requires, req))
            g.add((req, CKG.forOccupation, occ))
            g.add((req, CKG.competency, comp))
            g.add((req, CKG.sourceWording, Literal(d.wording)))
            if level:
                g.add((req, CKG.requiredLevel, self.levels[level]))
            name = split_level(d.wording)[1]
            label = requirement_label(self.doc.title, name, level.title() if level else None)
            g.add((req, RDFS.label, Literal(label, lang="en")))

    def mention(self, s: URIRef, wording: str) -> URIRef:
        """A competency named outside the definitions: its kind stays on the list naming it."""
        comp, level = self.b.competency(wording)
        self.b.name_competency(comp, wording)
        self.g.add((s, CKG.competency, comp))
        self.g.add((s, CKG.sourceWording, Literal(wording)))
        if level:
            self.g.add((s, CKG.statedLevel, self.levels[level]))
        return comp

    def ranked_lists(self) -> dict[tuple[Kind, ListType], URIRef]:
        """The prioritized and other-relevant lists with their placed entries and empty ranks."""
        b, g, occ = self.b, self.g, self.occ
        lists: dict[tuple[Kind, ListType], URIRef] = {}
        for rl in self.doc.ranked_lists:
            lst = b.resource(
                self.m.under(occ, "list", slugify(rl.kind), rl.list_type),
                CKG.PrioritizedList,
                where=rl.where,
            )
            lists[(rl.kind, rl.list_type)] = lst
            g.add((occ, CKG.prioritizedList, lst))
            g.add((lst, CKG.forOccupation, occ))
            g.add((lst, CKG.listType, LIST_TERMS[rl.list_type]))
            g.add((lst, CKG.competencyKind, KIND_TERMS[rl.kind]))
            list_name = f"{rl.heading} ({rl.kind})"
            g.add((lst, RDFS.label, Literal(list_name, lang="en")))
            for rank in rl.empty_ranks:
                g.add((lst, CKG.emptyRank, Literal(rank, datatype=XSD.integer)))
            seen: dict[str, int] = {}
            for e in rl.entries:
                node = _entry(b, lst, e, seen, self.mention)
                g.add((lst, CKG.entry, node))
                # placed entries only: an unplaced one may be placed by a correction later, so
                # its label comes from the data as it then is (competency_kg.labels)
                label = entry_label(split_level(e.wording)[1], e.rank, list_name)
                g.add((node, RDFS.label, Literal(label, lang="en")))
        return lists

    def unplaced(self, lists: dict[tuple[Kind, ListType], URIRef]) -> None:
        """Entries the layout leaves open, each with the lists it may belong to."""
        for n, u in enumerate(self.doc.unplaced, start=1):
            parent = self.m.under(self.occ, "list", slugify(u.kind), "unplaced")
            node = _entry(self.b, parent, u.entry, {}, self.mention, suffix=str(n))
            self.g.add((self.occ, CKG.unplacedEntry, node))
            self.g.add((node, CKG.competencyKind, KIND_TERMS[u.kind]))
            for lt in u.candidate_lists:
                cand = lists.get((u.kind, lt))
                if cand is not None:
                    self.g.add((node, CKG.candidateList, cand))

    def activities(self) -> None:
        b, g, occ = self.b, self.g, self.occ
        for i, activities in enumerate(self.doc.activity_lists, start=1):
            al = b.resource(self.m.under(occ, "activities", str(i)), CKG.ActivityList)
            g.add((occ, CKG.activityList, al))
            g.add((al, CKG.forOccupation, occ))
            g.add((al, RDFS.label, Literal(f"Example activities, list {i}", lang="en")))
            for a in activities:
                act = b.resource(self.m.under(al, str(a.position)), CKG.Activity, where=a.where)
                g.add((al, CKG.activity, act))
                g.add((act, SKOS.prefLabel, Literal(a.text, lang="en")))
                g.add((act, SCHEMA.position, Literal(a.position)))

    def scenarios(self) -> None:
        b, g, occ = self.b, self.g, self.occ
        for sc in self.doc.scenarios:
            s = b.resource(
                self.m.under(occ, "scenario", slugify(sc.title)), CKG.WorkScenario, where=sc.where
            )
            g.add((occ, CKG.scenario, s))
            g.add((s, CKG.forOccupation, occ))
            g.add((s, SKOS.prefLabel, Literal(sc.title, lang="en")))
            g.add((s, CKG.narrative, Literal(sc.narrative, lang="en")))
            g.add((s, SCHEMA.position, Literal(sc.position)))
            for c in sc.competencies:
                ex = b.resource(
                    self.m.under(s, "competency", str(c.position)),
                    CKG.ScenarioCompetency,
                    where=c.where,
                )
                g.add((s, CKG.exercise, ex))
                g.add((ex, SCHEMA.position, Literal(c.position)))
                comp = self.mention(ex, c.wording)
                g.add((s, CKG.exercises, comp))
                label = exercise_label(sc.title, split_level(c.wording)[1])
                g.add((ex, RDFS.label, Literal(label, lang="en")))

    def named_items(self) -> None:
        """Job titles, certifications and tools of the deep dive."""
        doc, m = self.doc, self.m
        for items, make, prop, cls in (
            (doc.job_titles, m.job_title, CKG.jobTitle, CKG.JobTitle),
            (doc.certifications, m.certification, CKG.preferredCertification, CKG.Certification),
            (doc.tools, m.tool, CKG.usesTool, CKG.Tool),
        ):
            for item in items:
                r = self.b.resource(make(item.name), cls, where=item.where)
                self.g.add((r, SKOS.prefLabel, Literal(item.name, lang="en")))
                self.g.add((self.occ, prop, r))


def _entry(
    b: _Builder,
    parent: URIRef,
    e: RankedEntry,
    seen: dict[str, int],
    mention: Callable[[URIRef, str], URIRef],
    suffix: str | None = None,
) -> URIRef:
    """A list entry minted from its competency, numbered when a list names it twice."""
    slug = b.m.competency(split_level(e.wording)[1]).rsplit("/", 1)[1]
    seen[slug] = seen.get(slug, 0) + 1
    name = slug if seen[slug] == 1 else f"{slug}-{seen[slug]}"
    if suffix:
        name = f"{suffix}-{slug}"
    node = b.resource(b.m.under(parent, name), CKG.ListEntry, where=e.where)
    mention(node, e.wording)
    if e.rank is not None:
        b.g.add((node, SCHEMA.position, Literal(e.rank)))
    if e.text:
        b.g.add((node, CKG.entryText, Literal(e.text, lang="en")))
    if e.evidence:  # which layout rules read it so, from which lines: one text, in order
        b.g.add((node, CKG.readingEvidence, Literal(reading_evidence(e.evidence), lang="en")))
    return node


def reading_evidence(sentences: list[str]) -> str:
    """One text of the rules that read an entry, in the order they applied: a single value,
    so the unplaced-entry warning can quote it the same on every SPARQL engine (the order of
    ``GROUP_CONCAT`` is the engine's)."""
    return " ".join(s if s.endswith(".") else f"{s}." for s in sentences)
