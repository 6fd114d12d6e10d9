"""An occupation's profile: what it requires and at which level, its frameworks, prioritized
lists, scenarios, tools, matches in other sources and O*NET's data on it."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from rdflib import URIRef
from rdflib.namespace import DCTERMS, RDFS

from competency_kg.namespaces import CEASN, SCHEMA
from competency_kg.web.describe import Description, describe
from competency_kg.web.pages.builder import Builder
from competency_kg.web.pages.charts import requirement_chart
from competency_kg.web.pages.competency import link_annotations
from competency_kg.web.pages.model import Value
from competency_kg.web.pages.names import (
    MEASUREMENT,
    ckg,
    display_label,
    first_text,
    position_of,
    skos,
    sorted_nodes,
)
from competency_kg.web.pages.onet import onet_section
from competency_kg.web.reading import Reader
from competency_kg.web.sources import licence_name
from competency_kg.web.terms import NOTATION, POSITION, best_text, iri_value, number, text
from competency_kg.web.vocabulary import ontology_graph


def occupation_profile(reader: Reader, d: Description, b: Builder) -> dict[str, Any]:
    """An occupation's page, as a profile: what it requires, at which level, and why.

    The parts are built in the order the page cites its sources (footnotes are numbered as
    they are first cited), so the steps below keep that order.
    """
    prof = _headline(d, b)
    prof.update(_requirements(d, b))
    prof["frameworks"] = [_framework(d, b, fw) for fw in sorted_nodes(d, ckg("hasFramework"))]
    prof["lists"] = _lists(d, b)
    prof["unplaced"] = _unplaced(d, b, prof["lists"])
    prof["scenarios"] = _scenarios(d, b)
    prof["activities"] = [
        {
            "label": _label(d, b, al),
            "items": [
                _label(d, b, a)
                for a in sorted(d.values(ckg("activity"), al), key=lambda n: position_of(d, n))
            ],
        }
        for al in sorted_nodes(d, ckg("activityList"))
    ]
    prof["tools"] = _linked(d, b, ckg("usesTool"))
    prof["certifications"] = _linked(d, b, ckg("preferredCertification"))
    prof["job_titles"] = _linked(d, b, ckg("jobTitle"))
    prof["matches"] = _matches(reader, d, b)
    prof["onet"] = _onet(reader, d, b)
    return prof


def _label(d: Description, b: Builder, n: str | None) -> str:
    return display_label(d, n, b.vocab) if n else ""


def _headline(d: Description, b: Builder) -> dict[str, Any]:
    """Code, job zone, group, sector and the broader occupations."""
    occ = d.term
    return {
        "code": best_text(d.values(NOTATION)) if d.values(NOTATION) else None,
        "job_zone": first_text(d, ckg("jobZone")),
        "group": first_text(d, ckg("occupationGroup")),
        "sector": first_text(d, ckg("industrySector")),
        "broader": [
            b.link(d, n, d.sources_of((occ, skos("broader"), n)))
            for n in sorted_nodes(d, skos("broader"))
        ],
    }


def _requirements(d: Description, b: Builder) -> dict[str, Any]:
    """The competencies it requires, grouped by kind, with the level each is required at,
    and the chart of them."""
    kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for req in d.values(ckg("requires")):
        comp = d.fact(ckg("competency"), req)
        level = d.fact(ckg("requiredLevel"), req)
        kind = d.fact(ckg("competencyKind"), comp) if comp else None
        kinds[_label(d, b, kind) if kind else "kind not stated"].append(
            {
                "competency": b.link(d, comp, d.sources_of((req, ckg("competency"), comp)))
                if comp
                else None,
                "level": _label(d, b, level) if level else None,
                "level_pos": position_of(d, level) if level else 0,
                "wording": first_text(d, ckg("sourceWording"), req),
                "node": b.site.href(iri_value(req)),
            }
        )
    for items in kinds.values():
        items.sort(
            key=lambda r: (
                -r["level_pos"] if r["level_pos"] < 1e9 else 1,
                r["competency"].text if r["competency"] else "",
            )
        )
    groups = sorted(kinds.items(), key=lambda kv: (kv[0] == "kind not stated", kv[0]))
    levels_all = sorted(
        {d.fact(ckg("requiredLevel"), r) for r in d.values(ckg("requires"))} - {None},
        key=lambda n: position_of(d, n),
    )
    return {
        "requirements": groups,
        "req_levels": [_label(d, b, n) for n in levels_all],
        "req_count": sum(len(items) for _, items in groups),
        "req_chart": requirement_chart(groups, levels_all, d, b.vocab),
        "req_chart_rows": sum(
            1 for _, items in groups for r in items if r["competency"] and r["level"]
        ),
    }


def _framework(d: Description, b: Builder, fw: str) -> dict[str, Any]:
    """A competency framework written for the occupation: its levels in order, each with its
    statements."""
    scale = d.fact(ckg("proficiencyScale"), fw)
    levels = sorted(
        set(d.facts(scale).get(skos("hasTopConcept"), [])) if scale else set(),
        key=lambda n: position_of(d, n),
    )
    statements: dict[str, list[str]] = defaultdict(list)
    for st in d.values(f"<{CEASN.hasTopChild}>", fw):
        statements[d.fact(ckg("atLevel"), st) or ""].append(st)
    for lv in statements:
        if lv and lv not in levels:
            levels.append(lv)
    return {
        "name": display_label(d, fw, b.vocab),
        "href": b.site.href(iri_value(fw)),
        "version": first_text(d, f"<{SCHEMA.version}>", fw),
        "description": first_text(d, f"<{CEASN.description}>", fw),
        "context": first_text(d, ckg("contextCovered"), fw),
        "attribution": first_text(d, f"<{DCTERMS.rights}>", fw),
        "references": [
            {
                "label": first_text(d, f"<{RDFS.label}>", r) or _label(d, b, r),
                "licence": [licence_name(text(x)) for x in d.values(f"<{DCTERMS.license}>", r)],
            }
            for r in sorted_nodes(d, ckg("sourceReference"), fw)
        ],
        "levels": [
            {
                "label": _label(d, b, lv),
                "statements": [
                    _statement(d, b, st)
                    for st in sorted(statements.get(lv, []), key=lambda n: position_of(d, n))
                ],
            }
            for lv in levels
        ],
    }


def _statement(d: Description, b: Builder, st: str) -> dict[str, Any]:
    """A framework statement: topic, action, text, and the sources of its text."""
    wording = f"<{CEASN.competencyText}>"
    return {
        "topic": first_text(d, f"<{CEASN.competencyLabel}>", st),
        "action": first_text(d, ckg("actionText"), st),
        "text": first_text(d, wording, st),
        "href": b.site.href(iri_value(st)),
        "sources": b.cite(d.sources_of((st, wording, d.value(wording, st) or ""))),
    }


def _lists(d: Description, b: Builder) -> list[dict[str, Any]]:
    """The prioritized lists, entries in rank order, empty ranks shown as such."""
    lists = []
    for lst in d.values(ckg("prioritizedList")):
        lt = d.fact(ckg("listType"), lst)
        kind = d.fact(ckg("competencyKind"), lst)
        entries = []
        for e in d.values(ckg("entry"), lst):
            rank = number(d.value(POSITION, e))
            comp = d.fact(ckg("competency"), e)
            stated = d.fact(ckg("statedLevel"), e)
            entries.append(
                {
                    "rank": int(rank) if rank is not None else None,
                    "competency": b.link(d, comp) if comp else None,
                    "stated": _label(d, b, stated) if stated else None,
                    "text": first_text(d, ckg("entryText"), e),
                    "href": b.site.href(iri_value(e)),
                    "sources": b.cite(d.sources_of((lst, ckg("entry"), e))),
                }
            )
        for r in d.values(ckg("emptyRank"), lst):
            n = number(r)
            entries.append(
                {"rank": int(n) if n is not None else None, "competency": None, "empty": True}
            )
        entries.sort(key=lambda e: (e["rank"] is None, e["rank"] or 0))
        lt_term = b.vocab.term(iri_value(lt)) if lt else None
        lists.append(
            {
                "label": first_text(d, f"<{RDFS.label}>", lst) or _label(d, b, lt),
                "type": (lt_term.pref or lt_term.label)
                if lt_term
                else (_label(d, b, lt) if lt else None),
                "type_pos": _vocab_position(lt),
                "kind": _label(d, b, kind) if kind else "",
                "href": b.site.href(iri_value(lst)),
                "entries": entries,
                "term": lst,
            }
        )
    lists.sort(key=lambda x: (x["kind"], x["type_pos"], x["label"]))
    return lists


def _unplaced(d: Description, b: Builder, lists: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries a source could not place in a list, with the candidate lists, and where a
    curator's correction placed the competency since."""
    list_labels = {x["term"]: x["type"] or x["label"] for x in lists}
    unplaced = []
    curated = {g for g, src in b.sources.items() if src.kind == "curation"}
    for e in d.values(ckg("unplacedEntry")):
        comp = d.fact(ckg("competency"), e)
        stated = d.fact(ckg("statedLevel"), e)
        kind = d.fact(ckg("competencyKind"), e)
        # a curator's correction may have placed the competency in one of the candidates
        placed = sorted(
            list_labels.get(lst, _label(d, b, lst))
            for lst in d.values(ckg("candidateList"), e)
            for other in d.values(ckg("entry"), lst)
            if comp
            and d.fact(ckg("competency"), other) == comp
            and {iri_value(g) for g in d.sources_of((lst, ckg("entry"), other))} & curated
        )
        unplaced.append(
            {
                "placed": placed,
                "competency": b.link(d, comp) if comp else None,
                "kind": _label(d, b, kind) if kind else "",
                "stated": _label(d, b, stated) if stated else None,
                "text": first_text(d, ckg("entryText"), e),
                "candidates": sorted(
                    list_labels.get(c, _label(d, b, c)) for c in d.values(ckg("candidateList"), e)
                ),
                "href": b.site.href(iri_value(e)),
                "sources": b.cite(d.sources_of((d.term, ckg("unplacedEntry"), e))),
                "line": _line(first_text(d, ckg("sourceLocation"), e)),
            }
        )
    unplaced.sort(key=lambda u: (u["kind"], u["line"]))
    return unplaced


