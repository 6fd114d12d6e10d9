"""Running a SPARQL query from the command line and rendering its result."""

from __future__ import annotations

import pyoxigraph as ox

from competency_kg.sparql.results import RawResult, Term, parse_results, solution_rows
from competency_kg.store import GraphStore

RESULT_MIMES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_MIMES = {"turtle": "text/turtle", "ntriples": "application/n-triples"}


def run_query(store: GraphStore, query: str, fmt: str = "table") -> str:
    """Run ``query`` and render it: ``table`` (aligned text), a SPARQL results format, or RDF.

    CONSTRUCT/DESCRIBE results print as Turtle unless N-Triples is asked for.
    """
    results_mime = RESULT_MIMES.get(fmt, RESULT_MIMES["json"])
    graph_mime = GRAPH_MIMES.get(fmt, "text/turtle")
    raw = store.query_raw(query, results_mime=results_mime, graph_mime=graph_mime)
    if fmt != "table" or raw.kind == "graph":
        return raw.data.decode("utf-8")
    if raw.kind == "ask":
        answer = parse_results(raw.data, raw.mime)
        return ("true" if isinstance(answer, ox.QueryBoolean) and answer else "false") + "\n"
    return render_table(raw)


def render_table(raw: RawResult) -> str:
    """Aligned columns for SELECT results, with a row count."""
    names, solutions = solution_rows(raw)
    rows = [[_cell(s.get(n)) for n in names] for s in solutions]
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    widths = [min(w, 80) for w in widths]
    line = lambda cells: "  ".join(c[:w].ljust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    out = [line(names), line(["-" * w for w in widths])]
    out += [line(r).rstrip() for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def _cell(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    if isinstance(term, ox.Literal) and term.language:
        return f'"{term.value}"@{term.language}'
    return term.value.replace("\n", " ")
