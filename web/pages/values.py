"""The page of every value of one property of a resource (``?property=``), where a resource
page's cut lists (:data:`~competency_kg.web.pages.model.FIRST_VALUES` values) link for the
rest: its values in the order the resource page lists them, or the links to it by the
property (``^``), the same pages of links as the RDF's, each named as the resource page
names it."""

from __future__ import annotations

from typing import Any

from competency_kg.web.describe import Description
from competency_kg.web.pages.builder import Builder
from competency_kg.web.pages.generic import inverse_groups
from competency_kg.web.pages.model import Value
from competency_kg.web.pages.names import (
    MAX_SKIPPED_NAMED,
    complete_labels,
    display_label,
    sort_key,
)
from competency_kg.web.pages.site import Site
from competency_kg.web.reading import Reader
from competency_kg.web.sources import Source
from competency_kg.web.terms import compact, iri_value


def values_view(
    reader: Reader,
    d: Description,
    site: Site,
    sources: dict[str, Source],
    prop: str,
    *,
    inverse: bool = False,
) -> dict[str, Any]:
    """What the page shows: the resource, the property, how many values, this page of them
    (``d.page``, :attr:`Description.page_size` a page; for ``inverse``, ``d`` holds that
    page of links already: :func:`~competency_kg.web.describe.describe`'s
    ``inverse_property``)."""
    b = Builder(site, sources)
    # named as the resource page names them (the order of its values depends on it)
    named = [*d.summary, d.term]
    if len(d.skipped) <= MAX_SKIPPED_NAMED:
        named += sorted(d.skipped)
    complete_labels(reader, d, named)
    piri = iri_value(prop)
    items: list[tuple[Value, Value | None]]
    if inverse:
        groups = [g for g in inverse_groups(d, b) if g.prop == prop]
        items = groups[0].items if groups else []
        total = d.inverse_counts.get(prop, 0)
        heading = b.vocab.inverse_label(piri)
    else:
        objects = sorted(set(d.values(prop)), key=lambda o: sort_key(d, o))
        total = len(objects)
        start = (d.page - 1) * d.page_size
        items = [
            (b.link(d, o, d.sources_of((d.term, prop, o))), None)
            for o in objects[start : start + d.page_size]
        ]
        heading = b.vocab.label(piri)
    first = (d.page - 1) * d.page_size + 1
    return {
        "title": display_label(d, d.term, b.vocab),
        "iri": d.iri,
        "href": site.doc_path(d.iri),
        "heading": heading,
        "inverse": inverse,
        "prop": piri,
        "prop_href": site.href(piri, known=False),
        "curie": compact(piri),
        "total": total,
        "entries": items,
        "first": first,
        "last": first + len(items) - 1,
        "page": d.page,
        "pages": max(1, -(-total // d.page_size)),
        "sources": sorted(b.used, key=lambda s: s.number),
    }
