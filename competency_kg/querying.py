"""Running a SPARQL query from the command line and rendering its result."""

from __future__ import annotations

import json

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
    doc = json.loads(raw.data)
    if raw.kind == "ask":
        return ("true" if doc["boolean"] else "false") + "\n"
    return render_table(doc)


def render_table(doc: dict) -> str:
    """Aligned columns for SPARQL JSON results, with a row count."""
    names: list[str] = doc["head"]["vars"]
    rows = [[_cell(b.get(n)) for n in names] for b in doc["results"]["bindings"]]
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    widths = [min(w, 80) for w in widths]
    line = lambda cells: "  ".join(c[:w].ljust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    out = [line(names), line(["-" * w for w in widths])]
    out += [line(r).rstrip() for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def _cell(binding: dict | None) -> str:
    if binding is None:
        return ""
    value = binding["value"]
    if binding["type"] == "uri":
        return f"<{value}>"
    if "xml:lang" in binding:
        return f'"{value}"@{binding["xml:lang"]}'
    return value.replace("\n", " ")
