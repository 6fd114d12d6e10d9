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
  checksum, loader, licence, attribution — :func:`sources`).

Terms travel as N-Triples text (``<iri>``, ``"text"@en``, ``"4"^^<…#decimal>``, ``_:b0``):
they come straight out of the engine's TSV results, are hashable and cheap, and are written back
as N-Quads, which Oxigraph parses and re-serializes in every RDF format, so every format carries
exactly the same triples (:func:`serialize`).

Every query runs through the application's query executor (worker processes that can be
stopped, reopening the store after a load). Values from outside (IRIs from request paths,
search text) only ever enter a query as terms written by Oxigraph's own serializer
(:func:`iri_term`, :func:`literal_term`), never as raw text.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox

from competency_kg.labels import RULES, rule_for
from competency_kg.namespaces import ONTOLOGY_IRI, PREFIXES
from competency_kg.query_pool import InlineExecutor
from competency_kg.sparql.text import QueryInfo
from competency_kg.store.versions import state_token
from competency_kg.versioned_cache import VersionedCache

# --------------------------------------------------------------------------- vocabulary IRIs
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS_NS = "http://www.w3.org/2000/01/rdf-schema#"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
SKOS_NS = "http://www.w3.org/2004/02/skos/core#"
DCT_NS = "http://purl.org/dc/terms/"
PROV_NS = "http://www.w3.org/ns/prov#"
SCHEMA_NS = "https://schema.org/"
CEASN_NS = "https://purl.org/ctdlasn/terms/"
CETERMS_NS = "https://purl.org/ctdl/terms/"
CC_NS = "http://creativecommons.org/ns#"
VOID_NS = "http://rdfs.org/ns/void#"
OWL_NS = "http://www.w3.org/2002/07/owl#"
HYDRA_NS = "http://www.w3.org/ns/hydra/core#"
FOAF_NS = "http://xmlns.com/foaf/0.1/"
CKG_NS = ONTOLOGY_IRI + "#"
SHAPES_IRI = "https://w3id.org/competency-kg/shapes"

#: Prefixes written in Turtle, TriG and RDF/XML documents.
DOC_PREFIXES: dict[str, str] = {
    **PREFIXES,
    "hydra": HYDRA_NS,
    "foaf": FOAF_NS,
    "ckgsh": SHAPES_IRI + "#",
}

TYPE = f"<{RDF_NS}type>"
#: Properties that name a resource, best first.
LABEL_PROPS: tuple[str, ...] = (
    f"<{SKOS_NS}prefLabel>",
    f"<{RDFS_NS}label>",
    f"<{DCT_NS}title>",
    f"<{SCHEMA_NS}name>",
    f"<{CEASN_NS}name>",
    f"<{CEASN_NS}competencyLabel>",
    f"<{FOAF_NS}name>",
    f"<{SKOS_NS}altLabel>",
)
NOTATION = f"<{SKOS_NS}notation>"
POSITION = f"<{SCHEMA_NS}position>"
#: What the summary of a linked resource holds: enough to name, type and order it.
SUMMARY_PROPS: tuple[str, ...] = (
    *LABEL_PROPS[:-1],
    TYPE,
    NOTATION,
    POSITION,
    f"<{CKG_NS}competencyKind>",
    f"<{CKG_NS}matchMethod>",
    f"<{CKG_NS}evidence>",
)

#: Inverse links per page of a description (documents and HTML pages alike).
INVERSE_PAGE_SIZE = 100
#: How deep blank nodes nested in blank nodes are followed.
MAX_BNODE_DEPTH = 6
#: Limit for one page's queries (the executor's own limit applies when lower).
PAGE_QUERY_TIMEOUT = 20.0

_CKG_TERM = "<" + CKG_NS
_SELECT = QueryInfo(form="select", has_dataset=False, uses_service=False)


# --------------------------------------------------------------------------- terms
def iri_term(iri: str) -> str:
    """``<iri>`` as N-Triples, checked by Oxigraph (:class:`ValueError` if not an IRI)."""
    return str(ox.NamedNode(iri))


