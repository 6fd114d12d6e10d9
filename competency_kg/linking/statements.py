"""Framework statements → what they are about (``ckg:about``).

A statement's topic ("Critical thinking — apply deductive reasoning …") names a competency, a
tool or an O*NET technology commodity; its action text may name a tool ("… using ticketing
systems …"). Topics are matched by name (:mod:`competency_kg.linking.text`), mentions as whole
normalised word sequences of names that are not one common word (several content words, or an
acronym).
"""

from __future__ import annotations

from rdflib import URIRef

from competency_kg.linking.index import Index, Target
from competency_kg.linking.model import Link, LinkReport, Sources
from competency_kg.linking.text import content_key, words
from competency_kg.namespaces import CKG


def link_statements(src: Sources, report: LinkReport) -> None:
    statements = src.rows(
        src.seed,
        "?s a ckg:CompetencyStatement ; ceasn:competencyLabel ?topic . "
        "OPTIONAL { ?s ckg:actionText ?action }",
    )
    if not statements:
        return
    competencies = Index(
        [
            Target(r["c"], str(r["l"]), "the competency")
            for r in src.rows(src.seed, "?c a ckg:Competency ; skos:prefLabel|skos:altLabel ?l")
        ]
        + [
            Target(r["c"], str(r["l"]), f"the O*NET element {r['n']}")
            for r in src.rows(
                src.onet, "?c a ckg:Competency ; skos:prefLabel ?l ; skos:notation ?n"
            )
        ]
    )
    tools = Index(
        [
            Target(r["t"], str(r["l"]), "the tool")
            for r in src.rows(src.seed, "?t a ckg:Tool ; skos:prefLabel ?l")
        ]
        + [
            Target(r["t"], str(r["l"]), "the O*NET technology")
            for r in src.rows(src.onet, "?t a ckg:Technology ; skos:prefLabel ?l")
        ]
        + [
            Target(r["c"], str(r["l"]), f"the UNSPSC commodity {r['code']}")
            for r in src.rows(
                src.onet,
                "?c a ckg:ProductCategory ; skos:prefLabel ?l ; "
                'skos:notation ?code ; ckg:classificationLevel "commodity"',
            )
        ]
    )
    mentionable = [
        t
        for t in tools.targets
        if t.description == "the tool" and (len(words(t.label)) > 1 or _acronym(t.label))
    ]
    texts: dict[URIRef, tuple[str, str]] = {}
    for r in statements:
        texts.setdefault(r["s"], (str(r["topic"]), str(r.get("action", ""))))
    for s, (topic, action) in sorted(texts.items()):
        report.look("statements", s, topic)
        found: list[Link] = []
        for t in competencies.same_key(topic):
            found.append(_about(s, topic, t, "topic names a competency", 0.9))
        if not found:
            for t, r in competencies.near_misses(topic):
                found.append(_about(s, topic, t, "topic is a near-miss name", 0.75, r))
        for t in tools.same_key(topic) or (tools.same_content(topic) if content_key(topic) else []):
            found.append(_about(s, topic, t, "topic names a tool", 0.85))
        said = " " + " ".join(words(action)) + " "
        for t in mentionable:
            if f" {' '.join(words(t.label))} " in said and all(k.target != t.iri for k in found):
                found.append(
                    Link(
                        s,
                        CKG.about,
                        t.iri,
                        "action text names a tool",
                        f"the action text '{action}' names {t.description} '{t.label}'",
                        0.7,
                        labels=(action, t.label),
                    )
                )
        report.links.extend(found)
        if not found:
            report.propose(
                s,
                sorted(
                    competencies.nearest(topic) + tools.nearest(topic),
                    key=lambda x: (-x[1], str(x[0].iri)),
                ),
            )


def _acronym(label: str) -> bool:
    return label.isupper() and 2 <= len(label) <= 6 and label.isalpha()


def _about(
    s: URIRef, topic: str, t: Target, method: str, confidence: float, ratio: float = 1.0
) -> Link:
    return Link(
        s,
        CKG.about,
        t.iri,
        method,
        f"the statement's topic '{topic}' names {t.description} '{t.label}'",
        confidence,
        round(ratio, 3),
        (topic, t.label),
    )
