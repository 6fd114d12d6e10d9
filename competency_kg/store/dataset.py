"""The RDF dataset a query runs on, in the embedded store, with the default graph a set.

SPARQL 1.1 Query §13 (https://www.w3.org/TR/sparql11-query/#rdfDataset) and the Protocol's
``default-graph-uri``/``named-graph-uri`` (SPARQL 1.1 Protocol §2.1.4) say which graphs a query
sees. Every path that runs a query on an embedded store (the endpoint's workers, the store's own
``select``/``construct``, the comparison) asks :func:`query_plan` which store to run it on and with
which ``pyoxigraph`` dataset arguments:

* no dataset (the usual case): the store's own default graph, which holds the merge of every
  named graph (:mod:`competency_kg.store.merge`); ``GRAPH ?g`` reaches every named graph;
* a dataset whose default graph is at most one graph, or names every graph of the store: as
  asked (the merge stands in for "every graph");
* a default graph merged from several, but not all, graphs: pyoxigraph would match a triple once
  per graph (Oxigraph issue #1919), so those graphs are merged into an in-memory store made for
  this query, up to :data:`MAX_MERGED_TRIPLES` triples (over that, :class:`DatasetTooLarge`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from competency_kg.sparql.execute import QueryJob, Reply, execute, failure
from competency_kg.sparql.text import default_graph_clauses, has_dataset_clause

#: The most triples a per-query merge of several graphs may copy (about 0.3 GB of memory).
MAX_MERGED_TRIPLES = 1_000_000


class UnsupportedDataset(ValueError):
    """A dataset the store cannot evaluate with a default graph that is a set: a 400."""


class DatasetTooLarge(UnsupportedDataset):
    """A query's default graph merges several graphs holding too many triples to copy."""


@dataclass(frozen=True)
class Dataset:
    """The graphs a query names: ``default``/``named`` None where it names none.

    ``as_written``: the query's own ``FROM`` names at most one default graph, which the engine
    reads as a set by itself; its IRIs are then not read (``default``/``named`` are None).
    """

    default: tuple[str, ...] | None
    named: tuple[str, ...] | None
    as_written: bool = False


#: A query whose own dataset the engine can take as it is.
AS_WRITTEN = Dataset(None, None, as_written=True)


def query_dataset(query: str, has_dataset: bool | None = None) -> Dataset:
    """The ``FROM``/``FROM NAMED`` graphs of ``query`` (IRIs resolved against its prologue),
    or :data:`AS_WRITTEN` when it has at most one ``FROM``: only a default graph made of
    several graphs needs a parse (rdflib's, which resolves prefixed names).
    ``has_dataset`` is what :func:`competency_kg.sparql.text.inspect_query` found, if known.

    >>> query_dataset("PREFIX e: <urn:x:> SELECT * FROM e:a FROM <urn:b> {}")
    Dataset(default=('urn:x:a', 'urn:b'), named=None, as_written=False)
    >>> query_dataset("SELECT * FROM NAMED <urn:n> {}").as_written
    True
    >>> query_dataset("SELECT * { ?s ?p ?o }")
    Dataset(default=None, named=None, as_written=False)
    """
    if not (has_dataset_clause(query) if has_dataset is None else has_dataset):
        return Dataset(None, None)
    if default_graph_clauses(query) <= 1:
        return AS_WRITTEN
    # rdflib's parser (0.3 s to import) only for the rare query with several FROM clauses:
    # the query workers import this module, and never rdflib otherwise.
    from rdflib.plugins.sparql.algebra import translatePrologue
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        parsed = parseQuery(query)
    except Exception:  # the engine reports syntax errors in its own words
        return AS_WRITTEN
    prologue = translatePrologue(parsed[0], None)
    default: list[str] = []
    named: list[str] = []
    for clause in parsed[1].get("datasetClause") or []:
        if "default" in clause:
            default.append(str(prologue.absolutize(clause["default"])))
        else:
            named.append(str(prologue.absolutize(clause["named"])))
    return Dataset(tuple(default), tuple(named) if named else None)


