"""What a resource's HTML page shows, built from its :class:`Description`.

Every page has the generic parts: name, types, definition, properties grouped and named by
the ontology, the nodes that belong to it, its inverse links (paged) and the sources of its
facts with their licences. Occupations, competencies and O*NET Content Model elements get a
profile on top (:func:`occupation_profile`, :func:`competency_profile`), read from the
description and a few bounded queries.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape
from rdflib import URIRef

from competency_kg.labels import rule_label
from competency_kg.namespaces import sparql_prefixes
from competency_kg.web.describe import (
    CEASN_NS,
    CKG_NS,
    DCT_NS,
    MAX_SKIPPED_NAMED,
    NOTATION,
    POSITION,
    RDFS_NS,
    SCHEMA_NS,
    SHAPES_IRI,
    SKOS_NS,
    TYPE,
    Description,
    Reader,
    Source,
    best_text,
    compact,
    complete_labels,
    describe,
    iri_value,
    is_bnode,
    is_iri,
    is_literal,
    licence_name,
    literal,
    local_name,
    number,
    quote_path,
    summarize,
    text,
    values,
)
from competency_kg.web.svg import Bar, bar_chart
from competency_kg.web.vocabulary import GROUPS, OTHER_GROUP, Vocabulary, ontology_graph, vocabulary

ONTOLOGY = CKG_NS[:-1]


def ckg(name: str) -> str:
    return f"<{CKG_NS}{name}>"


def skos(name: str) -> str:
    return f"<{SKOS_NS}{name}>"


MEASUREMENT = ckg("measurement")
PFX = sparql_prefixes()
DEFINITION_PROPS = (
    skos("definition"),
    f"<{DCT_NS}description>",
    ckg("jobDescription"),
    f"<{CEASN_NS}description>",
    f"<{CEASN_NS}competencyText>",
    f"<{RDFS_NS}comment>",
    ckg("narrative"),
)


# --------------------------------------------------------------------------- the site
def is_web_url(url: str) -> bool:
    """Whether a page may link to ``url`` as it is: ``http(s)`` only."""
    return url.strip().lower().startswith(("http://", "https://"))


def safe_href(url: str) -> str:
    """``url`` when it is an ``http(s)`` URL, else its description here (never a script)."""
    return url if is_web_url(url) else "/describe?iri=" + quote(url, safe="")


@dataclass(frozen=True)
class Site:
    """Where IRIs resolve: data IRIs under ``base`` are served at the same path here."""

    base: str  # canonical base of data IRIs, ends with "/"
    server: str  # this server's root URL, without the trailing "/"

    def iri_for_path(self, path: str) -> str:
        """The data IRI a request path (decoded, without the leading ``/``) stands for."""
        return self.base + re.sub(
            r"[\x00-\x20\"<>\\^`{|}%?#\x7f]", lambda m: f"%{ord(m.group()):02X}", path
        )

    def path_for(self, iri: str) -> str | None:
        """The local path that serves ``iri``, or None when this server does not."""
        for ns, path in ((ONTOLOGY, "/ontology"), (SHAPES_IRI, "/shapes")):
            if iri == ns:
                return path
            if iri.startswith(ns + "#"):
                return path + "#" + quote(iri[len(ns) + 1 :], safe="")
        if not iri.startswith(self.base):
            return None
        rest = iri[len(self.base) :]
        if not rest:
            return "/"
        if "?" in rest:
            return None
        return "/" + quote_path(rest)

    def href(self, iri: str, known: bool = True) -> str:
        """A link for an IRI: its page here, or here by ``/describe`` when the store knows it
        (or when it is not an ``http(s)`` IRI: a ``javascript:`` or ``data:`` IRI from a
        source is never a link), else the IRI itself."""
        path = self.path_for(iri)
        if path is not None:
            return path
        if known or not is_web_url(iri):
            return "/describe?iri=" + quote(iri, safe="")
        return iri

    def url(self, path: str) -> str:
        return self.server + path

    def doc_path(self, iri: str) -> str:
        """The path of an IRI's description on this server (``/describe?iri=`` for others)."""
        path = self.path_for(iri)
        if path is not None and "#" not in path:
            return path
        return "/describe?iri=" + quote(iri, safe="")


