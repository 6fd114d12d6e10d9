"""O*NET's data on an occupation as a profile section: tasks, technologies and tools, titles,
related occupations and the top ratings per Content Model branch."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from competency_kg.names import local_name
from competency_kg.web.describe import Description
from competency_kg.web.pages.builder import Builder
from competency_kg.web.pages.charts import RATINGS_CHARTED, rating_chart
from competency_kg.web.pages.model import FIRST_VALUES, More
from competency_kg.web.pages.names import ckg, display_label, first_text, skos
from competency_kg.web.terms import NOTATION, iri_value, number, text

#: Content Model branches shown as the occupation's top skills and knowledge.
RATING_BRANCHES = (
    ("Skills", ("2.A.", "2.B.")),
    ("Knowledge", ("2.C.",)),
    ("Abilities", ("1.A.",)),
    ("Work activities", ("4.A.",)),
)


def onet_section(d: Description, occ: str, b: Builder) -> dict[str, Any]:
    """O*NET's data on an occupation: tasks, technologies, tools, top ratings, titles. A list
    shows its first :data:`~.model.FIRST_VALUES` values (an occupation names up to ~300
    technologies and ~100 titles: most of a 200 KB page), with their number and links to the
    pages of all the values of the properties it shows (``{occupation}?property=…``)."""
    out: dict[str, Any] = {
        "href": b.site.href(iri_value(occ)),
        "title": display_label(d, occ, b.vocab),
    }
    tasks = []
    for t in d.values(ckg("task"), occ):
        tt = d.fact(ckg("taskType"), t)
        tasks.append(
            {
                "text": first_text(d, skos("prefLabel"), t) or display_label(d, t, b.vocab),
                "type": display_label(d, tt, b.vocab) if tt else None,
                "core": tt == ckg("CoreTask"),
                "href": b.site.href(iri_value(t)),
                "sources": b.cite(d.sources_of((occ, ckg("task"), t))),
            }
        )
    tasks.sort(key=lambda x: (not x["core"], x["text"]))
    out["tasks"] = tasks[:FIRST_VALUES]
    out["tasks_more"] = _more(d, occ, b, len(out["tasks"]), len(tasks), "task")
    out.update(_named_lists(d, occ, b))
    zone = d.fact(ckg("inJobZone"), occ)
    out["job_zone"] = b.link(d, zone) if zone else None
    ratings: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in d.values(ckg("rating"), occ):
        el = d.fact(ckg("element"), r)
        if el is None:
            continue
        code = text(d.fact(NOTATION, el) or "") or local_name(iri_value(el))
        importance = number(d.fact(ckg("importance"), r))
        level = number(d.fact(ckg("level"), r))
        for name, prefixes in RATING_BRANCHES:
            if code.startswith(prefixes):
                ratings[name].append(
                    {
                        "element": b.link(d, el),
                        "code": code,
                        "importance": importance,
                        "level": level,
                        "href": b.site.href(iri_value(r)),
                        "sources": b.cite(d.sources_of((occ, ckg("rating"), r))),
                    }
                )
    for items in ratings.values():
        items.sort(key=lambda x: (-(x["importance"] or 0), -(x["level"] or 0), x["element"].text))
    out["ratings"] = [(name, ratings[name]) for name, _ in RATING_BRANCHES if ratings.get(name)]
    out["charts"] = [
        (name, rating_chart(name, ratings[name][:RATINGS_CHARTED], ident=f"onet-{i}"))
        for i, (name, _) in enumerate(RATING_BRANCHES[:2])
        if ratings.get(name)
    ]
    return out


def _by_name(d: Description, b: Builder, terms: set[str]) -> list[str]:
    """``terms`` in the order of their names, as the page lists them (case aside)."""
    return sorted(terms, key=lambda n: display_label(d, n, b.vocab).lower())


def _more(d: Description, occ: str, b: Builder, shown: int, total: int, *props: str) -> More:
    """``shown`` of ``total`` values of ``occ``, all of them on the pages of ``props``'
    values (each named by the ontology's label, with its count)."""
    links = []
    for name in props:
        prop = ckg(name)
        n = len(set(d.values(prop, occ)))
        if n:
            piri = iri_value(prop)
            links.append(
                (f"{b.vocab.label(piri)} ({n:,})", b.site.values_path(iri_value(occ), piri))
            )
    return More(shown, total, links)


def _named_lists(d: Description, occ: str, b: Builder) -> dict[str, Any]:
    """Technologies (hot ones first), tools, titles and related occupations, by name: the
    first of each, and how many (:class:`~.model.More`)."""
    out: dict[str, Any] = {}
    hot = set(d.values(ckg("hotTechnology"), occ))
    techs = sorted(
        set(d.values(ckg("usesTechnology"), occ)) | hot,
        key=lambda n: (n not in hot, display_label(d, n, b.vocab).lower()),
    )
    out["technologies"] = [
        {"value": b.link(d, n, d.sources_of((occ, ckg("usesTechnology"), n))), "hot": n in hot}
        for n in techs[:FIRST_VALUES]
    ]
    out["technologies_more"] = _more(
        d, occ, b, len(out["technologies"]), len(techs), "usesTechnology", "hotTechnology"
    )
    out["hot_count"] = len(hot)
    equipment = _by_name(d, b, set(d.values(ckg("usesEquipment"), occ)))
    out["equipment"] = [
        b.link(d, n, d.sources_of((occ, ckg("usesEquipment"), n))) for n in equipment[:FIRST_VALUES]
    ]
    out["equipment_more"] = _more(d, occ, b, len(out["equipment"]), len(equipment), "usesEquipment")
    titles = _by_name(
        d, b, set(d.values(ckg("alternateTitle"), occ)) | set(d.values(ckg("reportedTitle"), occ))
    )
    out["titles"] = [b.link(d, n) for n in titles[:FIRST_VALUES]]
    out["titles_more"] = _more(
        d, occ, b, len(out["titles"]), len(titles), "alternateTitle", "reportedTitle"
    )
    out["title_names"] = [display_label(d, n, b.vocab) for n in titles]  # all: for JSON-LD
    related = sorted(
        set(d.values(ckg("relatedOccupation"), occ)), key=lambda n: display_label(d, n, b.vocab)
    )
    out["related"] = [b.link(d, n) for n in related[:FIRST_VALUES]]
    out["related_more"] = _more(d, occ, b, len(out["related"]), len(related), "relatedOccupation")
    return out
