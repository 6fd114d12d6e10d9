"""Run caller-supplied SPARQL queries in worker processes that can be stopped.

A query sent to a public endpoint can run for hours (a cartesian product, a property-path
explosion) and Oxigraph offers no way to cancel one from another thread. So each query runs in
a **worker process** from a small pool; every worker opens the store read-only. The request
thread hands a job to one idle worker and waits, on that worker's pipe only, for at most the
timeout; when the time is up it sends the worker SIGKILL, a background thread starts a
replacement, and the caller gets :class:`QueryTimeout`. Other requests meanwhile use the other
workers and never wait behind the runaway one.

Workers serialize the result themselves, straight into the negotiated format (SPARQL JSON/XML/
CSV/TSV, Turtle, N-Triples, JSON-LD, RDF/XML), and hand back bytes: rows are never re-encoded
in Python. Output larger than ``max_result_bytes`` stops with :class:`ResultTooLarge`.

Processes come from a ``forkserver`` context (``spawn`` on request): nothing is ever forked
from a process that has RocksDB open.

No fetching on a caller's behalf. Oxigraph's ``SERVICE`` makes an HTTP request, so
:func:`check_query` refuses any query that uses it (and any SPARQL Update) before it runs; and
each worker, on Linux, installs a seccomp filter that denies it IPv4/IPv6 sockets altogether
(:func:`deny_network`), so even a query that slipped past the check cannot reach the network.
``FROM``/``FROM NAMED`` only name graphs in the store; Oxigraph never dereferences them.

The pool is HTTP-agnostic: the web endpoint, the CLI and other pages can all use it. Without
a store folder (an in-memory store in tests), :class:`InlineExecutor` runs queries in the
calling thread with the same checks and result handling, but cannot stop them.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import queue
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from competency_kg.store.live import LiveView
from competency_kg.store.versions import state_token

if TYPE_CHECKING:  # the worker processes never import rdflib
    from competency_kg.store.base import GraphStore, RawResult

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RESULT_BYTES = 50 * 1024 * 1024
RESULTS_JSON = "application/sparql-results+json"

#: Media types a worker can write SELECT/ASK results in.
RESULT_MIMES = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)
#: Media types a worker can write CONSTRUCT/DESCRIBE results in.
GRAPH_MIMES = (
    "text/turtle",
    "application/n-triples",
    "application/ld+json",
    "application/rdf+xml",
)

_STARTUP_TIMEOUT = 60.0  # seconds a new worker may take to open the store
#: Seconds a query may wait for a free worker before the answer is "busy" (503), at least:
#: waiting is not running, so the query timeout alone is too short a bound when it is short.
#: Under a bounded load with clients resubmitting runaway queries (two of four workers held
#: for the whole 2 s timeout, the killed ones being replaced), a simple query waited just over
#: 2 s on a busy machine and got a 503; it is answered a moment later instead.
QUEUE_WAIT = 10.0
_RETRY_DELAY = 2.0  # seconds between attempts to start a worker that failed to open the store

#: Lanes of the pool: the site's own pages (their queries are the site's, bounded), and
#: queries a caller wrote (``/sparql``), which may run until the timeout. Written queries may
#: hold at most ``size - reserved`` workers at once, so pages always find one; and one client
#: at most ``per_client`` of those (in flight, waiting included), so no client takes them all.
PAGES, WRITTEN = "pages", "written"


# --------------------------------------------------------------------------- errors
class QueryError(Exception):
    """A query could not be answered; the message is meant for the person who sent it."""


class QueryRefused(QueryError):
    """The query asks for something this service does not do (SERVICE, an update)."""


class QuerySyntaxError(QueryError):
    """The engine could not parse the query; the message is the parser's."""


class BadRequest(QueryError):
    """The request around the query is wrong (for example a graph name that is not an IRI)."""


class QueryTimeout(QueryError):
    """The query ran out of time and its worker was killed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the query exceeded the {seconds:g} s limit and was cancelled; "
            "narrow it (LIMIT, more specific patterns) and try again"
        )
        self.seconds = seconds


class PoolBusy(QueryError):
    """Every worker stayed busy for as long as the caller was willing to wait."""


class ClientBusy(QueryError):
    """One client already has its share of the workers for written queries busy (429)."""


class StoreUnavailable(QueryError):
    """The store cannot be read just now: no worker can open it, or a remote store's server
    cannot be reached. Its message is fit for the public (no host names); the cause, with
    the details, is chained for the log."""


class StoreDamaged(StoreUnavailable):
    """Reading the store failed a RocksDB check (a block's checksum, a missing file). The
    message is public and names no path; the engine's own words, path and all, are chained
    for the log (:func:`damage`)."""


#: The engine's words for a store it cannot read (RocksDB's ``Status`` prefixes).
_DAMAGE_PREFIXES = ("Corruption:", "IO error:")
#: How long a probe reads the store after a query timed out or its worker died.
PROBE_SECONDS = 2.0
#: Seconds a query runs before the pool checks (once per store version, in an idle worker) that
#: the store can be read: an aggregate over a damaged block would otherwise run to the timeout.
EARLY_PROBE_AFTER = 2.0
#: What a client is told when the store could not be opened (the path goes to the log).
CANNOT_OPEN = "the store cannot be opened just now (see the server log); try again shortly"


def is_damage(message: str) -> bool:
    """True for the engine's report of a store it cannot read (checksum, missing file)."""
    return message.lstrip().startswith(_DAMAGE_PREFIXES)


def damage(detail: str, after: str = "") -> StoreDamaged:
    """The public error for a damaged store; ``detail`` (the engine's, with paths) is its
    cause, which the log shows and the answer does not."""
    exc = StoreDamaged(
        f"{after}the store may be damaged: reading it failed ({detail.split(':')[0]}); "
        "the operator has been told (server log) and should load the data again"
    )
    exc.__cause__ = RuntimeError(detail)
    return exc


#: What a client is told when a remote store's SPARQL server is down or silent.
UNREACHABLE = "the store's SPARQL server cannot be reached just now; try again shortly"


class ResultTooLarge(QueryError):
    """The serialized result would exceed the size cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the result is larger than this endpoint's {human_bytes(limit)} cap; "
            "ask for less (LIMIT/OFFSET, fewer variables) or use 'competency-kg export'"
        )
        self.limit = limit


class NotAcceptable(QueryError):
    """The result kind (``select``, ``ask``, ``graph``) has no format the caller accepts."""

    def __init__(self, kind: str) -> None:
        what = "an RDF graph" if kind == "graph" else f"{kind.upper()} results"
        super().__init__(f"the query produces {what}, and none of its formats was acceptable")
        self.kind = kind


class QueryMemoryExceeded(QueryError):
    """The query's worker reached its memory ceiling and was stopped (503, like a timeout)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the query reached the {human_bytes(limit)} memory limit of a query worker and was "
            "cancelled; narrow it (LIMIT, fewer variables to sort, more specific patterns) "
            "and try again"
        )
        self.limit = limit