# --------------------------------------------------------------------------- view model
@dataclass
class Value:
    kind: str  # "link", "literal", "bnode"
    text: str
    href: str | None = None
    external: bool = False
    lang: str | None = None
    datatype: str | None = None  # a short name, for typed literals other than strings
    title: str | None = None
    sources: list[int] = field(default_factory=list)
    type_label: str | None = None
    iri: str | None = None

    def render(self, cite: bool = True, hint: bool = False) -> Markup:
        """The value as HTML, every piece of text escaped (see :func:`render_value`)."""
        return render_value(self, cite, hint)

    def __html__(self) -> str:
        return str(self.render())


def cite_html(nums: Iterable[int]) -> Markup:
    nums = list(nums)
    if not nums:
        return Markup("")
    links = ",".join(f'<a href="#source-{n:d}" title="source {n:d}">{n:d}</a>' for n in nums)
    return Markup(f'<sup class="cite">{links}</sup>')


def render_value(v: Value, cite: bool = True, hint: bool = False) -> Markup:
    """One value: a link named by its label, a literal with its language or datatype, or a
    blank node; every piece of text goes through ``escape`` (f-strings with ``escape`` rather
    than ``Markup.format``: a page of a high-degree resource renders thousands of values, and
    ``Markup.format`` cost half of its rendering time)."""
    e = escape
    if v.kind == "link":
        external = ' class="external" rel="nofollow noopener"' if v.external else ""
        out = f'<a href="{e(v.href)}"{external} title="{e(v.title or v.iri or "")}">{e(v.text)}</a>'
        if hint and v.type_label:
            out += f' <span class="type-hint">{e(v.type_label)}</span>'
    elif v.kind == "bnode":
        out = f'<span class="bnode">{e(v.text)}</span>'
    else:
        if v.lang:
            out = f'<span class="literal" lang="{e(v.lang)}">{e(v.text)}</span>'
        else:
            out = f'<span class="literal">{e(v.text)}</span>'
        if v.datatype:
            out += f' <span class="datatype">{e(v.datatype)}</span>'
        if v.lang:
            out += f' <span class="lang">@{e(v.lang)}</span>'
    if cite:
        out += str(cite_html(v.sources))  # str: Markup's __radd__ would escape ``out`` again
    return Markup(out)


@dataclass
class PropertyRow:
    iri: str
    label: str
    curie: str
    href: str | None
    comment: str | None
    values: list[Value]
    more: int = 0  # values not shown on the page (they are all in the RDF)


@dataclass
class Group:
    name: str
    rows: list[PropertyRow]


@dataclass
class NodeView:
    id: str
    term: str
    label: str
    href: str | None
    types: list[Value]
    groups: list[Group]


@dataclass
class InverseGroup:
    prop: str
    label: str
    curie: str
    count: int
    items: list[tuple[Value, Value | None]]  # (subject, the resource it belongs to)


