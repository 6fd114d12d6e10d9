"""The rewrites that read the store's sizes (:mod:`competency_kg.sparql.sizes`): an unanchored
group of triple patterns joined by hashing whole scans (:func:`scans_as_hash_joins`), and an
OPTIONAL evaluated per row of a left side that has few rows
(:func:`small_left_optional_as_lateral`); :func:`plan` applies them, with the class counts of
:mod:`competency_kg.sparql.class_counts`, and then every rewrite of
:mod:`competency_kg.sparql.rewrite`.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from competency_kg.sparql.class_counts import ClassCounter, counts_from_classes
from competency_kg.sparql.rewrite import (
    _PLAIN_OPTIONAL_BODY,
    _elements,
    _vars,
    hoist_required_patterns,
    masked_where,
    rewrite,
)
from competency_kg.sparql.text import without_comments

#: A triple pattern of an unanchored basic graph pattern: variable subject, a predicate that
#: is an IRI, a prefixed name, ``a`` or a path of them, and a variable object (or a class).
_SUBJECT = re.compile(r"\s*([?$][A-Za-z_0-9\u00B7\u00C0-\uFFFF]+)\s+")
_PREDICATE = re.compile(r"(?:\^?(?:<x*>|[A-Za-z][\w.-]*:[\w.-]*|a\b)/?)+")
_TYPE = ("a", "rdf:type", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>")
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
#: Scans per pattern are counted up to this many rows; a larger pattern is never hashed whole.
SCAN_CAP = 200_000
#: A lookup costs about this many rows of a scan (pyoxigraph 0.5.13, measured at 1 M triples:
#: ~5 µs per index lookup against ~0.3 µs per scanned row).
LOOKUP_ROWS = 16

#: Counts a pattern (the query's prologue and one triple pattern) up to ``SCAN_CAP`` rows.
Counter = Callable[[str, str], int]


_OBJECT = re.compile(r"\s*([?$][A-Za-z_0-9\u00B7\u00C0-\uFFFF]+|<x*>|[A-Za-z][\w.-]*:[\w-]*)")


def _skip(code: str, k: int, end: int, chars: str = " \t\r\n") -> int:
    while k < end and code[k] in chars:
        k += 1
    return k


def _unanchored_patterns(
    query: str, code: str, start: int, end: int, constants: bool = False
) -> list[str] | None:
    """The triple patterns of the run ``code[start:end]`` (``;`` and ``,`` lists spelled out),
    when every one has a variable subject, a constant predicate or path and a variable object
    (or the class of ``a``/``rdf:type``; any IRI with ``constants``); None otherwise (literals,
    variable predicates…)."""
    out: list[str] = []
    i = _skip(code, start, end, " \t\r\n.")
    while i < end:
        subj = _SUBJECT.match(code, i, end)
        if subj is None:
            return None
        k = subj.end()
        while True:  # p o (, o)* (; p o (, o)*)*
            pred = _PREDICATE.match(code, k, end)
            if pred is None:
                return None
            k = pred.end()
            while True:
                obj = _OBJECT.match(code, k, end)
                if obj is None:
                    return None
                typed = query[pred.start() : pred.end()] in _TYPE
                if not obj.group(1).startswith(("?", "$")) and not (typed or constants):
                    return None  # a constant object pins the rows: lookups win
                out.append(
                    f"{query[subj.start(1) : subj.end(1)]} {query[pred.start() : pred.end()]} "
                    f"{query[obj.start(1) : obj.end(1)]}"
                )
                k = _skip(code, obj.end(), end)
                if k < end and code[k] == ",":
                    k += 1
                    continue
                break
            if k < end and code[k] == ";":
                k = _skip(code, k + 1, end, " \t\r\n;")
                if k < end and code[k] != ".":
                    k = _skip(code, k, end)
                    continue
            break
        if k < end and code[k] != ".":
            return None
        i = _skip(code, k, end, " \t\r\n.")
    return out


def scans_as_hash_joins(query: str, count: Counter | None) -> str:
    """``{ ?s <p> ?l . ?l <q> ?n }`` → ``{ { SELECT * WHERE { ?s <p> ?l } }
    { SELECT * WHERE { ?l <q> ?n } } }`` when the outermost group is only unanchored triple
    patterns (and ``FILTER``s) and hashing every pattern's whole scan reads fewer rows than the
    lookups Oxigraph would make.

    Oxigraph joins the patterns of a group by a lookup per row (an index seek, ~5 µs at 1 M
    triples); a sub-``SELECT`` is evaluated on its own and joined by hash, one scan per pattern
    (~0.3 µs a row). Where no constant pins the rows, the lookups fan out: the benchmark's
    "shared competencies" self-join made 188,057 rows from two scans of 3,441 (2.9 s of lookups,
    65 ms hashed), "statements per level" 130 → 35 ms. The same solutions: a group of triple
    patterns is the join of its patterns (SPARQL 1.1 §18.2.2.6: a BGP's solutions are the join
    of its triple patterns' when no blank node joins them, and none is allowed here), and
    ``SELECT *`` keeps every variable of its pattern, so each sub-query is its pattern.

    The choice reads the patterns' sizes (``count``, up to :data:`SCAN_CAP` rows each): with
    ``n`` patterns the smallest of ``m`` rows, lookups cost about ``m·(n-1)·LOOKUP_ROWS``,
    hashing the sum of the sizes. Without ``count`` (or a pattern over the cap) the query is
    left as written. Sizes only choose: either way the answer is the same.

    >>> sizes = {"?a <p> ?c": 3000, "?b <p> ?c": 3000}
    >>> print(scans_as_hash_joins("SELECT * WHERE { ?a <p> ?c . ?b <p> ?c }",
    ...                           lambda prologue, tp: sizes[tp]))
    SELECT * WHERE { { SELECT * WHERE { ?a <p> ?c } } { SELECT * WHERE { ?b <p> ?c } } }
    >>> q = 'SELECT * WHERE { ?a <p> "x" . ?b <p> ?a }'   # pinned by a literal: lookups win
    >>> scans_as_hash_joins(q, lambda prologue, tp: 1) == q
    True
    """
    if count is None or "{" not in query:
        return query
    found = masked_where(query)
    if found is None:
        return query
    code, open_at, close = found
    parts = _elements(code, open_at + 1, close)
    if not parts or any(kind not in ("triples", "filter") for kind, _, _ in parts):
        return query
    patterns: list[str] = []
    for kind, a, b in parts:
        if kind != "triples":
            continue
        if "_:" in code[a:b] or "[" in code[a:b]:
            return query  # a blank node joins patterns: not a join of its patterns
        run = _unanchored_patterns(query, code, a, b)
        if run is None:
            return query
        patterns += run
    if len(patterns) < 2:
        return query
    form = _FORM.search(code)
    if form is None or form.group(1).upper() != "SELECT":
        return query  # a CONSTRUCT's template or a DESCRIBE: not this shape
    prologue = query[: form.start()]
    sizes = [count(prologue, tp) for tp in patterns]
    if max(sizes) >= SCAN_CAP or sum(sizes) > min(sizes) * (len(sizes) - 1) * LOOKUP_ROWS:
        return query
    pieces = [f"{{ SELECT * WHERE {{ {tp} }} }}" for tp in patterns]
    pieces += [query[a:b] for kind, a, b in parts if kind == "filter"]
    return query[: open_at + 1] + " " + " ".join(pieces) + " " + query[close:]


#: What may stand before an OPTIONAL whose left side is counted (its rows are what LATERAL
#: evaluates the OPTIONAL for; a variable an earlier OPTIONAL leaves unbound is not substituted,
#: and the OPTIONAL then joins on it as written).
_LEFT_KINDS = {"triples", "filter", "exists", "values", "optional", "lateral"}


def small_left_optional_as_lateral(
    query: str, count: Counter | None, rows: Counter | None = None
) -> str:
    """``L OPTIONAL { P }`` → ``L LATERAL { OPTIONAL { P } }`` in the outermost group and in
    the OPTIONAL blocks inside it, where ``L``'s rows are few against ``P``'s patterns: one
    lookup per row of ``L`` and pattern of ``P`` costs less than building ``P`` whole.

    :func:`~competency_kg.sparql.rewrite.optional_as_lateral` takes an OPTIONAL behind a
    constant; this one decides by the real rows of ``L`` (``rows``: evaluated on the store up
    to :data:`SCAN_CAP`, remembered; :mod:`competency_kg.sparql.sizes`) and the sizes of ``P``'s
    patterns (``count``): ``LATERAL`` when ``rows(L) · |P| · LOOKUP_ROWS ≤ Σ count(p)``. The
    "document tools" example: its inner ``OPTIONAL`` (a category and its label for each of
    119 matches) built 18,571 ``skos:broader`` rows and every label, 66 → 16 ms at 1 M triples.

    The same solutions as written, whatever the figures: ``P`` is triple patterns only
    (no filter, sub-query or nested group whose meaning substitution could change), so
    evaluating it per row of ``L`` with the row's values substituted (SEP-0006) gives exactly
    the rows of ``P`` compatible with that row, or the row alone when none is: ``L ⟕ P``
    (SPARQL 1.1 §18.5, ``LeftJoin`` with no filter). The OPTIONAL stays where it is in its
    group, so the group's filters and later elements see the same solutions.

    >>> q = "SELECT * WHERE { ?a <p> ?b OPTIONAL { ?b <q> ?c } }"
    >>> print(small_left_optional_as_lateral(q, lambda _, tp: 5000, lambda _, tp: 10))
    SELECT * WHERE { ?a <p> ?b LATERAL { OPTIONAL { ?b <q> ?c } } }
    >>> small_left_optional_as_lateral(q, lambda _, tp: 5000, lambda _, tp: 1000) == q
    True
    """
    if count is None or "OPTIONAL" not in query.upper():
        return query
    rows = rows or count
    found = masked_where(query)
    form = _FORM.search(found[0]) if found is not None else None
    if found is None or form is None:
        return query
    code, open_at, close = found
    prologue = query[: form.start()]
    # a recursive function, not a closure: a closure that calls itself is a reference cycle,
    # and through ``count`` it would keep a writable store (and its lock) open until a GC runs
    wrapped = _lateral_spans(query, code, prologue, open_at + 1, close, count, rows)
    if not wrapped:
        return query
    inserts = sorted([(a, "LATERAL { ") for a, _ in wrapped] + [(b, " }") for _, b in wrapped])
    out, last = [], 0
    for at, text in inserts:
        out += [query[last:at], text]
        last = at
    return "".join(out) + query[last:]


def _lateral_spans(
    query: str, code: str, prologue: str, start: int, end: int, count: Counter, rows: Counter
) -> list[tuple[int, int]]:
    """The OPTIONAL elements of the group body ``code[start:end]``, and of the OPTIONAL blocks
    inside it, to evaluate per row (:func:`_worth_lateral`)."""
    parts = _elements(code, start, end)
    if parts is None:
        return []
    out: list[tuple[int, int]] = []
    for n, (kind, a, b) in enumerate(parts):
        if kind != "optional":
            continue
        open_at = code.index("{", a)
        if _worth_lateral(query, code, prologue, parts[:n], open_at + 1, b - 1, count, rows):
            out.append((a, b))
        out += _lateral_spans(query, code, prologue, open_at + 1, b - 1, count, rows)
    return out


def _worth_lateral(
    query: str,
    code: str,
    prologue: str,
    left: list[tuple[str, int, int]],
    start: int,
    end: int,
    count: Counter,
    rows: Counter,
) -> bool:
    """Whether the OPTIONAL whose body is ``code[start:end]``, after the group elements
    ``left``, is evaluated per row (:func:`small_left_optional_as_lateral`)."""
    body = code[start:end]
    if not left or any(kind not in _LEFT_KINDS for kind, _, _ in left):
        return False
    if _PLAIN_OPTIONAL_BODY.search(body) or "_:" in body or "[" in body:
        return False
    bound = set().union(*(_vars(code[a:b]) for kind, a, b in left if kind == "triples"))
    if not bound & _vars(body):
        return False  # nothing to substitute: every row would evaluate P whole
    patterns = _unanchored_patterns(query, code, start, end, constants=True)
    if not patterns:
        return False
    n = rows(prologue, query[left[0][1] : left[-1][2]])
    if n >= SCAN_CAP:
        return False
    sizes = [count(prologue, tp) for tp in patterns]
    return n * len(patterns) * LOOKUP_ROWS <= sum(sizes)


#: Plans kept (least recently used go first) and the longest text kept: :func:`plan`.
PLANS_KEPT = 512
PLAN_CHARS = 16 * 1024
#: A figure a plan read: ``(prologue, pattern)`` and its count, or ``()`` and the class counts.
_Figure = tuple[tuple[str, ...], Any]
_plans: OrderedDict[tuple[str, bool, bool], tuple[tuple[_Figure, ...], str | None]] = OrderedDict()
_plans_lock = threading.Lock()


def plan(query: str, count: Counter | None, classes: ClassCounter | None = None) -> str:
    """:func:`~competency_kg.sparql.class_counts.counts_from_classes` (figures from
    ``classes``; none: left out), :func:`scans_as_hash_joins` and
    :func:`small_left_optional_as_lateral` (sizes from ``count``; none: left out), then every
    rewrite of :mod:`competency_kg.sparql.rewrite` (the hoisting of required patterns first,
    before an OPTIONAL becomes a ``LATERAL`` it does not move).

    Remembered per text without its comments, with the figures it read: a text seen before,
    or the same with other comments (a client's ``# round N`` or cache-buster), is planned
    again only when a figure it read has changed. Planning is a pure function of the
    text and those figures, so replaying them (dictionary look-ups) gives the same plan; the
    scanning of the text it saves is 0.5–2 ms of the benchmark's small queries. The plan is of
    the text without comments (:func:`~competency_kg.sparql.text.without_comments`; a comment
    is white space), or the query exactly as written when nothing was rewritten. A text with
    a backslash (not sure of its comments) or over :data:`PLAN_CHARS` is planned each time.

    >>> plan("SELECT * { ?a <p> ?b OPTIONAL { ?b <q> ?c } ?a <r> ?d }# one", None)
    'SELECT * { ?a <p> ?b . ?a <r> ?d . OPTIONAL { ?b <q> ?c } }'
    """
    text = without_comments(query) if len(query) <= PLAN_CHARS else None
    if text is None:
        return _plan(query, count, classes)
    key = (text, count is None, classes is None)
    with _plans_lock:
        kept = _plans.get(key)
        if kept is not None:
            _plans.move_to_end(key)
    if kept is not None and all(_read(count, classes, at) == n for at, n in kept[0]):
        return query if kept[1] is None else kept[1]
    read: list[_Figure] = []

    def counting(prologue: str, pattern: str) -> int:
        n = count(prologue, pattern)  # type: ignore[misc]
        read.append(((prologue, pattern), n))
        return n

    def classing() -> Any:
        found = classes()  # type: ignore[misc]
        read.append(((), found))
        return found

    planned = _plan(text, count and counting, classes and classing)
    with _plans_lock:
        _plans[key] = (tuple(read), None if planned == text else planned)
        while len(_plans) > PLANS_KEPT:
            _plans.popitem(last=False)
    return query if planned == text else planned


def _read(count: Counter | None, classes: ClassCounter | None, at: tuple[str, ...]) -> Any:
    """A figure :func:`plan` read, read again: a pattern's count, or the class counts."""
    return count(*at) if at else classes()  # type: ignore[misc]


def _plan(query: str, count: Counter | None, classes: ClassCounter | None) -> str:
    query = scans_as_hash_joins(counts_from_classes(query, classes), count)
    return rewrite(small_left_optional_as_lateral(hoist_required_patterns(query), count))