def literal_term(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    """A literal as N-Triples, escaped by Oxigraph: safe to put in a query as data."""
    if lang:
        return str(ox.Literal(text, language=lang))
    if datatype:
        return str(ox.Literal(text, datatype=ox.NamedNode(datatype)))
    return str(ox.Literal(text))


def int_term(n: int) -> str:
    return f'"{int(n)}"^^<{XSD_NS}integer>'


def is_iri(term: str) -> bool:
    return term.startswith("<")


def is_bnode(term: str) -> bool:
    return term.startswith("_:")


def is_literal(term: str) -> bool:
    return term.startswith('"')


def iri_value(term: str) -> str:
    """The IRI of an ``<iri>`` term."""
    return term[1:-1]


@dataclass(frozen=True, slots=True)
class Lit:
    """A literal, decoded: lexical value, language tag, datatype IRI."""

    value: str
    lang: str | None
    datatype: str

    @property
    def number(self) -> float | None:
        if self.datatype in _NUMERIC:
            try:
                return float(self.value)
            except ValueError:
                return None
        return None


_NUMERIC = {XSD_NS + t for t in ("integer", "decimal", "double", "float", "int", "long")}
_ECHAR = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text

    def sub(m: re.Match[str]) -> str:
        if m.group(3) is not None:
            return _ECHARS.get(m.group(3), m.group(3))
        return chr(int(m.group(1) or m.group(2), 16))

    return _ECHAR.sub(sub, text)


@lru_cache(maxsize=65536)
def literal(term: str) -> Lit:
    """Decode an N-Triples literal term."""
    end = term.rfind('"')
    value = _unescape(term[1:end])
    rest = term[end + 1 :]
    if rest.startswith("@"):
        return Lit(value, rest[1:], RDF_NS + "langString")
    if rest.startswith("^^<"):
        return Lit(value, None, rest[3:-1])
    return Lit(value, None, XSD_NS + "string")


def text(term: str) -> str:
    """A term as plain text: a literal's value, an IRI, a blank node's label."""
    if is_literal(term):
        return literal(term).value
    if is_iri(term):
        return iri_value(term)
    return term


def number(term: str | None) -> float | None:
    if term is None or not is_literal(term):
        return None
    lit = literal(term)
    n = lit.number
    if n is None:
        try:
            n = float(lit.value)
        except ValueError:
            return None
    return n


_BARE_INTEGER = re.compile(r"^[+-]?\d+$")
_BARE_DECIMAL = re.compile(r"^[+-]?\d*\.\d+$")
_BARE_DOUBLE = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+$")


def _tsv_term(cell: str) -> str:
    """A TSV result cell as an N-Triples term (TSV writes some literals bare, Turtle-style)."""
    c = cell[0]
    if c == "<" or c == '"' or c == "_":
        return cell
    if cell in ("true", "false"):
        return f'"{cell}"^^<{XSD_NS}boolean>'
    if _BARE_INTEGER.match(cell):
        return f'"{cell}"^^<{XSD_NS}integer>'
    if _BARE_DECIMAL.match(cell):
        return f'"{cell}"^^<{XSD_NS}decimal>'
    if _BARE_DOUBLE.match(cell):
        return f'"{cell}"^^<{XSD_NS}double>'
    if c == "'":  # other engines may quote with single quotes
        return str(ox.Literal(_unescape(cell[1:-1])))
    raise ValueError(f"unexpected term in query results: {cell[:80]!r}")


def _json_term(cell: dict[str, str]) -> str:
    kind = cell.get("type")
    value = cell.get("value", "")
    if kind == "uri":
        return f"<{value}>"
    if kind == "bnode":
        return f"_:{value}"
    lang = cell.get("xml:lang")
    datatype = cell.get("datatype")
    return literal_term(value, lang=lang, datatype=None if lang else datatype)


# --------------------------------------------------------------------------- caching
def store_fingerprint(path: str) -> str | None:
    """A cheap token that changes whenever a load changes the embedded store.

    The same signal the query workers watch to reopen the store: its published version
    (:func:`competency_kg.store.versions.state_token`), or for a store without one, the
    folder's mtime and the write-ahead logs' sizes. None for a remote store or a store that
    is not a folder.
    """
    if path.startswith(("http://", "https://")):
        return None
    token = state_token(Path(path))
    if token is not None:
        return token
    try:
        parts = [str(os.stat(path).st_mtime_ns)]
        with os.scandir(path) as it:
            for e in it:
                if e.name.endswith(".log"):
                    parts.append(f"{e.name}:{e.stat().st_size}")
    except OSError:
        return None
    return hashlib.sha1("|".join(sorted(parts)).encode()).hexdigest()[:16]


class LRUCache:
    """A small thread-safe LRU cache bounded by the total size of its values."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, max_items: int = 2048) -> None:
        self.max_bytes = max_bytes
        self.max_items = max_items
        self._data: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            self._data.move_to_end(key)
            return hit[0]

    def put(self, key: Any, value: Any, size: int) -> None:
        if size > self.max_bytes // 4:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._data[key] = (value, size)
            self._bytes += size
            while self._data and (self._bytes > self.max_bytes or len(self._data) > self.max_items):
                _, (_, n) = self._data.popitem(last=False)
                self._bytes -= n

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0


_MEMO = VersionedCache()


def memo(name: str, version: str | None, key: Any, fn: Callable[[], Any]) -> Any:
    """``fn()``, remembered for as long as the store ``version`` stays the same, computed
    once for concurrent callers (:class:`VersionedCache`)."""
    if version is None:
        return fn()
    return _MEMO.get((name, key), version, fn)


# --------------------------------------------------------------------------- reading
Row = dict[str, str]


class Reader:
    """Runs SELECT queries for the pages; rows map variable names to N-Triples terms."""

    def __init__(
        self,
        executor: Any = None,
        timeout: float = PAGE_QUERY_TIMEOUT,
        version: str | None = None,
    ) -> None:
        if executor is None:
            from competency_kg.web.state import query_executor

            executor = query_executor()
        self.executor = executor
        limit = getattr(executor, "timeout", timeout)
        self.timeout = min(timeout, limit) if limit else timeout
        # Remote engines write TSV their own way; their JSON is standard everywhere.
        self.json = isinstance(executor, InlineExecutor) and (
            getattr(executor.store, "oxigraph", None) is None
        )
        self.queries = 0
        #: the store's state (:func:`store_fingerprint`): what may be cached is cached under it
        self.version = version

    def select(self, query: str) -> list[Row]:
        self.queries += 1
        mime = "application/sparql-results+json" if self.json else "text/tab-separated-values"
        result = self.executor.run(
            query, results_mime=mime, graph_mime=None, timeout=self.timeout, info=_SELECT
        )
        return _json_rows(result.data) if self.json else _tsv_rows(result.data)


def _tsv_rows(data: bytes) -> list[Row]:
    lines = data.decode("utf-8").split("\n")
    if not lines or not lines[0]:
        return []
    names = [v[1:] for v in lines[0].split("\t")]
    rows: list[Row] = []
    for line in lines[1:]:
        if not line:
            continue
        row: Row = {}
        for name, cell in zip(names, line.split("\t"), strict=False):
            if cell:
                row[name] = _tsv_term(cell)
        rows.append(row)
    return rows


def _json_rows(data: bytes) -> list[Row]:
    import json

    doc = json.loads(data)
    return [
        {k: _json_term(v) for k, v in b.items()} for b in doc.get("results", {}).get("bindings", [])
    ]


def values(var: str, terms: Iterable[str]) -> str:
    """``VALUES ?var { … }`` over terms already written by this module (never raw text)."""
    return f"VALUES ?{var} {{ {' '.join(terms)} }}"


def chunks(items: Sequence[str], size: int = 400) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --------------------------------------------------------------------------- descriptions
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
    #: named graphs the resource is the name of (a source graph, the metadata graph …)
    is_graph: bool = False
    #: what label rules read about linked nodes (:func:`complete_labels`), pages only: the RDF
    #: documents never carry it. Inverse links are under ``^<property>``.
    extra: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)

    # -- derived views
    @property
    def pages(self) -> int:
        return max(1, -(-self.inverse_total // self.page_size))

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


def best_text(terms: Sequence[str]) -> str:
    """The English (or untagged) text among literal terms, else the first."""
    best: str | None = None
    for t in terms:
        if not is_literal(t):
            continue
        lit = literal(t)
        if lit.lang is None or lit.lang.lower().startswith("en"):
            return lit.value
        if best is None:
            best = lit.value
    return best if best is not None else text(terms[0])


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
) -> Description:
    """Describe ``iri`` (see the module doc); :class:`NotFound` when the store has nothing.

    ``skip_predicates`` (terms) leaves the nodes they lead to unexpanded (a page that does not
    show measurements need not read them); RDF documents never skip anything. ``owners``
    also summarizes the resources that inverse-link subjects are minted under; without
    ``inverse`` the inverse links are not read at all. ``members`` (terms) are described
    with it, as its closure: the hash IRIs of a document (``{iri}#x``, see
    :func:`hash_documents`).
    """
    term = iri_term(iri)
    d = Description(iri=iri, term=term, page=page, page_size=page_size)
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


#: Graphs bigger than this (by the metadata's count) are not searched for hash IRIs.
HASH_SCAN_MAX = 200_000


def hash_documents(reader: Reader, base: str, sources: dict[str, Source]) -> dict[str, list[str]]:
    """Hash IRIs under the base (``{base}curation/seeds#f-1``) by the document IRI they share
    (``{base}curation/seeds``): dereferencing the document describes them all. Only graphs
    that can hold them are searched — corrections and plain RDF files of at most
    :data:`HASH_SCAN_MAX` triples: the other loaders mint slash IRIs (scanning every source
    took 4 s at 1 M triples)."""
    small = [
        iri_term(g)
        for g, src in sources.items()
        if (src.triples or 0) <= HASH_SCAN_MAX
        and (src.kind == "curation" or src.loader in (None, "rdf"))
    ]
    if not small:
        return {}
    rows = reader.select(
        f"SELECT DISTINCT ?s WHERE {{ {values('g', small)} GRAPH ?g {{ ?s ?p ?o }} "
        f"FILTER(isIRI(?s) && STRSTARTS(STR(?s), {literal_term(base)}) "
        "&& CONTAINS(STR(?s), '#')) }"
    )
    out: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        doc = iri_value(r["s"]).split("#", 1)[0]
        out[doc].append(r["s"])
    return {doc: sorted(members) for doc, members in out.items()}


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
        if r.get("inner") == f'"true"^^<{XSD_NS}boolean>':
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


def _inverse_page(reader: Reader, d: Description, term: str, prefix: str) -> None:
    """One page of inverse links: properties in IRI order, each property's subjects in the
    store's own (stable) order. Each property on the page is one query that skips to its
    offset, so no query sorts or pulls all the links (sorting thousands of terms is slow)."""
    start = (d.page - 1) * d.page_size
    end = start + d.page_size
    seen = 0
    for p, n in d.inverse_counts.items():
        lo, hi = max(start, seen), min(end, seen + n)
        if lo < hi:
            inner = d._inner.get(p, 0)  # type: ignore[attr-defined]
            keep = f"FILTER(!(isIRI(?s) && STRSTARTS(STR(?s), {prefix})))" if inner else ""
            rows = reader.select(
                f"SELECT ?s ?g WHERE {{ {{ SELECT DISTINCT ?s WHERE {{ ?s {p} {term} {keep} }} "
                f"LIMIT {hi - lo} OFFSET {lo - seen} }} GRAPH ?g {{ ?s {p} {term} }} }}"
            )
            for r in rows:
                d.inverse.setdefault((r["s"], p), set()).add(r["g"])
        seen += n
        if seen >= end:
            break


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


def summarize(reader: Reader, terms: Sequence[str]) -> dict[str, list[tuple[str, str, str]]]:
    """Labels, types, codes, positions of IRIs (with the graph of each), cached per version."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    missing: list[str] = []
    for t in terms:
        hit = _SUMMARY_CACHE.get((reader.version, t)) if reader.version else None
        if hit is None:
            missing.append(t)
        elif hit:
            out[t] = hit
    props = ", ".join(SUMMARY_PROPS)
    for part in chunks(missing):
        found: dict[str, list[tuple[str, str, str]]] = {t: [] for t in part}
        rows = reader.select(
            f"SELECT ?x ?p ?v ?g WHERE {{ {values('x', part)} GRAPH ?g {{ ?x ?p ?v }} "
            f"FILTER(?p IN ({props})) }}"
        )
        for r in rows:
            found[r["x"]].append((r["p"], r["v"], r["g"]))
        for t, facts in found.items():
            if facts:
                out[t] = facts
            if reader.version:
                _SUMMARY_CACHE.put((reader.version, t), facts, 64 + sum(map(_size, facts)))
    return out


#: Past this many nodes left unexpanded (an occupation's measurements), none is named.
MAX_SKIPPED_NAMED = 150


def complete_labels(reader: Reader, d: Description, nodes: Iterable[str], rounds: int = 2) -> None:
    """Read what the label rules (:mod:`competency_kg.labels`) need about the unlabelled
    ``nodes`` known only by a summary (or not at all: nodes left unexpanded), and the names of
    what that points to, into ``d.extra``: enough for every node to be named from its data.
    ``rounds`` bounds the chain (a retracted statement about an unplaced entry takes two)."""
    wanted = list(dict.fromkeys(nodes))
    for _ in range(rounds):
        todo = [
            n
            for n in wanted
            if is_iri(n)
            and n not in d.extra
            and not d.props(n)
            and d.label(n) is None
            and (rule_for(d.types(n)) is not None or (n in d.skipped and not d.types(n)))
        ]
        if not todo:
            return
        rules = list(RULES.values())
        props = sorted({p for r in rules for p in r.props} | {TYPE})
        refs = sorted({p for r in rules for p in r.referrers})
        found: dict[str, list[tuple[str, str, str]]] = {n: [] for n in todo}
        for part in chunks(todo):
            for r in reader.select(
                f"SELECT DISTINCT ?x ?p ?v WHERE {{ {values('x', part)} ?x ?p ?v "
                f"FILTER(?p IN ({', '.join(props)})) }}"
            ):
                found[r["x"]].append((r["p"], r["v"], ""))
            for r in reader.select(
                f"SELECT DISTINCT ?x ?p ?v WHERE {{ {values('x', part)} ?v ?p ?x "
                f"FILTER(?p IN ({', '.join(refs)})) }}"
            ):
                found[r["x"]].append(("^" + r["p"], r["v"], ""))
        d.extra.update(found)
        linked = {v for facts in found.values() for p, v, _ in facts if is_iri(v) and p != TYPE}
        unknown = [v for v in linked if not d.facts(v) and not v.startswith(_CKG_TERM)]
        d.summary.update(summarize(reader, unknown))
        wanted = list(linked)


def _size(fact: tuple[str, str, str]) -> int:
    return len(fact[0]) + len(fact[1]) + len(fact[2])


# --------------------------------------------------------------------------- sources
@dataclass
class Cited:
    """A source a document names, with the licence the document states for it (not its own)."""

    iri: str
    title: str
    licences: list[str] = field(default_factory=list)
    url: str | None = None


@dataclass
class Source:
    """A named graph and where its facts came from (from the metadata graph)."""

    graph: str  # IRI
    title: str | None = None
    file: str | None = None
    checksum: str | None = None
    loader: str | None = None
    generated: str | None = None
    triples: int | None = None
    licences: list[str] = field(default_factory=list)
    attribution: str | None = None
    publisher: str | None = None
    version: str | None = None
    description: str | None = None
    kind: str = "source"  # "source", "links", "entailed", "metadata", "curation", "other"
    document: str | None = None  # the source document's IRI
    number: int = 0  # its footnote number on a page
    cites: list[Cited] = field(default_factory=list)  # the sources the document names

    @property
    def name(self) -> str:
        return self.title or self.file or self.graph.rsplit("/", 1)[-1]

    @property
    def names(self) -> list[str]:
        """Every name a page shows for it: title, file name, graph IRI, graph local name."""
        out = [self.title, self.file, self.graph, self.graph.rstrip("/").rsplit("/", 1)[-1]]
        return list(dict.fromkeys(n for n in out if n))


def licence_name(iri: str) -> str:
    """A short name for a licence IRI: ``CC BY 4.0`` for Creative Commons ones."""
    m = re.match(r"https?://creativecommons\.org/licenses/([a-z-]+)/(\d\.\d)/?$", iri)
    if m:
        return f"CC {m.group(1).upper().replace('-', ' ')} {m.group(2)}"
    if re.match(r"https?://creativecommons\.org/publicdomain/zero/1\.0/?$", iri):
        return "CC0 1.0"
    return iri


def read_sources(reader: Reader, base: str) -> dict[str, Source]:
    """Every named graph with what the metadata graph says about it, by graph IRI."""
    meta = base + "graph/metadata"
    rows = reader.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH {iri_term(meta)} {{ ?s ?p ?o }} }}")
    facts: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        facts[r["s"]][r["p"]].append(r["o"])
    names = [r["g"] for r in reader.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")]
    out: dict[str, Source] = {}
    for g in sorted(set(names) | {s for s, f in facts.items() if _is_source_graph(f)}):
        if not is_iri(g):
            continue
        f = facts.get(g, {})
        src = Source(graph=iri_value(g))

        def one(prop: str, facts: dict[str, list[str]] = f) -> str | None:
            vals = facts.get(prop)
            return best_text(vals) if vals else None

        src.title = one(f"<{DCT_NS}title>") or one(f"<{RDFS_NS}label>")
        src.loader = one(f"<{CKG_NS}loader>")
        src.generated = one(f"<{PROV_NS}generatedAtTime>")
        n = one(f"<{VOID_NS}triples>")
        src.triples = int(n) if n and n.isdigit() else None
        src.licences = sorted({iri_value(v) for v in f.get(f"<{DCT_NS}license>", []) if is_iri(v)})
        src.attribution = one(f"<{CC_NS}attributionName>")
        src.publisher = one(f"<{DCT_NS}publisher>")
        src.version = one(f"<{SCHEMA_NS}version>")
        src.description = one(f"<{DCT_NS}description>") or one(f"<{RDFS_NS}comment>")
        doc = (f.get(f"<{DCT_NS}source>") or [None])[0]
        if doc is not None and is_iri(doc):
            src.document = iri_value(doc)
        if doc is not None and doc in facts:
            df = facts[doc]
            # ckg:fileName; a store loaded before titles existed has the file name as title
            named = df.get(f"<{CKG_NS}fileName>") or df.get(f"<{DCT_NS}title>")
            src.file = best_text(named) if named else None
            src.title = src.title or (
                best_text(df[f"<{DCT_NS}title>"]) if df.get(f"<{DCT_NS}title>") else None
            )
            cs = df.get(f"<{CKG_NS}checksum>")
            src.checksum = best_text(cs) if cs else None
            src.cites = [
                _cited(c, facts[c]) for c in sorted(df.get(f"<{DCT_NS}source>", [])) if c in facts
            ]
        if g == iri_term(meta):
            src.kind, src.title = "metadata", src.title or "Metadata of the sources"
        elif g == iri_term(base + "graph/links"):
            src.kind = "links"
        elif g == iri_term(base + "graph/entailed"):
            src.kind = "entailed"  # competency_kg/entailment.py: derived, not a source
        elif iri_value(g).startswith(base + "graph/curation/"):
            src.kind = "curation"
        elif not f:
            src.kind = "other"
        out[iri_value(g)] = src
    for src in out.values():  # corrections are named after the source they correct
        if src.kind == "curation" and not src.title:
            corrected = out.get(base + "graph/" + src.graph.rsplit("/", 1)[-1])
            src.title = f"Corrections to {corrected.name if corrected else src.name}"
            if corrected is not None and not src.licences:
                src.licences = corrected.licences
                src.attribution = src.attribution or corrected.attribution
    return out


def _cited(node: str, f: dict[str, list[str]]) -> Cited:
    titles = f.get(f"<{DCT_NS}title>")
    urls = f.get(f"<{SCHEMA_NS}url>")
    return Cited(
        iri_value(node) if is_iri(node) else node,
        best_text(titles) if titles else local_name(iri_value(node)),
        sorted({iri_value(v) for v in f.get(f"<{DCT_NS}license>", []) if is_iri(v)}),
        best_text(urls) if urls else None,
    )


def _is_source_graph(f: dict[str, list[str]]) -> bool:
    return f"<{CKG_NS}SourceGraph>" in f.get(TYPE, [])


def class_counts(reader: Reader) -> list[tuple[str, int]]:
    """Distinct instances per class over all graphs (IRI, count), most first."""
    rows = reader.select(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c"
    )
    out = [(iri_value(r["c"]), int(literal(r["n"]).value)) for r in rows]
    return sorted(out, key=lambda x: (-x[1], x[0]))


# --------------------------------------------------------------------------- RDF documents
Quad = tuple[str, str, str, str | None]

#: Media type → (Oxigraph format, carries graphs).
RDF_FORMATS: dict[str, tuple[ox.RdfFormat, bool]] = {
    "text/turtle": (ox.RdfFormat.TURTLE, False),
    "application/ld+json": (ox.RdfFormat.JSON_LD, False),
    "application/rdf+xml": (ox.RdfFormat.RDF_XML, False),
    "application/n-triples": (ox.RdfFormat.N_TRIPLES, False),
    "application/trig": (ox.RdfFormat.TRIG, True),
    "application/n-quads": (ox.RdfFormat.N_QUADS, True),
}
CONTENT_TYPES: dict[str, str] = {
    "text/turtle": "text/turtle; charset=utf-8",
    "application/ld+json": "application/ld+json",
    "application/rdf+xml": "application/rdf+xml",
    "application/n-triples": "application/n-triples",
    "application/trig": "application/trig; charset=utf-8",
    "application/n-quads": "application/n-quads",
}


class NotWritable(ValueError):
    """The description cannot be written in the format asked for (RDF/XML's limits)."""


#: RDF/XML writes a property as an XML element: its IRI must end in an XML name.
_XML_NAME_END = re.compile(r"[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*$")


def serialize(quads: Iterable[Quad], mime: str) -> bytes:
    """Write quads (N-Triples terms; graph None = default graph) in an RDF format.

    Triple formats get each distinct triple once, whatever graphs state it; quad formats
    keep one quad per graph. Everything goes through Oxigraph's parser and serializers, so a
    format never changes the triples.
    """
    fmt, with_graphs = RDF_FORMATS[mime]
    lines: dict[str, None] = {}
    if with_graphs:
        for s, p, o, g in quads:
            lines[f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n"] = None
        text = "".join(lines)
        parsed = list(ox.parse(text.encode("utf-8"), ox.RdfFormat.N_QUADS))
        prefixes = _prefixes(fmt, text)
        return ox.serialize(_grouped_quads(parsed), format=fmt, prefixes=prefixes) or b""
    predicates: set[str] = set()
    for s, p, o, _ in quads:
        lines[f"{s} {p} {o} .\n"] = None
        predicates.add(p)
    if fmt == ox.RdfFormat.RDF_XML:
        for p in sorted(predicates):
            if not _XML_NAME_END.search(iri_value(p)):
                raise NotWritable(
                    f"RDF/XML cannot write the property {p} (its IRI does not end in an XML "
                    "name); ask for Turtle, JSON-LD or N-Triples"
                )
    text = "".join(lines)
    triples = list(ox.parse(text.encode("utf-8"), ox.RdfFormat.N_TRIPLES))
    body = ox.serialize(triples, format=fmt, prefixes=_prefixes(fmt, text)) or b""
    if fmt == ox.RdfFormat.JSON_LD:
        return compact_jsonld(body, DOC_PREFIXES)
    return body


_RDF_TYPE = RDF_NS + "type"


def _all_iris(values: list[Any]) -> bool:
    """Whether every value is a reference to an IRI node (``rdf:type`` can then be ``@type``)."""
    return all(
        isinstance(v, dict) and set(v) == {"@id"} and not v["@id"].startswith("_:") for v in values
    )


def compact_jsonld(expanded: bytes, prefixes: dict[str, str]) -> bytes:
    """Expanded JSON-LD (what Oxigraph writes) with a ``@context`` of the prefixes it uses,
    compact IRIs (JSON-LD 1.1 §4.1.5) for properties, types and node references, and
    ``rdf:type`` written as ``@type``.

    Only names change, never the triples: every ``prefix:local`` expands back to the same IRI
    through the context, which is inline (nothing to fetch).

    >>> doc = b'[{"@id": "http://x.org/a", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type":'
    >>> doc += b' [{"@id": "http://x.org/T"}],'
    >>> doc += b' "http://x.org/p": [{"@id": "http://x.org/b"}, {"@value": "1"}]}]'
    >>> print(compact_jsonld(doc, {"x": "http://x.org/"}).decode())
    {"@context":{"x":"http://x.org/"},"@graph":[{"@id":"x:a","@type":["x:T"],"x:p":[{"@id":"x:b"},{"@value":"1"}]}]}
    """
    ordered = sorted(prefixes.items(), key=lambda kv: -len(kv[1]))
    used: dict[str, str] = {}

    def curie(iri: str) -> str:
        for prefix, ns in ordered:
            if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns) :].startswith("//"):
                used[prefix] = ns
                return f"{prefix}:{iri[len(ns) :]}"
        return iri

    def value(v: dict[str, Any]) -> dict[str, Any]:
        if "@value" in v:
            return {k: curie(x) if k == "@type" else x for k, x in v.items()}
        return node(v)

    def node(n: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, v in n.items():
            if key == "@id":
                out[key] = curie(v)
            elif key == "@type" or (key == _RDF_TYPE and _all_iris(v)):
                types = [t["@id"] if isinstance(t, dict) else t for t in v]
                out["@type"] = out.get("@type", []) + [curie(t) for t in types]
            elif key.startswith("@"):
                out[key] = v
            else:
                out[curie(key)] = [value(x) for x in v]
        return out

    nodes = [node(n) for n in json.loads(expanded)]
    doc = {"@context": dict(sorted(used.items())), "@graph": nodes}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _grouped_quads(quads: list[ox.Quad]) -> list[ox.Quad]:
    """Quads ordered graph by graph (TriG writes one block per run of a graph)."""
    order: dict[Any, int] = {}
    for q in quads:
        order.setdefault(q.graph_name, len(order))
    return sorted(quads, key=lambda q: order[q.graph_name])


def _prefixes(fmt: ox.RdfFormat, text: str) -> dict[str, str] | None:
    """The document prefixes the text uses (N-Triples, N-Quads and JSON-LD have none)."""
    if fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS, ox.RdfFormat.JSON_LD):
        return None
    return {p: ns for p, ns in DOC_PREFIXES.items() if "<" + ns in text}