class QueryFailed(QueryError):
    """The engine failed while evaluating the query, or its worker died."""


class UpstreamError(QueryError):
    """A remote store (a SPARQL server behind this one) refused or failed the query."""


def human_bytes(n: int) -> str:
    """
    >>> human_bytes(50 * 1024 * 1024), human_bytes(1536), human_bytes(10)
    ('50 MB', '1.5 KB', '10 bytes')
    """
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def parse_size(text: str) -> int:
    """A size in bytes from ``"1073741824"``, ``"512M"``, ``"2G"`` or ``"1.5GB"`` (powers of
    1024), for the memory-limit option and its environment variable.

    >>> parse_size("512M"), parse_size("2g"), parse_size("1.5GB"), parse_size("4096")
    (536870912, 2147483648, 1610612736, 4096)
    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)b?\s*", text, re.IGNORECASE)
    if m is None:
        raise ValueError(f"not a size: {text!r} (bytes, or a number with K, M, G or T)")
    scale = 1 << (10 * " kmgt".index(m.group(2).lower() or " "))
    return int(float(m.group(1)) * scale)


# --------------------------------------------------------------------------- query inspection
_T = TypeVar("_T")

#: Queries up to this length have their inspection remembered (an endpoint sees the same
#: queries again and again: dashboards, the site's own pages); longer ones are not kept.
_REMEMBER_CHARS = 16 * 1024


def _remembered(fn: Callable[[str], _T]) -> Callable[[str], _T]:
    """``fn(text)`` with its answers for short texts kept (LRU, 512 of them). The functions
    wrapped are pure: the answer depends on the text alone."""
    cached = functools.lru_cache(maxsize=512)(fn)

    @functools.wraps(fn)
    def wrapper(text: str) -> _T:
        return cached(text) if len(text) <= _REMEMBER_CHARS else fn(text)

    return wrapper


@dataclass(frozen=True)
class QueryInfo:
    """What a quick look at a query's text tells (without a full parse).

    ``form`` is "select", "ask", "construct", "describe", "update" or None (not recognised);
    ``has_dataset`` is true when the query names its own dataset (``FROM``/``FROM NAMED``);
    ``uses_service`` is true when it uses ``SERVICE``.
    """

    form: str | None
    has_dataset: bool
    uses_service: bool


# IRIREF per the SPARQL grammar, but allowing backslashes: Oxigraph accepts \u escapes in IRIs.
_IRIREF = re.compile(r"<[^<>\"{}|^`\x00-\x20]*>")
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# A keyword is a word not glued to a variable sigil, a prefixed name, a language tag or a
# hyphenated local name. A '.' before it counts as a boundary (it may end a triple), so the
# rare local name like ex:a.service reads as the keyword: a false alarm, never a miss.
_KW_BEFORE = r"(?<![\w?$:@\-])"
_KW_AFTER = r"(?![\w:\-])"
_SERVICE = re.compile(_KW_BEFORE + r"service" + _KW_AFTER, re.IGNORECASE)
_FORM = re.compile(
    _KW_BEFORE + r"(select|ask|construct|describe|insert|delete|load|clear|create|drop|copy|"
    r"move|add|with)" + _KW_AFTER,
    re.IGNORECASE,
)
_FROM_OR_BRACE = re.compile(r"[{}]|" + _KW_BEFORE + r"from" + _KW_AFTER, re.IGNORECASE)
_QUERY_FORMS = {"select", "ask", "construct", "describe"}
_PARSER_LOCK = threading.Lock()


# One token of what _strip blanks: a comment, a string (long or short; an unterminated one runs
# to the end of its line, or of the text), an IRI. A '<' that starts no IRI is left alone.
_TOKEN = re.compile(
    r"(?P<c>#[^\r\n]*)"
    r"|(?P<s>'''(?:\\[\s\S]?|(?!''')[^\\])*(?:'''|\Z)"
    r'|"""(?:\\[\s\S]?|(?!""")[^\\])*(?:"""|\Z)'
    r"|'(?:[^'\\\r\n]|\\[\s\S]?)*(?:['\r\n]|\Z)"
    r'|"(?:[^"\\\r\n]|\\[\s\S]?)*(?:["\r\n]|\Z))'
    r"|(?P<i>" + _IRIREF.pattern + ")"
)
_BLANKS = {"c": " ", "s": ' "" ', "i": " <> "}


def _strip(text: str) -> str:
    """The query with comments blanked, strings emptied and IRIs emptied.

    Scanned left to right as a SPARQL lexer does, so a quote inside an IRI, a '#' inside a
    string or an IRI, or a keyword inside a string literal cannot mislead the caller. (One
    regular expression: a character loop in Python cost a millisecond per query.)

    >>> _strip('SELECT * { ?s <http://x/#a> "# not a comment" } # comment')
    'SELECT * { ?s  <>   ""  }  '
    """
    return _TOKEN.sub(lambda m: _BLANKS[m.lastgroup or ""], text)