@dataclass
class Page:
    """Everything a resource page shows."""

    iri: str
    title: str
    types: list[Value]
    notation: str | None
    definition: str | None
    groups: list[Group]
    parts: list[tuple[str, list[NodeView]]]
    parts_hidden: int
    inverse: list[InverseGroup]
    inverse_total: int
    page: int
    pages: int
    page_size: int
    sources: list[Source]
    triples: int
    is_graph: bool
    profile: dict[str, Any] | None = None
    kind: str = "resource"
    jsonld: dict[str, Any] | None = None
    part_of: Value | None = None  # the resource this one is minted under
    #: an occupation's records in other sources (``skos:exactMatch``, transitively)
    twins: list[dict[str, Any]] = field(default_factory=list)


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
        with ``cap``, at most that many values per property (the rest are counted)."""
        skip = set(skip)
        rows_by_group: dict[str, list[PropertyRow]] = defaultdict(list)
        props = d.props(node)
        for p in sorted(props, key=lambda p: (self.vocab.label(iri_value(p)).lower(), p)):
            if p in skip:
                continue
            piri = iri_value(p)
            vals = []
            objects = sorted(set(props[p]), key=lambda o: _sort_key(d, o))
            for o in objects[:cap] if cap else objects:
                vals.append(self.link(d, o, d.sources_of((node, p, o))))
            rows_by_group[self.vocab.group(piri)].append(
                PropertyRow(
                    iri=piri,
                    label=self.vocab.label(piri),
                    curie=compact(piri),
                    href=self.site.href(piri, known=False),
                    comment=self.vocab.comment(piri),
                    values=vals,
                    more=len(objects) - len(vals),
                )
            )
        order = [name for name, _ in GROUPS] + [OTHER_GROUP]
        return [Group(name, rows_by_group[name]) for name in order if rows_by_group.get(name)]


#: When a resource has several types, the one named first (the most specific of ours).
TYPE_PREFERENCE = [
    CKG_NS + name
    for name in (
        "Occupation",
        "Technology",
        "WorkActivity",
        "Task",
        "Competency",
        "ContentModelElement",
        "CompetencyStatement",
    )
]


def ordered_types(types: Iterable[str]) -> list[str]:
    """Type terms, ours first and the most specific of ours first."""

    def key(t: str) -> tuple[int, int, str]:
        iri = iri_value(t)
        pref = TYPE_PREFERENCE.index(iri) if iri in TYPE_PREFERENCE else len(TYPE_PREFERENCE)
        return (0 if iri.startswith(CKG_NS) else 1, pref, iri)

    return sorted(types, key=key)


def _copy_source(src: Source, n: int) -> Source:
    out = Source(**{k: getattr(src, k) for k in src.__dataclass_fields__})
    out.number = n
    return out


def _sort_key(d: Description, term: str) -> tuple[Any, ...]:
    pos = number(d.fact(POSITION, term)) if not is_literal(term) else None
    label = display_label(d, term, None).lower()
    return (pos if pos is not None else 1e9, label, term)


def display_label(d: Description, node: str, vocab: Vocabulary | None, depth: int = 2) -> str:
    """A readable name for any node: its label in the data, a vocabulary term's label, else
    the label rule of its class (:mod:`competency_kg.labels`), built from its data."""
    if is_literal(node):
        return literal(node).value
    name = _known_name(d, node, vocab, depth)
    if name is not None:
        return name
    facts = d.facts(node)
    for prop in (ckg("competency"), ckg("element")):
        target = (facts.get(prop) or [None])[0]
        if target:
            name = _known_name(d, target, vocab, 0) or local_name(text(target))
            kind = (
                (vocab or vocabulary()).label(iri_value(d.types(node)[0])) if d.types(node) else ""
            )
            return f"{kind}: {name}" if kind else name
    for prop in (f"<{CEASN_NS}competencyText>", ckg("sourceWording"), ckg("evidence")):
        vals = facts.get(prop)
        if vals:
            t = best_text(vals)
            return t if len(t) < 90 else t[:87] + "…"
    if is_iri(node):
        # nothing in the data names it: the IRI itself, whole (a local name reads like a label)
        return iri_value(node)
    return "(blank node)"


class _Names:
    """The data of a description as the label rules read it (:class:`LabelSource`)."""

    def __init__(self, d: Description, vocab: Vocabulary | None, depth: int) -> None:
        self.d, self.vocab, self.depth = d, vocab, depth

    def objects(self, node: str, prop: str) -> list[str]:
        return self.d.facts(node).get(prop, [])

    def subjects(self, prop: str, node: str) -> list[str]:
        return self.d.referrers(prop, node)

    def name(self, node: str) -> str | None:
        if is_literal(node):
            return literal(node).value
        return _known_name(self.d, node, self.vocab, self.depth - 1)


def _known_name(d: Description, node: str, vocab: Vocabulary | None, depth: int) -> str | None:
    """A node's data label, vocabulary label or rule label; None when there is none."""
    if is_iri(node):
        v = vocab or vocabulary()
        t = v.term(iri_value(node))
        if t is not None:
            return t.label
        if node.startswith("<" + CKG_NS) or iri_value(node).startswith(SHAPES_IRI):
            return v.label(iri_value(node))
        lic = licence_name(iri_value(node))
        if lic != iri_value(node):
            return lic
    label = d.label(node)
    if label:
        return label
    if depth < 0:
        return None
    return rule_label(_Names(d, vocab, depth), node, d.types(node))


def definition(d: Description, node: str | None = None) -> str | None:
    facts = d.facts(node or d.term)
    for p in DEFINITION_PROPS:
        vals = facts.get(p)
        if vals:
            return best_text(vals)
    return None


