"""The parts every resource page has: title, types, definition, properties by group, the
nodes that belong to it and its inverse links."""

from __future__ import annotations

from collections import defaultdict

from competency_kg.web.describe import Description
from competency_kg.web.pages.builder import Builder
from competency_kg.web.pages.model import FIRST_VALUES, InverseGroup, NodeView, Page
from competency_kg.web.pages.names import definition, display_label, ordered_types, sort_key
from competency_kg.web.reading import Reader
from competency_kg.web.terms import NOTATION, TYPE, best_text, compact, iri_value, is_iri

#: Above this many nodes in its closure, a page lists the node counts, not every node.
MAX_PARTS_SHOWN = 150

#: On a profile page, the table of all statements repeats the profile above it (collapsed):
#: the first this many values of each property, each row linking to all of them.
PROFILE_TABLE_VALUES = 10


def build_page(reader: Reader, d: Description, b: Builder, profile: bool = False) -> Page:
    vocab = b.vocab
    title = _title(d, b)
    notation_vals = d.values(NOTATION)
    parts: dict[str, list[NodeView]] = defaultdict(list)
    parts_hidden = 0
    members = [n for n in d.nodes[1:] if n != d.term]
    if profile:  # the profile shows the parts in its own way
        parts_hidden = len(members)
    elif len(members) <= MAX_PARTS_SHOWN:
        for i, n in enumerate(members):
            types = d.types(n)
            kind = vocab.label(iri_value(types[0])) if types else "Other"
            frag = iri_value(n).split("#", 1)[1] if is_iri(n) and "#" in n else None
            parts[kind].append(
                NodeView(
                    id=frag or f"part-{i}",
                    term=n,
                    label=display_label(d, n, vocab),
                    href=b.site.href(iri_value(n)) if is_iri(n) else None,
                    types=b.type_values(d, n),
                    groups=b.groups(d, n, skip=(TYPE,)),
                )
            )
    else:
        parts_hidden = len(members)
    inverse = inverse_groups(d, b)
    page = Page(
        iri=d.iri,
        title=title,
        types=b.type_values(d, d.term),
        notation=best_text(notation_vals) if notation_vals else None,
        definition=definition(d),
        groups=b.groups(d, d.term, cap=PROFILE_TABLE_VALUES if profile else FIRST_VALUES),
        parts=sorted(parts.items()),
        parts_hidden=parts_hidden,
        inverse=inverse,
        inverse_total=d.inverse_total,
        page=d.page,
        pages=d.pages,
        page_size=d.page_size,
        sources=[],
        triples=len(d.triples),
        is_graph=d.is_graph,
        first_links=d.inverse_first is not None,
    )
    owner = d.owner(d.term)
    if owner is not None and owner != d.term:
        page.part_of = b.link(d, owner)
    return page


def _title(d: Description, b: Builder) -> str:
    """The page's heading: the resource's name; a named graph's source title; for a document
    of hash IRIs (a curation file), what it holds."""
    src = b.sources.get(d.iri)
    if d.label(d.term) is None and src is not None and (src.title or src.file):
        return src.name
    if not d.props(d.term) and len(d.nodes) > 1:
        kinds: dict[str, int] = defaultdict(int)
        for n in d.nodes[1:]:
            types = ordered_types(d.types(n))
            kinds[b.vocab.label(iri_value(types[0])) if types else "resource"] += 1
        held = ", ".join(f"{n} × {k}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
        return f"Document holding {held}"
    return display_label(d, d.term, b.vocab)


def inverse_groups(d: Description, b: Builder) -> list[InverseGroup]:
    by_prop: dict[str, list[tuple[str, set[str]]]] = defaultdict(list)
    for (s, p), gs in d.inverse.items():
        by_prop[p].append((s, gs))
    out = []
    for p, n in d.inverse_counts.items():
        items = []
        for s, gs in sorted(by_prop.get(p, []), key=lambda x: sort_key(d, x[0])):
            owner = d.owner(s)
            items.append(
                (b.link(d, s, gs), b.link(d, owner) if owner and owner != d.term else None)
            )
        piri = iri_value(p)
        out.append(
            InverseGroup(
                p,
                b.vocab.inverse_label(piri),
                compact(piri),
                n,
                items,
                b.site.values_path(d.iri, piri, inverse=True),
            )
        )
    return out
