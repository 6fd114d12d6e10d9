"""Competencies: the same name (O*NET, CTDL-ASN, other documents), near misses, technologies,
UNSPSC categories, O*NET work activities and knowledge areas.

Rules, strongest first; a later rule runs only when the earlier found nothing (each documented
in ``docs/links.md``):

1. the normalised name of an O*NET element or CTDL-ASN competency (exact; close when several
   share it, or when O*NET's is a knowledge area and the source defines a skill), else a near
   miss of one (close); the same name minted apart in another document (exact);
2. named after an O*NET technology (close), or after a technology or UNSPSC category once the
   generic words that end its title are set aside ("Operating Systems" — "Operating system
   software"); a vendor's share of a commodity (broader); a category "X and their Y" covers X
   (broader);
3. every word of the name in an O*NET work activity (the activity is narrower: "Tech Support" —
   "Provide technical support for software maintenance or use");
4. an O*NET knowledge area whose name, or one of the domains it joins with "and", is a word of
   the name, when the name's other words name no technology (the area is broader: "Retail
   Sales" — "Sales and Marketing"; not "Server Administration" — "Administration and
   Management", where the word means something else).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from rdflib import URIRef
from rdflib.namespace import SKOS

from competency_kg.linking.index import Index, Target
from competency_kg.linking.model import Link, LinkReport, Sources
from competency_kg.linking.text import (
    GENERIC,
    STOPWORDS,
    key,
    unqualified,
    verb_stem,
    words,
)
from competency_kg.linking.tools import Commodities, commodity_links, commodity_titles, vendors

#: O*NET's knowledge areas: a skill of the same name is at most a close match.
KNOWLEDGE_BRANCH = "2.C."
#: Words ending a competency's name that say what of a thing is known, not which thing
#: ("Networking Tools & Concepts").
ASPECTS: frozenset[str] = frozenset({"concept", "technique", "principle", "fundamental"})
#: A title "X and their Y" (UNSPSC: "Office machines and their supplies and accessories").
WITH_THEIR = " and their "


@dataclass
class Competencies:
    """The documents' competencies: names (labels) and definitions."""

    names: dict[URIRef, set[str]]
    definitions: dict[URIRef, set[str]]


@dataclass
class Targets:
    """What a competency is compared with, by kind."""

    onet: Index
    ctdl: Index
    documents: Index
    technologies: Index
    categories: Index  # UNSPSC categories of every level
    commodities: Commodities
    vendor_names: set[str]
    activities: Index  # O*NET work activities (GWA, IWA, DWA)
    broader_activity: dict[URIRef, URIRef]
    knowledge: list[Target]  # O*NET knowledge areas (2.C)
    technology_words: frozenset[str]  # generic words and the words of UNSPSC titles

    def by_head(self, name: str) -> list[Target]:
        """Technologies and UNSPSC categories with the same name as ``name`` once the generic
        words (and aspects) ending both are set aside (:func:`_generic_tail`)."""
        head = _head(name)
        return [
            t
            for t in (*self.technologies.targets, *self.categories.targets)
            if head and _head(t.label) == head
        ]


def link_competencies(src: Sources, report: LinkReport) -> None:
    """Each document competency by the first rule that links it (see the module docstring);
    then O*NET elements and CTDL-ASN competencies of the same code."""
    mine = _read_competencies(src)
    onet_rows = src.rows(src.onet, "?c a ckg:Competency ; skos:prefLabel ?l ; skos:notation ?n")
    ctdl_rows = src.rows(
        src.ctdl,
        "?c a ceasn:Competency ; ceasn:competencyLabel ?l . OPTIONAL { ?c ceasn:codedNotation ?n }",
    )
    targets = _read_targets(src, mine, onet_rows, ctdl_rows)
    for c, labels in sorted(mine.names.items()):
        report.look("competencies", c, sorted(labels)[0])
        found = _by_name(c, labels, mine.definitions[c], targets)
        found += _same_in_documents(c, labels, targets.documents)
        for rule in (_named_after_technology, _in_work_activities, _in_knowledge_area):
            found = found or rule(c, labels, targets)
        report.links.extend(_distinct(found))
        if not found:
            report.propose(c, _nearest(labels, (targets.onet, targets.ctdl, targets.technologies)))
    report.links.extend(_by_code(onet_rows, ctdl_rows))