# --------------------------------------------------------------------------- generic page
#: Above this many nodes in its closure, a page lists the node counts, not every node.
MAX_PARTS_SHOWN = 150


#: On a profile page, the table of all statements shows this many values per property.
PROFILE_VALUES_CAP = 30


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
        groups=b.groups(d, d.term, cap=PROFILE_VALUES_CAP if profile else None),
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
        for s, gs in sorted(by_prop.get(p, []), key=lambda x: _sort_key(d, x[0])):
            owner = d.owner(s)
            items.append(
                (b.link(d, s, gs), b.link(d, owner) if owner and owner != d.term else None)
            )
        piri = iri_value(p)
        out.append(InverseGroup(p, b.vocab.inverse_label(piri), compact(piri), n, items))
    return out


# --------------------------------------------------------------------------- occupations
def _nodes(d: Description, prop: str, node: str | None = None) -> list[str]:
    return sorted(set(d.values(prop, node)), key=lambda n: _sort_key(d, n))


def _pos(d: Description, node: str | None) -> float:
    if node is None:
        return 1e9
    p = number(d.fact(POSITION, node))
    return p if p is not None else 1e9


def occupation_profile(reader: Reader, d: Description, b: Builder) -> dict[str, Any]:
    """An occupation's page, as a profile: what it requires, at which level, and why."""
    occ = d.term
    vocab = b.vocab
    prof: dict[str, Any] = {}

    def lbl(n: str | None) -> str:
        return display_label(d, n, vocab) if n else ""

    prof["code"] = best_text(d.values(NOTATION)) if d.values(NOTATION) else None
    prof["job_zone"] = _first_text(d, ckg("jobZone"))
    prof["group"] = _first_text(d, ckg("occupationGroup"))
    prof["sector"] = _first_text(d, ckg("industrySector"))
    prof["broader"] = [
        b.link(d, n, d.sources_of((occ, skos("broader"), n))) for n in _nodes(d, skos("broader"))
    ]

    # requirements, grouped by kind, with the level each is required at
    kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for req in d.values(ckg("requires")):
        comp = d.fact(ckg("competency"), req)
        level = d.fact(ckg("requiredLevel"), req)
        kind = d.fact(ckg("competencyKind"), comp) if comp else None
        kinds[lbl(kind) if kind else "kind not stated"].append(
            {
                "competency": b.link(d, comp, d.sources_of((req, ckg("competency"), comp)))
                if comp
                else None,
                "level": lbl(level) if level else None,
                "level_pos": _pos(d, level) if level else 0,
                "wording": _first_text(d, ckg("sourceWording"), req),
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
    prof["requirements"] = sorted(kinds.items(), key=lambda kv: (kv[0] == "kind not stated", kv[0]))
    levels_all = sorted(
        {d.fact(ckg("requiredLevel"), r) for r in d.values(ckg("requires"))} - {None},
        key=lambda n: _pos(d, n),
    )
    prof["req_levels"] = [lbl(n) for n in levels_all]
    prof["req_count"] = sum(len(items) for _, items in prof["requirements"])
    prof["req_chart"] = requirement_chart(prof["requirements"], levels_all, d, vocab)
    prof["req_chart_rows"] = sum(
        1 for _, items in prof["requirements"] for r in items if r["competency"] and r["level"]
    )

    # frameworks: levels in order, with their statements
    frameworks = []
    for fw in _nodes(d, ckg("hasFramework")):
        scale = d.fact(ckg("proficiencyScale"), fw)
        levels = sorted(
            set(d.facts(scale).get(skos("hasTopConcept"), [])) if scale else set(),
            key=lambda n: _pos(d, n),
        )
        statements: dict[str, list[str]] = defaultdict(list)
        for st in d.values(f"<{CEASN_NS}hasTopChild>", fw):
            statements[d.fact(ckg("atLevel"), st) or ""].append(st)
        for lv in statements:
            if lv and lv not in levels:
                levels.append(lv)
        frameworks.append(
            {
                "name": display_label(d, fw, vocab),
                "href": b.site.href(iri_value(fw)),
                "version": _first_text(d, f"<{SCHEMA_NS}version>", fw),
                "description": _first_text(d, f"<{CEASN_NS}description>", fw),
                "context": _first_text(d, ckg("contextCovered"), fw),
                "attribution": _first_text(d, f"<{DCT_NS}rights>", fw),
                "references": [
                    {
                        "label": _first_text(d, f"<{RDFS_NS}label>", r) or lbl(r),
                        "licence": [
                            licence_name(text(x)) for x in d.values(f"<{DCT_NS}license>", r)
                        ],
                    }
                    for r in _nodes(d, ckg("sourceReference"), fw)
                ],
                "levels": [
                    {
                        "label": lbl(lv),
                        "statements": [
                            {
                                "topic": _first_text(d, f"<{CEASN_NS}competencyLabel>", st),
                                "action": _first_text(d, ckg("actionText"), st),
                                "text": _first_text(d, f"<{CEASN_NS}competencyText>", st),
                                "href": b.site.href(iri_value(st)),
                                "sources": b.cite(
                                    d.sources_of(
                                        (
                                            st,
                                            f"<{CEASN_NS}competencyText>",
                                            d.value(f"<{CEASN_NS}competencyText>", st) or "",
                                        )
                                    )
                                ),
                            }
                            for st in sorted(statements.get(lv, []), key=lambda n: _pos(d, n))
                        ],
                    }
                    for lv in levels
                ],
            }
        )
    prof["frameworks"] = frameworks

    # prioritized lists in rank order; unplaced entries honestly
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
                    "stated": lbl(stated) if stated else None,
                    "text": _first_text(d, ckg("entryText"), e),
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
        lt_term = vocab.term(iri_value(lt)) if lt else None
        lists.append(
            {
                "label": _first_text(d, f"<{RDFS_NS}label>", lst) or lbl(lt),
                "type": (lt_term.pref or lt_term.label) if lt_term else (lbl(lt) if lt else None),
                "type_pos": _vocab_position(lt),
                "kind": lbl(kind) if kind else "",
                "href": b.site.href(iri_value(lst)),
                "entries": entries,
                "term": lst,
            }
        )
    lists.sort(key=lambda x: (x["kind"], x["type_pos"], x["label"]))
    prof["lists"] = lists
    list_labels = {x["term"]: x["type"] or x["label"] for x in lists}
    unplaced = []
    curated = {g for g, src in b.sources.items() if src.kind == "curation"}
    for e in d.values(ckg("unplacedEntry")):
        comp = d.fact(ckg("competency"), e)
        stated = d.fact(ckg("statedLevel"), e)
        kind = d.fact(ckg("competencyKind"), e)
        # a curator's correction may have placed the competency in one of the candidates
        placed = sorted(
            list_labels.get(lst, lbl(lst))
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
                "kind": lbl(kind) if kind else "",
                "stated": lbl(stated) if stated else None,
                "text": _first_text(d, ckg("entryText"), e),
                "candidates": sorted(
                    list_labels.get(c, lbl(c)) for c in d.values(ckg("candidateList"), e)
                ),
                "href": b.site.href(iri_value(e)),
                "sources": b.cite(d.sources_of((occ, ckg("unplacedEntry"), e))),
                "line": _line(_first_text(d, ckg("sourceLocation"), e)),
            }
        )
    unplaced.sort(key=lambda u: (u["kind"], u["line"]))
    prof["unplaced"] = unplaced

    # scenarios with what they exercise
    scenarios = []
    for sc in sorted(d.values(ckg("scenario")), key=lambda n: _pos(d, n)):
        exercises = []
        for ex in sorted(d.values(ckg("exercise"), sc), key=lambda n: _pos(d, n)):
            comp = d.fact(ckg("competency"), ex)
            stated = d.fact(ckg("statedLevel"), ex)
            exercises.append(
                {
                    "competency": b.link(d, comp) if comp else None,
                    "stated": lbl(stated) if stated else None,
                }
            )
        if not exercises:
            exercises = [
                {"competency": b.link(d, c), "stated": None}
                for c in _nodes(d, ckg("exercises"), sc)
            ]
        scenarios.append(
            {
                "title": lbl(sc),
                "href": b.site.href(iri_value(sc)),
                "narrative": _first_text(d, ckg("narrative"), sc),
                "exercises": exercises,
                "sources": b.cite(d.sources_of((occ, ckg("scenario"), sc))),
            }
        )
    prof["scenarios"] = scenarios

    activities = []
    for al in _nodes(d, ckg("activityList")):
        items = sorted(d.values(ckg("activity"), al), key=lambda n: _pos(d, n))
        activities.append({"label": lbl(al), "items": [lbl(a) for a in items]})
    prof["activities"] = activities

    def linked(prop: str) -> list[Value]:
        return sorted(
            (b.link(d, n, d.sources_of((occ, prop, n))) for n in set(d.values(prop))),
            key=lambda v: v.text.lower(),
        )

    prof["tools"] = linked(ckg("usesTool"))
    prof["certifications"] = linked(ckg("preferredCertification"))
    prof["job_titles"] = linked(ckg("jobTitle"))
    how = {(r["prop"], r["other"]): r for r in link_annotations(reader, occ) if r["dir"] == "out"}
    prof["matches"] = [
        {
            "prop": "exact match" if p == skos("exactMatch") else "close match",
            "value": b.link(d, o, d.sources_of((occ, p, o))),
            "method": how.get((p, o), {}).get("method"),
            "evidence": how.get((p, o), {}).get("evidence"),
        }
        for p in (skos("exactMatch"), skos("closeMatch"))
        for o in d.values(p)
    ]
    prof["matches"] += [
        {
            "prop": b.vocab.inverse_label(iri_value(p)),
            "value": b.link(d, s, gs),
            "method": None,
            "evidence": None,
        }
        for (s, p), gs in d.inverse.items()
        if p in (skos("exactMatch"), skos("closeMatch"))
    ]

    # O*NET: this very resource, or the O*NET occupation it matches
    onet = None
    if d.values(ckg("rating")) or d.values(ckg("task")) or d.values(ckg("usesTechnology")):
        onet = onet_section(d, occ, b)
    else:
        for target in d.values(skos("exactMatch")):
            try:
                td = describe(
                    reader, iri_value(target), skip_predicates=(MEASUREMENT,), inverse=False
                )
            except Exception:
                continue
            if td.values(ckg("rating")) or td.values(ckg("task")):
                onet = onet_section(td, td.term, b)
                onet["via"] = b.link(d, target)
                break
    prof["onet"] = onet
    return prof


def _line(where: str | None) -> int:
    m = re.search(r"\d+", where or "")
    return int(m.group()) if m else 0


def _vocab_position(term: str | None) -> float:
    if term is None:
        return 1e9
    v = ontology_graph().value(URIRef(iri_value(term)), URIRef(SCHEMA_NS + "position"))
    try:
        return float(v) if v is not None else 1e9
    except ValueError:
        return 1e9


def _first_text(d: Description, prop: str, node: str | None = None) -> str | None:
    vals = d.facts(node or d.term).get(prop)
    return best_text(vals) if vals else None


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
                "text": _first_text(d, skos("prefLabel"), t) or display_label(d, t, b.vocab),
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


#: O*NET's two measures, each on its own axis (importance 1–5, level 0–7).
ONET_SCALES: dict[str, Any] = {
    "minimum": 1,
    "maximum": 5,
    "ticks": [(v, str(v)) for v in (1, 2, 3, 4, 5)],
    "axis_label": "Importance (1–5)",
    "secondary_min": 0,
    "secondary_max": 7,
    "secondary_label": "Level (0–7)",
}

#: How many of an occupation's top ratings per branch the chart shows.
RATINGS_CHARTED = 12


def rating_chart(name: str, items: list[dict[str, Any]], ident: str) -> Markup:
    bars = [
        Bar(
            label=x["element"].text,
            value=x["importance"],
            href=x["element"].href,
            note=f"{x['importance']:.2f}".rstrip("0").rstrip(".") if x["importance"] else None,
            secondary=x["level"],
        )
        for x in items
    ]
    return bar_chart(
        bars,
        ident=ident,
        title=f"Top {name.lower()} by O*NET importance",
        description=f"Importance (1 to 5, left panel) of the occupation's {len(items)} most "
        f"important {name.lower()}, and the level each needs (0 to 7, right panel), each "
        "on its own scale.",
        **ONET_SCALES,
    )


KIND_CSS = {"foundational": "bar", "occupation-specific": "bar-alt"}


def requirement_chart(
    groups: list[tuple[str, list[dict[str, Any]]]],
    levels: list[str],
    d: Description,
    vocab: Vocabulary,
) -> Markup | None:
    """Each required competency with the level it is required at, coloured by kind."""
    rows = [
        (kind, r) for kind, items in groups for r in items if r.get("competency") and r["level"]
    ]
    if not rows:
        return None
    names = [display_label(d, n, vocab) for n in levels]
    rank = {name: i + 1 for i, name in enumerate(names)}
    rows.sort(key=lambda kr: (-rank.get(kr[1]["level"] or "", 0), kr[1]["competency"].text))
    bars = [
        Bar(
            label=r["competency"].text,
            value=rank.get(r["level"] or ""),
            href=r["competency"].href,
            css=KIND_CSS.get(kind, "bar-muted"),
            note=r["level"] or "level not stated",
        )
        for kind, r in rows
    ]
    kinds = sorted({kind for kind, _ in rows})
    return bar_chart(
        bars,
        ident="req",
        title="Competencies by required level",
        description="Each competency the occupation requires, with the proficiency level the "
        "source states for it (" + ", ".join(names) + "), coloured by kind.",
        minimum=0,
        maximum=max(len(names), 1),
        ticks=[(i + 1, n) for i, n in enumerate(names)],
        legend=[(KIND_CSS.get(k, "bar-muted"), k) for k in kinds],
    )


# --------------------------------------------------------------------------- competencies
def competency_profile(reader: Reader, d: Description, b: Builder) -> dict[str, Any]:
    """Who requires the competency, at which level; lists, scenarios, O*NET ratings, links."""
    c = d.term
    prof: dict[str, Any] = {}
    kind = d.fact(ckg("competencyKind"))
    prof["kind"] = display_label(d, kind, b.vocab) if kind else None
    prof["alt_labels"] = sorted({literal(v).value for v in d.values(skos("altLabel"))})
    prof["broader"] = [b.link(d, n) for n in _nodes(d, skos("broader"))]

    # links to other sources, with how they were found
    rows = link_annotations(reader, c)
    extra = _summaries(reader, d, [r["other"] for r in rows if is_iri(r.get("other", ""))])
    prof["links"] = [
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
                prof["links"].append(
                    {
                        "direction": "out",
                        "prop": b.vocab.label(iri_value(p)),
                        "other": b.link(d, o),
                        "method": None,
                        "evidence": None,
                    }
                )

    # required by occupations
    rows = reader.select(
        PFX + "SELECT ?occ ?level ?wording WHERE { "
        f"?req ckg:competency {c} ; a ckg:CompetencyRequirement ; ckg:forOccupation ?occ . "
        "OPTIONAL { ?req ckg:requiredLevel ?level } OPTIONAL { ?req ckg:sourceWording ?wording } "
        "} LIMIT 500"
    )
    extra = _summaries(reader, d, [r[k] for r in rows for k in ("occ", "level") if k in r])
    prof["required_by"] = sorted(
        (
            {
                "occupation": b.link(extra, r["occ"]),
                "level": display_label(extra, r["level"], b.vocab) if "level" in r else None,
                "wording": text(r["wording"]) if "wording" in r else None,
            }
            for r in rows
        ),
        key=lambda x: x["occupation"].text,
    )
    # in prioritized lists, with rank (the entry pattern in each branch: Oxigraph evaluates a
    # UNION's branches on their own, and one without it scans every list entry of the store)
    entry = f"?e ckg:competency {c} ; a ckg:ListEntry ."
    rows = reader.select(
        PFX + "SELECT ?occ ?list ?rank ?unplaced WHERE { "
        f"{{ {entry} ?list ckg:entry ?e ; ckg:forOccupation ?occ . "
        "OPTIONAL { ?e schema:position ?rank } } "
        f"UNION {{ {entry} ?occ ckg:unplacedEntry ?e . BIND(true AS ?unplaced) }} "
        "} LIMIT 500"
    )
    extra = _summaries(reader, d, [r[k] for r in rows for k in ("occ", "list") if k in r])
    prof["in_lists"] = sorted(
        (
            {
                "occupation": b.link(extra, r["occ"]),
                "list": display_label(extra, r["list"], b.vocab) if "list" in r else None,
                "list_href": b.site.href(iri_value(r["list"])) if "list" in r else None,
                "rank": int(number(r["rank"]) or 0) if "rank" in r else None,
                "unplaced": "unplaced" in r,
            }
            for r in rows
        ),
        key=lambda x: (x["occupation"].text, x["list"] or "", x["rank"] or 0),
    )
    rows = reader.select(
        PFX
        + f"SELECT ?occ ?sc WHERE {{ ?sc ckg:exercises {c} ; ckg:forOccupation ?occ . }} LIMIT 500"
    )
    extra = _summaries(reader, d, [r[k] for r in rows for k in ("occ", "sc")])
    prof["scenarios"] = [
        {"occupation": b.link(extra, r["occ"]), "scenario": b.link(extra, r["sc"])} for r in rows
    ]
    # O*NET ratings of this element, or of the elements it matches
    prof["element"] = d.has_type(CKG_NS + "ContentModelElement")
    elements = [c] if prof["element"] else []
    elements += [o for o in d.values(skos("exactMatch")) if "/onet/element/" in o]
    prof["ratings"] = element_ratings(reader, d, b, elements) if elements else None
    return prof


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


# --------------------------------------------------------------------------- schema.org
def jsonld(
    d: Description, page: Page, site: Site, profile: dict[str, Any] | None
) -> dict[str, Any]:
    """A schema.org description of the resource, for search engines."""
    out: dict[str, Any] = {
        "@context": "https://schema.org",
        "@id": d.iri,
        "url": d.iri,
        "name": page.title,
    }
    if page.definition:
        out["description"] = page.definition
    if d.has_type(CKG_NS + "Occupation"):
        out["@type"] = "Occupation"
        if page.notation:
            out["occupationalCategory"] = {
                "@type": "CategoryCode",
                "codeValue": page.notation,
                "inCodeSet": "O*NET-SOC 2019",
            }
        if profile:
            skills = [
                r["competency"].text
                for _, items in profile.get("requirements", [])
                for r in items
                if r.get("competency")
            ]
            onet = profile.get("onet") or {}
            for name, items in onet.get("ratings", []):
                if name in ("Skills", "Knowledge"):
                    skills += [x["element"].text for x in items[:10]]
            if skills:
                out["skills"] = sorted(set(skills))
            if profile.get("certifications"):
                out["qualifications"] = [v.text for v in profile["certifications"]]
            titles = [v.text for v in profile.get("job_titles", [])] + [
                v.text for v in onet.get("titles", [])
            ]
            if titles:
                out["alternateName"] = sorted(set(titles))[:50]
    else:
        out["@type"] = "DefinedTerm"
        if page.notation:
            out["termCode"] = page.notation
        scheme = d.value(skos("inScheme"))
        if scheme:
            out["inDefinedTermSet"] = iri_value(scheme)
    return out


# --------------------------------------------------------------------------- all together
def page_for(reader: Reader, d: Description, site: Site, sources: dict[str, Source]) -> Page:
    b = Builder(site, sources)
    named = [*d.summary, d.term]
    if len(d.skipped) <= MAX_SKIPPED_NAMED:
        named += sorted(d.skipped)
    complete_labels(reader, d, named)
    is_profile = d.has_type(CKG_NS + "Occupation") or d.has_type(CKG_NS + "Competency")
    is_profile = is_profile or d.has_type(CKG_NS + "ContentModelElement")
    page = build_page(reader, d, b, profile=is_profile)
    profile = None
    if d.has_type(CKG_NS + "Occupation"):
        profile = occupation_profile(reader, d, b)
        page.kind = "occupation"
        from competency_kg.web.twins import occupation_groups  # it builds on this module

        group = occupation_groups(reader, site.base, reader.version).by_member.get(d.iri)
        page.twins = [t.view(site) for t in group.others(d.iri)] if group else []
    elif d.has_type(CKG_NS + "Competency") or d.has_type(CKG_NS + "ContentModelElement"):
        profile = competency_profile(reader, d, b)
        page.kind = "competency"
    page.profile = profile
    # every fact cited so far, then the graphs of the rest, so the list is complete
    b.cite(d.graphs)
    page.sources = sorted(b.used, key=lambda s: s.number)
    page.jsonld = jsonld(d, page, site, profile)
    return page


__all__ = ["MEASUREMENT", "Page", "Site", "page_for"]
