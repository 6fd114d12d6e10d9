"""Reading the store for a comparison: the ``compare_queries/`` texts, ``VALUES`` blocks
written by Oxigraph, the runners that answer them, and the cache kept per store state."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib.resources import files
from typing import Any, Protocol

import pyoxigraph as ox
from rdflib.term import Node

from competency_kg.iris import Minter
from competency_kg.store.dataset import query_plan
from competency_kg.versioned_cache import VersionedCache

TSV = "text/tab-separated-values"

JSON_RESULTS = "application/sparql-results+json"

Row = dict[str, str]


def query_text(name: str) -> str:
    """The text of ``compare_queries/{name}.rq``."""
    return files("competency_kg").joinpath("compare_queries", f"{name}.rq").read_text("utf-8")


def iri_term(iri: str) -> str:
    """``<iri>`` written by Oxigraph (:class:`ValueError` if it is not an IRI)."""
    return str(ox.NamedNode(iri))


def literal_term(text: str) -> str:
    return str(ox.Literal(text))


def values_block(variables: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """``VALUES (?a ?b) { (…) … }`` over terms already written by Oxigraph."""
    cells = " ".join("(" + " ".join(r) + ")" for r in rows)
    return f"VALUES ({' '.join('?' + v for v in variables)}) {{ {cells} }}"


def with_values(name: str, *blocks: str) -> str:
    """A query of ``compare_queries/`` with its ``#@VALUES`` line replaced by ``blocks``."""
    text = query_text(name)
    indent = re.search(r"^([ \t]*)#@VALUES", text, re.MULTILINE)
    if indent is None:
        raise ValueError(f"{name}.rq has no #@VALUES line")
    return text.replace(
        indent.group(0), "\n".join(indent.group(1) + b for b in blocks).rstrip("\n"), 1
    )


class Runner(Protocol):
    """Runs SELECT queries; rows map variable names to values (IRIs and literals' lexical
    forms as plain strings)."""

    identity: str

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]: ...


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in "uU":
                width = 4 if nxt == "u" else 8
                out.append(chr(int(text[i + 2 : i + 2 + width], 16)))
                i += 2 + width
                continue
            out.append({"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f"}.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _tsv_value(cell: str) -> str:
    if cell.startswith("<") and cell.endswith(">"):
        return cell[1:-1]
    if cell.startswith('"'):
        return _unescape(cell[1 : cell.rfind('"')])
    return cell  # a bare number or boolean, or a blank node


def parse_tsv(data: bytes) -> list[Row]:
    """SPARQL TSV results → rows of plain values."""
    lines = data.decode("utf-8").split("\n")
    if not lines or not lines[0]:
        return []
    names = [v.lstrip("?$") for v in lines[0].split("\t")]
    rows: list[Row] = []
    for line in lines[1:]:
        if not line:
            continue
        rows.append(
            {
                n: _tsv_value(c)
                for n, c in zip(names, line.split("\t"), strict=False)
                if c  # unbound
            }
        )
    return rows


def parse_json(data: bytes) -> list[Row]:
    doc = json.loads(data)
    return [
        {k: v["value"] for k, v in b.items()} for b in doc.get("results", {}).get("bindings", [])
    ]


class StoreRunner:
    """Queries a :class:`~competency_kg.store.GraphStore` (the CLI, tests, a remote store)."""

    def __init__(self, store: Any, identity: str | None = None) -> None:
        self.store = store
        self.embedded = getattr(store, "oxigraph", None) is not None
        self.identity = identity or str(
            getattr(store, "path", None) or getattr(store, "url", None) or id(store)
        )

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        if bindings:
            return [
                {k: str(v) for k, v in row.items()} for row in self.store.select(query, bindings)
            ]
        if self.embedded:
            # Our own queries name no dataset: the default graph is the merge of the named
            # graphs. (Straight to Oxigraph: the store's generic path re-parses long texts.)
            store, kwargs = query_plan(self.store.oxigraph, query)
            result = store.query(query, **kwargs)
            return parse_tsv(result.serialize(format=ox.QueryResultsFormat.TSV))
        raw = self.store.query_raw(query, results_mime=JSON_RESULTS)
        return parse_json(raw.data)


class ExecutorRunner:
    """Queries through the web application's query executor (worker processes that reopen the
    store after a load, and stop a query that runs too long)."""

    def __init__(self, executor: Any, identity: str, timeout: float | None = None) -> None:
        from competency_kg.sparql.text import QueryInfo

        self.executor = executor
        self.identity = identity
        self.timeout = timeout
        self._info = QueryInfo(form="select", has_dataset=False, uses_service=False)

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        if bindings:
            from competency_kg.sparql.terms import values_clause

            query = f"{query}\n{values_clause(bindings)}"
        result = self.executor.run(
            query, results_mime=TSV, graph_mime=None, timeout=self.timeout, info=self._info
        )
        return parse_tsv(result.data)


_CACHE = VersionedCache()


def store_state(runner: Runner, minter: Minter) -> str:
    """A token that changes whenever any source is loaded again (see ``store-state.rq``)."""
    q = with_values(
        "store-state", values_block(["metadata"], [[iri_term(minter.metadata_graph())]])
    )
    rows = runner.select(q)
    lines = sorted(f"{r.get('s')}\t{r.get('p')}\t{r.get('o')}" for r in rows)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:24]


def cached(runner: Runner, name: str, state: str, build: Callable[[], Any]) -> Any:
    """``build()``, kept for this store while its state stays ``state`` (one build at a time)."""
    return _CACHE.get((runner.identity, name), state, build)


def clear_cache() -> None:
    _CACHE.clear()
