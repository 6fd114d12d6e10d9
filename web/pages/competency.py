"""A competency's (or O*NET element's) profile: who requires it and at which level, the lists
and scenarios it is in, its links across sources and the occupations O*NET rates highest on it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from competency_kg.namespaces import CKG, sparql_prefixes
from competency_kg.web.describe import Description, inverse_type_counts, summarize
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

    A table shows its first :data:`~.model.FIRST_VALUES` rows, with their number and a link
    to all of them: the links to the competency by the property that makes the rows
    (``ckg:competency``, ``ckg:exercises``), paged. The store orders the rows and cuts them
    (``ORDER BY`` … ``LIMIT``); the numbers are the counts of those links
    (:func:`~competency_kg.web.describe.inverse_type_counts`), the ones the pages linked to
    list; and the rows shown are named in one read. Before, every row was read (up to 500),
    sorted here and named in five reads, and a count past 500 rows was 500."""
    c = d.term
    prof: dict[str, Any] = {}
    kind = d.fact(ckg("competencyKind"))
    prof["kind"] = display_label(d, kind, b.vocab) if kind else None
    prof["alt_labels"] = sorted({literal(v).value for v in d.values(skos("altLabel"))})
    prof["broader"] = [b.link(d, n) for n in sorted_nodes(d, skos("broader"))]
    prof["element"] = d.has_type(str(CKG.ContentModelElement))
    # O*NET ratings of this element, or of the elements it matches
    elements = [c] if prof["element"] else []
    elements += [o for o in d.values(skos("exactMatch")) if "/onet/element/" in o]
    links = link_annotations(reader, c)
    required = _required_rows(reader, d)
    listed = _list_rows(reader, d)
    scenarios = _scenario_rows(reader, d)
    rated = _rating_rows(reader, elements) if elements else None
    names = _summaries(
        reader,
        d,
        [
            *(r["other"] for r in links if is_iri(r.get("other", ""))),
            *(r[k] for r in required for k in ("occ", "level") if k in r),
            *(r[k] for r in listed for k in ("occ", "list") if k in r),
            *(r[k] for r in scenarios for k in ("occ", "sc")),
            *([x["occ"] for x in rated[1]] + elements if rated else ()),
        ],
    )
    prof["links"] = _cross_links(names, links, b)
    counts = inverse_type_counts(reader, d, ckg("competency"))
    prof["required_by"] = [
        {
            "occupation": b.link(names, r["occ"]),
            "level": display_label(names, r["level"], b.vocab) if "level" in r else None,
            "wording": text(r["wording"]) if "wording" in r else None,
        }
        for r in required[:FIRST_VALUES]
    ]
    prof["required_by_more"] = _more(
        b,
        d,
        len(prof["required_by"]),
        counts.get(ckg("CompetencyRequirement"), 0),
        "competency",
        "requirements",
    )
    prof["in_lists"] = _in_lists(names, listed, b)
    prof["in_lists_more"] = _more(
        b,
        d,
        len(prof["in_lists"]),
        counts.get(ckg("ListEntry"), 0),
        "competency",
        "list entries",
    )
    prof["scenarios"] = [
        {"occupation": b.link(names, r["occ"]), "scenario": b.link(names, r["sc"])}
        for r in scenarios
    ]
    prof["scenarios_more"] = _more(
        b,
        d,
        len(scenarios),
        d.inverse_counts.get(ckg("exercises"), 0),
        "exercises",
        "scenarios",
    )
    prof["ratings"] = element_ratings(names, b, elements, rated) if rated else None
    return prof


