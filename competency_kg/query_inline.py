"""Queries answered in the calling thread: for in-memory stores (tests) and remote stores."""

from __future__ import annotations

from collections.abc import Sequence

from competency_kg.query_workers import DEFAULT_MAX_RESULT_BYTES, DEFAULT_TIMEOUT, PAGES
from competency_kg.sparql.errors import (
    UNREACHABLE,
    BadRequest,
    NotAcceptable,
    QuerySyntaxError,
    ResultTooLarge,
    StoreUnavailable,
    UpstreamError,
)
from competency_kg.sparql.execute import QueryJob, make_job, outcome
from competency_kg.sparql.formats import RESULTS_JSON
from competency_kg.sparql.results import RawResult
from competency_kg.sparql.text import QueryInfo
from competency_kg.store.base import GraphStore, StoreError, StoreUnreachable
from competency_kg.store.dataset import UnsupportedDataset, answer


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
        job = make_job(
            query, results_mime, graph_mime, default_graphs, named_graphs, base_iri, info,
        )  # fmt: skip
        ox_store = getattr(self.store, "oxigraph", None)
        if ox_store is not None:
            reply, data = answer(ox_store, job, self.max_result_bytes)
            return outcome(reply, data)
        return self._run_remote(job)

    def _run_remote(self, job: QueryJob) -> RawResult:
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
