"""Competencies: the same name (O*NET, CTDL-ASN, other documents), near misses, technologies."""

from __future__ import annotations

from collections import defaultdict

from rdflib import URIRef
from rdflib.namespace import SKOS

from competency_kg.linking.index import Index, Target
from competency_kg.linking.model import Link, LinkReport, Sources
from competency_kg.linking.text import content_key, key
from competency_kg.linking.tools import commodity_links, commodity_titles, vendors

#: O*NET's knowledge areas: a skill of the same name is at most a close match.
KNOWLEDGE_BRANCH = "2.C."


def _name(label: str) -> str:
    """The name without the qualifier "General" the overview puts before some names."""
    head, _, rest = label.partition(" ")
    return rest if head.lower() == "general" and rest else label


def link_competencies(src: Sources, report: LinkReport) -> None:
    seeds = src.rows(
        src.seed,
        "?c a ckg:Competency ; skos:prefLabel|skos:altLabel ?l . "
        "OPTIONAL { ?c skos:definition ?d }",
    )
    names: dict[URIRef, set[str]] = defaultdict(set)
    definitions: dict[URIRef, set[str]] = defaultdict(set)
    for r in seeds:
        names[r["c"]].add(str(r["l"]))
        if "d" in r:
            definitions[r["c"]].add(str(r["d"]))
    onet_rows = src.rows(src.onet, "?c a ckg:Competency ; skos:prefLabel ?l ; skos:notation ?n")
    onet = Index(Target(r["c"], str(r["l"]), f"O*NET element {r['n']}") for r in onet_rows)
    ctdl_rows = src.rows(
        src.ctdl,
        "?c a ceasn:Competency ; ceasn:competencyLabel ?l . OPTIONAL { ?c ceasn:codedNotation ?n }",
    )
    ctdl = Index(
        Target(r["c"], str(r["l"]), f"CTDL-ASN competency{' ' + str(r['n']) if 'n' in r else ''}")
        for r in ctdl_rows
    )
    technologies = Index(
        Target(r["t"], str(r["l"]), "O*NET technology")
        for r in src.rows(src.onet, "?t a ckg:Technology ; skos:prefLabel ?l")
    )
    commodities = commodity_titles(src)
    vendor_names = vendors([t.label for t in technologies.targets])
    documents = Index(
        Target(c, label, "another document's competency")
        for c, labels in names.items()
        for label in labels
    )
    for c, labels in sorted(names.items()):
        shown = sorted(labels)[0]
        report.look("competencies", c, shown)
        before = len(report.links)
        for index in (onet, ctdl):
            found: dict[URIRef, tuple[Target, str]] = {}
            for label in sorted(labels):
                for t in index.same_key(_name(label)):
                    found.setdefault(t.iri, (t, label))
            for t, label in found.values():
                exact = len(found) == 1
                evidence = f"'{label}' is the name of {t.description} '{t.label}'"
                if len(found) > 1:
                    evidence += f" (one of {len(found)} with this name)"
                if exact and KNOWLEDGE_BRANCH in t.description and _skill(definitions[c]):
                    exact = False
                    evidence += (
                        "; O*NET's element is a knowledge area, the source defines a skill, "
                        "so at most a close match"
                    )
                report.links.append(
                    Link(
                        c,
                        SKOS.exactMatch if exact else SKOS.closeMatch,
                        t.iri,
                        "normalized name",
                        evidence,
                        0.95 if exact else 0.7,
                        1.0,
                        (label, t.label),
                    )
                )
            if len(report.links) == before:
                for label in sorted(labels):
                    for t, ratio in index.near_misses(_name(label)):
                        report.links.append(
                            Link(
                                c,
                                SKOS.closeMatch,
                                t.iri,
                                "near-miss name",
                                f"'{label}' is a near miss of {t.description} '{t.label}' "
                                f"(character similarity {ratio:.2f})",
                                0.75,
                                round(ratio, 3),
                                (label, t.label),
                            )
                        )
        for label in sorted(labels):  # other documents: the same name minted apart
            for t in documents.same_key(_name(label)):
                if t.iri != c and str(t.iri) > str(c):
                    report.links.append(
                        Link(
                            c,
                            SKOS.exactMatch,
                            t.iri,
                            "same name in another document",
                            f"'{label}' and '{t.label}' are one name once normalised",
                            0.9,
                            1.0,
                            (label, t.label),
                        )
                    )
        if len(report.links) == before:
            for label in sorted(labels):
                for t in technologies.same_key(_name(label)):
                    report.links.append(
                        Link(
                            c,
                            SKOS.closeMatch,
                            t.iri,
                            "named after a technology",
                            f"the competency '{label}' is named after the O*NET technology "
                            f"'{t.label}'",
                            0.75,
                            1.0,
                            (label, t.label),
                        )
                    )
        if len(report.links) == before:
            for label in sorted(labels):
                if key(_name(label)) != content_key(_name(label)):
                    continue  # "System Administration" is a skill, not administration software
                for t in technologies.same_content(_name(label)):
                    report.links.append(
                        Link(
                            c,
                            SKOS.closeMatch,
                            t.iri,
                            "named after a technology",
                            f"the competency '{label}' and the O*NET technology '{t.label}' "
                            "differ only by generic words",
                            0.65,
                            1.0,
                            (label, t.label),
                        )
                    )
        if len(report.links) == before:
            for label in sorted(labels):
                report.links += [  # for a competency, only a vendor's share of a commodity
                    k
                    for k in commodity_links(c, _name(label), commodities, vendor_names)
                    if k.method == "vendor and commodity"
                ]
        if len(report.links) == before:
            report.propose(c, _nearest(labels, (onet, ctdl, technologies)))
    # the Content Model in O*NET's release and in CTDL-ASN: the same codes
    elements = {str(r["n"]): r["c"] for r in onet_rows}
    for r in ctdl_rows:
        code = str(r.get("n", ""))
        if code in elements:
            report.links.append(
                Link(
                    elements[code],
                    SKOS.exactMatch,
                    r["c"],
                    "coded notation",  # type: ignore[arg-type]
                    f"the O*NET element and the CTDL-ASN competency '{r['l']}' have the code "
                    f"{code}",
                    1.0,
                    labels=(code, code),
                )
            )


def _skill(definitions: set[str]) -> bool:
    """Whether a source's definitions describe a skill (not "Knowledge of …")."""
    return bool(definitions) and not any(d.lower().startswith("knowledge") for d in definitions)


def _nearest(labels: set[str], indexes: tuple[Index, ...]) -> list[tuple[Target, float]]:
    best: dict[URIRef, tuple[Target, float]] = {}
    for index in indexes:
        for label in labels:
            for t, s in index.nearest(_name(label)):
                if s > best.get(t.iri, (t, -1.0))[1]:
                    best[t.iri] = (t, s)
    return sorted(best.values(), key=lambda x: (-x[1], str(x[0].iri)))