def _cross_links(d: Description, rows: list[dict[str, Any]], b: Builder) -> list[dict[str, Any]]:
    """Links to and from other sources (``rows``: :func:`link_annotations`), with how they
    were found; then the matches the description states that no annotation explains."""
    links = [
        {
            "direction": r["dir"],
            "prop": b.vocab.label(iri_value(r["prop"]))
            if r["dir"] == "out"
            else b.vocab.inverse_label(iri_value(r["prop"])),
            "other": b.link(d, r["other"]),
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


def _name(var: str) -> tuple[str, str]:
    """How the store orders ``?var`` by name, as pages name an occupation: the pattern
    reading its English (or untagged) ``skos:prefLabel``, and the expression of the name
    (the least such label; the IRI when it has none), ``?name``."""
    label = f"?{var}_label"
    pattern = (
        f"OPTIONAL {{ ?{var} skos:prefLabel {label} "
        f"FILTER(LANG({label}) = '' || LANGMATCHES(LANG({label}), 'en')) }}"
    )
    return pattern, f"(COALESCE(MIN(STR({label})), STR(?{var})) AS ?name)"


def _required_rows(reader: Reader, d: Description) -> list[dict[str, str]]:
    """The first requirements of the competency by the name of their occupation (then its
    IRI, then theirs), with the level and the source's wording."""
    named, name = _name("occ")
    return reader.select(
        PFX + "SELECT ?occ ?level ?wording ?name WHERE { "
        f"{{ SELECT ?req ?occ {name} WHERE {{ ?req ckg:competency {d.term} ; "
        f"a ckg:CompetencyRequirement ; ckg:forOccupation ?occ . {named} }} "
        f"GROUP BY ?req ?occ ORDER BY ?name ?occ ?req LIMIT {FIRST_VALUES} }} "
        "OPTIONAL { ?req ckg:requiredLevel ?level } OPTIONAL { ?req ckg:sourceWording ?wording } "
        "} ORDER BY ?name ?occ ?req"
    )


def _more(b: Builder, d: Description, shown: int, total: int, prop: str, what: str) -> More:
    """``shown`` of ``total`` rows, all of them among the links to ``d`` by ``ckg:{prop}``."""
    href = b.site.values_path(d.iri, iri_value(ckg(prop)), inverse=True)
    return More(shown, total, [(f"the {what} among the links to it by ckg:{prop}", href)])


def _list_rows(reader: Reader, d: Description) -> list[dict[str, str]]:
    """The entries of the competency in the prioritized lists of the first occupations by
    name (then IRI), each row with its occupation's ``name``: every row of those
    occupations, so the first rows in the page's order (occupation, list, rank) are among
    them whatever the lists are named.

    The store orders the rows by occupation and reads one past the first
    :data:`~.model.FIRST_VALUES`: when that one is of the last occupation read, that
    occupation's other rows are read too (its lists are ordered by name here). The entry
    pattern is in each branch: Oxigraph evaluates a UNION's branches on their own, and one
    without it scans every list entry of the store."""
    entry = f"?e ckg:competency {d.term} ; a ckg:ListEntry ."
    named, name = _name("occ")

    def read(where: str, limit: str) -> list[dict[str, str]]:
        return reader.select(
            PFX + f"SELECT ?occ ?list ?rank ?unplaced {name} WHERE {{ "
            f"{{ {where} {entry} ?list ckg:entry ?e ; ckg:forOccupation ?occ . "
            "OPTIONAL { ?e schema:position ?rank } } "
            f"UNION {{ {where} {entry} ?occ ckg:unplacedEntry ?e . BIND(true AS ?unplaced) }} "
            f"{named} }} GROUP BY ?e ?occ ?list ?rank ?unplaced {limit}"
        )

    rows = read("", f"ORDER BY ?name ?occ LIMIT {FIRST_VALUES + 1}")
    if len(rows) > FIRST_VALUES and rows[-1]["occ"] == rows[-2]["occ"]:
        last = rows[-1]["occ"]
        rows = [r for r in rows if r["occ"] != last] + read(values("occ", [last]), "")
    return rows


def _in_lists(d: Description, rows: list[dict[str, str]], b: Builder) -> list[dict[str, Any]]:
    """The first lists it is in (``rows``: :func:`_list_rows`), with its rank (or unplaced),
    by occupation, list and rank."""
    keyed = [
        (
            (
                text(r["name"]),
                r["occ"],
                display_label(d, r["list"], b.vocab) if "list" in r else "",
                int(number(r["rank"]) or 0) if "rank" in r else 0,
            ),
            r,
        )
        for r in rows
    ]
    keyed.sort(key=lambda x: x[0])
    return [
        {
            "occupation": b.link(d, r["occ"]),
            "list": key[2] if "list" in r else None,
            "list_href": b.site.href(iri_value(r["list"])) if "list" in r else None,
            "rank": key[3] if "rank" in r else None,
            "unplaced": "unplaced" in r,
        }
        for key, r in keyed[:FIRST_VALUES]
    ]


def _scenario_rows(reader: Reader, d: Description) -> list[dict[str, str]]:
    """The first work scenarios exercising it (in the store's order), with their
    occupations."""
    return reader.select(
        PFX + f"SELECT ?occ ?sc WHERE {{ ?sc ckg:exercises {d.term} ; ckg:forOccupation ?occ . }} "
        f"LIMIT {FIRST_VALUES}"
    )


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


def _rating_rows(reader: Reader, elements: list[str]) -> tuple[int, list[dict[str, Any]]]:
    """How many occupations O*NET rates on these elements, and the :data:`TOP_RATED` rated
    highest: each by its rating of highest importance (the highest level among those), most
    important first, then by level, then IRI. One query: the store counts them, ranks the
    ratings and cuts them (an element is rated for up to ~900 occupations). An occupation
    has one rating per element (``{occupation}/rating/{element}``), so the first
    ``TOP_RATED × elements`` ratings hold the best of the first :data:`TOP_RATED`
    occupations (a query grouping them by occupation first took a third longer)."""
    rating = (
        f"{values('el', elements)} ?r ckg:element ?el ; ckg:forOccupation ?occ . "
        "OPTIONAL { ?r ckg:importance ?im } OPTIONAL { ?r ckg:level ?lv } "
    )
    rows = reader.select(
        PFX + "SELECT ?n ?occ ?im ?lv WHERE { "
        f"{{ SELECT (COUNT(DISTINCT ?occ) AS ?n) WHERE {{ {rating} }} }} UNION "
        f"{{ SELECT ?occ ?im ?lv WHERE {{ {rating} }} "
        "ORDER BY DESC(COALESCE(?im, -1)) DESC(COALESCE(?lv, -1)) ?occ "
        f"LIMIT {TOP_RATED * len(elements)} }} }}"
    )
    count = next((int(number(r["n"]) or 0) for r in rows if "n" in r), 0)
    best: dict[str, dict[str, Any]] = {}
    for r in rows:
        if "occ" in r and r["occ"] not in best:
            best[r["occ"]] = {
                "occ": r["occ"],
                "importance": number(r.get("im")),
                "level": number(r.get("lv")),
            }
    top = sorted(
        best.values(), key=lambda x: (-(x["importance"] or 0), -(x["level"] or 0), x["occ"])
    )
    return count, top[:TOP_RATED]


def element_ratings(
    d: Description, b: Builder, elements: list[str], rated: tuple[int, list[dict[str, Any]]]
) -> dict[str, Any]:
    """The occupations O*NET rates on these elements, most important first (``rated``:
    :func:`_rating_rows`; ``d`` names them)."""
    count, top = rated
    rows_out = [
        {
            "occupation": b.link(d, x["occ"]),
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
        "count": count,
        "elements": [b.link(d, e) for e in elements],
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