def _scenarios(d: Description, b: Builder) -> list[dict[str, Any]]:
    """Work scenarios with the competencies they exercise (at a stated level, if any)."""
    scenarios = []
    for sc in sorted(d.values(ckg("scenario")), key=lambda n: position_of(d, n)):
        exercises = []
        for ex in sorted(d.values(ckg("exercise"), sc), key=lambda n: position_of(d, n)):
            comp = d.fact(ckg("competency"), ex)
            stated = d.fact(ckg("statedLevel"), ex)
            exercises.append(
                {
                    "competency": b.link(d, comp) if comp else None,
                    "stated": _label(d, b, stated) if stated else None,
                }
            )
        if not exercises:
            exercises = [
                {"competency": b.link(d, c), "stated": None}
                for c in sorted_nodes(d, ckg("exercises"), sc)
            ]
        scenarios.append(
            {
                "title": _label(d, b, sc),
                "href": b.site.href(iri_value(sc)),
                "narrative": first_text(d, ckg("narrative"), sc),
                "exercises": exercises,
                "sources": b.cite(d.sources_of((d.term, ckg("scenario"), sc))),
            }
        )
    return scenarios


def _linked(d: Description, b: Builder, prop: str) -> list[Value]:
    """The occupation's values of ``prop`` as links, by name."""
    return sorted(
        (b.link(d, n, d.sources_of((d.term, prop, n))) for n in set(d.values(prop))),
        key=lambda v: v.text.lower(),
    )


