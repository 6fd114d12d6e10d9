"""What a resource page shows, as values the templates render: links, literals and blank
nodes with their source footnotes, property rows and groups, nodes, inverse links, the page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from competency_kg.web.sources import Source


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


#: How many values of one kind a page shows before it says how many there are and links to
#: all of them (a property's values, a profile's table); ESCO's and LodView's pages cut long
#: lists the same way. Every value is on the pages of that property's values
#: (:meth:`~competency_kg.web.pages.site.Site.values_path`) and in the RDF.
FIRST_VALUES = 30


@dataclass
class More:
    """A list cut to its first values: how many there are, and where all of them are listed
    (``links``: (what, href), a property's values or the links to the resource by one)."""

    shown: int
    total: int
    links: list[tuple[str, str]] = field(default_factory=list)

    @property
    def cut(self) -> bool:
        return self.shown < self.total


@dataclass
class PropertyRow:
    iri: str
    label: str
    curie: str
    href: str | None
    comment: str | None
    values: list[Value]
    more: int = 0  # values not shown on the page (all are at ``all_href`` and in the RDF)
    all_href: str | None = None  # every value of the property, paged


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
    all_href: str | None = None  # every link to the resource by ``prop``, paged


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
    #: a tool's, certification's, activity's or statement's counterparts (:mod:`.linked`)
    linked: dict[str, Any] | None = None
    #: the links to it shown are the first of each property (each links to all of them),
    #: not a page of links
    first_links: bool = False