def description_quads(
    d: Description,
    doc_url: Callable[[int], str],
    collection: str,
    sources: dict[str, Source],
    metadata_graph: str,
) -> list[Quad]:
    """The quads of a description document (see the README's "What a resource's RDF holds").

    ``doc_url(n)`` is the address of page ``n`` of the document on this server and
    ``collection`` the IRI of the collection of inverse links (hydra).
    """
    out: list[Quad] = []
    # own triples, then the closure, subject by subject
    order = {n: i for i, n in enumerate(d.nodes)}
    by_subject: dict[str, list[tuple[str, str, set[str]]]] = defaultdict(list)
    for (s, p, o), gs in d.triples.items():
        by_subject[s].append((p, o, gs))
    for s in sorted(by_subject, key=lambda n: order.get(n, len(order))):
        for p, o, gs in sorted(by_subject[s], key=lambda x: (_prop_rank(x[0]), x[0], x[1])):
            out.extend((s, p, o, g) for g in sorted(gs))
    # the inverse links of this page
    for (s, p), gs in d.inverse.items():
        out.extend((s, p, d.term, g) for g in sorted(gs))
    # labels, types … of what it links to
    linked: set[str] = {o for (_, _, o) in d.triples if is_iri(o)} | {s for s, _ in d.inverse}
    linked.update(d.skipped)
    for x in sorted(d.summary):
        if x in linked:
            for p, v, g in d.summary[x]:
                out.append((x, p, v, g))
    out.extend(paging_quads(d, doc_url, collection))
    out.extend(source_quads(d, doc_url(d.page), sources, metadata_graph))
    return out


