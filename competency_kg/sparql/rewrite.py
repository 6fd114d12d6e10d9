"""Query rewrites before evaluation, where Oxigraph's plan is far from the best; :func:`rewrite`
applies them all. Each is an equivalence of the SPARQL 1.1 algebra, applied only to the query
shapes it is proven for; anything else is left exactly as written.

1. Required patterns written after an OPTIONAL move before it (:func:`hoist_required_patterns`).
2. ``SELECT DISTINCT … ORDER BY`` removes duplicates before sorting (:func:`distinct_before_order`).
3. An OPTIONAL after an anchored pattern is evaluated per row (:func:`optional_as_lateral`).
4. A grouped sub-query (labels per resource) joined on its keys after an anchored sub-query
   is evaluated for the keys the rest produces (:func:`grouped_subquery_as_lateral`).

Those that read the store are in :mod:`competency_kg.sparql.hash_joins` (by the patterns'
sizes: hashing unanchored joins, an OPTIONAL per row of a small left side) and
:mod:`competency_kg.sparql.class_counts` (instances per class from kept counts).

On the first:

Oxigraph evaluates a group in the order written: ``A OPTIONAL {B} C`` becomes
``(A ⟕ B) ⋈ C``, and when ``C`` is selective but comes last, the left join runs over far more
rows than needed (the O*NET "top skills" example: 968 ms as written, 39 ms rewritten).

SPARQL 1.1 algebra (§18.2.2) makes ``(A ⟕ B) ⋈ C`` equal to ``(A ⋈ C) ⟕ B`` whenever every
variable ``B`` and ``C`` share is already bound by ``A`` (the left join then sees the same
bindings for them), so such a ``C`` can be moved. This module does exactly that, for the
outermost group of a query only, and only when the group holds nothing whose meaning depends
on position (``BIND``, ``MINUS``, sub-``SELECT``, ``SERVICE``, nested groups other than
``OPTIONAL`` blocks, property paths on variables shared with an OPTIONAL). Anything it does not
understand is left exactly as written. ``tests/test_query_rewrite.py`` checks that rewritten
queries give the same results.

On the second: Oxigraph sorts before it removes duplicates (as the algebra is written:
``Distinct(Project(OrderBy(…)))``), and its comparisons decode every string they compare: the
site's "prioritized lists" example sorted 129,802 rows to keep 8,506 (10.4 s at 1 M triples).
Removing duplicates on the projected *and* the sort variables first keeps exactly the rows that
can differ in output or in position, so the result is the same sequence (1.45 s).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from competency_kg.sparql.text import TOKEN, remembered

_VAR = re.compile(r"[?$]([A-Za-z_0-9\u00B7\u00C0-\uFFFF]+)")
_WHERE_OPEN = re.compile(r"\bWHERE\s*\{|^\s*(?:SELECT|ASK|CONSTRUCT)[^{]*\{", re.IGNORECASE)
_POSITIONAL = re.compile(
    r"\b(BIND|MINUS|SELECT|SERVICE|GRAPH|UNION|VALUES|FILTER|EXISTS)\b", re.IGNORECASE
)
_OPTIONAL = re.compile(r"\bOPTIONAL\s*\{", re.IGNORECASE)


@remembered  # every rewrite masks the text it is given: most of them the same text
def _mask(text: str) -> str:
    """The query with strings, IRIs and comments overwritten, every position kept."""

    def same_length(m: re.Match[str]) -> str:
        s = m.group(0)
        if m.lastgroup == "c":
            return " " * len(s)
        return s[0] + "x" * (len(s) - 2) + s[-1] if len(s) >= 2 else "x"

    return TOKEN.sub(same_length, text)


@dataclass
class _Part:
    kind: str  # "optional", "triples", "filter", "values"
    start: int
    end: int

    def text(self, query: str) -> str:
        return query[self.start : self.end]


def _matching(code: str, open_at: int, opener: str, closer: str) -> int | None:
    depth = 0
    for i in range(open_at, len(code)):
        if code[i] == opener:
            depth += 1
        elif code[i] == closer:
            depth -= 1
            if depth == 0:
                return i
    return None


def where_group(code: str) -> tuple[int, int] | None:
    """The braces of the outermost ``WHERE`` group of masked ``code`` (:func:`_mask`): the
    offsets of its ``{`` and its matching ``}``; None when either is not found."""
    m = _WHERE_OPEN.search(code)
    if m is None:
        return None
    open_at = m.end() - 1
    close = _matching(code, open_at, "{", "}")
    return None if close is None else (open_at, close)


def masked_where(query: str) -> tuple[str, int, int] | None:
    """``query`` masked (:func:`_mask`) and the braces of its outermost ``WHERE`` group
    (:func:`where_group`): where every rewrite that splits that group starts; None when the
    group is not found."""
    code = _mask(query)
    group = where_group(code)
    return None if group is None else (code, *group)


def _top_level_word_at(code: str, k: int) -> bool:
    return bool(_TOP_LEVEL_WORD.match(code, k)) and not code[k - 1].isalnum()


def _run_end(code: str, i: int, end: int, stops_at: Callable[[int], bool]) -> int:
    """Where a run of triple patterns starting at ``i`` ends: at the first brace, or position
    ``stops_at`` accepts, outside brackets and parentheses (else at ``end``)."""
    j, depth = i, 0
    while j < end:
        c = code[j]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif depth == 0 and (c in "{}" or stops_at(j)):
            break
        j += 1
    return j


def _split_group(code: str, start: int, end: int) -> list[_Part] | None:
    """Top-level elements of the group body ``code[start:end]``; None if not understood."""
    parts: list[_Part] = []
    i = start
    while i < end:
        while i < end and code[i] in " \t\r\n":
            i += 1
        if i >= end:
            break
        m = _OPTIONAL.match(code, i)
        if m:
            close = _matching(code, m.end() - 1, "{", "}")
            if close is None or close >= end:
                return None
            parts.append(_Part("optional", i, close + 1))
            i = close + 1
            continue
        word = re.match(r"(FILTER|VALUES)\b", code[i:end], re.IGNORECASE)
        if word:
            kind = word.group(1).lower()
            j = i + word.end()
            while j < end and code[j] in " \t\r\n":
                j += 1
            if kind == "filter":
                if j < end and code[j] == "(":
                    close = _matching(code, j, "(", ")")
                else:  # FILTER regex(...) / FILTER NOT EXISTS {...}: leave the query alone
                    return None
            else:
                brace = code.find("{", j, end)
                close = _matching(code, brace, "{", "}") if brace >= 0 else None
            if close is None or close >= end:
                return None
            parts.append(_Part(kind, i, close + 1))
            i = close + 1
            continue
        if code[i] == "{" or _POSITIONAL.match(code, i):
            return None
        # a run of triple patterns, up to the next top-level OPTIONAL/FILTER/VALUES/brace
        j = _run_end(
            code,
            i,
            end,
            lambda k: bool(
                _OPTIONAL.match(code, k) or re.match(r"(FILTER|VALUES)\b", code[k : k + 6], re.I)
            ),
        )
        run = code[i:j].strip()
        if not run or _POSITIONAL.search(run):
            return None
        parts.append(_Part("triples", i, i + len(code[i:j].rstrip())))
        i = j
    return parts


def _vars(code: str) -> set[str]:
    return set(_VAR.findall(code))


def _outer_group(query: str) -> tuple[str, int, int, list[_Part]] | None:
    """For a query with an OPTIONAL: its masked text, the outermost group's braces and its
    elements; None when there is no OPTIONAL or the group is not understood."""
    if not _OPTIONAL.search(query):  # most queries: nothing to do, found in a microsecond
        return None
    found = masked_where(query)
    if found is None:
        return None
    code, open_at, close = found
    parts = _split_group(code, open_at + 1, close)
    return (code, open_at, close, parts) if parts else None


def hoist_required_patterns(query: str) -> str:
    """Move required triple patterns written after an OPTIONAL before it, where that is
    equivalent (see the module docstring); otherwise return the query unchanged.

    >>> q = "SELECT * WHERE { ?a <p> ?b . OPTIONAL { ?a <q> ?c } ?a <r> ?d . }"
    >>> hoist_required_patterns(q)
    'SELECT * WHERE { ?a <p> ?b . ?a <r> ?d . OPTIONAL { ?a <q> ?c } }'
    >>> q = "SELECT * WHERE { ?a <p> ?b . OPTIONAL { ?a <q> ?c } ?c <r> ?d . }"
    >>> hoist_required_patterns(q) == q   # ?c is bound by the OPTIONAL: order matters
    True
    """
    outer = _outer_group(query)
    if outer is None:
        return query
    code, open_at, close, parts = outer
    if not any(p.kind == "optional" for p in parts):
        return query
    required: list[_Part] = []
    optionals: list[tuple[_Part, set[str]]] = []  # each with the variables bound before it
    rest: list[_Part] = []  # filters go last: their scope is the whole group
    bound: set[str] = set()
    moved = False
    for p in parts:
        pv = _vars(code[p.start : p.end])
        if p.kind in ("triples", "values"):
            for o, bound_before in optionals:
                if not (pv & _vars(code[o.start : o.end])) <= bound_before:
                    return query  # it reads what an OPTIONAL may bind: order matters
            moved = moved or bool(optionals)
            required.append(p)
            bound |= pv
        elif p.kind == "optional":
            optionals.append((p, set(bound)))
        else:
            rest.append(p)
    if not moved:
        return query

    def piece(p: _Part) -> str:
        t = query[p.start : p.end].strip()
        return t if p.kind != "triples" or t.endswith(".") else t + " ."

    body = " ".join(piece(p) for p in [*required, *(o for o, _ in optionals), *rest])
    return query[: open_at + 1] + " " + body + " " + query[close:]


_SELECT_DISTINCT = re.compile(r"\bSELECT\s+DISTINCT\s+", re.IGNORECASE)
_PROJECTION = re.compile(r"(?:[?$][A-Za-z_0-9\u00B7\u00C0-\uFFFF]+\s*)+")
_WHERE = re.compile(r"(?:WHERE\s*)?\{", re.IGNORECASE)
_ORDER_BY = re.compile(r"\s*ORDER\s+BY\b", re.IGNORECASE)
_NOT_AFTER = re.compile(r"\b(GROUP|HAVING|VALUES)\b|\{|\}", re.IGNORECASE)
_LIMIT_OFFSET = re.compile(r"\b(LIMIT|OFFSET)\b", re.IGNORECASE)


def distinct_before_order(query: str) -> str:
    """``SELECT DISTINCT ?a ?b WHERE {…} ORDER BY k`` → the same with the group wrapped in
    ``{ SELECT DISTINCT ?a ?b <k's variables> WHERE {…} }``: duplicates go before the sort.

    Only for a projection of plain variables, one WHERE group, and solution modifiers that are
    ``ORDER BY`` with an optional ``LIMIT``/``OFFSET`` (no ``GROUP BY``, ``HAVING``, trailing
    ``VALUES``, dataset clause or sub-query around it).

    >>> print(distinct_before_order("SELECT DISTINCT ?a { ?a <p> ?b } ORDER BY ?b LIMIT 5"))
    SELECT DISTINCT ?a WHERE { { SELECT DISTINCT ?a ?b WHERE { ?a <p> ?b } } } ORDER BY ?b LIMIT 5
    >>> q = "SELECT DISTINCT ?a WHERE { ?a <p> ?b } GROUP BY ?a ORDER BY ?a"
    >>> distinct_before_order(q) == q
    True
    """
    if not _SELECT_DISTINCT.search(query) or not _ORDER_BY.search(query):
        return query
    code = _mask(query)
    m = _SELECT_DISTINCT.search(code)
    if m is None or len(_SELECT_DISTINCT.findall(code)) != 1 or code.upper().count("SELECT") != 1:
        return query  # a sub-query, or a second SELECT: not this shape
    proj = _PROJECTION.match(code, m.end())
    if proj is None:
        return query  # *, expressions (AS), or nothing
    where = _WHERE.match(code, proj.end())
    if where is None:
        return query  # a dataset clause (FROM) or something else between
    open_at = where.end() - 1
    close = _matching(code, open_at, "{", "}")
    if close is None:
        return query
    tail = code[close + 1 :]
    order = _ORDER_BY.match(tail)
    if order is None or _NOT_AFTER.search(tail):
        return query
    keys_end = len(tail)
    limit = _LIMIT_OFFSET.search(tail, order.end())
    if limit is not None:
        keys_end = limit.start()
    names = list(dict.fromkeys(_VAR.findall(proj.group(0))))
    sort_vars = list(dict.fromkeys(_VAR.findall(tail[order.end() : keys_end])))
    if not sort_vars:
        return query
    inner = names + [v for v in sort_vars if v not in names]
    group = query[open_at : close + 1]
    selected = " ".join("?" + v for v in inner)
    return (
        query[: where.start()]
        + "WHERE { { SELECT DISTINCT "
        + selected
        + " WHERE "
        + group
        + " } }"
        + query[close + 1 :]
    )


_PLAIN_OPTIONAL_BODY = re.compile(
    r"\b(FILTER|BIND|OPTIONAL|VALUES|MINUS|SERVICE|GRAPH|SELECT|EXISTS|LATERAL|UNION)\b|[{}]",
    re.IGNORECASE,
)


def _anchors(part: _Part, masked: str) -> bool:
    """Whether a group element pins the rows to a few: a triple pattern with a literal, or a
    one-row ``VALUES`` (strings are masked as ``"xx…"``)."""
    if part.kind == "triples":
        return '"' in masked or "'" in masked
    if part.kind == "values":
        body = masked[masked.index("{") + 1 : masked.rindex("}")].strip()
        rows = body.count("(") if body.startswith("(") else len(body.split())
        return rows == 1
    return False


def optional_as_lateral(query: str) -> str:
    """``A OPTIONAL { P }`` → ``A LATERAL { OPTIONAL { P } }`` in the outermost group, where
    ``A`` is anchored (:func:`_anchors`) and ``P`` is triple patterns only, sharing a variable
    with ``A``.

    Oxigraph may answer an OPTIONAL by building its whole right side and joining by hash:
    every ``ckg:requiredLevel`` of the store, for the 20 requirements of one occupation
    (the "requirements with levels" example, 169 ms at 1 M triples). ``LATERAL`` (SPARQL 1.2
    draft, SEP-0006, which Oxigraph implements) evaluates ``P`` once per row of ``A`` with its
    values substituted — the same solutions, since ``P`` has no filter, sub-query or nested
    group whose meaning substitution could change — in 8.6 ms. Over many rows the per-row cost
    loses (a scan of every work scenario: 0.8 s → 11 s), hence the anchor.

    >>> q = 'SELECT * WHERE { ?r <p> "x" OPTIONAL { ?r <l> ?l . ?l <n> ?n } }'
    >>> print(optional_as_lateral(q))
    SELECT * WHERE { ?r <p> "x" LATERAL { OPTIONAL { ?r <l> ?l . ?l <n> ?n } } }
    >>> q = 'SELECT * WHERE { ?r <p> ?c OPTIONAL { ?r <l> ?l } }'
    >>> optional_as_lateral(q) == q   # not anchored: many rows, left as written
    True
    """
    outer = _outer_group(query)
    if outer is None:
        return query
    code, open_at, _, parts = outer
    out, last, seen, anchored = [query[: open_at + 1]], open_at + 1, set(), False
    for p in parts:
        text = code[p.start : p.end]
        anchored = anchored or _anchors(p, text)
        if p.kind == "optional" and anchored:
            body = text[text.index("{") + 1 : -1]
            if seen & _vars(body) and not _PLAIN_OPTIONAL_BODY.search(body):
                out.append(query[last : p.start])
                out.append("LATERAL { " + query[p.start : p.end] + " }")
                last = p.end
        seen |= _vars(text)
    if len(out) == 1:
        return query
    return "".join(out) + query[last:]


_GROUPED_SUBQUERY = re.compile(
    r"\{\s*SELECT\s+(?P<proj>[^{}]*?)\s*WHERE\s*\{(?P<body>[^{}]*)\}\s*"
    r"GROUP\s+BY\s+(?P<keys>(?:[?$][A-Za-z_0-9\u00B7\u00C0-\uFFFF]+\s*)+)\}$",
    re.IGNORECASE,
)
_AGGREGATE_ITEM = re.compile(
    r"\(\s*(?:SAMPLE|MIN|MAX|COUNT|SUM|AVG|GROUP_CONCAT)\s*\([^()]*\)\s+AS\s+[?$]\w+\s*\)",
    re.IGNORECASE,
)
_TOP_LEVEL_WORD = re.compile(r"(OPTIONAL|MINUS|LATERAL|FILTER|BIND|VALUES)\b", re.IGNORECASE)
_EXISTS = re.compile(r"(?:NOT\s+)?EXISTS\s*\{", re.IGNORECASE)
_NOT_A_JOIN = re.compile(r"\b(UNION|SERVICE|GRAPH)\b", re.IGNORECASE)


def _elements(code: str, start: int, end: int) -> list[tuple[str, int, int]] | None:
    """Top-level elements of the group body ``code[start:end]`` as (kind, start, end): kind is
    ``group`` (a ``{…}``), ``optional``/``minus``/``lateral``, ``filter``/``bind``,
    ``exists`` (``FILTER [NOT] EXISTS {…}``), ``values`` or ``triples``; None when it is not
    understood."""
    out: list[tuple[str, int, int]] = []
    i = start
    while i < end:
        while i < end and code[i] in " \t\r\n.":
            i += 1
        if i >= end:
            break
        if code[i] == "{":
            close = _matching(code, i, "{", "}")
            if close is None or close >= end:
                return None
            out.append(("group", i, close + 1))
            i = close + 1
            continue
        word = _TOP_LEVEL_WORD.match(code, i)
        if word:
            kind = word.group(1).lower()
            j = word.end()
            while j < end and code[j] in " \t\r\n":
                j += 1
            opener = "(" if kind in ("filter", "bind") else "{"
            if kind == "filter" and (ex := _EXISTS.match(code, j)) is not None:
                kind, opener, j = "exists", "{", ex.end() - 1  # FILTER [NOT] EXISTS { … }
            if kind == "values":
                j = code.find("{", j, end)
            if j < 0 or j >= end or code[j] != opener:
                return None
            close = _matching(code, j, opener, ")" if opener == "(" else "}")
            if close is None or close >= end:
                return None
            out.append((kind, i, close + 1))
            i = close + 1
            continue
        j = _run_end(code, i, end, lambda k: _top_level_word_at(code, k))
        out.append(("triples", i, j))
        i = j
    return out


def _pinned(code: str) -> bool:
    """Whether a group element's required part names a constant string (a triple pattern's
    literal or a ``VALUES`` row): its OPTIONAL blocks, its expressions (``FILTER``, ``BIND``,
    ``IF`` …) and its projections do not count, as they do not cut the rows down."""
    text = code
    while (m := _OPTIONAL.search(text)) is not None:
        close = _matching(text, m.end() - 1, "{", "}")
        if close is None:
            return False
        text = text[: m.start()] + text[close + 1 :]
    text = re.sub(r"SELECT\b[^{]*?WHERE", " ", text, flags=re.IGNORECASE)
    while (m := re.search(r"\b(FILTER|BIND)\s*\(", text, re.IGNORECASE)) is not None:
        close = _matching(text, m.end() - 1, "(", ")")
        if close is None:
            return False
        text = text[: m.start()] + text[close + 1 :]
    return '"' in text or "'" in text


def grouped_subquery_as_lateral(query: str) -> str:
    """``A { SELECT ?k (AGG(…) AS ?x) WHERE { P } GROUP BY ?k }`` → ``A LATERAL { … }`` in the
    outermost group, where the sub-query's rows are per key and ``A`` is few rows.

    Oxigraph evaluates the sub-query for every key before the join: the labels of all 31,366
    labelled resources at 1 M triples, to keep the ~100 the "competencies shared across a job
    family" example ranks (about three quarters of its time). ``LATERAL`` (SEP-0006) evaluates
    it per row of ``A`` with the row's values substituted, as Virtuoso's plan does. The same
    solutions (SPARQL 1.1 §18.5: a sub-query joins on its projected variables): the ones it
    shares with ``A`` are ``GROUP BY`` keys that ``P`` binds, so substituting ``?k = v`` keeps
    exactly the rows of group ``v``, and a row of ``A`` without ``?k`` gets every group, as the
    join gives it; its other variables (``?x``, ``P``'s own) appear nowhere in ``A``. ``P`` is
    triple patterns only. The per-row cost loses over many rows, hence ``A`` must bind a key in
    an element pinned by a constant (:func:`_pinned`): the "nearest occupations" example,
    whose keys are every occupation, stays as written.

    >>> q = ('SELECT * WHERE { ?o <n> "x" ; <r> ?e . '
    ...      '{ SELECT ?e (SAMPLE(?l) AS ?name) WHERE { ?e <label> ?l } GROUP BY ?e } }')
    >>> grouped_subquery_as_lateral(q).split(" . ")[1][:28]
    'LATERAL { SELECT ?e (SAMPLE('
    >>> q = ('SELECT * WHERE { ?o <r> ?e . '
    ...      '{ SELECT ?e (SAMPLE(?l) AS ?name) WHERE { ?e <label> ?l } GROUP BY ?e } }')
    >>> grouped_subquery_as_lateral(q) == q   # nothing pins ?e to a few values
    True
    """
    if "GROUP" not in query.upper():
        return query
    found = masked_where(query)
    if found is None or _NOT_A_JOIN.search(*found):
        return query
    code, open_at, close = found
    parts = _elements(code, open_at + 1, close)
    if not parts or any(kind == "exists" for kind, _, _ in parts):
        return query
    out, last = [query[: open_at + 1]], open_at + 1
    for n, (kind, start, end) in enumerate(parts):
        sub = _GROUPED_SUBQUERY.match(code[start:end]) if kind == "group" and n else None
        if sub is None:
            continue
        keys = set(_VAR.findall(sub.group("keys")))
        items = _AGGREGATE_ITEM.sub(" ", sub.group("proj"))
        if set(_VAR.findall(items)) != keys or "(" in items or not keys <= _vars(sub["body"]):
            continue  # a projection other than the keys and aggregates
        if _PLAIN_OPTIONAL_BODY.search(sub.group("body")):
            continue  # P is triple patterns only
        before = parts[:n]
        seen = set().union(*(_vars(code[a:b]) for _, a, b in before))
        own = _vars(code[start:end]) - keys
        shared = keys & seen
        if own & seen or not shared:
            continue
        if not any(_pinned(code[a:b]) and _vars(code[a:b]) & shared for _, a, b in before):
            continue
        out += [query[last:start], "LATERAL ", query[start:end]]
        last = end
    if len(out) == 1:
        return query
    return "".join(out) + query[last:]


def rewrite(query: str) -> str:
    """Every rewrite of this module, in turn (see the module docstring); the one that reads
    the store is :func:`competency_kg.sparql.hash_joins.plan`'s."""
    return grouped_subquery_as_lateral(
        distinct_before_order(optional_as_lateral(hoist_required_patterns(query)))
    )