def _read_competencies(src: Sources) -> Competencies:
    rows = src.rows(
        src.seed,
        "?c a ckg:Competency ; skos:prefLabel|skos:altLabel ?l . "
        "OPTIONAL { ?c skos:definition ?d }",
    )
    out = Competencies(defaultdict(set), defaultdict(set))
    for r in rows:
        out.names[r["c"]].add(str(r["l"]))
        if "d" in r:
            out.definitions[r["c"]].add(str(r["d"]))
    return out


def _read_targets(
    src: Sources, mine: Competencies, onet_rows: list[dict], ctdl_rows: list[dict]
) -> Targets:
    technologies = Index(
        Target(r["t"], str(r["l"]), "O*NET technology")
        for r in src.rows(src.onet, "?t a ckg:Technology ; skos:prefLabel ?l")
    )
    category_rows = src.rows(
        src.onet,
        "?c a ckg:ProductCategory ; skos:prefLabel ?l ; skos:notation ?code ; "
        "ckg:classificationLevel ?level",
    )
    activity_rows = src.rows(
        src.onet,
        "?a a ckg:WorkActivity ; skos:prefLabel ?l ; skos:notation ?n . "
        "OPTIONAL { ?a skos:broader ?b . ?b a ckg:WorkActivity }",
    )
    titles = {w for r in category_rows for w in words(str(r["l"]))} - STOPWORDS
    return Targets(
        onet=Index(Target(r["c"], str(r["l"]), f"O*NET element {r['n']}") for r in onet_rows),
        ctdl=Index(
            Target(
                r["c"], str(r["l"]), f"CTDL-ASN competency{' ' + str(r['n']) if 'n' in r else ''}"
            )
            for r in ctdl_rows
        ),
        documents=Index(
            Target(c, label, "another document's competency")
            for c, labels in mine.names.items()
            for label in labels
        ),
        technologies=technologies,
        categories=Index(
            Target(r["c"], str(r["l"]), f"UNSPSC {r['level']} {r['code']}") for r in category_rows
        ),
        commodities=commodity_titles(src),
        vendor_names=vendors([t.label for t in technologies.targets]),
        activities=Index(
            Target(r["a"], str(r["l"]), f"O*NET work activity {r['n']}") for r in activity_rows
        ),
        broader_activity={r["a"]: r["b"] for r in activity_rows if "b" in r},
        knowledge=[
            Target(r["c"], str(r["l"]), f"O*NET knowledge area {r['n']}")
            for r in onet_rows
            if str(r["n"]).startswith(KNOWLEDGE_BRANCH)
        ],
        technology_words=frozenset(GENERIC | titles),
    )


def _link(
    c: URIRef,
    predicate: URIRef,
    t: Target,
    method: str,
    evidence: str,
    confidence: float,
    label: str,
    score: float | None = 1.0,
) -> Link:
    return Link(c, predicate, t.iri, method, evidence, confidence, score, (label, t.label))


