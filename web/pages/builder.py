"""Turning a description's terms into page values, numbering the sources they cite."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from competency_kg.web.describe import Description
from competency_kg.web.pages.model import Group, PropertyRow, Value
from competency_kg.web.pages.names import display_label, ordered_types, sort_key
from competency_kg.web.pages.site import Site
from competency_kg.web.sources import Source
from competency_kg.web.terms import compact, iri_value, is_bnode, is_iri, is_literal, literal
from competency_kg.web.vocabulary import GROUPS, OTHER_GROUP, Vocabulary, vocabulary


class Builder:
    """Turns descriptions into page values: labels, links, footnotes for sources."""

    def __init__(self, site: Site, sources: dict[str, Source], vocab: Vocabulary | None = None):
        self.site = site
        self.sources = sources
        self.vocab = vocab or vocabulary()
        self.numbers: dict[str, int] = {}
        self.used: list[Source] = []

    # -- sources as footnotes
    def cite(self, graphs: Iterable[str]) -> list[int]:
        out = []
        for g in sorted(graphs):
            iri = iri_value(g) if is_iri(g) else g
            n = self.numbers.get(iri)
            if n is None:
                n = len(self.numbers) + 1
                self.numbers[iri] = n
                src = self.sources.get(iri) or Source(graph=iri, kind="other")
                src.number = n
                self.used.append(_copy_source(src, n))
            out.append(n)
        return out

    # -- values
    def link(self, d: Description, term: str, sources: Iterable[str] = ()) -> Value:
        if is_literal(term):
            lit = literal(term)
            dt = None
            if lit.lang is None and not lit.datatype.endswith("#string"):
                dt = compact(lit.datatype)
            return Value(
                "literal", lit.value, lang=lit.lang, datatype=dt, sources=self.cite(sources)
            )
        if is_bnode(term):
            return Value("bnode", display_label(d, term, self.vocab), sources=self.cite(sources))
        iri = iri_value(term)
        known = bool(d.facts(term)) or term == d.term
        href = self.site.href(iri, known=known)
        types = ordered_types(d.types(term))
        type_label = self.vocab.label(iri_value(types[0])) if types else None
        vocab_term = self.vocab.term(iri)
        label = display_label(d, term, self.vocab)
        return Value(
            "link",
            label,
            href=href,
            external=href == iri,
            title=vocab_term.comment if vocab_term and vocab_term.comment else iri,
            sources=self.cite(sources),
            type_label=type_label,
            iri=iri,
        )

    def type_values(self, d: Description, node: str) -> list[Value]:
        out = []
        for t in ordered_types(d.types(node)):
            iri = iri_value(t)
            out.append(
                Value(
                    "link",
                    self.vocab.label(iri),
                    href=self.site.href(iri, known=False),
                    title=self.vocab.comment(iri) or iri,
                    iri=iri,
                )
            )
        return out

    def groups(
        self, d: Description, node: str, skip: Iterable[str] = (), cap: int | None = None
    ) -> list[Group]:
        """A node's properties, grouped as the ontology's sections, named by its labels;
        with ``cap``, at most that many values per property (the rest are counted, and the
        row links to the pages of all of them when ``node`` is the resource itself)."""
        skip = set(skip)
        rows_by_group: dict[str, list[PropertyRow]] = defaultdict(list)
        props = d.props(node)
        for p in sorted(props, key=lambda p: (self.vocab.label(iri_value(p)).lower(), p)):
            if p in skip:
                continue
            piri = iri_value(p)
            vals = []
            objects = sorted(set(props[p]), key=lambda o: sort_key(d, o))
            for o in objects[:cap] if cap else objects:
                vals.append(self.link(d, o, d.sources_of((node, p, o))))
            cut = len(objects) > len(vals) and node == d.term
            rows_by_group[self.vocab.group(piri)].append(
                PropertyRow(
                    iri=piri,
                    label=self.vocab.label(piri),
                    curie=compact(piri),
                    href=self.site.href(piri, known=False),
                    comment=self.vocab.comment(piri),
                    values=vals,
                    more=len(objects) - len(vals),
                    all_href=self.site.values_path(d.iri, piri) if cut else None,
                )
            )
        order = [name for name, _ in GROUPS] + [OTHER_GROUP]
        return [Group(name, rows_by_group[name]) for name in order if rows_by_group.get(name)]


def _copy_source(src: Source, n: int) -> Source:
    out = Source(**{k: getattr(src, k) for k in src.__dataclass_fields__})
    out.number = n
    return out
