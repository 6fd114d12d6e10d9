"""A query's result as the engine serialized it, and reading such results back.

One parser for results: pyoxigraph's (``parse_query_results``), which reads every format
:mod:`competency_kg.sparql.formats` offers but CSV (a lossy format no caller reads back).
Rows come as terms (:func:`solution_rows`), plain values (:func:`value_rows`: IRIs and
lexical forms) or N-Triples text (:func:`term_rows`, the pages' rows). For the last, the
engine's own TSV is split rather than parsed: its cells already are N-Triples terms, and
decoding them into terms only to write them again took 2.5 times as long (100 k rows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox

from competency_kg.sparql.formats import RESULTS_TSV, results_format

#: A term of a solution: what a variable can be bound to.
Term = ox.NamedNode | ox.BlankNode | ox.Literal


@dataclass(frozen=True)
class RawResult:
    """A query result serialized by the engine: ``kind`` is "select", "ask" or "graph"."""

    kind: str
    mime: str
    data: bytes


def parse_results(data: bytes, mime: str) -> ox.QuerySolutions | ox.QueryBoolean:
    r"""SELECT solutions or an ASK answer from serialized results (JSON, XML or TSV).

    >>> data = b"?s\n<urn:a>\n"
    >>> [row["s"].value for row in parse_results(data, "text/tab-separated-values")]
    ['urn:a']
    """
    return ox.parse_query_results(data, results_format(mime))


def solution_rows(raw: RawResult) -> tuple[list[str], list[dict[str, Term]]]:
    """The variables and the rows of a SELECT result; an unbound variable is absent."""
    solutions = parse_results(raw.data, raw.mime)
    if isinstance(solutions, ox.QueryBoolean):
        raise ValueError("not SELECT results")
    return rows_of(solutions)


def rows_of(solutions: ox.QuerySolutions) -> tuple[list[str], list[dict[str, Term]]]:
    """The variables and rows of solutions the engine gave or :func:`parse_results` read."""
    names = [v.value for v in solutions.variables]
    rows: list[dict[str, Term]] = []
    for solution in solutions:
        row = {}
        for name in names:
            value = solution[name]
            if value is not None:
                row[name] = value
        rows.append(row)
    return names, rows


def value_rows(rows: list[dict[str, Term]]) -> list[dict[str, str]]:
    """Rows of plain values: an IRI, a literal's lexical form, ``_:label`` for a blank node."""
    return [
        {k: str(v) if isinstance(v, ox.BlankNode) else v.value for k, v in row.items()}
        for row in rows
    ]


def term_rows(raw: RawResult) -> list[dict[str, str]]:
    r"""Rows of N-Triples terms; an unbound variable is absent.

    >>> raw = RawResult("select", RESULTS_TSV, b'?s\t?n\n<urn:a>\t1\n')
    >>> term_rows(raw)
    [{'s': '<urn:a>', 'n': '"1"^^<http://www.w3.org/2001/XMLSchema#integer>'}]
    """
    if raw.mime != RESULTS_TSV:
        return [{k: str(v) for k, v in row.items()} for row in solution_rows(raw)[1]]
    lines = raw.data.decode("utf-8").split("\n")
    if not lines or not lines[0]:
        return []
    names = [v[1:] for v in lines[0].split("\t")]
    rows: list[dict[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        row: dict[str, str] = {}
        for name, cell in zip(names, line.split("\t"), strict=False):
            if cell:
                row[name] = _tsv_term(cell)
        rows.append(row)
    return rows


_XSD = "http://www.w3.org/2001/XMLSchema#"
_BARE = (
    (re.compile(r"^[+-]?\d+$"), f"^^<{_XSD}integer>"),
    (re.compile(r"^[+-]?\d*\.\d+$"), f"^^<{_XSD}decimal>"),
    (re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+$"), f"^^<{_XSD}double>"),
)


def _tsv_term(cell: str) -> str:
    """A cell of the engine's TSV as an N-Triples term: TSV writes numbers and booleans bare,
    Turtle-style, and every other term as N-Triples."""
    c = cell[0]
    if c == "<" or c == '"' or c == "_":
        return cell
    if cell in ("true", "false"):
        return f'"{cell}"^^<{_XSD}boolean>'
    for pattern, datatype in _BARE:
        if pattern.match(cell):
            return f'"{cell}"{datatype}'
    raise ValueError(f"unexpected term in query results: {cell[:80]!r}")
