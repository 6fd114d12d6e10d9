"""Ways in: the home page and the class listings.

- ``/``: what the graph holds (its statements, instances per class, the sources with their
  quads, licences and attribution: the figures of :mod:`competency_kg.stats`), links to the
  class listings, example searches. The home page is also the dataset ``{base}``: an RDF
  client asking for it gets the VoID description.
- ``/class/{name}``: the instances of a class, paged (:data:`CLASS_PAGE_SIZE`), by label. Names
  are the ontology's classes in lower case with hyphens (``occupation``, ``competency``,
  ``content-model-element``), or any class as a prefixed name (``skos:Concept``) or, outside
  every prefix, by its whole IRI (``/class/https://example.org/v/Gadget``).

Occupations are listed as :mod:`~competency_kg.web.twins` groups them: one row per
occupation, however many sources describe it, naming the sources and linking each record.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from competency_kg.namespaces import CKG
from competency_kg.sparql.errors import QueryError
from competency_kg.web.describe import Description, summarize
from competency_kg.web.pages.names import complete_labels, display_label
from competency_kg.web.reading import Reader, memo
from competency_kg.web.resources import (
    HTML,
    BadFormat,
    choose,
    finish,
    not_found,
    page_number,
    plain,
    render,
    site,
    store_version,
    unavailable,
)
from competency_kg.web.sources import read_sources
from competency_kg.web.terms import DOC_PREFIXES, best_text, compact, iri_term, iri_value, is_iri
from competency_kg.web.twins import OCCUPATION, occupation_groups
from competency_kg.web.vocabulary import vocabulary
from competency_kg.web.vocabulary_pages import class_slug
from competency_kg.web.void import store_figures, void

bp = Blueprint("home", __name__)

CLASS_PAGE_SIZE = 50
#: A class with at most this many instances is listed in label order; a bigger one in the
#: store's own order (sorting millions of labels on every page would be too slow).
SORTED_UP_TO = 5000
#: Occupations the home page shows (in title order; the listing has them all).
FEATURED_OCCUPATIONS = 24
EXAMPLE_SEARCHES = ["network", "active listening", "SQL", "customer service", "15-1232"]
#: Classes the home page names first.
FEATURED = ["Occupation", "Competency", "ContentModelElement", "WorkActivity", "Technology", "Tool"]


def class_for_slug(name: str) -> str | None:
    if ":" in name:
        prefix, _, local = name.partition(":")
        ns = DOC_PREFIXES.get(prefix)
        if ns and local:
            return ns + local
        return name if _is_iri(name) else None  # a class outside every prefix, by its IRI
    for iri, term in vocabulary().terms.items():
        if term.kind == "class" and iri.startswith(str(CKG)) and class_slug(iri) == name:
            return iri
    return None


def _is_iri(text: str) -> bool:
    try:
        iri_term(text)
    except ValueError:
        return False
    return True


@bp.route("/", methods=["GET", "HEAD"])
def home() -> Response:
    try:
        mime = choose()
    except BadFormat as exc:
        return plain(400, str(exc))
    if mime is not None and mime != HTML:
        # The dataset itself: its description is the VoID document.
        return void()
    reader = Reader()
    s = site()
    version = store_version()
    try:
        figures = store_figures(reader, s.base, version)
        counts = figures.largest_classes()
        sources = memo("sources", version, s.base, lambda: read_sources(reader, s.base))
        occupations = occupation_groups(reader, s.base, version)
    except QueryError as exc:
        return unavailable(exc, True)
    vocab = vocabulary()
    classes = [
        {
            "iri": iri,
            "label": vocab.label(iri),
            "curie": compact(iri),
            "comment": vocab.comment(iri),
            "count": n,
            "href": f"/class/{class_slug(iri)}",
            # what the number counts, where records of one occupation are grouped
            "note": occupations.summary() if iri == OCCUPATION else None,
        }
        for iri, n in counts
    ]
    first = [c for name in FEATURED for c in classes if c["iri"] == str(CKG) + name]
    rest = [c for c in classes if c not in first]
    body = render(
        "home.html",
        featured_classes=first,
        other_classes=rest,
        sources=[x for x in sources.values() if x.kind != "other"],
        statements=figures.statements,
        quads=figures.graph_quads,
        examples=EXAMPLE_SEARCHES,
        occupations=[g.view(s) for g in occupations.groups[:FEATURED_OCCUPATIONS]],
        occupation_summary=occupations.summary(),
    )
    resp = Response(body, status=200, content_type="text/html; charset=utf-8")
    resp.vary.add("Accept")
    resp.headers["Link"] = '</.well-known/void>; rel="describedby"; type="text/turtle"'
    return finish(resp)


@bp.route("/class/<path:name>", methods=["GET", "HEAD"])
def class_listing(name: str) -> Response:
    cls = class_for_slug(name)
    if cls is None:
        return not_found(f"no class called {name!r}; see the home page for the classes", True)
    try:
        page = page_number()
    except BadFormat as exc:
        return plain(400, str(exc))
    reader = Reader()
    s = site()
    version = store_version()
    try:
        counts = store_figures(reader, s.base, version).classes
        total = counts.get(cls, 0)
        groups = occupation_groups(reader, s.base, version) if cls == OCCUPATION else None
        if groups is not None:  # one row per occupation, its records (twins) in it
            total = groups.distinct
        pages = max(1, -(-total // CLASS_PAGE_SIZE))
        if page > pages:
            return not_found(f"{compact(cls)} has {pages} page(s); there is no page {page}", True)
        if groups is not None:
            start = (page - 1) * CLASS_PAGE_SIZE
            items = [g.view(s) for g in groups.groups[start : start + CLASS_PAGE_SIZE]]
        elif total <= SORTED_UP_TO:
            everything = _sorted_members(reader, cls, version)
            start = (page - 1) * CLASS_PAGE_SIZE
            items = everything[start : start + CLASS_PAGE_SIZE]
        else:
            items = _members(reader, cls, page)
    except QueryError as exc:
        return unavailable(exc, True)
    vocab = vocabulary()
    for it in items:
        it.setdefault("href", s.href(it["iri"]))
    body = render(
        "class_list.html",
        cls={
            "iri": cls,
            "label": vocab.label(cls),
            "curie": compact(cls),
            "comment": vocab.comment(cls),
            "href": s.href(cls, known=False),
        },
        items=items,
        total=total,
        page=page,
        pages=pages,
        sorted_by_label=groups is not None or total <= SORTED_UP_TO,
        summary=groups.summary() if groups is not None else None,
        name=name,
    )
    resp = Response(body, status=200, content_type="text/html; charset=utf-8")
    return finish(resp)


def _sorted_members(reader: Reader, cls: str, version: str | None) -> list[dict[str, Any]]:
    """Every instance of a class of at most :data:`SORTED_UP_TO`, by label, once per store
    version: each page of its listing is a slice of it."""
    return memo("class-members", version, cls, lambda: _members(reader, cls, None))


def warm_listings(reader: Reader, base: str, version: str | None) -> int:
    """Read the members of every class listed in label order ahead (the warmer's step): the
    first fetch of a listing then slices a list instead of reading and sorting thousands of
    labels (0.5–3 s each on the whole O*NET release). How many classes were read."""
    counts = store_figures(reader, base, version).classes
    small = [c for c, n in sorted(counts.items(), key=lambda x: (-x[1], x[0])) if n <= SORTED_UP_TO]
    for cls in small:
        if cls != OCCUPATION:  # listed from the twin groups, read by every occupation page
            _sorted_members(reader, cls, version)
    occupation_groups(reader, base, version)
    return len(small)


def _members(reader: Reader, cls: str, page: int | None) -> list[dict[str, Any]]:
    """Instances with their labels and codes: all, sorted (``page`` None), or one page."""
    limit = "" if page is None else f"LIMIT {CLASS_PAGE_SIZE} OFFSET {(page - 1) * CLASS_PAGE_SIZE}"
    rows = reader.select(f"SELECT DISTINCT ?s WHERE {{ ?s a {iri_term(cls)} }} {limit}")
    members = [r["s"] for r in rows]
    iris = [m for m in members if is_iri(m)]
    # summaries (labels, codes, types), then what the label rules need for unlabelled ones
    d = Description(iri="", term="")
    d.summary = summarize(reader, iris)
    complete_labels(reader, d, iris)
    vocab = vocabulary()
    out = []
    for m in members:
        label = d.label(m)
        code = d.facts(m).get("<http://www.w3.org/2004/02/skos/core#notation>")
        out.append(
            {
                "iri": iri_value(m) if is_iri(m) else m,
                "label": label or display_label(d, m, vocab),
                "code": best_text(code) if code else None,
                "labelled": label is not None,
            }
        )
    if page is None:
        out.sort(key=lambda x: (not x["labelled"], x["label"].lower(), x["iri"]))
    return out


__all__ = ["bp", "class_for_slug", "class_slug"]
