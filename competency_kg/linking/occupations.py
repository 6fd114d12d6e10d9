"""Occupations: the same O*NET-SOC code, an O*NET title, an alternate title, a near-miss title."""

from __future__ import annotations

from collections import defaultdict

from rdflib import Literal, URIRef
from rdflib.namespace import SKOS

from competency_kg.linking.index import Index, Target
from competency_kg.linking.model import Link, LinkReport, Sources, in_order, values
from competency_kg.linking.text import key
from competency_kg.namespaces import sparql_prefixes


def link_occupations(src: Sources, report: LinkReport) -> None:
    """Code (same resource), exact title (exact), alternate title or near-miss title (close)."""
    if not src.onet:
        return
    seeds = src.rows(
        src.seed,
        "?o a ckg:Occupation . OPTIONAL { ?o skos:notation ?code } "
        "OPTIONAL { ?o skos:prefLabel ?title }",
    )
    onet = src.rows(src.onet, "?o a ckg:Occupation ; skos:notation ?code ; skos:prefLabel ?t")
    by_code = {str(r["code"]): r["o"] for r in onet}
    titled: dict[str, dict[URIRef, str]] = defaultdict(dict)
    for r in onet:
        titled[key(str(r["t"]))][r["o"]] = str(r["code"])
    index = Index(Target(r["o"], str(r["t"]), f"O*NET occupation {r['code']}") for r in onet)
    done: set[URIRef] = set()
    for r in seeds:
        o = r["o"]
        if o in done:
            continue
        done.add(o)
        code, title = str(r.get("code", "")), str(r.get("title", ""))
        report.look("occupations", o, title or str(o))
        if code and code in by_code:
            target = by_code[code]
            if target == o:
                report.same[o] = f"O*NET-SOC code {code}: the same resource in both sources"
            else:
                report.links.append(
                    Link(
                        o,
                        SKOS.exactMatch,
                        target,
                        "code",
                        f"both have the O*NET-SOC code {code}",
                        1.0,
                        labels=(code, code),
                    )
                )
            continue
        exact = list(titled.get(key(title), {}).items()) if title else []
        if len(exact) == 1:
            target, tcode = exact[0]
            report.links.append(
                Link(
                    o,
                    SKOS.exactMatch,
                    target,
                    "exact title",
                    f"the title '{title}' is the title of O*NET occupation {tcode}",
                    0.95,
                    labels=(title, title),
                )
            )
            continue
        alternates = (
            in_order(
                src.store.select(
                    sparql_prefixes()
                    + f"SELECT DISTINCT ?occ ?code ?l WHERE {{ {values(src.onet)} GRAPH ?g {{ "
                    "?occ ckg:alternateTitle ?jt ; skos:notation ?code . ?jt skos:prefLabel ?l . "
                    "FILTER(LCASE(STR(?l)) = ?needle) } }",
                    {"needle": Literal(title.lower())},
                )
            )
            if title
            else []
        )
        for a in alternates:
            report.links.append(
                Link(
                    o,
                    SKOS.closeMatch,
                    a["occ"],
                    "alternate title",  # type: ignore[arg-type]
                    f"'{title}' is an alternate title of O*NET occupation {a['code']}",
                    0.8,
                    labels=(title, str(a["l"])),
                )
            )
        if alternates or not title:
            continue
        for t, ratio in index.near_misses(title):
            report.links.append(
                Link(
                    o,
                    SKOS.closeMatch,
                    t.iri,
                    "near-miss name",
                    f"'{title}' is a near miss of the title of {t.description} '{t.label}'",
                    0.75,
                    round(ratio, 3),
                    (title, t.label),
                )
            )
        if not any(k.subject == o for k in report.links):
            report.propose(o, index.nearest(title))