def paging_quads(d: Description, doc_url: Callable[[int], str], collection: str) -> list[Quad]:
    """The document, its place among the pages, and the counts of inverse links (hydra)."""
    h = HYDRA_NS
    doc = iri_term(doc_url(d.page))
    coll = iri_term(collection)
    q: list[Quad] = [
        (doc, TYPE, f"<{FOAF_NS}Document>", None),
        (doc, TYPE, f"<{h}PartialCollectionView>", None),
        (doc, f"<{FOAF_NS}primaryTopic>", d.term, None),
        (coll, TYPE, f"<{h}Collection>", None),
        (coll, f"<{RDFS_NS}label>", literal_term("resources linking to this one", "en"), None),
        (coll, f"<{h}manages>", iri_term(collection + "-block"), None),
        (iri_term(collection + "-block"), f"<{h}object>", d.term, None),
        (coll, f"<{h}totalItems>", int_term(d.inverse_total), None),
        (coll, f"<{h}view>", doc, None),
        (doc, f"<{h}first>", iri_term(doc_url(1)), None),
        (doc, f"<{h}last>", iri_term(doc_url(d.pages)), None),
        (doc, f"<{HYDRA_NS}itemsPerPage>", int_term(d.page_size), None),
    ]
    if d.page > 1:
        q.append((doc, f"<{h}previous>", iri_term(doc_url(d.page - 1)), None))
    if d.page < d.pages:
        q.append((doc, f"<{h}next>", iri_term(doc_url(d.page + 1)), None))
    for i, (p, n) in enumerate(d.inverse_counts.items(), start=1):
        part = iri_term(f"{collection}-{i}")
        block = iri_term(f"{collection}-{i}-block")
        q += [
            (coll, f"<{h}member>", part, None),
            (part, TYPE, f"<{h}Collection>", None),
            (part, f"<{h}manages>", block, None),
            (block, f"<{h}property>", p, None),
            (block, f"<{h}object>", d.term, None),
            (part, f"<{h}totalItems>", int_term(n), None),
        ]
    return q


