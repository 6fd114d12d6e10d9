"""Resource descriptions: what the linked-data pages and documents say about one IRI.

A description (:func:`describe`) holds

- the resource's own triples, with the closure of the nodes that belong to it: blank nodes it
  links to, and the nodes minted under its IRI (``{iri}/…``: requirements, lists and their
  entries, ratings and their measurements, scenarios, statements, levels). The closure follows
  links from the resource and also takes in every such node that links back to it, so none is
  lost between "its own" and "links to it";
- a summary of every other resource it links to: labels, types, notations, positions;
- its inverse links (``?s ?p <iri>`` from outside the closure), **paged**: the count per
  property comes from one ``GROUP BY`` query; one page (:data:`INVERSE_PAGE_SIZE` links, ordered
  by property then subject) is read; the inverse links are never all pulled at once;
- the named graph of every fact, so each can be traced to its source (metadata graph: file,
  checksum, loader, licence, attribution — :func:`~competency_kg.web.sources.read_sources`).

Terms travel as N-Triples text (``<iri>``, ``"text"@en``, ``"4"^^<…#decimal>``, ``_:b0``):
they come straight out of the engine's TSV results, are hashable and cheap, and are written back
as N-Quads, which Oxigraph parses and re-serializes in every RDF format, so every format carries
exactly the same triples (:func:`~competency_kg.web.documents.serialize`).

Every query runs through the application's query executor (worker processes that can be
stopped, reopening the store after a load). Values from outside (IRIs from request paths,
search text) only ever enter a query as terms written by Oxigraph's own serializer
(:func:`~competency_kg.web.terms.iri_term`,
:func:`~competency_kg.web.terms.literal_term`), never as raw text.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from rdflib.namespace import XSD

from competency_kg import versioned_cache
from competency_kg.namespaces import CKG, SCHEMA
from competency_kg.web.reading import LRUCache, Reader, chunks, memo, settle_heap, values
from competency_kg.web.terms import (
    LABEL_PROPS,
    NOTATION,
    POSITION,
    TYPE,
    best_text,
    iri_term,
    iri_value,
    is_bnode,
    is_iri,
    literal,
    literal_term,
)

#: What the summary of a linked resource holds: enough to name, type and order it.
SUMMARY_PROPS: tuple[str, ...] = (
    *LABEL_PROPS[:-1],
    TYPE,
    NOTATION,
    POSITION,
    f"<{CKG.competencyKind}>",
    f"<{CKG.matchMethod}>",
    f"<{CKG.evidence}>",
)

#: Inverse links per page of a description (documents and HTML pages alike).
INVERSE_PAGE_SIZE = 100

#: How deep blank nodes nested in blank nodes are followed.
MAX_BNODE_DEPTH = 6

_CKG_TERM = "<" + str(CKG)

Triple = tuple[str, str, str]


@dataclass
class Description:
    """What the store says about one resource, ready for a page or an RDF document."""

    iri: str
    term: str
    #: own and closure triples → the graphs stating them (insertion order: resource first)
    triples: dict[Triple, set[str]] = field(default_factory=dict)
    #: closure nodes, resource first, in the order they were reached
    nodes: list[str] = field(default_factory=list)
    #: nodes of the closure left unexpanded (pages skip, e.g., measurements)
    skipped: set[str] = field(default_factory=set)
    #: summary of linked resources outside the closure: term → [(property, value, graph)]
    summary: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    inverse_counts: dict[str, int] = field(default_factory=dict)
    inverse_total: int = 0
    #: this page of inverse links: (subject, property) → graphs
    inverse: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    page: int = 1
    page_size: int = INVERSE_PAGE_SIZE
    #: the one property whose inverse links are paged (a page of that property's links:
    #: :func:`describe`'s ``inverse_property``), or None: all of them, in property order
    inverse_property: str | None = None
    #: instead of a page: the first this many links of each property (describe's
    #: ``inverse_first``), or None
    inverse_first: int | None = None
    #: named graphs the resource is the name of (a source graph, the metadata graph …)
    is_graph: bool = False
    #: what label rules read about linked nodes (:func:`complete_labels`), pages only: the RDF
    #: documents never carry it. Inverse links are under ``^<property>``.
    extra: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)

    # -- derived views
    @property
    def names(self) -> dict[tuple[str, int, int], str]:
        """Display names of nodes, kept until the description learns more
        (:func:`~competency_kg.web.pages.names.display_label`)."""
        found = self.__dict__.get("_names")
        if found is None:
            found = self.__dict__["_names"] = {}
        return found

    def forget_names(self) -> None:
        """New facts about linked nodes: the names kept may change."""
        self.__dict__.pop("_names", None)

    @property
    def pages(self) -> int:
        """Pages of inverse links: of all of them, or of :attr:`inverse_property`'s."""
        total = self.inverse_total
        if self.inverse_property is not None:
            total = self.inverse_counts.get(self.inverse_property, 0)
        return max(1, -(-total // self.page_size))

    @property
    def graphs(self) -> set[str]:
        out: set[str] = set()
        for gs in self.triples.values():
            out |= gs
        for gs in self.inverse.values():
            out |= gs
        return out

    def by_subject(self) -> dict[str, dict[str, list[str]]]:
        """Closure triples as subject → property → values (memoized)."""
        cached = getattr(self, "_by_subject", None)
        if cached is None:
            cached = defaultdict(lambda: defaultdict(list))
            for s, p, o in self.triples:
                cached[s][p].append(o)
            self._by_subject = cached
        return cached

    def props(self, node: str | None = None) -> dict[str, list[str]]:
        return self.by_subject().get(node or self.term, {})

    def values(self, prop: str, node: str | None = None) -> list[str]:
        return self.props(node).get(prop, [])

    def value(self, prop: str, node: str | None = None) -> str | None:
        vals = self.values(prop, node)
        return vals[0] if vals else None

    def facts(self, node: str | None = None) -> dict[str, list[str]]:
        """What is known about a node: its closure triples, or its summary."""
        node = node or self.term
        own = self.props(node)
        if own:
            return own
        out: dict[str, list[str]] = defaultdict(list)
        for p, v, _ in (*self.summary.get(node, ()), *self.extra.get(node, ())):
            if v not in out[p]:
                out[p].append(v)
        return out

    def referrers(self, prop: str, node: str) -> list[str]:
        """Nodes linking to ``node`` by ``prop`` that this description knows of."""
        index = getattr(self, "_by_object", None)
        if index is None:
            index = defaultdict(list)
            for s, p, o in self.triples:
                index[(p, o)].append(s)
            for s, p in self.inverse:
                index[(p, self.term)].append(s)
            self._by_object = index
        out = list(index.get((prop, node), ()))
        out += [v for v in self.facts(node).get("^" + prop, ()) if v not in out]
        return out

    def fact(self, prop: str, node: str | None = None) -> str | None:
        vals = self.facts(node).get(prop)
        return vals[0] if vals else None

    def label(self, node: str) -> str | None:
        """The best label of a node (English first), or None."""
        facts = self.facts(node)
        for p in LABEL_PROPS:
            vals = facts.get(p)
            if vals:
                return best_text(vals)
        return None

    def types(self, node: str | None = None) -> list[str]:
        return list(dict.fromkeys(self.facts(node or self.term).get(TYPE, [])))

    def has_type(self, cls: str, node: str | None = None) -> bool:
        return f"<{cls}>" in self.facts(node or self.term).get(TYPE, [])

    def sources_of(self, triple: Triple) -> set[str]:
        return self.triples.get(triple, set())

    def owner(self, node: str) -> str | None:
        """The nearest resource a minted node belongs to (``…/x/requirement/y`` → ``…/x``)."""
        if not is_iri(node):
            return None
        iri = iri_value(node)
        cut = len(iri)
        while True:
            cut = iri.rfind("/", 0, cut)
            if cut <= 8:
                return None
            candidate = f"<{iri[:cut]}>"
            if candidate == self.term or candidate in self.summary or self.props(candidate):
                return candidate


class NotFound(Exception):
    """The store says nothing about this IRI."""


def describe(
    reader: Reader,
    iri: str,
    *,
    page: int = 1,
    page_size: int = INVERSE_PAGE_SIZE,
    skip_predicates: Iterable[str] = (),
    owners: bool = False,
    inverse: bool = True,
    members: Sequence[str] = (),
    inverse_property: str | None = None,
    inverse_first: int | None = None,
) -> Description:
    """Describe ``iri`` (see the module doc); :class:`NotFound` when the store has nothing.

    ``skip_predicates`` (terms) leaves the nodes they lead to unexpanded (a page that does not
    show measurements need not read them); RDF documents never skip anything. ``owners``
    also summarizes the resources that inverse-link subjects are minted under; without
    ``inverse`` the inverse links are not read at all. ``members`` (terms) are described
    with it, as its closure: the hash IRIs of a document (``{iri}#x``, see
    :func:`competency_kg.hash_iris.hash_documents`). With ``inverse_property`` (a term), the
    page of inverse links is a page of that property's links only, paged by the same offsets
    (the counts of every property are read all the same); with ``inverse_first``, the first
    that many links of each property instead of a page (what an HTML page shows, linking to
    the rest).
    """
    term = iri_term(iri)
    d = Description(
        iri=iri,
        term=term,
        page=page,
        page_size=page_size,
        inverse_property=inverse_property,
        inverse_first=inverse_first,
    )
    prefix = literal_term(iri + "/")
    skip = set(skip_predicates)
    _closure(reader, d, [term, *members], iri + "/", skip)
    if inverse:
        _inverse_counts(reader, d, term, prefix)
    if d.inverse_total and page <= d.pages:
        _inverse_page(reader, d, term, prefix)
    d.is_graph = _is_graph(reader, term)
    if not d.triples and not d.inverse_total and not d.is_graph:
        raise NotFound(iri)
    _summaries(reader, d, owners)
    return d


def _is_graph(reader: Reader, term: str) -> bool:
    return bool(reader.select(f"SELECT ?s WHERE {{ GRAPH {term} {{ ?s ?p ?o }} }} LIMIT 1"))


def _closure(reader: Reader, d: Description, start: list[str], prefix: str, skip: set[str]) -> None:
    """Breadth-first over the nodes minted under the resource, and its blank nodes."""
    seen = set(d.nodes) | set(start)
    frontier = list(start)
    while frontier:
        d.nodes.extend(frontier)
        found: list[str] = []
        bnode_parents: list[tuple[str, str]] = []
        for part in chunks(frontier):
            rows = reader.select(
                f"SELECT ?s ?p ?o ?g WHERE {{ {values('s', part)} GRAPH ?g {{ ?s ?p ?o }} }}"
            )
            for r in rows:
                s, p, o = r["s"], r["p"], r["o"]
                d.triples.setdefault((s, p, o), set()).add(r["g"])
                if o in seen:
                    continue
                if is_iri(o) and o.startswith("<" + prefix):
                    seen.add(o)
                    if p in skip:
                        d.skipped.add(o)
                    else:
                        found.append(o)
                elif is_bnode(o) and not is_bnode(s):
                    bnode_parents.append((s, p))
        if bnode_parents:
            _bnode_closure(reader, d, list(dict.fromkeys(bnode_parents)))
        frontier = found
    d.__dict__.pop("_by_subject", None)
    d.__dict__.pop("_by_object", None)
    d.forget_names()


def _bnode_closure(reader: Reader, d: Description, parents: list[tuple[str, str]]) -> None:
    """The triples of the blank nodes that IRIs link to (``parents``: subject, property),
    nested ones too, down to :data:`MAX_BNODE_DEPTH`.

    A blank node cannot be named in a later query, so each depth is reached by a path of
    patterns from the IRI it hangs off.
    """
    pairs = " ".join(f"({s} {p})" for s, p in parents)
    for depth in range(1, MAX_BNODE_DEPTH + 1):
        path = "?x ?q ?b1 . FILTER(isBlank(?b1)) " + " ".join(
            f"?b{i - 1} ?q{i} ?b{i} . FILTER(isBlank(?b{i}))" for i in range(2, depth + 1)
        )
        rows = reader.select(
            f"SELECT DISTINCT ?b{depth} ?p ?o ?g WHERE {{ VALUES (?x ?q) {{ {pairs} }} "
            f"{path} GRAPH ?g {{ ?b{depth} ?p ?o }} }}"
        )
        nested = False
        for r in rows:
            b = r[f"b{depth}"]
            d.triples.setdefault((b, r["p"], r["o"]), set()).add(r["g"])
            if b not in d.nodes:
                d.nodes.append(b)
            nested = nested or is_bnode(r["o"])
        if not nested:
            return


def _inverse_counts(reader: Reader, d: Description, term: str, prefix: str) -> None:
    """Inverse links per property, split into those from the closure and from outside."""
    rows = reader.select(
        "SELECT ?p ?inner (COUNT(DISTINCT ?s) AS ?n) WHERE { "
        f"?s ?p {term} BIND(isIRI(?s) && STRSTARTS(STR(?s), {prefix}) AS ?inner) "
        "} GROUP BY ?p ?inner"
    )
    inner: dict[str, int] = {}
    d._inner = inner  # type: ignore[attr-defined]
    for r in rows:
        n = int(literal(r["n"]).value)
        if r.get("inner") == f'"true"^^<{XSD.boolean}>':
            inner[r["p"]] = n
        else:
            d.inverse_counts[r["p"]] = n
    d.inverse_counts = dict(sorted(d.inverse_counts.items()))
    d.inverse_total = sum(d.inverse_counts.values())
    # Nodes minted under the resource that link back to it but are not linked from it: into
    # the closure with them, so they are neither lost nor counted as outside links.
    known: dict[str, set[str]] = defaultdict(set)
    for s, p, o in d.triples:
        if o == term and s != term:
            known[p].add(s)
    missing = [p for p, n in inner.items() if len(known.get(p, ())) < n]
    if missing:
        rows = reader.select(
            f"SELECT DISTINCT ?s WHERE {{ {values('p', missing)} ?s ?p {term} "
            f"FILTER(isIRI(?s) && STRSTARTS(STR(?s), {prefix})) }}"
        )
        new = [r["s"] for r in rows if r["s"] not in d.nodes and r["s"] not in d.skipped]
        if new:
            _closure(reader, d, new, iri_value(term) + "/", set())


def inverse_type_counts(reader: Reader, d: Description, prop: str) -> dict[str, int]:
    """The links to ``d`` by ``prop`` (a term) by the type of what links (a subject of two
    types counts for each): how many of the links the ``?property=^prop`` pages list are
    requirements, list entries … Counted as :func:`_inverse_counts` counts them, so a table
    cut to its first rows states the count its link leads to. Read once per description."""
    kept: dict[str, dict[str, int]] = d.__dict__.setdefault("_type_counts", {})
    if prop not in kept:
        # the resource's own nodes left out only where some may link by it (half the time)
        inner = getattr(d, "_inner", {prop: 1}).get(prop, 0)
        keep = f"FILTER(!(isIRI(?s) && STRSTARTS(STR(?s), {literal_term(d.iri + '/')})))"
        rows = reader.select(
            f"SELECT ?t (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s {prop} {d.term} ; {TYPE} ?t "
            f"{keep if inner else ''} }} GROUP BY ?t"
        )
        kept[prop] = {r["t"]: int(literal(r["n"]).value) for r in rows}
    return kept[prop]


def _inverse_page(reader: Reader, d: Description, term: str, prefix: str) -> None:
    """One page of inverse links (of :attr:`Description.inverse_property` alone, when set):
    properties in IRI order, each property's subjects in the store's own (stable) order.
    Each property on the page is one query that skips to its offset, so no query sorts or
    pulls all the links (sorting thousands of terms is slow)."""
    if d.inverse_first is not None:  # the first links of each property (a page's overview)
        for p, n in d.inverse_counts.items():
            _inverse_slice(reader, d, term, prefix, p, 0, min(n, d.inverse_first))
        return
    start = (d.page - 1) * d.page_size
    end = start + d.page_size
    seen = 0
    counts = d.inverse_counts
    if d.inverse_property is not None:  # one property's links: its offsets from its start
        counts = {d.inverse_property: counts.get(d.inverse_property, 0)}
    for p, n in counts.items():
        lo, hi = max(start, seen), min(end, seen + n)
        if lo < hi:
            _inverse_slice(reader, d, term, prefix, p, lo - seen, hi - lo)
        seen += n
        if seen >= end:
            break


def _inverse_slice(
    reader: Reader, d: Description, term: str, prefix: str, p: str, offset: int, limit: int
) -> None:
    """``limit`` links to ``term`` by ``p`` from ``offset`` on, in the store's order."""
    inner = d._inner.get(p, 0)  # type: ignore[attr-defined]
    keep = f"FILTER(!(isIRI(?s) && STRSTARTS(STR(?s), {prefix})))" if inner else ""
    rows = reader.select(
        f"SELECT ?s ?g WHERE {{ {{ SELECT DISTINCT ?s WHERE {{ ?s {p} {term} {keep} }} "
        f"LIMIT {limit} OFFSET {offset} }} GRAPH ?g {{ ?s {p} {term} }} }}"
    )
    for r in rows:
        d.inverse.setdefault((r["s"], p), set()).add(r["g"])


def _summaries(reader: Reader, d: Description, owners: bool) -> None:
    """Labels, types, notations and positions of everything linked that is not in the closure."""
    closure = set(d.nodes) | d.skipped
    wanted: dict[str, None] = {}
    for _, p, o in d.triples:
        # classes and ontology terms are named by the vocabulary, not the data
        if is_iri(o) and o not in closure and p != TYPE and not o.startswith(_CKG_TERM):
            wanted[o] = None
    for s, _ in d.inverse:
        if is_iri(s):
            wanted[s] = None
            if owners:
                wanted.update(dict.fromkeys(_prefixes_of(iri_value(s))))
    if owners:
        wanted.update(dict.fromkeys(_prefixes_of(d.iri)))
    wanted.pop(d.term, None)
    d.summary.update(summarize(reader, list(wanted)))
    d.forget_names()


def _prefixes_of(iri: str) -> list[str]:
    """``<a/b/c>`` → ``<a/b>``, ``<a>``: the resources a minted IRI may belong to."""
    out = []
    cut = len(iri)
    while (cut := iri.rfind("/", 0, cut)) > 8:
        out.append(f"<{iri[:cut]}>")
    return out


#: Summaries of resources, by store version: the labels of a technology or a competency are
#: read once, however many pages link to it.
_SUMMARY_CACHE = LRUCache(max_bytes=32 * 1024 * 1024, max_items=200_000)


Summary = dict[str, list[tuple[str, str, str]]]

#: The classes of the hubs: resources that hundreds of nodes are minted under or link to, whose
#: summaries many pages need. Occupations, competencies and O*NET elements hold hundreds of
#: statements each, which a summary's query scans whole (an O*NET element's page names the
#: ~100 occupations its ratings belong to: 41 of the 45 ms of its summaries at 1 M); the
#: technology and tool classes (``schema:DefinedTerm``, UNSPSC) are linked by the hundred from
#: each occupation (15 of its 19 ms of summaries).
HUB_CLASSES: tuple[str, ...] = (
    f"<{CKG.Occupation}>",
    f"<{CKG.Competency}>",
    f"<{CKG.ContentModelElement}>",
    f"<{SCHEMA.DefinedTerm}>",
)


#: Hubs listed per query (IRIs, ~80 bytes each: well under a result cap).
HUB_PAGE = 5000


def read_hub_summaries(reader: Reader) -> Summary:
    """The summaries of every hub (:data:`HUB_CLASSES`): at 1 M triples 10,840 resources,
    50,144 facts, 10 MB kept. Read as the pages read them (:func:`_read_summaries`, 400 a
    query): one query of them all would be 8 MB of results, past a small result cap."""
    hubs: dict[str, None] = {}
    for cls in HUB_CLASSES:
        offset = 0
        while True:
            rows = reader.select(
                f"SELECT DISTINCT ?x WHERE {{ ?x {TYPE} {cls} FILTER(isIRI(?x)) }} "
                f"LIMIT {HUB_PAGE} OFFSET {offset}"
            )
            hubs.update(dict.fromkeys(r["x"] for r in rows))
            if len(rows) < HUB_PAGE:
                break
            offset += HUB_PAGE
    return {t: facts for t, facts in _read_summaries(reader, list(hubs)).items() if facts}


def hub_summaries(reader: Reader, read: Callable[[], Summary] | None = None) -> Summary:
    """The hubs' summaries, read once per store version and shared by every page (``read``:
    how, when it is not read yet; default :func:`read_hub_summaries`); none without a
    version (nothing is cached then)."""
    if reader.version is None:
        return {}

    def read_settled() -> Summary:
        found = read() if read else read_hub_summaries(reader)
        settle_heap()  # a long-lived table: out of the full collections' way
        return found

    return memo("hub-summaries", reader.version, None, read_settled)


def ready_hub_summaries(reader: Reader) -> Summary:
    """The hubs' summaries if they are read already for the store's version, else none: a
    page never waits for them (seconds on a big store; the warmer's ``basics`` step reads
    them), it reads the summaries it needs itself meanwhile."""
    if reader.version is None:
        return {}
    found = versioned_cache.CACHE.find(
        ("page", "hub-summaries", None), reader.version, count_miss=False
    )
    return {} if found is versioned_cache.MISSING else found


def summarize(reader: Reader, terms: Sequence[str]) -> Summary:
    """Labels, types, codes, positions of IRIs (with the graph of each), cached per version:
    the hubs' from :func:`hub_summaries`, the others' in an LRU cache."""
    out: Summary = {}
    missing: list[str] = []
    hubs = ready_hub_summaries(reader)
    for t in terms:
        if t in hubs:
            out[t] = hubs[t]
            continue
        hit = _SUMMARY_CACHE.get((reader.version, t)) if reader.version else None
        if hit is None:
            missing.append(t)
        elif hit:
            out[t] = hit
    for t, facts in _read_summaries(reader, missing).items():
        if facts:
            out[t] = facts
        if reader.version:
            _SUMMARY_CACHE.put((reader.version, t), facts, 64 + sum(map(_size, facts)))
    return out


def _read_summaries(reader: Reader, terms: Sequence[str]) -> Summary:
    """The summary facts of ``terms`` (none: an empty list), 400 terms a query."""
    props = ", ".join(SUMMARY_PROPS)
    found: Summary = {}
    for part in chunks(terms):
        found.update((t, []) for t in part)
        rows = reader.select(
            f"SELECT ?x ?p ?v ?g WHERE {{ {values('x', part)} GRAPH ?g {{ ?x ?p ?v }} "
            f"FILTER(?p IN ({props})) }}"
        )
        for r in rows:  # properties and graphs are few: one string each, not one a fact
            found[r["x"]].append((sys.intern(r["p"]), r["v"], sys.intern(r["g"])))
    return found


def _size(fact: tuple[str, str, str]) -> int:
    return len(fact[0]) + len(fact[1]) + len(fact[2])
