"""Reading the store for a comparison: the ``compare_queries/`` texts, ``VALUES`` blocks
written by Oxigraph, the runners that answer them, and the cache kept per store state."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib.resources import files
from typing import Any, Protocol

import pyoxigraph as ox
from rdflib.term import Node

from competency_kg.iris import Minter
from competency_kg.sparql.formats import RESULTS_JSON, RESULTS_TSV
from competency_kg.sparql.results import RawResult, rows_of, solution_rows, value_rows
from competency_kg.sparql.terms import values_clause
from competency_kg.sparql.text import QueryInfo
from competency_kg.store.dataset import query_plan
from competency_kg.versioned_cache import remember, store_version

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
    #: the embedded store's folder (its published version keys the cache), None if remote
    location: str | None

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]: ...


class StoreRunner:
    """Queries a :class:`~competency_kg.store.GraphStore` (the CLI, tests, a remote store)."""

    def __init__(self, store: Any, identity: str | None = None) -> None:
        self.store = store
        self.embedded = getattr(store, "oxigraph", None) is not None
        self.identity = identity or str(
            getattr(store, "path", None) or getattr(store, "url", None) or id(store)
        )
        path = getattr(store, "path", None)
        self.location = str(path) if path is not None else None

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        if bindings:
            return [
                {k: str(v) for k, v in row.items()} for row in self.store.select(query, bindings)
            ]
        if self.embedded:
            # Our own queries name no dataset: the default graph is the merge of the named
            # graphs. (Straight to Oxigraph: the store's generic path re-parses long texts.)
            store, kwargs = query_plan(self.store.oxigraph, query)
            return value_rows(rows_of(store.query(query, **kwargs))[1])
        raw = self.store.query_raw(query, results_mime=RESULTS_JSON)
        return value_rows(solution_rows(raw)[1])


class ExecutorRunner:
    """Queries through the web application's query executor (worker processes that reopen the
    store after a load, and stop a query that runs too long)."""

    def __init__(self, executor: Any, identity: str, timeout: float | None = None) -> None:
        self.executor = executor
        self.identity = identity
        path = getattr(executor, "store_path", None)
        self.location = str(path) if path is not None else None
        self.timeout = timeout
        self._info = QueryInfo(form="select", has_dataset=False, uses_service=False)

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        if bindings:
            query = f"{query}\n{values_clause(bindings)}"
        result = self.executor.run(
            query, results_mime=RESULTS_TSV, graph_mime=None, timeout=self.timeout, info=self._info
        )
        return value_rows(solution_rows(RawResult("select", RESULTS_TSV, result.data))[1])


def store_state(runner: Runner, minter: Minter) -> str:
    """A token that changes whenever any source is loaded again: the published version of an
    embedded store (:func:`~competency_kg.versioned_cache.store_version`); a remote store has
    none, so for it a hash of what each load records (see ``store-state.rq``)."""
    token = store_version(runner.location)
    if token is not None:
        return token
    q = with_values(
        "store-state", values_block(["metadata"], [[iri_term(minter.metadata_graph())]])
    )
    rows = runner.select(q)
    lines = sorted(f"{r.get('s')}\t{r.get('p')}\t{r.get('o')}" for r in rows)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:24]


def cached(runner: Runner, name: str, state: str, build: Callable[[], Any]) -> Any:
    """``build()``, kept for this store while its state stays ``state`` (one build at a time)."""
    return remember(("compare", runner.identity, name), state, build)