def source_quads(
    d: Description, doc: str, sources: dict[str, Source], metadata_graph: str
) -> list[Quad]:
    """Which graphs the document's facts come from, with their licence and attribution."""
    out: list[Quad] = []
    meta = iri_term(metadata_graph)
    for g in sorted(d.graphs):
        src = sources.get(iri_value(g)) if is_iri(g) else None
        out.append((iri_term(doc), f"<{DCT_NS}source>", g, None))
        if src is None:
            continue
        if src.title:
            out.append((g, f"<{DCT_NS}title>", literal_term(src.title), meta))
        for lic in src.licences:
            out.append((g, f"<{DCT_NS}license>", iri_term(lic), meta))
        if src.attribution:
            out.append((g, f"<{CC_NS}attributionName>", literal_term(src.attribution), meta))
    return out


_PROP_ORDER = {
    TYPE: 0,
    **{p: 1 + i for i, p in enumerate(LABEL_PROPS)},
    NOTATION: 10,
    f"<{SKOS_NS}definition>": 11,
}


def _prop_rank(p: str) -> int:
    return _PROP_ORDER.get(p, 50)


# --------------------------------------------------------------------------- names of terms
def compact(iri: str) -> str:
    """``ckg:Occupation`` for an IRI under a known prefix, else the IRI."""
    for prefix, ns in _SORTED_PREFIXES:
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


_SORTED_PREFIXES = sorted(DOC_PREFIXES.items(), key=lambda kv: -len(kv[1]))


def local_name(iri: str) -> str:
    for sep in ("#", "/"):
        if sep in iri.rstrip(sep):
            tail = iri.rstrip(sep).rsplit(sep, 1)[1]
            if tail:
                return tail
    return iri


def humanize(name: str) -> str:
    """``hasTopConcept`` → ``has top concept`` (acronyms kept: ``SVP range``)."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").replace("-", " ")
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words.split())


def quote_path(path: str) -> str:
    """Percent-encode what may not appear raw in a URL path (IRIs allow more)."""
    return quote(path, safe="/:@!$&'()*+,;=~-._%#")
