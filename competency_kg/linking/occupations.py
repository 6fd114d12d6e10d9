"""Occupations: the same O*NET-SOC code, an O*NET title, an alternate title, a near-miss title."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rdflib import Literal, URIRef
from rdflib.namespace import SKOS

from competency_kg.linking.index import Index, Target
from competency_kg.linking.model import Link, LinkReport, Sources, in_order, values
from competency_kg.linking.text import key
from competency_kg.namespaces import sparql_prefixes


@dataclass
class _Onet:
    """O*NET's occupations: by code, by title key, and indexed for near misses."""

    by_code: dict[str, URIRef]
    titled: dict[str, dict[URIRef, str]]  # title key → occupation → code
    index: Index


def link_occupations(src: Sources, report: LinkReport) -> None:
    """Code (same resource), exact title (exact), alternate title or near-miss title (close):
    the first rule that finds something decides."""
    if not src.onet:
        return
    seeds = src.rows(
        src.seed,
        "?o a ckg:Occupation . OPTIONAL { ?o skos:notation ?code } "
        "OPTIONAL { ?o skos:prefLabel ?title }",
    )
    onet = _read_onet(src)
    done: set[URIRef] = set()
    for r in seeds:
        o = r["o"]
        if o in done:
            continue
        done.add(o)
        code, title = str(r.get("code", "")), str(r.get("title", ""))
        report.look("occupations", o, title or str(o))
        if code and code in onet.by_code:
            _by_code(o, code, onet.by_code[code], report)
            continue
        if not title:
            continue
        found = (
            _by_title(o, title, onet)
            or _by_alternate_title(src, o, title)
            or _by_near_miss(o, title, onet)
        )
        report.links.extend(found)
        if not found:
            report.propose(o, onet.index.nearest(title))


def _read_onet(src: Sources) -> _Onet:
    rows = src.rows(src.onet, "?o a ckg:Occupation ; skos:notation ?code ; skos:prefLabel ?t")
    titled: dict[str, dict[URIRef, str]] = defaultdict(dict)
    for r in rows:
        titled[key(str(r["t"]))][r["o"]] = str(r["code"])
    return _Onet(
        {str(r["code"]): r["o"] for r in rows},
        titled,
        Index(Target(r["o"], str(r["t"]), f"O*NET occupation {r['code']}") for r in rows),
    )


def _by_code(o: URIRef, code: str, target: URIRef, report: LinkReport) -> None:
    """The same O*NET-SOC code: the same resource (noted), or an exact match."""
    if target == o:
        report.same[o] = f"O*NET-SOC code {code}: the same resource in both sources"
        return
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


def _by_title(o: URIRef, title: str, onet: _Onet) -> list[Link]:
    """The title of exactly one O*NET occupation, once normalised."""
    exact = list(onet.titled.get(key(title), {}).items())
    if len(exact) != 1:
        return []
    target, tcode = exact[0]
    evidence = f"the title '{title}' is the title of O*NET occupation {tcode}"
    return [Link(o, SKOS.exactMatch, target, "exact title", evidence, 0.95, labels=(title, title))]


def _by_alternate_title(src: Sources, o: URIRef, title: str) -> list[Link]:
    """An alternate title O*NET gives an occupation (case aside)."""
    rows = in_order(
        src.store.select(
            sparql_prefixes()
            + f"SELECT DISTINCT ?occ ?code ?l WHERE {{ {values(src.onet)} GRAPH ?g {{ "
            "?occ ckg:alternateTitle ?jt ; skos:notation ?code . ?jt skos:prefLabel ?l . "
            "FILTER(LCASE(STR(?l)) = ?needle) } }",
            {"needle": Literal(title.lower())},
        )
    )
    return [
        Link(
            o,
            SKOS.closeMatch,
            a["occ"],  # type: ignore[arg-type]
            "alternate title",
            f"'{title}' is an alternate title of O*NET occupation {a['code']}",
            0.8,
            labels=(title, str(a["l"])),
        )
        for a in rows
    ]


def _by_near_miss(o: URIRef, title: str, onet: _Onet) -> list[Link]:
    """A near miss of an O*NET title (:data:`competency_kg.linking.index.NEAR_MISS`)."""
    return [
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
        for t, ratio in onet.index.near_misses(title)
    ]