def _unescape(text: str) -> str:
    """Replace \\uXXXX / \\UXXXXXXXX escapes (SPARQL 1.1 §19.2 applies them to the whole text)."""

    def char(m: re.Match[str]) -> str:
        code = int(m.group(1) or m.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return m.group(0)
        return chr(code)

    return _UCHAR.sub(char, text)


@_remembered
def inspect_query(text: str) -> QueryInfo:
    """Look at a query's form, dataset clause and use of ``SERVICE``.

    >>> inspect_query('SELECT * { ?s ?p "SERVICE <http://x/> {}" }')
    QueryInfo(form='select', has_dataset=False, uses_service=False)
    >>> inspect_query("PREFIX ex: <http://ex/> ASK FROM ex:g { SERVICE <http://x/> {} }")
    QueryInfo(form='ask', has_dataset=True, uses_service=True)
    >>> inspect_query("LOAD <http://example.org/data.ttl>").form
    'update'
    """
    code = _strip(text)
    m = _FORM.search(code)
    if m is None:
        form = None
    else:
        word = m.group(1).lower()
        form = word if word in _QUERY_FORMS else "update"
    return QueryInfo(
        form=form, has_dataset=_has_dataset(code), uses_service=_uses_service(text, code)
    )


def has_dataset_clause(text: str) -> bool:
    """Whether the query names its own dataset (``FROM`` / ``FROM NAMED`` outside braces).

    Cheaper than :func:`inspect_query` (no SERVICE check): for callers that only need this.

    >>> has_dataset_clause("SELECT * FROM <urn:g> { ?s ?p ?o }")
    True
    >>> has_dataset_clause('SELECT * { ?s ?p "FROM <urn:g>" }')
    False
    """
    return _has_dataset(_strip(text))


_DATASET_CLAUSE = re.compile(
    _KW_BEFORE + r"from\s+(?:named\s+)?(?:<[^<>\s]*>|[\w.\-]*:[\w.\-%\\]*)", re.IGNORECASE
)


def _dataset_clause_spans(text: str) -> list[re.Match[str]]:
    """The ``FROM``/``FROM NAMED`` clauses before the query's first brace (matches over a
    copy of the text with comments and strings blanked, so their offsets are the text's)."""
    masked = _TOKEN.sub(
        lambda m: m.group(0) if m.lastgroup == "i" else " " * len(m.group(0)), text
    )
    head = masked.find("{")
    return list(_DATASET_CLAUSE.finditer(masked, 0, len(masked) if head < 0 else head))


def default_graph_clauses(text: str) -> int:
    """How many ``FROM`` (not ``FROM NAMED``) clauses the query has: more than one makes a
    default graph that pyoxigraph would evaluate as a bag (``competency_kg.store.dataset``).

    >>> default_graph_clauses('SELECT * FROM e:a FROM NAMED <urn:b> FROM <urn:c> {}')
    2
    """
    return sum(1 for m in _dataset_clause_spans(text) if "named" not in m.group(0).lower())


def without_dataset_clauses(text: str) -> str:
    """The query without its ``FROM``/``FROM NAMED`` clauses, for a server that adds a
    protocol dataset to them instead of replacing them (Virtuoso 7.2; SPARQL 1.1 Protocol
    §2.1.4 says the protocol's dataset wins).

    >>> without_dataset_clauses('SELECT * FROM e:a FROM NAMED <urn:b> {"FROM <c>"}')
    'SELECT *   {"FROM <c>"}'
    """
    out, last = [], 0
    for m in _dataset_clause_spans(text):
        out.append(text[last : m.start()])
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def _has_dataset(code: str) -> bool:
    depth = 0
    for tok in _FROM_OR_BRACE.finditer(code):
        t = tok.group(0)
        if t == "{":
            depth += 1
        elif t == "}":
            depth -= 1
        elif depth <= 0:
            return True
    return False


def _uses_service(text: str, code: str) -> bool:
    unescaped = _unescape(text)
    if "service" not in text.casefold() and "service" not in unescaped.casefold():
        return False  # the keyword cannot be written without its letters
    if _SERVICE.search(code) or (unescaped != text and _SERVICE.search(_strip(unescaped))):
        return True
    # The word appears, but only inside strings, IRIs, comments or names as far as a lexer can
    # tell. A '<' may be an IRI or a less-than sign depending on the grammar, so let a real
    # SPARQL parser confirm. If it cannot parse the text, the engine will most likely reject it
    # too, and the workers' network guard stands behind this check in any case.
    return _parser_finds_service(text)


def _parser_finds_service(text: str) -> bool:
    from pyparsing import ParseBaseException, ParseResults
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    def walk(node: object) -> bool:
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                return True
            return any(walk(v) for v in node.values())
        if isinstance(node, list | tuple | ParseResults):
            return any(walk(v) for v in node)
        return False

    try:
        with _PARSER_LOCK:
            tree = parseQuery(text)
        return walk(tree)
    except (ParseBaseException, ValueError, TypeError):
        return False
    except RecursionError:
        # nested too deeply to be sure: refuse rather than let it through unchecked
        return True


#: Deeper nesting of groups, parentheses or negations is refused: the engine's recursive
#: parser would exhaust a worker's stack on some thousands of levels.
MAX_QUERY_NESTING = 250

_NESTING = re.compile(r"[{}()]|!+")


@_remembered
def nesting_depth(text: str) -> int:
    """The deepest nesting of ``{}``/``()`` in the query's code (strings, IRIs, comments
    skipped), counting a run of ``!`` as that many levels.

    >>> nesting_depth('SELECT * { { ?s ?p "{{{" } FILTER(!!(?s)) }')
    4
    """
    depth = deepest = 0
    for m in _NESTING.finditer(_strip(text)):
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
#: recursive parser and evaluator, on the worker's 8 MB stack (:data:`WORKER_STACK_BYTES`).
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
    r"|(?P<kw>" + _KW_BEFORE + r"(?:bind|filter)" + _KW_AFTER + ")",
    re.IGNORECASE,
)


