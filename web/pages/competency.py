"""A competency's (or O*NET element's) profile: who requires it and at which level, the lists
and scenarios it is in, its links across sources and the occupations O*NET rates highest on it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from competency_kg.namespaces import CKG, sparql_prefixes
from competency_kg.web.describe import Description, summarize
from competency_kg.web.pages.builder import Builder
from competency_kg.web.pages.charts import ONET_SCALES
from competency_kg.web.pages.model import FIRST_VALUES, More
from competency_kg.web.pages.names import ckg, display_label, skos, sorted_nodes
from competency_kg.web.reading import Reader, values
from competency_kg.web.svg import Bar, bar_chart
from competency_kg.web.terms import iri_value, is_iri, literal, number, text

PFX = sparql_prefixes()


def competency_profile(reader: Reader, d: Description, b: Builder) -> dict[str, Any]:
    """Who requires the competency, at which level; lists, scenarios, O*NET ratings, links.

    The parts are built in the order the page cites its sources (footnotes are numbered as
    they are first cited). A table shows its first :data:`~.model.FIRST_VALUES` rows, with
    their number and a link to all of them: the links to the competency by the property
    that makes the rows (``ckg:competency``, ``ckg:exercises``), paged; only the rows shown
    are named (a competency in 303 lists read the summaries of 303 lists: 80 of its 200 ms)."""
    c = d.term
    prof: dict[str, Any] = {}
    kind = d.fact(ckg("competencyKind"))
    prof["kind"] = display_label(d, kind, b.vocab) if kind else None
    prof["alt_labels"] = sorted({literal(v).value for v in d.values(skos("altLabel"))})
    prof["broader"] = [b.link(d, n) for n in sorted_nodes(d, skos("broader"))]
    prof["links"] = _cross_links(reader, d, b)
    prof["required_by"], prof["required_by_more"] = _required_by(reader, d, b)
    prof["in_lists"], prof["in_lists_more"] = _in_lists(reader, d, b)
    prof["scenarios"], prof["scenarios_more"] = _scenarios(reader, d, b)
    # O*NET ratings of this element, or of the elements it matches
    prof["element"] = d.has_type(str(CKG.ContentModelElement))
    elements = [c] if prof["element"] else []
    elements += [o for o in d.values(skos("exactMatch")) if "/onet/element/" in o]
    prof["ratings"] = element_ratings(reader, d, b, elements) if elements else None
    return prof


def _cross_links(reader: Reader, d: Description, b: Builder) -> list[dict[str, Any]]:
    """Links to and from other sources, with how they were found; then the matches the
    description states that no annotation explains."""
    rows = link_annotations(reader, d.term)
    extra = _summaries(reader, d, [r["other"] for r in rows if is_iri(r.get("other", ""))])
    links = [
        {
            "direction": r["dir"],
            "prop": b.vocab.label(iri_value(r["prop"]))
            if r["dir"] == "out"
            else b.vocab.inverse_label(iri_value(r["prop"])),
            "other": b.link(extra, r["other"]),
            "method": r["method"],
            "evidence": r["evidence"],
        }
        for r in rows
    ]
    b_links = {r["other"] for r in rows}
    for p in (skos("exactMatch"), skos("closeMatch")):
        for o in d.values(p):
            if o not in b_links:
                links.append(
                    {
                        "direction": "out",
                        "prop": b.vocab.label(iri_value(p)),
                        "other": b.link(d, o),
                        "method": None,
                        "evidence": None,
                    }
                )
    return links


def _required_by(reader: Reader, d: Description, b: Builder) -> tuple[list[dict[str, Any]], More]:
    """The occupations requiring it (by name), with the level and the source's wording: the
    first ones, and how many."""
    rows = reader.select(
        PFX + "SELECT ?occ ?level ?wording WHERE { "
        f"?req ckg:competency {d.term} ; a ckg:CompetencyRequirement ; ckg:forOccupation ?occ . "
        "OPTIONAL { ?req ckg:requiredLevel ?level } OPTIONAL { ?req ckg:sourceWording ?wording } "
        "} LIMIT 500"
    )
    names = _summaries(reader, d, [r["occ"] for r in rows])  # occupations: hubs, kept
    rows.sort(key=lambda r: display_label(names, r["occ"], b.vocab))
    shown = rows[:FIRST_VALUES]
    extra = _summaries(reader, names, [r["level"] for r in shown if "level" in r])
    out = [
        {
            "occupation": b.link(extra, r["occ"]),
            "level": display_label(extra, r["level"], b.vocab) if "level" in r else None,
            "wording": text(r["wording"]) if "wording" in r else None,
        }
        for r in shown
    ]
    return out, _more(b, d, len(out), len(rows), "competency", "requirements")


def _more(b: Builder, d: Description, shown: int, total: int, prop: str, what: str) -> More:
    """``shown`` of ``total`` rows, all of them among the links to ``d`` by ``ckg:{prop}``."""
    href = b.site.values_path(d.iri, iri_value(ckg(prop)), inverse=True)
    return More(shown, total, [(f"the {what} among the links to it by ckg:{prop}", href)])


def _in_lists(reader: Reader, d: Description, b: Builder) -> tuple[list[dict[str, Any]], More]:
    """The prioritized lists it is in, with its rank (or unplaced), by occupation, list and
    rank: the first ones, and how many. Only the lists of the occupations shown are named.

    The entry pattern is in each branch: Oxigraph evaluates a UNION's branches on their own,
    and one without it scans every list entry of the store."""
    entry = f"?e ckg:competency {d.term} ; a ckg:ListEntry ."
    rows = reader.select(
        PFX + "SELECT ?occ ?list ?rank ?unplaced WHERE { "
        f"{{ {entry} ?list ckg:entry ?e ; ckg:forOccupation ?occ . "
        "OPTIONAL { ?e schema:position ?rank } } "
        f"UNION {{ {entry} ?occ ckg:unplacedEntry ?e . BIND(true AS ?unplaced) }} "
        "} LIMIT 500"
    )
    names = _summaries(reader, d, [r["occ"] for r in rows])  # occupations: hubs, kept
    by_name = sorted(
        ((display_label(names, r["occ"], b.vocab), r) for r in rows), key=lambda x: x[0]
    )
    # the rows up to the last occupation shown (with its ties): the first rows in the
    # full order (occupation, list, rank) are among them
    head = by_name
    if len(by_name) > FIRST_VALUES:
        last = by_name[FIRST_VALUES - 1][0]
        head = [x for x in by_name if x[0] <= last]
    extra = _summaries(reader, names, [r["list"] for _, r in head if "list" in r])
    out = sorted(
        (
            {
                "occupation": b.link(extra, r["occ"]),
                "list": display_label(extra, r["list"], b.vocab) if "list" in r else None,
                "list_href": b.site.href(iri_value(r["list"])) if "list" in r else None,
                "rank": int(number(r["rank"]) or 0) if "rank" in r else None,
                "unplaced": "unplaced" in r,
            }
            for _, r in head
        ),
        key=lambda x: (x["occupation"].text, x["list"] or "", x["rank"] or 0),
    )[:FIRST_VALUES]
    return out, _more(b, d, len(out), len(rows), "competency", "list entries")


def _scenarios(reader: Reader, d: Description, b: Builder) -> tuple[list[dict[str, Any]], More]:
    """The work scenarios exercising it, with their occupations: the first ones, and how
    many."""
    rows = reader.select(
        PFX + f"SELECT ?occ ?sc WHERE {{ ?sc ckg:exercises {d.term} ; ckg:forOccupation ?occ . }} "
        "LIMIT 500"
    )
    shown = rows[:FIRST_VALUES]
    extra = _summaries(reader, d, [r[k] for r in shown for k in ("occ", "sc")])
    out = [
        {"occupation": b.link(extra, r["occ"]), "scenario": b.link(extra, r["sc"])} for r in shown
    ]
    return out, _more(b, d, len(out), len(rows), "exercises", "scenarios")


def link_annotations(reader: Reader, term: str) -> list[dict[str, Any]]:
    """The links across sources from and to ``term``, with how each was found (owl:Axiom)."""
    rows = reader.select(
        PFX + "SELECT ?dir ?other ?prop ?method ?evidence WHERE { "
        f"{{ ?ax owl:annotatedSource {term} ; owl:annotatedTarget ?other . BIND('out' AS ?dir) }} "
        f"UNION {{ ?ax owl:annotatedTarget {term} ; owl:annotatedSource ?other . "
        "BIND('in' AS ?dir) } "
        "?ax owl:annotatedProperty ?prop . "
        "OPTIONAL { ?ax ckg:matchMethod ?method } OPTIONAL { ?ax ckg:evidence ?evidence } "
        "} LIMIT 200"
    )
    return [
        {
            "dir": text(r["dir"]),
            "other": r["other"],
            "prop": r["prop"],
            "method": text(r["method"]) if "method" in r else None,
            "evidence": text(r["evidence"]) if "evidence" in r else None,
        }
        for r in rows
        if "other" in r
    ]


#: How many occupations an element's page lists by importance.
TOP_RATED = 25


def element_ratings(
    reader: Reader, d: Description, b: Builder, elements: list[str]
) -> dict[str, Any]:
    """The occupations O*NET rates on these elements, most important first (bounded)."""
    rows = reader.select(
        f"SELECT ?el ?occ ?im ?lv WHERE {{ {values('el', elements)} ?r {ckg('element')} ?el ; "
        f"{ckg('forOccupation')} ?occ . OPTIONAL {{ ?r {ckg('importance')} ?im }} "
        f"OPTIONAL {{ ?r {ckg('level')} ?lv }} }}"
    )
    best: dict[str, dict[str, Any]] = {}
    for r in rows:
        occ = r["occ"]
        im, lv = number(r.get("im")), number(r.get("lv"))
        if occ not in best or (im or 0) > (best[occ]["importance"] or 0):
            best[occ] = {"occ": occ, "importance": im, "level": lv, "element": r["el"]}
    ranked = sorted(best.values(), key=lambda x: (-(x["importance"] or 0), -(x["level"] or 0)))
    top = ranked[:TOP_RATED]
    extra = _summaries(reader, d, [x["occ"] for x in top] + elements)
    rows_out = [
        {
            "occupation": b.link(extra, x["occ"]),
            "importance": x["importance"],
            "level": x["level"],
        }
        for x in top
    ]
    chart = None
    if any(r["importance"] is not None for r in rows_out):
        chart = bar_chart(
            [
                Bar(
                    label=r["occupation"].text,
                    value=r["importance"],
                    href=r["occupation"].href,
                    note=f"{r['importance']:.2f}" if r["importance"] is not None else None,
                    secondary=r["level"],
                )
                for r in rows_out
            ],
            ident="rated",
            title="Occupations where it matters most",
            description="O*NET importance (1 to 5, left panel) for the occupations rating it "
            "highest, and the level each needs (0 to 7, right panel), each on its own scale.",
            **ONET_SCALES,
        )
    return {
        "count": len(ranked),
        "elements": [b.link(extra, e) for e in elements],
        "top": rows_out,
        "chart": chart,
    }


def _summaries(reader: Reader, d: Description, terms: Iterable[str]) -> Description:
    """A description holding ``d`` plus the summaries (labels, types …) of ``terms``."""
    wanted = [t for t in dict.fromkeys(terms) if is_iri(t) and not d.facts(t)]
    out = Description(iri=d.iri, term=d.term)
    out.triples = d.triples
    out.nodes = d.nodes
    out.summary = dict(d.summary)
    out.summary.update(summarize(reader, wanted))
    return out
