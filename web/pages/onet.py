"""O*NET's data on an occupation as a profile section: tasks, technologies and tools, titles,
related occupations and the top ratings per Content Model branch."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from competency_kg.names import local_name
from competency_kg.web.describe import Description
from competency_kg.web.pages.builder import Builder
from competency_kg.web.pages.charts import RATINGS_CHARTED, rating_chart
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
    """O*NET's data on an occupation: tasks, technologies, tools, top ratings, titles."""
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
    out["tasks"] = tasks
    hot = set(d.values(ckg("hotTechnology"), occ))
    techs = [
        {"value": b.link(d, n, d.sources_of((occ, ckg("usesTechnology"), n))), "hot": n in hot}
        for n in set(d.values(ckg("usesTechnology"), occ)) | hot
    ]
    techs.sort(key=lambda x: (not x["hot"], x["value"].text.lower()))
    out["technologies"] = techs
    out["hot_count"] = len(hot)
    out["equipment"] = sorted(
        (
            b.link(d, n, d.sources_of((occ, ckg("usesEquipment"), n)))
            for n in set(d.values(ckg("usesEquipment"), occ))
        ),
        key=lambda v: v.text.lower(),
    )
    titles = set(d.values(ckg("alternateTitle"), occ)) | set(d.values(ckg("reportedTitle"), occ))
    out["titles"] = sorted((b.link(d, n) for n in titles), key=lambda v: v.text.lower())
    out["related"] = sorted(
        (b.link(d, n) for n in set(d.values(ckg("relatedOccupation"), occ))), key=lambda v: v.text
    )
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