@_remembered
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
    for m in _CHAIN.finditer(_strip(text)):
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
    :data:`MAX_QUERY_OPERATORS`, :data:`MAX_QUERY_PATTERNS`)."""
    depth = nesting_depth(text)
    if depth > MAX_QUERY_NESTING:
        raise QueryRefused(
            f"the query nests {depth} levels deep; more than {MAX_QUERY_NESTING} is refused"
        )
    ops, patterns = chain_lengths(text)
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


# --------------------------------------------------------------------------- network guard
_SECCOMP_ARCH = {  # machine -> (AUDIT_ARCH_*, socket syscall numbers, seccomp syscall number)
    "x86_64": (0xC000003E, (41, 0x40000000 | 41), 317),
    "aarch64": (0xC00000B7, (198,), 277),
}


def deny_network() -> bool:
    """Forbid this process (and threads it starts later) to open IPv4/IPv6 sockets.

    Installs a seccomp filter (Linux x86-64 and aarch64) under which ``socket(AF_INET|AF_INET6,
    …)`` fails with EACCES; Unix sockets and pipes keep working. Returns False, changing
    nothing, where seccomp is not available. There is no way back for the process.
    """
    import ctypes
    import platform

    if not sys.platform.startswith("linux"):
        return False
    arch = _SECCOMP_ARCH.get(platform.machine())
    if arch is None:
        return False
    audit_arch, socket_nrs, seccomp_nr = arch

    class SockFilter(ctypes.Structure):
        _fields_ = (
            ("code", ctypes.c_ushort),
            ("jt", ctypes.c_ubyte),
            ("jf", ctypes.c_ubyte),
            ("k", ctypes.c_uint32),
        )

    class SockFprog(ctypes.Structure):
        _fields_ = (
            ("len", ctypes.c_ushort),
            ("filter", ctypes.POINTER(SockFilter)),
        )

    ld, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K
    allow, deny = 0x7FFF0000, 0x00050000 | 13  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO|EACCES
    af_inet, af_inet6 = 2, 10
    k = len(socket_nrs)
    # 0: arch; 1: wrong arch -> allow; 2: nr; 3..3+k-1: socket? -> check family; else allow;
    # then family == AF_INET or AF_INET6 -> deny.
    prog: list[tuple[int, int, int, int]] = [(ld, 0, 0, 4)]
    allow_at = 6 + k
    deny_at = allow_at + 1
    prog.append((jeq, 0, allow_at - 2, audit_arch))
    prog.append((ld, 0, 0, 0))
    for idx, nr in enumerate(socket_nrs):
        here = 3 + idx
        last = idx == k - 1
        family_at = 3 + k
        prog.append((jeq, family_at - here - 1, (allow_at - here - 1) if last else 0, nr))
    prog.append((ld, 0, 0, 16))  # args[0], low 32 bits (little-endian)
    here = len(prog)
    prog.append((jeq, deny_at - here - 1, 0, af_inet))
    here = len(prog)
    prog.append((jeq, deny_at - here - 1, 0, af_inet6))
    prog.append((ret, 0, 0, allow))
    prog.append((ret, 0, 0, deny))
    assert len(prog) == deny_at + 1

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        arr = (SockFilter * len(prog))(*(SockFilter(*p) for p in prog))
        fprog = SockFprog(len(prog), arr)
        if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
            return False
        # seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog)
        return libc.syscall(seccomp_nr, 1, 1, ctypes.byref(fprog)) == 0
    except (OSError, AttributeError):
        return False


# --------------------------------------------------------------------------- running a job
@dataclass(frozen=True)
class QueryJob:
    """One query with everything a worker needs to answer it."""

    query: str
    results_mime: str | None = RESULTS_JSON  # None: SELECT/ASK results are not acceptable
    graph_mime: str | None = "text/turtle"  # None: graph results are not acceptable
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    base_iri: str | None = None
    has_dataset: bool | None = None  # FROM/FROM NAMED in the text (None: not looked at yet)


class _TooLarge(Exception):
    pass


class _CappedBuffer(io.BytesIO):
    """An in-memory output that refuses to grow beyond ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, b: Any) -> int:
        if self.tell() + len(b) > self.limit:
            raise _TooLarge
        return super().write(b)


def execute(store: Any, job: QueryJob, max_bytes: int) -> tuple[tuple[Any, ...], Any]:
    """Run ``job`` on a ``pyoxigraph.Store``: a reply tuple and the serialized bytes (or None).

    Replies: ``("ok", kind, mime)``, ``("syntax", msg)``, ``("bad", msg)``, ``("error", msg)``,
    ``("too-large",)``, ``("unacceptable", kind)``, ``("memory",)``.
    """
    import pyoxigraph as ox

    from competency_kg.store.dataset import UnsupportedDataset, query_plan

    try:
        # The protocol's dataset replaces the query's own FROM/FROM NAMED (SPARQL 1.1
        # Protocol §2.1.4); the default graph is a set either way (store.dataset).
        store, kwargs = query_plan(
            store, job.query, job.default_graphs, job.named_graphs, job.has_dataset
        )
    except UnsupportedDataset as exc:
        return ("bad", str(exc)), None
    except ValueError as exc:
        return ("bad", f"a graph name is not an absolute IRI: {exc}"), None
    except Exception as exc:  # the plan reads the store (is the merge there?)
        return _failure(exc), None
    if job.base_iri:
        kwargs["base_iri"] = job.base_iri
    try:
        result = _query_rewritten(store, job.query, kwargs)
    except SyntaxError as exc:
        return ("syntax", str(exc)), None
    except MemoryError:
        return ("memory",), None
    except Exception as exc:
        return _failure(exc), None
    buf = _CappedBuffer(max_bytes)
    try:
        if isinstance(result, ox.QueryTriples):
            kind, mime = "graph", job.graph_mime
            if mime is None:
                return ("unacceptable", kind), None
            ox.serialize(result, buf, _rdf_format(mime))
        else:
            kind = "ask" if isinstance(result, ox.QueryBoolean) else "select"
            mime = job.results_mime
            if mime is None:
                return ("unacceptable", kind), None
            result.serialize(buf, _results_format(mime))
    except _TooLarge:
        return ("too-large", max_bytes), None
    except MemoryError:
        return ("memory",), None
    except Exception as exc:  # evaluation errors surface while the results are drawn
        return _failure(exc), None
    return ("ok", kind, mime), buf.getbuffer()


def _failure(exc: Exception) -> tuple[str, str]:
    """A worker's reply for a failed query: ``damaged`` when the engine could not read the
    store (its message names the store's files), else ``error``."""
    message = str(exc) or type(exc).__name__
    return ("damaged" if is_damage(message) else "error", message)


def probe(store: Any, seconds: float = PROBE_SECONDS) -> tuple[str, ...]:
    """Read every quad for at most ``seconds``: ``("damaged", detail)`` if a block fails its
    check, else ``("sound",)``. Run after a query timed out or killed its worker: on a
    corrupted block, RocksDB's iterator fails at once when a scan streams, but an aggregate
    (``COUNT``, ``GROUP BY``) or ``ASK`` over it keeps retrying until the timeout (pyoxigraph
    0.5; it also piles up memory meanwhile), so the probe tells a damaged store from a slow
    query."""
    end = time.monotonic() + seconds
    try:
        for i, _quad in enumerate(store):
            if i % 4096 == 0 and time.monotonic() > end:
                break
    except Exception as exc:
        return _failure(exc) if is_damage(str(exc)) else ("sound",)
    return ("sound",)


def _query_rewritten(store: Any, query: str, kwargs: dict[str, Any]) -> Any:
    """Run the query after the rewrites of ``competency_kg.query_rewrite``; should the
    rewrite ever produce text the engine rejects, run the query exactly as written."""
    from competency_kg.query_rewrite import rewrite

    rewritten = rewrite(query)
    if rewritten != query:
        try:
            return store.query(rewritten, **kwargs)
        except SyntaxError:
            pass
    return store.query(query, **kwargs)


