"""Looking at a query's text without parsing it: its form, its dataset clause, ``SERVICE``.

A lexer pass (comments, strings and IRIs blanked by one regular expression, :data:`TOKEN`)
is enough for what the service must know before it runs a query, and costs microseconds where
a parse costs milliseconds; the few answers a lexer cannot be sure of go to a real parser.
Every other module that scans query text (:mod:`competency_kg.sparql.rewrite`,
:mod:`competency_kg.sparql.checks`) uses the same tokens.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

_T = TypeVar("_T")

#: Queries up to this length have their inspection remembered (an endpoint sees the same
#: queries again and again: dashboards, the site's own pages); longer ones are not kept.
_REMEMBER_CHARS = 16 * 1024


def remembered(fn: Callable[[str], _T]) -> Callable[[str], _T]:
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
KW_BEFORE = r"(?<![\w?$:@\-])"
KW_AFTER = r"(?![\w:\-])"
_SERVICE = re.compile(KW_BEFORE + r"service" + KW_AFTER, re.IGNORECASE)
_FORM = re.compile(
    KW_BEFORE + r"(select|ask|construct|describe|insert|delete|load|clear|create|drop|copy|"
    r"move|add|with)" + KW_AFTER,
    re.IGNORECASE,
)
_FROM_OR_BRACE = re.compile(r"[{}]|" + KW_BEFORE + r"from" + KW_AFTER, re.IGNORECASE)
_QUERY_FORMS = {"select", "ask", "construct", "describe"}
_PARSER_LOCK = threading.Lock()


# One token of what strip blanks: a comment, a string (long or short; an unterminated one runs
# to the end of its line, or of the text), an IRI. A '<' that starts no IRI is left alone.
TOKEN = re.compile(
    r"(?P<c>#[^\r\n]*)"
    r"|(?P<s>'''(?:\\[\s\S]?|(?!''')[^\\])*(?:'''|\Z)"
    r'|"""(?:\\[\s\S]?|(?!""")[^\\])*(?:"""|\Z)'
    r"|'(?:[^'\\\r\n]|\\[\s\S]?)*(?:['\r\n]|\Z)"
    r'|"(?:[^"\\\r\n]|\\[\s\S]?)*(?:["\r\n]|\Z))'
    r"|(?P<i>" + _IRIREF.pattern + ")"
)
_BLANKS = {"c": " ", "s": ' "" ', "i": " <> "}


def strip(text: str) -> str:
    """The query with comments blanked, strings emptied and IRIs emptied.

    Scanned left to right as a SPARQL lexer does, so a quote inside an IRI, a '#' inside a
    string or an IRI, or a keyword inside a string literal cannot mislead the caller. (One
    regular expression: a character loop in Python cost a millisecond per query.)

    >>> strip('SELECT * { ?s <http://x/#a> "# not a comment" } # comment')
    'SELECT * { ?s  <>   ""  }  '
    """
    return TOKEN.sub(lambda m: _BLANKS[m.lastgroup or ""], text)


def without_comments(text: str) -> str | None:
    """The query with its comments taken out, for what is kept per query (checks, plans): a
    client that makes each text its own with a comment (a ``# round N``, a cache-buster)
    then finds them. None when that is not sure: a backslash (an escape such as ``ex:a\\#b``
    in a prefixed name, where ``#`` is no comment; SPARQL 1.1 §19.4, ``PN_LOCAL_ESC``).
    A comment runs to a line end, which stays: the tokens around it stay apart.

    >>> without_comments('# round 2\\nSELECT * { ?s <http://x/#a> "# no" } # c')
    '\\nSELECT * { ?s <http://x/#a> "# no" } '
    >>> without_comments("SELECT * { ?s ?p 'a\\\\'' }") is None
    True
    """
    if "\\" in text:
        return None
    if "#" not in text:
        return text
    return TOKEN.sub(lambda m: "" if m.lastgroup == "c" else m[0], text)


def unescape_codepoints(text: str) -> str:
    """Replace \\uXXXX / \\UXXXXXXXX escapes (SPARQL 1.1 §19.2 applies them to the whole text)."""

    def char(m: re.Match[str]) -> str:
        code = int(m.group(1) or m.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return m.group(0)
        return chr(code)

    return _UCHAR.sub(char, text)


@remembered
def inspect_query(text: str) -> QueryInfo:
    """Look at a query's form, dataset clause and use of ``SERVICE``.

    >>> inspect_query('SELECT * { ?s ?p "SERVICE <http://x/> {}" }')
    QueryInfo(form='select', has_dataset=False, uses_service=False)
    >>> inspect_query("PREFIX ex: <http://ex/> ASK FROM ex:g { SERVICE <http://x/> {} }")
    QueryInfo(form='ask', has_dataset=True, uses_service=True)
    >>> inspect_query("LOAD <http://example.org/data.ttl>").form
    'update'
    """
    code = strip(text)
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
    return _has_dataset(strip(text))


_DATASET_CLAUSE = re.compile(
    KW_BEFORE + r"from\s+(?:named\s+)?(?:<[^<>\s]*>|[\w.\-]*:[\w.\-%\\]*)", re.IGNORECASE
)


def _dataset_clause_spans(text: str) -> list[re.Match[str]]:
    """The ``FROM``/``FROM NAMED`` clauses before the query's first brace (matches over a
    copy of the text with comments and strings blanked, so their offsets are the text's)."""
    masked = TOKEN.sub(lambda m: m.group(0) if m.lastgroup == "i" else " " * len(m.group(0)), text)
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
    unescaped = unescape_codepoints(text)
    if "service" not in text.casefold() and "service" not in unescaped.casefold():
        return False  # the keyword cannot be written without its letters
    if _SERVICE.search(code) or (unescaped != text and _SERVICE.search(strip(unescaped))):
        return True
    # The word appears, but only inside strings, IRIs, comments or names as far as a lexer can
    # tell. A '<' may be an IRI or a less-than sign depending on the grammar, so let a real
    # SPARQL parser confirm. If it cannot parse the text, the engine will most likely reject it
    # too, and the workers' network guard stands behind this check in any case.
    return _parser_finds_service(text)


def _parser_finds_service(text: str) -> bool:
    # Imported here: the query workers import this module and never rdflib (its parser takes
    # 0.3 s to import), and few queries ever get this far.
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
