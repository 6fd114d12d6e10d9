"""The checks a query passes before it runs: this service is read-only and fetches nothing,
and an engine with a recursive parser must not be handed a query that overflows its stack.
"""

from __future__ import annotations

import re
from typing import Any

from competency_kg.sparql.errors import QueryRefused
from competency_kg.sparql.text import (
    KW_AFTER,
    KW_BEFORE,
    QueryInfo,
    inspect_query,
    remembered,
    strip,
    without_comments,
)

#: Deeper nesting of groups, parentheses or negations is refused: the engine's recursive
#: parser would exhaust a worker's stack on some thousands of levels.
MAX_QUERY_NESTING = 250

_NESTING = re.compile(r"[{}()]|!+")


@remembered
def nesting_depth(text: str) -> int:
    """The deepest nesting of ``{}``/``()`` in the query's code (strings, IRIs, comments
    skipped), counting a run of ``!`` as that many levels.

    >>> nesting_depth('SELECT * { { ?s ?p "{{{" } FILTER(!!(?s)) }')
    4
    """
    depth = deepest = 0
    for m in _NESTING.finditer(strip(text)):
        tok = m.group(0)
        if tok in "{(":
            depth += 1
        elif tok in "})":
            depth -= 1
        else:
            deepest = max(deepest, depth + len(tok))
            continue
        deepest = max(deepest, depth)
    return deepest


#: Longest chain of operators (expression terms, property path steps) and of graph patterns
#: side by side in a group (``UNION``, ``OPTIONAL``, ``MINUS``, ``{…} {…}`` joins, ``BIND``,
#: ``FILTER``) the engine is given. Each link of such a chain is one level of the engine's
#: recursive parser and evaluator, on the worker's 8 MB stack
#: (:data:`competency_kg.query_sandbox.WORKER_STACK_BYTES`).
#: Measured on pyoxigraph 0.5.13, one query per fresh process (main thread, 8 MB stack),
#: by bisection:
#: the first length that crashed it (SIGSEGV), and the last that ran (or was still running
#: after 20 s): ``1+1+…`` and ``1*1*…`` 7,000 (6,875 ran); ``||`` and ``&&`` 9,375 (9,250);
#: a path ``<p>/<p>/…`` 8,250 (8,000), ``<p>?/<p>?/…`` 6,750 (6,500), ``<p>|<p>|…`` 11,000
#: (10,750); ``UNION`` 6,625 (6,500); ``OPTIONAL`` 6,750 (6,500); ``MINUS`` 2,625 (2,562);
#: ``BIND`` 2,625 (2,562); ``FILTER`` 9,500 (9,250); ``{…} {…} …`` 8,250 (8,000). The
#: arguments of ``IN (…)`` and ``CONCAT(…)`` are a list, not a chain: 256,000 ran. The limits
#: keep a margin of four and more under the lowest of each kind.
MAX_QUERY_OPERATORS = 1500
MAX_QUERY_PATTERNS = 600

# What the chain count looks at, in the stripped code: tokens that contain a '-' or '+' but
# are no operator (prefixed names, language tags, exponents, variables), skipped; the
# groups; the operators; BIND and FILTER (each one link of a group's chain).
_CHAIN = re.compile(
    r"(?P<skip><>|\^\^|@[A-Za-z]+(?:-[A-Za-z0-9]+)*|(?:[A-Za-z][\w.\-]*)?:[\w.:%\\\-]*"
    r"|\d[eE][+\-]|[?$]\w+)"
    r"|(?P<open>[{(])|(?P<close>[})])"
    r"|(?P<op>\|\||&&|!=|<=|>=|[-+*/=<>|^])"
    r"|(?P<kw>" + KW_BEFORE + r"(?:bind|filter)" + KW_AFTER + ")",
    re.IGNORECASE,
)