def _results_format(mime: str) -> Any:
    import pyoxigraph as ox

    return {
        "application/sparql-results+json": ox.QueryResultsFormat.JSON,
        "application/sparql-results+xml": ox.QueryResultsFormat.XML,
        "text/csv": ox.QueryResultsFormat.CSV,
        "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    }[mime]


def _rdf_format(mime: str) -> Any:
    import pyoxigraph as ox

    return {
        "text/turtle": ox.RdfFormat.TURTLE,
        "application/n-triples": ox.RdfFormat.N_TRIPLES,
        "application/ld+json": ox.RdfFormat.JSON_LD,
        "application/rdf+xml": ox.RdfFormat.RDF_XML,
    }[mime]


def _outcome(reply: tuple[Any, ...], data: Any) -> RawResult:
    """Turn a worker's reply into a result, or raise the matching :class:`QueryError`."""
    from competency_kg.store.base import RawResult

    status = reply[0]
    if status == "ok":
        return RawResult(reply[1], reply[2], bytes(data))
    if status == "syntax":
        raise QuerySyntaxError(f"SPARQL syntax error: {reply[1]}")
    if status == "bad":
        raise BadRequest(reply[1])
    if status == "too-large":
        raise ResultTooLarge(reply[1])
    if status == "damaged":
        raise damage(reply[1])
    if status == "unacceptable":
        raise NotAcceptable(reply[1])
    if status == "memory":
        raise QueryFailed("the query ran out of memory")
    raise QueryFailed(f"the query failed: {reply[1]}")


# --------------------------------------------------------------------------- worker limits
#: The stack a worker's main thread (where the engine parses and evaluates) may grow to. The
#: query limits of :func:`check_query` were measured with this stack; a worker sets it, so
#: they hold whatever ``ulimit -s`` the server was started with.
WORKER_STACK_BYTES = 8 * 1024 * 1024
#: Seconds between two looks at a running worker's resident memory. Measured with the greediest
#: query known (a sorted three-way cartesian product, ~320 MB/s): the worker was stopped within
#: a few MB of its ceiling.
_MEMORY_POLL = 0.02
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def physical_memory() -> int | None:
    """The memory this machine (or the cgroup the server runs in, if smaller) has, in bytes."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * _PAGE
    except (AttributeError, ValueError, OSError):
        return None
    with contextlib.suppress(OSError, ValueError):
        cap = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if cap.isdigit():
            total = min(total, int(cap))
    return total


def default_memory_limit(workers: int) -> int:
    """Half the machine's memory shared among the workers (at least 256 MB each): with every
    worker at its ceiling, the rest of the machine keeps the other half."""
    total = physical_memory() or 8 << 30
    return max(256 << 20, total // 2 // max(1, workers))


def resident_bytes(pid: int) -> int | None:
    """A process's resident memory (RSS) from ``/proc``; None when it is gone or unknown."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return None


def _limit_worker(memory_limit: int | None) -> None:
    """Resource limits a worker sets on itself once its store is open.

    No core dump (a crashing query would write its whole address space to disk, each time);
    the stack :data:`WORKER_STACK_BYTES` the query limits were measured with; and, as a
    backstop to the pool's watch on its resident memory, an address-space limit of what it
    has mapped now plus ``memory_limit``: should the pool be too slow to stop a greedy query
    (a busy machine), an allocation fails instead, which makes the engine (Rust) abort the
    process: the pool reads that SIGABRT as the memory limit reached.
    """
    import resource

    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with contextlib.suppress(ValueError, OSError):
        _, hard = resource.getrlimit(resource.RLIMIT_STACK)
        stack = WORKER_STACK_BYTES
        if hard != resource.RLIM_INFINITY:
            stack = min(stack, hard)
        resource.setrlimit(resource.RLIMIT_STACK, (stack, hard))
    if memory_limit is None:
        return
    with contextlib.suppress(ValueError, OSError):
        mapped = _mapped_bytes()
        if mapped is not None:
            cap = mapped + memory_limit
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            if hard != resource.RLIM_INFINITY:
                cap = min(cap, hard)
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _mapped_bytes() -> int | None:
    """This process's address space (VmSize) in bytes."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[0]) * _PAGE
    except (OSError, IndexError, ValueError):
        return None


def _signal_name(code: int | None) -> str:
    if code is None or code >= 0:
        return f"exit status {code}"
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


# --------------------------------------------------------------------------- worker process
def _watch_parent() -> None:
    """Exit when the process that started us goes away (even if it was killed)."""
    ppid = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != ppid:
                os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


#: CPU priority (nice value) of the workers that answer written queries when workers are kept
#: for pages: under Linux's fair scheduler a nice-10 process weighs 110 against 1024 for nice 0,
#: so runaway queries on every SPARQL worker leave the page workers (and the web process) most of
#: the CPU they need, while an idle machine still gives a query all of it.
WRITTEN_NICENESS = 10


def _worker_main(
    conn: Any,
    store_path: str,
    max_bytes: int,
    guard_network: bool,
    memory_limit: int | None,
    niceness: int = 0,
) -> None:
    """Body of a worker process: open the store, then answer jobs until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal is the server's business
    if niceness:
        with contextlib.suppress(OSError):  # a priority is a preference, never a reason to fail
            os.nice(niceness)
    guarded = deny_network() if guard_network else False
    _watch_parent()
    try:
        import pyoxigraph as ox

        handle = LiveView(store_path, ox.Store.read_only)
    except (OSError, RuntimeError) as exc:
        with contextlib.suppress(OSError):  # the pool may have given up on us meanwhile
            conn.send(("open-failed", f"cannot open the store at {store_path}: {exc}"))  # logged
        return
    _limit_worker(memory_limit)
    try:
        conn.send(("ready", os.getpid(), guarded))
    except OSError:  # the pool closed while we started (a shutdown): nothing to report
        return
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        if job == "probe":
            reply, data = probe(handle.current()), None
        else:
            reply, data = execute(handle.current(), job, max_bytes)
        try:
            conn.send(reply)
            if data is not None:
                conn.send_bytes(data)
        except OSError:  # the pool is gone
            return
        finally:
            if data is not None:
                data.release()


# --------------------------------------------------------------------------- the pool
@dataclass(eq=False)
class _Worker:
    process: Any
    conn: Any
    network_guarded: bool
    lane: str = PAGES  #: :data:`PAGES` workers serve pages only; :data:`WRITTEN` ones both


def _default_size() -> int:
    """Twice the cores, at least four: queries are CPU-bound, but with only one worker per core
    two slow queries would leave every quick one waiting behind them; the kernel shares the
    cores between the extra workers instead."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(4, 2 * cores)


class QueryPool:
    """A pool of worker processes answering queries on the store at ``store_path``.

    ``size`` workers (default: the number of cores) are started on first use or by
    :meth:`start`. :meth:`run` answers one query or raises a :class:`QueryError`.
    """

    def __init__(
        self,
        store_path: str | Path,
        *,
        size: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
        start_method: str = "forkserver",
        guard_network: bool = True,
        memory_limit: int | None = None,
        reserved: int | None = None,
        per_client: int | None = None,
        request_threads: int | None = None,
    ) -> None:
        self.store_path = str(store_path)
        self.size = size or _default_size()
        #: Resident memory a worker may reach while answering a query; past it the worker is
        #: killed and the caller gets :class:`QueryMemoryExceeded`.
        self.memory_limit = memory_limit or default_memory_limit(self.size)
        #: Workers written queries leave to pages: a quarter (one of the default four).
        self.reserved = max(0, min(self.size - 1, self.size // 4 if reserved is None else reserved))
        #: Workers written queries may hold at once, and one client of them.
        self.written_slots = self.size - self.reserved
        self.per_client = max(1, per_client or -(-self.written_slots // 2))
        self._admission = threading.Condition()
        self._written_busy = 0
        self._written_waiting = 0
        #: Written queries that may wait for a worker: each holds a request thread, and an
        #: eighth of the threads (at least two) stay for pages. Unbounded without a server.
        self.max_waiting = (
            None
            if request_threads is None
            else max(1, request_threads - self.written_slots - max(2, request_threads // 8))
        )
        self._by_client: dict[str, int] = {}
        self.timeout = timeout
        self.max_result_bytes = max_result_bytes
        self.start_method = start_method
        self.guard_network = guard_network
        #: Idle workers by lane: the ``reserved`` page workers, and the others (at
        #: :data:`WRITTEN_NICENESS` when there are page workers), which pages may borrow.
        self._idle: dict[str, queue.Queue[_Worker]] = {PAGES: queue.Queue(), WRITTEN: queue.Queue()}
        self._live: set[_Worker] = set()
        self._lock = threading.Lock()
        self._spawn_lock = threading.Lock()
        self._started = False
        self._closed = False
        self._pending = 0  # workers being started
        self._open_error: str | None = None
        self.killed = 0  # workers killed on timeout, for statistics and tests
        #: The early probe's finding for one store version: (token, None) sound, (token,
        #: detail) damaged; ``_probing`` while one runs.
        self._probed: tuple[str | None, str | None] | None = None
        self._probing = False

    # -- lifecycle
    def _context(self) -> Any:
        import multiprocessing

        ctx = multiprocessing.get_context(self.start_method)
        if self.start_method == "forkserver":
            # Import what a worker needs once, in the fork server; children start in
            # milliseconds. The main module is preloaded too, so that children do not each
            # re-import it (for a console script that would mean rdflib and the whole CLI).
            preload = ["__main__", __name__]
            main_spec = getattr(sys.modules.get("__main__"), "__spec__", None)
            if main_spec is not None and main_spec.name not in preload:
                preload.append(main_spec.name)
            ctx.set_forkserver_preload(preload)
        return ctx

    def start(self) -> None:
        """Start the workers (in the background; :meth:`wait_ready` waits for them)."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
            self._pending += self.size
        for i in range(self.size):
            self._spawn_async(PAGES if i < self.reserved else WRITTEN)

    def wait_ready(self, timeout: float = _STARTUP_TIMEOUT) -> bool:
        """Wait until every worker is up (True) or ``timeout`` passes (False)."""
        self.start()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if len(self._live) >= self.size and self._pending == 0:
                    return True
                if self._open_error and not self._live:
                    return False
            time.sleep(0.02)
        return False

    @property
    def network_guarded(self) -> bool:
        """True when every live worker runs under the network guard."""
        with self._lock:
            return bool(self._live) and all(w.network_guarded for w in self._live)

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
            workers = list(self._live)
            self._live.clear()
        for w in workers:
            with contextlib.suppress(OSError):
                w.conn.send(None)
        end = time.monotonic() + 1.0
        for w in workers:
            w.process.join(max(0.0, end - time.monotonic()))
            if w.process.is_alive():
                w.process.kill()
                w.process.join(1.0)
            w.conn.close()

    def __enter__(self) -> QueryPool:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- workers
    def _spawn_async(self, lane: str) -> None:
        threading.Thread(
            target=self._spawn, args=(lane,), name="query-worker-start", daemon=True
        ).start()

    def _spawn(self, lane: str) -> None:
        """Start one worker; retry while the store cannot be opened, until the pool closes."""
        while not self._closed:
            worker, error = self._start_worker(lane)
            with self._lock:
                if worker is not None and not self._closed:
                    self._pending -= 1
                    self._live.add(worker)
                    self._open_error = None
                    self._idle[lane].put(worker)
                    return
                if worker is None:
                    self._open_error = error
            if worker is not None:  # the pool closed while it started
                self._stop(worker)
                break
            if self._closed or sys.is_finalizing():
                break
            log.warning("a query worker could not start: %s; retrying", error)
            time.sleep(_RETRY_DELAY)
        with self._lock:
            self._pending -= 1

    def _start_worker(self, lane: str) -> tuple[_Worker | None, str | None]:
        ctx = self._context()
        parent, child = ctx.Pipe(duplex=True)
        memory = self.memory_limit
        nice = WRITTEN_NICENESS if lane == WRITTEN and self.reserved else 0
        proc = ctx.Process(
            target=_worker_main,
            args=(child, self.store_path, self.max_result_bytes, self.guard_network, memory, nice),
            name="competency-kg-query-worker",
            daemon=True,
        )
        with self._spawn_lock:
            proc.start()
        child.close()
        try:
            if not parent.poll(_STARTUP_TIMEOUT):
                raise EOFError("the worker did not start in time")
            hello = parent.recv()
        except (EOFError, OSError) as exc:
            proc.kill()
            proc.join(1.0)
            parent.close()
            return None, f"the query worker failed to start ({exc or type(exc).__name__})"
        if hello[0] != "ready":
            proc.join(1.0)
            parent.close()
            return None, str(hello[1])
        return _Worker(proc, parent, bool(hello[2]), lane), None

    def _stop(self, w: _Worker) -> None:
        with contextlib.suppress(OSError):
            w.conn.send(None)
        w.process.join(1.0)
        if w.process.is_alive():
            w.process.kill()
            w.process.join(1.0)
        w.conn.close()

    def _retire(self, w: _Worker, *, kill: bool) -> None:
        """Take a worker out of service (killing it first if asked) and start a replacement."""
        if kill:
            with contextlib.suppress(ProcessLookupError, TypeError):
                os.kill(w.process.pid, signal.SIGKILL)
        with self._lock:
            self._live.discard(w)
            replace = not self._closed
            if replace:
                self._pending += 1

        def reap() -> None:
            w.process.join(5.0)
            w.conn.close()

        threading.Thread(target=reap, name="query-worker-reap", daemon=True).start()
        if replace:
            self._spawn_async(w.lane)

    def _take_idle(self, lane: str, timeout: float) -> _Worker:
        """An idle worker for ``lane``: a page takes a page worker, else borrows an idle
        SPARQL worker; a written query takes only SPARQL workers. :class:`queue.Empty` after
        ``timeout`` seconds."""
        if lane == WRITTEN:
            return self._idle[WRITTEN].get(timeout=timeout)
        end = time.monotonic() + timeout
        while True:
            for q in (self._idle[PAGES], self._idle[WRITTEN]):
                with contextlib.suppress(queue.Empty):
                    return q.get_nowait()
            left = end - time.monotonic()
            if left <= 0:
                raise queue.Empty
            # Page workers come back within a page's time; poll both lanes often.
            with contextlib.suppress(queue.Empty):
                return self._idle[PAGES].get(timeout=min(0.01, left))

    def _acquire(self, wait: float, lane: str = PAGES) -> _Worker:
        self.start()
        end = time.monotonic() + wait
        while True:
            with self._lock:
                if self._closed:
                    raise QueryFailed("the server is shutting down")
                if self._open_error and not self._live:
                    raise StoreUnavailable(CANNOT_OPEN) from RuntimeError(self._open_error)
            try:
                w = self._take_idle(lane, min(0.25, max(0.0, end - time.monotonic())))
            except queue.Empty:
                if time.monotonic() >= end:
                    raise PoolBusy(
                        f"all {self.size} query workers stayed busy for {wait:g} s; "
                        "try again shortly"
                    ) from None
                continue
            if w.process.is_alive():
                return w
            self._retire(w, kill=False)

    # -- queries
    def run(
        self,
        query: str,
        *,
        results_mime: str | None = RESULTS_JSON,
        graph_mime: str | None = "text/turtle",
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        base_iri: str | None = None,
        timeout: float | None = None,
        info: QueryInfo | None = None,
        lane: str = PAGES,
        client: str | None = None,
    ) -> RawResult:
        """Answer ``query`` in a worker; its result as bytes in the requested format.

        Without ``default_graphs``/``named_graphs`` or ``FROM`` the default graph is the merge
        of the named graphs (:mod:`competency_kg.store.dataset`). ``info`` (from
        :func:`check_query`) saves a second look at the text. ``lane`` :data:`WRITTEN` (with
        the ``client``'s address) for a query a caller wrote. Raises a :class:`QueryError`
        subclass (:class:`ClientBusy` when that client already has its share busy).
        """
        job = _make_job(
            query, results_mime, graph_mime, default_graphs, named_graphs, base_iri, info,
        )  # fmt: skip
        limit = self.timeout if timeout is None else timeout
        if lane != WRITTEN:
            return self._run(job, limit, PAGES)
        key = client or "-"
        self._admit(key, max(limit, QUEUE_WAIT))
        try:
            return self._run(job, limit, WRITTEN)
        finally:
            with self._admission:
                self._written_busy -= 1
                self._leave(key)
                self._admission.notify()

    def _admit(self, client: str, wait: float) -> None:
        """Count a written query in: refused (:class:`ClientBusy`) beyond the client's share;
        waits while ``written_slots`` are busy (:class:`PoolBusy` after ``wait`` seconds), or
        is refused at once (:class:`PoolBusy`) when ``max_waiting`` queries wait already —
        each holds a request thread, and threads must stay free for pages."""
        with self._admission:
            held = self._by_client.get(client, 0)
            if held >= self.per_client:
                raise ClientBusy(
                    f"this client already has {held} queries running, its share of this "
                    "endpoint's workers; wait for one to finish"
                )
            limit = self.max_waiting
            if limit is not None and self._written_waiting >= limit and self._written_full():
                raise PoolBusy(
                    f"all {self.written_slots} query workers for SPARQL queries are busy and "
                    f"{limit} queries wait for them already; try again shortly"
                )
            self._by_client[client] = held + 1
            self._written_waiting += 1
            try:
                self._wait_for_slot(client, time.monotonic() + wait, wait)
            finally:
                self._written_waiting -= 1
            self._written_busy += 1

    def _written_full(self) -> bool:
        # Counted against the live workers: while a killed worker is being replaced,
        # written queries wait rather than take the one left to pages.
        live = sum(1 for w in self._live if w.lane == WRITTEN)
        return self._written_busy >= min(self.written_slots, live)

    def _wait_for_slot(self, client: str, end: float, wait: float) -> None:
        """Wait (holding ``_admission``) for a free slot; :class:`PoolBusy` at ``end``."""
        while self._written_full():
            left = end - time.monotonic()
            if left <= 0:
                self._leave(client)
                raise PoolBusy(
                    f"all {self.written_slots} query workers for SPARQL queries stayed busy "
                    f"for {wait:g} s; try again shortly"
                )
            self._admission.wait(min(left, 0.1))  # a replacement worker may come up

    def _leave(self, client: str) -> None:
        left = self._by_client[client] - 1
        if left:
            self._by_client[client] = left
        else:
            del self._by_client[client]

    def _run(self, job: QueryJob, limit: float, lane: str) -> RawResult:
        w = self._acquire(max(limit, QUEUE_WAIT), lane)
        try:
            w.conn.send(job)
            self._await_reply(w, limit)
            reply = w.conn.recv()
            data = w.conn.recv_bytes() if reply[0] == "ok" else None
        except (EOFError, OSError) as exc:
            raise self._died(w) from exc
        if reply[0] == "memory":  # a Python allocation failed under the address-space backstop
            self._retire(w, kill=True)
            raise QueryMemoryExceeded(self.memory_limit)
        self._idle[w.lane].put(w)
        return _outcome(reply, data)

    def _await_reply(self, w: _Worker, limit: float) -> None:
        """Wait for ``w``'s answer for at most ``limit`` seconds, looking at its resident
        memory every :data:`_MEMORY_POLL` s; kill it at the time or memory limit."""
        end = time.monotonic() + limit
        probe_at = time.monotonic() + EARLY_PROBE_AFTER
        while not w.conn.poll(max(0.0, min(_MEMORY_POLL, end - time.monotonic()))):
            if time.monotonic() >= probe_at:
                detail = self._known_damage()
                if detail is not None:
                    self._retire(w, kill=True)
                    log.warning("query cancelled: the store cannot be read (%s)", detail)
                    raise damage(detail, "the query was cancelled, because ")
            rss = resident_bytes(w.process.pid)
            if rss is not None and rss > self.memory_limit:
                self._retire(w, kill=True)
                with self._lock:
                    self.killed += 1
                log.warning(
                    "query cancelled at %s resident (worker %s killed; limit %s)",
                    human_bytes(rss), w.process.pid, human_bytes(self.memory_limit),
                )  # fmt: skip
                raise QueryMemoryExceeded(self.memory_limit)
            if time.monotonic() >= end:
                self._retire(w, kill=True)
                with self._lock:
                    self.killed += 1
                log.warning("query cancelled after %g s (worker %s killed)", limit, w.process.pid)
                self._raise_if_damaged(f"the query was cancelled after {limit:g} s, and ")
                raise QueryTimeout(limit)

    def _died(self, w: _Worker) -> QueryError:
        """What to tell the caller when ``w`` died while answering: the memory limit when
        the engine aborted (an allocation refused under the address-space backstop), otherwise
        the signal or exit status. The worker is replaced."""
        w.process.join(2.0)
        code = w.process.exitcode
        self._retire(w, kill=True)
        if code == -signal.SIGABRT:
            log.warning("query worker %s aborted: memory limit reached", w.process.pid)
            return QueryMemoryExceeded(self.memory_limit)
        how = _signal_name(code)
        log.error("query worker %s died while answering a query (%s)", w.process.pid, how)
        self._raise_if_damaged("the query's worker died, and ")
        hint = " (its stack overflowed, most likely)" if code == -signal.SIGSEGV else ""
        return QueryFailed(
            f"the query crashed the worker process answering it ({how}){hint}; "
            "the worker has been replaced"
        )

    def _known_damage(self) -> str | None:
        """The engine's words if the store's current version is known to be damaged; starts
        the one early probe of that version (in the background, in an idle worker) when none
        has run, so a query that keeps going is checked once, not every store read."""
        token = state_token(Path(self.store_path))
        with self._lock:
            probed = self._probed
            if probed is not None and probed[0] == token:
                return probed[1]
            if self._probing:
                return None
            self._probing = True

        def check() -> None:
            finding: tuple[str | None, str | None] | None = None
            w = None
            for q in (self._idle[WRITTEN], self._idle[PAGES]):  # pages' worker last
                with contextlib.suppress(queue.Empty):
                    w = w or q.get_nowait()
            # No idle worker: every worker busy; the next long query tries again.
            if w is not None:
                reply = self._probe_in(w)
                if reply is not None:
                    finding = (token, reply[1] if reply[0] == "damaged" else None)
            with self._lock:
                self._probing = False
                if finding is not None:
                    self._probed = finding

        threading.Thread(target=check, name="query-store-probe", daemon=True).start()
        return None

    def _probe_in(self, w: _Worker) -> tuple[str, ...] | None:
        """Probe the store in idle worker ``w`` and give it back; None if ``w`` failed."""
        try:
            w.conn.send("probe")
            if not w.conn.poll(PROBE_SECONDS + 5.0):
                self._retire(w, kill=True)
                return None
            reply = w.conn.recv()
        except (EOFError, OSError):
            self._retire(w, kill=True)
            return None
        self._idle[w.lane].put(w)
        return reply

    def _raise_if_damaged(self, after: str) -> None:
        """Probe the store in an idle worker (:func:`probe`, at most :data:`PROBE_SECONDS`)
        and raise :class:`StoreDamaged` if it cannot be read; no idle worker: no probe."""
        try:
            w = self._take_idle(PAGES, 0.0)
        except queue.Empty:
            return
        reply = self._probe_in(w)
        if reply is not None and reply[0] == "damaged":
            raise damage(reply[1], after)


def _make_job(
    query: str,
    results_mime: str | None,
    graph_mime: str | None,
    default_graphs: Sequence[str] | None,
    named_graphs: Sequence[str] | None,
    base_iri: str | None,
    info: QueryInfo | None,
) -> QueryJob:
    if info is None:
        info = check_query(query)
    if results_mime is not None and results_mime not in RESULT_MIMES:
        raise ValueError(f"cannot write query results as {results_mime}")
    if graph_mime is not None and graph_mime not in GRAPH_MIMES:
        raise ValueError(f"cannot write a graph as {graph_mime}")
    return QueryJob(
        query=query,
        results_mime=results_mime,
        graph_mime=graph_mime,
        default_graphs=tuple(default_graphs) if default_graphs is not None else None,
        named_graphs=tuple(named_graphs) if named_graphs is not None else None,
        base_iri=base_iri,
        has_dataset=info.has_dataset,
    )


class InlineExecutor:
    """Answers queries in the calling thread, without a timeout of its own: for in-memory
    stores (tests) and remote stores (a SPARQL server, which enforces its own limits).

    Same checks, dataset handling and result formats as :class:`QueryPool`.
    """

    def __init__(
        self,
        store: GraphStore,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
    ) -> None:
        self.store = store
        self.timeout = timeout
        self.max_result_bytes = max_result_bytes
        self.size = 1
        self.killed = 0
        self.network_guarded = False

    def start(self) -> None:
        pass

    def wait_ready(self, timeout: float = 0.0) -> bool:
        return True

    def close(self) -> None:
        pass

    def run(
        self,
        query: str,
        *,
        results_mime: str | None = RESULTS_JSON,
        graph_mime: str | None = "text/turtle",
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        base_iri: str | None = None,
        timeout: float | None = None,
        info: QueryInfo | None = None,
        lane: str = PAGES,
        client: str | None = None,
    ) -> RawResult:
        job = _make_job(
            query, results_mime, graph_mime, default_graphs, named_graphs, base_iri, info,
        )  # fmt: skip
        ox_store = getattr(self.store, "oxigraph", None)
        if ox_store is not None:
            reply, data = execute(ox_store, job, self.max_result_bytes)
            return _outcome(reply, data)
        return self._run_remote(job)

    def _run_remote(self, job: QueryJob) -> RawResult:
        from competency_kg.store.base import StoreError, StoreUnreachable
        from competency_kg.store.dataset import UnsupportedDataset

        protocol = job.default_graphs is not None or job.named_graphs is not None
        try:
            result = self.store.query_raw(
                job.query,
                results_mime=job.results_mime or RESULTS_JSON,
                graph_mime=job.graph_mime or "text/turtle",
                default_graphs=list(job.default_graphs or ()) if protocol else None,
                named_graphs=list(job.named_graphs or ()) if protocol else None,
            )
        except SyntaxError as exc:  # the server's own parser refused it (HTTP 400)
            raise QuerySyntaxError(f"SPARQL syntax error: {exc}") from exc
        except UnsupportedDataset as exc:
            raise BadRequest(str(exc)) from exc
        except StoreUnreachable as exc:
            raise StoreUnavailable(UNREACHABLE) from exc
        except StoreError as exc:
            raise UpstreamError(f"the store's SPARQL server failed the query: {exc}") from exc
        wanted = job.graph_mime if result.kind == "graph" else job.results_mime
        if wanted is None:
            raise NotAcceptable(result.kind)
        if len(result.data) > self.max_result_bytes:
            raise ResultTooLarge(self.max_result_bytes)
        return result