def _by_name(c: URIRef, labels: set[str], definitions: set[str], targets: Targets) -> list[Link]:
    """The normalised name of an O*NET element or CTDL-ASN competency; else a near miss."""
    out: list[Link] = []
    for index in (targets.onet, targets.ctdl):
        found: dict[URIRef, tuple[Target, str]] = {}
        for label in sorted(labels):
            for t in index.same_key(unqualified(label)):
                found.setdefault(t.iri, (t, label))
        for t, label in found.values():
            exact = len(found) == 1
            evidence = f"'{label}' is the name of {t.description} '{t.label}'"
            if len(found) > 1:
                evidence += f" (one of {len(found)} with this name)"
            if exact and KNOWLEDGE_BRANCH in t.description and _skill(definitions):
                exact = False
                evidence += (
                    "; O*NET's element is a knowledge area, the source defines a skill, "
                    "so at most a close match"
                )
            p = SKOS.exactMatch if exact else SKOS.closeMatch
            out.append(_link(c, p, t, "normalized name", evidence, 0.95 if exact else 0.7, label))
        if not out:  # near misses only when no name matched (in O*NET or CTDL-ASN)
            for label in sorted(labels):
                for t, ratio in index.near_misses(unqualified(label)):
                    evidence = (
                        f"'{label}' is a near miss of {t.description} '{t.label}' "
                        f"(character similarity {ratio:.2f})"
                    )
                    score = round(ratio, 3)
                    near = _link(c, SKOS.closeMatch, t, "near-miss name", evidence, 0.75, label)
                    out.append(replace(near, score=score))
    return out


def _same_in_documents(c: URIRef, labels: set[str], documents: Index) -> list[Link]:
    """The same name minted apart in another document (each pair once)."""
    return [
        _link(
            c,
            SKOS.exactMatch,
            t,
            "same name in another document",
            f"'{label}' and '{t.label}' are one name once normalised",
            0.9,
            label,
        )
        for label in sorted(labels)
        for t in documents.same_key(unqualified(label))
        if t.iri != c and str(t.iri) > str(c)
    ]


def _named_after_technology(c: URIRef, labels: set[str], targets: Targets) -> list[Link]:
    """An O*NET technology's name (close); a technology's or UNSPSC category's name once the
    generic words ending it are set aside (close); a vendor's share of a commodity, a category
    "X and their Y" (broader)."""
    out: list[Link] = []
    for label in sorted(labels):
        for t in targets.technologies.same_key(unqualified(label)):
            evidence = f"the competency '{label}' is named after the O*NET technology '{t.label}'"
            out.append(
                _link(c, SKOS.closeMatch, t, "named after a technology", evidence, 0.75, label)
            )
    if out:
        return out
    for label in sorted(labels):
        name = unqualified(label)
        for t in targets.by_head(name):
            evidence = (
                f"the competency '{label}' is named after {t.description} '{t.label}', "
                "the generic words ending the names aside"
            )
            out.append(
                _link(c, SKOS.closeMatch, t, "named after a technology", evidence, 0.65, label)
            )
    if out:
        return out
    for label in sorted(labels):
        name = unqualified(label)
        out += [  # for a competency, only a vendor's share of a commodity
            k
            for k in commodity_links(c, name, targets.commodities, targets.vendor_names)
            if k.method == "vendor and commodity"
        ]
        for t in targets.categories.targets:
            head = t.label.split(WITH_THEIR)[0]
            if WITH_THEIR in t.label and key(head) == key(name):
                evidence = f"{t.description} '{t.label}' covers '{head}', and more"
                out.append(
                    _link(c, SKOS.broadMatch, t, "category and their parts", evidence, 0.7, label)
                )
    return out


def _generic_tail(name: str, title: str) -> bool:
    """Whether ``name`` and ``title`` are one name once the generic words ending them (and the
    words of :data:`ASPECTS`) are set aside ("Operating Systems" — "Operating system software",
    "Networking Tools & Concepts" — "Networking software"); a name whose generic word comes
    first ("System Administration") meets no "Administration software".

    >>> _generic_tail("Operating Systems", "Operating system software")
    True
    >>> _generic_tail("System Administration", "Administration software")
    False
    """
    mine, theirs = _head(name), _head(title)
    return bool(mine) and mine == theirs


def _head(text: str) -> list[str]:
    """The key words without the generic words and aspects that end them."""
    ws = _key_words(text)
    while ws and (ws[-1] in GENERIC or ws[-1] in ASPECTS):
        ws.pop()
    return ws


def _key_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]