def has_merge(store: ox.Store) -> bool:
    """Whether the store's default graph holds the merge (every store written by this version
    does; an older one has named graphs and an empty default graph until its next write)."""
    empty = next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is None
    return not empty or next(iter(store.named_graphs()), None) is None


def query_plan(
    store: ox.Store,
    query: str,
    default_graphs: tuple[str, ...] | list[str] | None = None,
    named_graphs: tuple[str, ...] | list[str] | None = None,
    has_dataset: bool | None = None,
) -> tuple[ox.Store, dict[str, Any]]:
    """The store to run ``query`` on and its dataset arguments for ``Store.query``.

    ``default_graphs``/``named_graphs`` are the protocol's; when either is given it replaces
    the query's own ``FROM``/``FROM NAMED``, and a part it leaves out is empty. Raises
    ``ValueError`` for a graph name that is not an IRI and :class:`DatasetTooLarge`.
    ``has_dataset``: whether the text has ``FROM``/``FROM NAMED``, if the caller knows.
    """
    if default_graphs is not None or named_graphs is not None:
        wanted = Dataset(tuple(default_graphs or ()), tuple(named_graphs or ()))
    else:
        wanted = query_dataset(query, has_dataset)
        if wanted.as_written:
            return store, {}  # the engine reads FROM itself; one graph is already a set
        if wanted.default is None and wanted.named is None:
            if has_merge(store):
                return store, {}
            return store, {"use_default_graph_as_union": True}
    default = wanted.default or ()
    named = [ox.NamedNode(g) for g in wanted.named or ()]
    if len(default) <= 1:
        return store, {"default_graph": [ox.NamedNode(g) for g in default], "named_graphs": named}
    everything = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    if everything <= set(default) and has_merge(store):
        return store, {"default_graph": ox.DefaultGraph(), "named_graphs": named}
    return _merged_copy(store, default, named), {
        "default_graph": ox.DefaultGraph(),
        "named_graphs": named,
    }


def _merged_copy(store: ox.Store, default: tuple[str, ...], named: list[ox.NamedNode]) -> ox.Store:
    """An in-memory store whose default graph is the merge of ``default`` and which holds the
    ``named`` graphs: the dataset the query asked for, evaluated with set semantics."""
    copy = ox.Store()
    budget = MAX_MERGED_TRIPLES
    batch: list[ox.Quad] = []
    into = ox.DefaultGraph()
    sources = [(ox.NamedNode(g), into) for g in default] + [(g, g) for g in named]
    for source, target in sources:
        for q in store.quads_for_pattern(None, None, None, source):
            budget -= 1
            if budget < 0:
                raise DatasetTooLarge(
                    f"a default graph merged from {len(default)} graphs holding over "
                    f"{MAX_MERGED_TRIPLES:,} triples is not supported: name one graph, or "
                    "all of them (no FROM: the default graph is the merge of every graph)"
                )
            batch.append(ox.Quad(q.subject, q.predicate, q.object, target))
            if len(batch) >= 50_000:
                copy.extend(batch)
                batch.clear()
    copy.extend(batch)
    return copy


def answer(store: ox.Store, job: QueryJob, max_bytes: int) -> tuple[Reply, Any]:
    """Answer ``job`` on an embedded store's handle: its dataset planned here (the protocol's
    replaces the query's own ``FROM``/``FROM NAMED``, SPARQL 1.1 Protocol §2.1.4; the default
    graph is a set either way), the query run by :func:`competency_kg.sparql.execute.execute`."""
    try:
        target, kwargs = query_plan(
            store, job.query, job.default_graphs, job.named_graphs, job.has_dataset
        )
    except UnsupportedDataset as exc:
        return ("bad", str(exc)), None
    except ValueError as exc:
        return ("bad", f"a graph name is not an absolute IRI: {exc}"), None
    except Exception as exc:  # the plan reads the store (is the merge there?)
        return failure(exc), None
    return execute(target, kwargs, job, max_bytes)
