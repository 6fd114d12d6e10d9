"""Instances per class from figures kept per store version: ``SELECT ?class (COUNT(?s) AS ?n)
WHERE { ?s a ?class } GROUP BY ?class`` answered from a table instead of a scan of every
``rdf:type`` triple (:func:`counts_from_classes`).

The figures are counted in the store on first use (the same scan, once) and kept with the
store object, but only for a store that cannot change: a read-only handle opened by
:func:`open_read_only` (the query workers open every published version so,
:mod:`competency_kg.store.versions`). A store that can be written is never answered from kept
figures, as they would go stale; nor a query on any dataset but the store's default graph.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pyoxigraph as ox

from competency_kg.sparql.rewrite import _mask, masked_where

#: Per class (a term in SPARQL syntax): its ``?s a ?class`` rows in the default graph.
ClassCounts = dict[str, int]
#: Gives the counts of the store a query runs on, or None when they cannot be used.
ClassCounter = Callable[[], ClassCounts | None]

#: Read-only stores kept (with their figures): a worker's current version and the one before.
KEEP = 2
#: A store with more classes than this is answered by the engine (the table would be a long
#: ``VALUES`` block for little gain).
MAX_CLASSES = 2000
_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"

# id(store) -> (store, its counts: None when they cannot be used, _UNCOUNTED until counted).
# The store itself is held so that its id cannot be reused by another store while the entry
# exists (pyoxigraph's Store has no weak references); a dropped version stays open until KEEP
# newer ones are opened.
_UNCOUNTED: ClassCounts = {}
_read_only: OrderedDict[int, tuple[ox.Store, ClassCounts | None]] = OrderedDict()
_lock = threading.Lock()


def open_read_only(path: str) -> ox.Store:
    """``ox.Store.read_only(path)``, known from then on as a store that never changes."""
    return keep_read_only(ox.Store.read_only(path))


def keep_read_only(store: ox.Store) -> ox.Store:
    """``store``, known from then on as a store that never changes: a read-only handle, or an
    in-memory copy of a published version that nothing writes
    (:mod:`competency_kg.store.memory_copy`)."""
    with _lock:
        _read_only[id(store)] = (store, _UNCOUNTED)
        while len(_read_only) > KEEP:
            _read_only.popitem(last=False)
    return store


def class_counter(store: ox.Store, kwargs: dict[str, Any]) -> ClassCounter | None:
    """The :data:`ClassCounter` of ``store`` for a query with the engine's dataset arguments
    ``kwargs``: None unless the store is read-only (:func:`open_read_only`) and the query
    reads its default graph (no dataset argument; a base IRI does not change the data)."""
    if set(kwargs) - {"base_iri"}:
        return None
    with _lock:
        if id(store) not in _read_only or _read_only[id(store)][0] is not store:
            return None

    def counts() -> ClassCounts | None:
        with _lock:
            kept = _read_only.get(id(store))
        if kept is not None and kept[1] is not _UNCOUNTED:
            return kept[1]
        found = count_classes(store)
        with _lock:
            if id(store) in _read_only:
                _read_only[id(store)] = (store, found)
        return found

    return counts


def count_classes(store: ox.Store, **kwargs: Any) -> ClassCounts | None:
    """The ``?s a ?class`` rows per class in the default graph of ``store`` (``kwargs``:
    ``Store.query``'s dataset arguments); None when a class is not an IRI or a literal (a blank
    node cannot be written in ``VALUES``): such a store is left to the engine."""
    found: ClassCounts = {}
    rows = store.query("SELECT ?c (COUNT(*) AS ?n) WHERE { ?s a ?c } GROUP BY ?c", **kwargs)
    for row in rows:  # type: ignore[union-attr]
        term = row["c"]
        if not isinstance(term, ox.NamedNode | ox.Literal):
            return None
        found[str(term)] = int(row["n"].value)
    return found


_NAME = r"[?$]([A-Za-z_0-9\u00B7\u00C0-\uFFFF]+)"
_HEAD = re.compile(r"\s*SELECT\s+(?P<mod>(?:DISTINCT|REDUCED)\s+)?", re.IGNORECASE)
_COUNT_ITEM = re.compile(
    r"\(\s*COUNT\s*\(\s*(?:DISTINCT\s+)?(?P<arg>\*|" + _NAME + r")\s*\)\s+AS\s+" + _NAME + r"\s*\)",
    re.IGNORECASE,
)
_PLAIN = re.compile(_NAME)
_WHERE = re.compile(r"\s*(?:WHERE\s*)?\{", re.IGNORECASE)
_BODY = re.compile(
    r"\s*" + _NAME + r"\s+(?P<p>a|<x*>|[A-Za-z][\w.-]*:[\w.-]*)\s+" + _NAME + r"\s*\.?\s*$"
)
_GROUP_BY = re.compile(r"\s*GROUP\s+BY\s+" + _NAME + r"\s*", re.IGNORECASE)
_ORDER_KEY = re.compile(
    r"(?:(?:ASC|DESC)\s*\(\s*" + _NAME + r"\s*\)|" + _NAME + r")\s*", re.IGNORECASE
)
_ORDER_BY = re.compile(r"ORDER\s+BY\s+", re.IGNORECASE)
_LIMIT = re.compile(r"(?:LIMIT|OFFSET)\s+\d+\s*", re.IGNORECASE)


def _is_type(predicate: str, prologue: str) -> bool:
    """Whether a predicate as written is ``rdf:type``: ``a``, its IRI, or a prefixed name whose
    prefix the prologue binds to the RDF namespace."""
    if predicate == "a" or predicate == _RDF_TYPE:
        return True
    prefix, _, local = predicate.partition(":")
    if local != "type":
        return False
    declared = re.search(
        r"PREFIX\s+" + re.escape(prefix) + r":\s*<([^>]*)>", prologue, re.IGNORECASE
    )
    return declared is not None and declared.group(1) == _RDF_TYPE[1:-5]


def counts_from_classes(query: str, counter: ClassCounter | None) -> str:
    """``SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class …`` → ``SELECT
    ?class ?n WHERE { VALUES (?class ?n) { (<C> 12) … } } …``, the counts read from
    ``counter`` (:func:`class_counter`; None: left as written).

    Exactly this shape: one triple pattern ``?s rdf:type ?class`` (two different variables),
    grouped by ``?class``; a projection of ``?class`` and ``COUNT(?s)``, ``COUNT(*)``,
    ``COUNT(DISTINCT ?s)`` or ``COUNT(DISTINCT *)`` items; after the group only ``ORDER BY``
    on projected variables and ``LIMIT``/``OFFSET``. No dataset clause, ``HAVING``, ``VALUES``,
    other pattern, ``FILTER`` or ``GRAPH``. Every such count is the number of distinct subjects
    typed with the class: the default graph is a set (the merge, :mod:`competency_kg.store.merge`),
    so each ``(?s, ?class)`` pair is one row of the pattern (SPARQL 1.1 §18.5, ``Count``),
    which is what the kept figures count. The ``VALUES`` table is the grouped solutions
    (§18.2.4.1), with the same ``?class`` term and the count as an integer literal (an
    ``xsd:integer``, §19.8, as ``COUNT`` gives), and the solution
    modifiers after it are unchanged.

    >>> q = "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY DESC(?n)"
    >>> print(counts_from_classes(q, lambda: {"<urn:C>": 2}))  # doctest: +NORMALIZE_WHITESPACE
    SELECT ?c ?n WHERE { VALUES (?c ?n) { (<urn:C> 2) } } ORDER BY DESC(?n)
    >>> q = "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c . ?s <p> ?o } GROUP BY ?c"
    >>> counts_from_classes(q, lambda: {"<urn:C>": 2}) == q   # another pattern: as written
    True
    """
    if counter is None or "GROUP" not in query.upper():
        return query
    found = masked_where(query)
    if found is None:
        return query
    code, open_at, close = found
    head = _select_head(query, code)
    items = _projection(code, head[1].end(), open_at) if head else None
    body = _BODY.match(code[open_at + 1 : close])
    if head is None or not items or body is None:
        return query
    prologue, sel = head
    subject, class_var = body.group(1), body.group(3)
    predicate = query[open_at + 1 + body.start("p") : open_at + 1 + body.end("p")]
    if subject == class_var or not _is_type(predicate, prologue):
        return query
    names: list[str] = []
    counted: list[str] = []
    for name, arg in items:
        names.append(name)
        if arg is None:
            if name != class_var:
                return query  # a variable that is not the group key
        elif arg != "*" and arg[1:] != subject:
            return query
        else:
            counted.append(name)
    if len(set(names)) != len(names) or class_var in counted or subject in names:
        return query
    grouped = _GROUP_BY.match(code, close + 1)
    if grouped is None or grouped.group(1) != class_var:
        return query
    if not _modifiers_only(code, grouped.end(), names):
        return query  # HAVING, VALUES, an ORDER BY expression, or anything else
    counts = counter()
    if counts is None or len(counts) > MAX_CLASSES:
        return query
    columns = [class_var, *counted]
    rows = " ".join(
        "(" + " ".join([term] + [str(n)] * len(counted)) + ")" for term, n in sorted(counts.items())
    )
    return (
        query[: sel.end()]
        + " ".join("?" + n for n in names)
        + " WHERE { VALUES ("
        + " ".join("?" + c for c in columns)
        + ") { "
        + rows
        + " } } "
        + query[grouped.end() :]
    )


def _select_head(query: str, code: str) -> tuple[str, re.Match[str]] | None:
    """The prologue and ``SELECT [DISTINCT|REDUCED]`` of a query with one ``SELECT`` (no
    sub-query); None otherwise."""
    heads = list(re.finditer(r"\bSELECT\b", code, re.IGNORECASE))
    if len(heads) != 1:
        return None
    prologue = query[: heads[0].start()]
    if re.search(r"\b(ASK|CONSTRUCT|DESCRIBE|WHERE)\b|\{", _mask(prologue), re.IGNORECASE):
        return None
    sel = _HEAD.match(code, heads[0].start())
    return None if sel is None else (prologue, sel)


def _projection(code: str, i: int, open_at: int) -> list[tuple[str, str | None]] | None:
    """The projection from ``code[i]`` up to the group's brace at ``open_at``: (name, COUNT
    argument) for a ``COUNT`` item, (name, None) for a plain variable; None for anything else
    (an expression, a dataset clause …)."""
    items: list[tuple[str, str | None]] = []
    while i <= open_at:
        if (w := _WHERE.match(code, i)) is not None and w.end() - 1 == open_at:
            return items
        if (c := _COUNT_ITEM.match(code, i)) is not None:
            items.append((c.group(3), c.group("arg")))
            i = c.end()
        elif (v := _PLAIN.match(code, i)) is not None:
            items.append((v.group(1), None))
            i = v.end()
        else:
            return None
        i = _skip(code, i)
    return None


def _modifiers_only(code: str, k: int, names: list[str]) -> bool:
    """Whether ``code[k:]`` is at most ``ORDER BY`` on the projected ``names`` and ``LIMIT``/
    ``OFFSET``: what applies to the table as it applies to the grouped solutions."""
    if (o := _ORDER_BY.match(code, k)) is not None:
        k = o.end()
        keys = 0
        while (key := _ORDER_KEY.match(code, k)) is not None:
            if (key.group(1) or key.group(2)) not in names:
                return False  # a key the table does not hold
            keys, k = keys + 1, key.end()
        if not keys:
            return False
    while (lim := _LIMIT.match(code, k)) is not None:
        k = lim.end()
    return not code[k:].strip()


def _skip(code: str, i: int) -> int:
    while i < len(code) and code[i] in " \t\r\n":
        i += 1
    return i