def _matches(reader: Reader, d: Description, b: Builder) -> list[dict[str, Any]]:
    """Its exact and close matches in other sources (with how each link was found), then the
    resources that match it."""
    occ = d.term
    how = {(r["prop"], r["other"]): r for r in link_annotations(reader, occ) if r["dir"] == "out"}
    matches = [
        {
            "prop": "exact match" if p == skos("exactMatch") else "close match",
            "value": b.link(d, o, d.sources_of((occ, p, o))),
            "method": how.get((p, o), {}).get("method"),
            "evidence": how.get((p, o), {}).get("evidence"),
        }
        for p in (skos("exactMatch"), skos("closeMatch"))
        for o in d.values(p)
    ]
    matches += [
        {
            "prop": b.vocab.inverse_label(iri_value(p)),
            "value": b.link(d, s, gs),
            "method": None,
            "evidence": None,
        }
        for (s, p), gs in d.inverse.items()
        if p in (skos("exactMatch"), skos("closeMatch"))
    ]
    return matches


def _onet(reader: Reader, d: Description, b: Builder) -> dict[str, Any] | None:
    """O*NET's section: this very resource, or the O*NET occupation it is an exact match of."""
    if d.values(ckg("rating")) or d.values(ckg("task")) or d.values(ckg("usesTechnology")):
        return onet_section(d, d.term, b)
    for target in d.values(skos("exactMatch")):
        try:
            td = describe(reader, iri_value(target), skip_predicates=(MEASUREMENT,), inverse=False)
        except Exception:
            continue
        if td.values(ckg("rating")) or td.values(ckg("task")):
            onet = onet_section(td, td.term, b)
            onet["via"] = b.link(d, target)
            return onet
    return None


def _line(where: str | None) -> int:
    m = re.search(r"\d+", where or "")
    return int(m.group()) if m else 0


def _vocab_position(term: str | None) -> float:
    if term is None:
        return 1e9
    v = ontology_graph().value(URIRef(iri_value(term)), SCHEMA.position)
    try:
        return float(v) if v is not None else 1e9
    except ValueError:
        return 1e9
