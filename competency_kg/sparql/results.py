"""A query's result as the engine serialized it, and reading such results back.

One parser for results: pyoxigraph's (``parse_query_results``), which reads every format
:mod:`competency_kg.sparql.formats` offers but CSV (a lossy format no caller reads back).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from competency_kg.sparql.formats import results_format

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
