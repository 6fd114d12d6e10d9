"""Activities a document lists → O*NET task statements (overviews often quote O*NET's)."""

from __future__ import annotations

from collections import defaultdict

from rdflib import URIRef
from rdflib.namespace import SKOS

from competency_kg.linking.index import Index, Target
from competency_kg.linking.model import Link, LinkReport, Sources
from competency_kg.linking.text import char_ratio, dice

#: An activity whose content words (Dice) and characters are at least this near a task's is
#: nearly word for word: a close match.
NEARLY = 0.8


def link_activities(src: Sources, report: LinkReport) -> None:
    """Word for word (exact; a task of the occupation the activity's occupation is linked to
    first), nearly word for word (close)."""
    if not src.onet:
        return
    seeds = src.rows(
        src.seed,
        "?a a ckg:Activity ; skos:prefLabel ?l . FILTER NOT EXISTS { ?a a ckg:Task } "
        "OPTIONAL { ?o ckg:activityList/ckg:activity ?a }",
    )
    tasks = src.rows(
        src.onet,
        "?t a ckg:Task ; skos:prefLabel ?l ; skos:notation ?id . "
        "?o ckg:task ?t ; skos:notation ?code",
    )
    index = Index(
        Target(r["t"], str(r["l"]), f"O*NET task {r['id']} of {r['code']}") for r in tasks
    )
    occupation_of = {r["t"]: r["o"] for r in tasks}
    counterparts: dict[URIRef, set[URIRef]] = defaultdict(set)  # document occupation → O*NET's
    for k in report.links:
        if k.method in ("code", "exact title", "alternate title"):
            counterparts[k.subject].add(k.target)
    for o in report.same:
        counterparts[o].add(o)
    names: dict[URIRef, tuple[str, URIRef | None]] = {}
    for r in seeds:
        names.setdefault(r["a"], (str(r["l"]), r.get("o")))
    for a, (text, occ) in sorted(names.items()):
        report.look("activities", a, text)
        same = index.same_key(text)
        own = [t for t in same if occupation_of.get(t.iri) in counterparts.get(occ, set())]
        for t in own or same:
            exact = bool(own) or len(same) == 1
            where = "a task of the occupation it is linked to" if own else t.description
            report.links.append(
                Link(
                    a,
                    SKOS.exactMatch if exact else SKOS.closeMatch,
                    t.iri,
                    "word for word",
                    f"the activity is, word for word, {t.description} ({where})",
                    0.95 if exact else 0.8,
                    1.0,
                    (text, t.label),
                )
            )
        if same:
            continue
        near = [
            (t, s)
            for t, s in index.nearest(text, n=10, least=NEARLY)
            if dice(text, t.label) >= NEARLY and char_ratio(text, t.label) >= NEARLY
        ]
        for t, s in near:
            report.links.append(
                Link(
                    a,
                    SKOS.closeMatch,
                    t.iri,
                    "nearly word for word",
                    f"the activity is nearly word for word {t.description} (score {s:.2f})",
                    0.7,
                    round(s, 3),
                    (text, t.label),
                )
            )
        if not near:
            report.propose(a, index.nearest(text))