@remembered
def chain_lengths(text: str) -> tuple[int, int]:
    """The longest chains of operators and of graph patterns side by side in the query.

    A chain's length is what its group holds (operators; for a ``{}`` group, the ``{}``
    groups, ``BIND``s and ``FILTER``s directly in it) plus the longest chain of a group
    inside it: the depth of the tree the engine builds, whichever way it leans. A lexer
    pass, no parse.

    >>> chain_lengths('ASK { ?s ex:a-b/ex:c "1+1" . FILTER(?o + 1 > 2 && ?x-1) }')
    (5, 1)
    >>> chain_lengths("ASK { {?s ?p 1} UNION { OPTIONAL {?s ?p 2} } UNION {} }")
    (0, 4)
    """
    # per open group: its bracket, operators, patterns, the deepest child's of each
    stack: list[list[Any]] = [["", 0, 0, 0, 0]]
    for m in _CHAIN.finditer(strip(text)):
        kind = m.lastgroup
        if kind == "open":
            if m.group(0) == "{" and stack[-1][0] == "{":
                stack[-1][2] += 1
            stack.append([m.group(0), 0, 0, 0, 0])
        elif kind == "close" and len(stack) > 1:
            _close(stack)
        elif kind == "op":
            stack[-1][1] += 1
        elif kind == "kw":
            stack[-1][2] += 1
    while len(stack) > 1:  # unbalanced (the engine will say so): close what is open
        _close(stack)
    _, ops, patterns, child_ops, child_patterns = stack[0]
    return ops + child_ops, patterns + child_patterns


def _close(stack: list[list[Any]]) -> None:
    _, ops, patterns, child_ops, child_patterns = stack.pop()
    top = stack[-1]
    top[3] = max(top[3], ops + child_ops)
    top[4] = max(top[4], patterns + child_patterns)


def check_query(text: str) -> QueryInfo:
    """Inspect a query and refuse what this read-only, non-fetching service does not run,
    and what would overflow the engine's stack (:data:`MAX_QUERY_NESTING`,
    :data:`MAX_QUERY_OPERATORS`, :data:`MAX_QUERY_PATTERNS`).

    Each check skips comments, so they are looked at without them (:func:`without_comments`):
    the same text with a new comment (a client's ``# round N``) is then found among the
    remembered ones, 0.2–0.4 ms of a small query's request saved (0.02–0.06 for the look)."""
    text = without_comments(text) or text
    depth = nesting_depth(text)
    if depth > MAX_QUERY_NESTING:
        raise QueryRefused(
            f"the query nests {depth} levels deep; more than {MAX_QUERY_NESTING} is refused"
        )
    # Every link chain_lengths counts is a character of its own (an operator, a "{", a
    # keyword), so a text no longer than the lower limit cannot pass either: not scanned.
    short = len(text) <= min(MAX_QUERY_OPERATORS, MAX_QUERY_PATTERNS)
    ops, patterns = (0, 0) if short else chain_lengths(text)
    if ops > MAX_QUERY_OPERATORS:
        raise QueryRefused(
            f"the query chains {ops} operators (expression terms or property path steps); "
            f"more than {MAX_QUERY_OPERATORS} in a chain is refused: split it"
        )
    if patterns > MAX_QUERY_PATTERNS:
        raise QueryRefused(
            f"the query chains {patterns} graph patterns (UNION, OPTIONAL, MINUS, BIND, FILTER, "
            "groups); "
            f"more than {MAX_QUERY_PATTERNS} in one group is refused: split it"
        )
    info = inspect_query(text)
    if info.form == "update":
        raise QueryRefused(
            "this is a SPARQL Update, and this endpoint is read-only: it answers queries "
            "(SELECT, ASK, CONSTRUCT, DESCRIBE) only"
        )
    if info.uses_service:
        raise QueryRefused(
            "SERVICE is not allowed on this endpoint: it would make the server fetch data from "
            "another endpoint on the caller's behalf; query that endpoint directly instead"
        )
    return info
