"""The dataset a remote store sends with each query: the default graph is a set.

A query without ``FROM`` is sent with the store's merge graph as its default graph and the
source graphs as its named graphs (SPARQL 1.1 Protocol §2.1.4: the protocol's dataset replaces
the query's); see :mod:`competency_kg.store.remote` and :mod:`competency_kg.store.merge`.
"""

from __future__ import annotations

import json

from competency_kg.sparql.formats import RESULTS_JSON
from competency_kg.sparql.text import without_dataset_clauses
from competency_kg.store.dataset import Dataset, UnsupportedDataset, query_dataset
from competency_kg.store.merge import INTERNAL_PREFIX, MERGED_GRAPH, STATE_GRAPH
from competency_kg.store.remote_protocol import EndpointResponse, SparqlClient

#: Prefix of the temporary graphs big replacements are staged in.
STAGING_PREFIX = "urn:x-competency-kg:staging:"
#: The property of the write stamp in :data:`STATE_GRAPH`.
STAMP = "urn:x-competency-kg:written"


class RemoteDataset(SparqlClient):
    """Queries sent with the store's dataset, and the graph list read again only after a write."""

    _graphs: tuple[str, list[str]] | None  # (write stamp, every graph)

    def _query(
        self,
        query: str,
        accept: str,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> EndpointResponse:
        """Send a query with a dataset whose default graph is a set (see :meth:`_dataset`)."""
        default_graphs, named_graphs = self._dataset(query, default_graphs, named_graphs)
        if default_graphs is not None:
            # the protocol's dataset replaces FROM (Protocol §2.1.4); Virtuoso would add them
            query = without_dataset_clauses(query)
        return self._send(
            query, accept=accept, default_graphs=default_graphs, named_graphs=named_graphs
        )

    def _dataset(
        self, query: str, default_graphs: list[str] | None, named_graphs: list[str] | None
    ) -> tuple[list[str] | None, list[str] | None]:
        """The protocol dataset to send: the store's merge graph (:data:`MERGED_GRAPH`) as the
        default graph and the source graphs as the named graphs.

        Both servers would otherwise evaluate a default graph of several graphs as a bag, a
        triple once per graph (Oxigraph #1919, Virtuoso #1406); Virtuoso's would also reach its
        system graphs. A default graph of several graphs is sent as the merge when it names
        every source graph, and refused otherwise (:class:`UnsupportedDataset`). A query with
        its own ``FROM`` of one graph is sent as it is.
        """
        if default_graphs is None and named_graphs is None:
            wanted = query_dataset(query)
            if wanted.as_written:
                return None, None
            if wanted.default is None and wanted.named is None:
                graphs, merged = self._source_graphs()
                if not graphs:
                    graphs = [STAGING_PREFIX + "none"]
                return ([MERGED_GRAPH] if merged else graphs), graphs
        else:
            wanted = Dataset(tuple(default_graphs or ()), tuple(named_graphs or ()))
        default = wanted.default or ()
        if len(default) <= 1:
            return list(default), list(wanted.named or ())
        graphs, merged = self._source_graphs()
        if merged and set(graphs) <= set(default):
            return [MERGED_GRAPH], list(wanted.named or ())
        raise UnsupportedDataset(
            f"a default graph merged from {len(default)} of the store's graphs cannot be "
            "evaluated as a set by this SPARQL server: name one graph, or none (the default "
            "graph is then the merge of every graph)"
        )

    def _source_graphs(self) -> tuple[list[str], bool]:
        """The source graphs, and whether the merge graph exists.

        Listing the graphs scans every quad (3 s on Virtuoso with the seeds); every write
        leaves a new stamp in :data:`STATE_GRAPH`, one triple read in milliseconds, so the list
        is read again only after a write, by any process."""
        stamp = self._write_stamp()
        if self._graphs is None or self._graphs[0] != stamp or not stamp:
            self._graphs = (stamp, self._all_graphs())
        every = self._graphs[1]
        ignored = set(self._ignored())
        sources = [g for g in every if g not in ignored and not g.startswith(INTERNAL_PREFIX)]
        return sorted(sources), MERGED_GRAPH in every

    def _write_stamp(self) -> str:
        response = self._send(
            f"SELECT ?v WHERE {{ GRAPH <{STATE_GRAPH}> {{ <{STATE_GRAPH}> <{STAMP}> ?v }} }}",
            accept=RESULTS_JSON,
        )
        rows = json.loads(response.data)["results"]["bindings"]
        return rows[0]["v"]["value"] if rows else ""

    def _all_graphs(self) -> list[str]:
        response = self._send(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", accept=RESULTS_JSON
        )
        doc = json.loads(response.data)
        return [b["g"]["value"] for b in doc["results"]["bindings"] if b["g"]["type"] == "uri"]