def _in_work_activities(c: URIRef, labels: set[str], targets: Targets) -> list[Link]:
    """O*NET work activities stating every word of the name (verbs and verbal nouns meet:
    "Testing" — "Test software performance"): narrower. A one-word name must be a verbal noun
    ("-ing"), and of an activity and the broader activity it belongs to only the broader one
    is linked."""
    found: dict[URIRef, tuple[Target, str]] = {}
    for label in sorted(labels):
        name = unqualified(label)
        mine = {verb_stem(w) for w in _key_words(name)}
        if not mine or (len(mine) == 1 and not _key_words(name)[0].endswith("ing")):
            continue
        for t in targets.activities.targets:
            if mine <= {verb_stem(w) for w in _key_words(t.label)}:
                found.setdefault(t.iri, (t, label))
    return [
        _link(
            c,
            SKOS.narrowMatch,
            t,
            "named in a work activity",
            f"{t.description} '{t.label}' states every word of '{label}': a part of it",
            0.7,
            label,
        )
        for iri, (t, label) in sorted(found.items())
        if not _above(iri, found, targets.broader_activity)
    ]


def _above(iri: URIRef, found: dict[URIRef, object], broader: dict[URIRef, URIRef]) -> bool:
    """Whether an activity broader than ``iri`` is among ``found``."""
    up = broader.get(iri)
    while up is not None:
        if up in found:
            return True
        up = broader.get(up)
    return False


def _in_knowledge_area(c: URIRef, labels: set[str], targets: Targets) -> list[Link]:
    """An O*NET knowledge area named by a word of the name, or by a word of one of the domains
    its name joins with "and", when the name's other words name no technology: broader."""
    out: list[Link] = []
    for label in sorted(labels):
        mine = _key_words(unqualified(label))
        for t in targets.knowledge:
            domains = [d for d in (key(p) for p in t.label.split(" and ")) if d]
            for domain in domains:
                part = domain.split()
                rest = _without(mine, part)
                if rest is None or not rest or any(w in targets.technology_words for w in rest):
                    continue
                evidence = (
                    f"'{label}' names '{domain}', "
                    + ("a domain of " if len(domains) > 1 else "")
                    + f"{t.description} '{t.label}', and nothing of technology"
                )
                out.append(
                    _link(c, SKOS.broadMatch, t, "within a knowledge area", evidence, 0.7, label)
                )
    return _distinct(out)


def _without(name: list[str], part: list[str]) -> list[str] | None:
    """``name`` without the word sequence ``part``, or None when it does not contain it."""
    n = len(part)
    for i in range(len(name) - n + 1):
        if name[i : i + n] == part:
            return name[:i] + name[i + n :]
    return None


def _distinct(links: Iterable[Link]) -> list[Link]:
    out: dict[tuple[URIRef, URIRef], Link] = {}
    for k in links:
        out.setdefault((k.subject, k.target), k)
    return list(out.values())


def _by_code(onet_rows: list[dict], ctdl_rows: list[dict]) -> list[Link]:
    """The Content Model in O*NET's release and in CTDL-ASN: the same codes."""
    elements = {str(r["n"]): r["c"] for r in onet_rows}
    out = []
    for r in ctdl_rows:
        code = str(r.get("n", ""))
        if code in elements:
            out.append(
                Link(
                    elements[code],
                    SKOS.exactMatch,
                    r["c"],
                    "coded notation",
                    f"the O*NET element and the CTDL-ASN competency '{r['l']}' have the code "
                    f"{code}",
                    1.0,
                    labels=(code, code),
                )
            )
    return out


def _skill(definitions: set[str]) -> bool:
    """Whether a source's definitions describe a skill (not "Knowledge of …")."""
    return bool(definitions) and not any(d.lower().startswith("knowledge") for d in definitions)


def _nearest(labels: set[str], indexes: tuple[Index, ...]) -> list[tuple[Target, float]]:
    best: dict[URIRef, tuple[Target, float]] = {}
    for index in indexes:
        for label in labels:
            for t, s in index.nearest(unqualified(label)):
                if s > best.get(t.iri, (t, -1.0))[1]:
                    best[t.iri] = (t, s)
    return sorted(best.values(), key=lambda x: (-x[1], str(x[0].iri)))
