"""The SPARQL endpoint's usual requests answered without Flask's per-request work
(:class:`LeanEndpoint`), through the endpoint's own answering (:mod:`competency_kg.web.sparql`).

Flask's request and app contexts, routing, hooks and ``Response`` object cost a one-triple
lookup more than the lookup itself; see ``docs/endpoint.md`` (per-request cost).
"""

from __future__ import annotations

import functools
import io
import time
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wsgi import get_current_url

from competency_kg.query_inline import LOOP_BYTES
from competency_kg.query_pool import InlineExecutor, QueryPool
from competency_kg.sparql.errors import QueryError, QueryTimeout
from competency_kg.sparql.execute import QueryJob, make_job
from competency_kg.sparql.results import RawResult
from competency_kg.web.security import HEADERS as SECURITY_HEADERS
from competency_kg.web.security import (
    MAX_HEADER_BYTES,
    MAX_QUERY_STRING,
    OTHER_CSP,
    client_of,
    log_request,
    request_fields,
)
from competency_kg.web.sparql import (
    FORM_TYPE,
    QUERY_TYPE,
    ProtocolRequest,
    content_type,
    error_reply,
    prepared,
)
from competency_kg.web.state import MAX_REQUEST_BYTES

#: Parameters :class:`LeanEndpoint` reads; a request with any other goes through Flask.
_LEAN_PARAMS = frozenset({"query", "default-graph-uri", "named-graph-uri"})
#: The headers every answer of the endpoint has (:func:`_common_headers`, then
#: :func:`competency_kg.web.security._finish`), in the order Flask writes them.
_LEAN_HEADERS: list[tuple[str, str]] = [
    ("Access-Control-Allow-Origin", "*"),
    ("X-Content-Type-Options", "nosniff"),
    ("Vary", "Accept"),
    *((k, v) for k, v in SECURITY_HEADERS.items() if k != "X-Content-Type-Options"),
    ("Content-Security-Policy", OTHER_CSP),
]


class LeanEndpoint:
    """WSGI middleware: a query to ``/sparql`` answered without Flask's per-request work.

    Flask's request and app contexts, routing, hooks and ``Response`` object cost a
    one-triple lookup more than the lookup itself (a profile of the endpoint under 16
    clients: 63% of the web process's time in Flask for an answer kept in the cache). The
    usual request — ``GET ?query=`` or a ``POST`` of a UTF-8 form or of
    ``application/sparql-query`` with a ``Content-Length``, carrying one query and perhaps
    ``default-graph-uri``/``named-graph-uri`` — is read here and answered through the same
    :func:`answer_query` and :func:`error_reply` as the view, with the same headers and the
    same log line (:func:`~competency_kg.web.security.log_request`). Every other request
    (no query, ``format=``, an update, ``OPTIONS``, ``HEAD``, a chunked or oversized body,
    headers near their limit, a body that is not UTF-8) goes to Flask, body intact, which
    answers it as before.
    """

    def __init__(self, wsgi_app: Any, executor: QueryPool | InlineExecutor) -> None:
        self.wsgi_app = wsgi_app
        self.executor = executor

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != "/sparql":
            return self.wsgi_app(environ, start_response)
        started = time.monotonic()
        req = _lean_request(environ)
        if req is None:
            return self.wsgi_app(environ, start_response)
        killed: float | None = None
        cache: str | None = None
        form: str | None = None
        answered_from = getattr(self.executor, "answered_from", None)
        try:
            job = prepared(
                req,
                environ.get("HTTP_ACCEPT"),
                _endpoint_url(
                    environ["wsgi.url_scheme"],
                    environ.get("HTTP_HOST"),
                    environ.get("SERVER_NAME"),
                    environ.get("SERVER_PORT"),
                    environ.get("SCRIPT_NAME", ""),
                ),
                client_of(environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR", "")),
            )
            form = job["info"].form
            try:
                result = self.executor.run(**job)
            finally:  # looked up in the kept answers or not, as the log line says
                cache = answered_from() if answered_from is not None else None
            status, body, mime, extra = 200, result.data, content_type(result), None
        except QueryError as exc:
            if isinstance(exc, QueryTimeout):
                killed = exc.seconds
            status, message, extra = error_reply(exc)
            body = (message.rstrip("\n") + "\n").encode("utf-8")
            mime = "text/plain; charset=utf-8"
        status_line, headers = reply_head(status, mime, len(body), extra)
        start_response(status_line, headers)
        fields = request_fields(
            environ["REQUEST_METHOD"],
            "/sparql",
            started,
            query=req.query,
            cache=cache,
            killed=killed,
            form=form,
        )
        log_request(fields, status, len(body))
        return [body]


def reply_head(
    status: int, mime: str, length: int, extra: dict[str, str] | None = None
) -> tuple[str, list[tuple[str, str]]]:
    """The status line and headers of an answer of the endpoint, in the order Flask writes
    them (:class:`LeanEndpoint` and :class:`KeptAnswers` both)."""
    headers = [("Content-Type", mime), ("Content-Length", str(length)), *_LEAN_HEADERS]
    headers += (extra or {}).items()
    return f"{status} {HTTP_STATUS_CODES.get(status, 'Unknown').upper()}", headers


#: Requests :class:`KeptAnswers` remembers having seen, and the size of each at most.
_SEEN = 1024
_SEEN_BYTES = 4096
_NEW, _ONCE = object(), object()


class KeptAnswers:
    """The answers the server's event loop gives itself (:mod:`competency_kg.web.front`):
    a request :class:`LeanEndpoint` would answer, whose answer is kept for the store's
    current version (:meth:`~competency_kg.query_pool.QueryPool.kept`), or which is a
    one-pattern look-up (:func:`~competency_kg.query_inline.one_pattern`) whose answer has at
    most :data:`~competency_kg.query_inline.LOOP_BYTES` (a miss: read here from the store by
    the pool's :class:`~competency_kg.query_inline.BoundedLookups`, then kept, as a request
    thread would).

    The request comes as the front read it (method, query string, the few header values it
    passes on, body); the answer is :class:`LeanEndpoint`'s for the same request — the same
    parsing (:func:`protocol_request`), negotiation and checks (:func:`prepared`), headers
    (:func:`reply_head`) and log line — or None for anything else (an error, a query that is
    neither kept nor a small look-up), which a request thread then answers as before. Nothing
    here waits but a look-up's read of the store: its bytes, and with them the rows and
    triples it reads, are bounded by ``LOOP_BYTES``; one with more is cut off there and left
    to a thread.
    """

    def __init__(self, executor: Any) -> None:
        self.kept = executor.kept
        #: The pool's bounded look-up of a one-pattern miss (:meth:`QueryPool.look_up
        #: <competency_kg.query_pool.QueryPool.look_up>`: kept and counted as a thread's
        #: miss); None: misses go to a thread.
        has_lookups = getattr(executor, "lookups", None) is not None
        self.look_up = getattr(executor, "look_up", None) if has_lookups else None
        #: Requests seen lately (query string, body type, body: :data:`_SEEN_BYTES` at most)
        #: and what :func:`protocol_request` made of them with whether the loop may look
        #: them up, or :data:`_ONCE`: seen once. A request seen for the first time that is
        #: no look-up (:func:`_may_look_up`, on its bytes) goes to a thread at once (its
        #: answer cannot be kept yet): a miss costs the loop a dict insertion, not a second
        #: parse and check of its query; a repeated one is not parsed again.
        self._seen: dict[tuple[str, str | None, bytes | None], Any] = {}

    def answer(
        self,
        method: str,
        query_string: str,
        fields: dict[str, str],
        body: bytes | None,
        peer: str | None,
        started: float,
    ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """The status line, headers and body for a request of ``method`` to ``/sparql`` with
        header ``fields`` (lower-case names, one value each), or None."""
        if method == "POST":
            length = body_length(fields.get("content-type", ""), fields.get("content-length", ""))
            if length is None or body is None or len(body) != length:
                return None
        elif method != "GET" or body is not None:
            return None
        key = (query_string, fields.get("content-type"), body)
        small = len(query_string) + (len(body) if body is not None else 0) <= _SEEN_BYTES
        seen = self._seen.get(key, _NEW) if small else _ONCE
        if seen is _NEW:
            if len(self._seen) >= _SEEN:
                del self._seen[next(iter(self._seen))]  # the oldest
            self._seen[key] = _ONCE
            if self.look_up is None or not _may_look_up(query_string, body):
                return None
            seen = _ONCE
        if seen is _ONCE:
            seen = (protocol_request(query_string, fields.get("content-type"), body), True)
            if small:
                self._seen[key] = seen
        req, look_up = seen
        if req is None:
            return None
        try:
            job = prepared(
                req,
                fields.get("accept"),
                _endpoint_url("http", fields.get("host"), None, None, ""),
                client_of(peer, ""),
            )
            query_job = make_job(
                job["query"], job["results_mime"], job["graph_mime"], job["default_graphs"],
                job["named_graphs"], job["base_iri"], job["info"],
            )  # fmt: skip
            result, cache = self.kept(query_job), "hit"
            if result is None and look_up:
                result, cache = self._look_up(query_job), "miss"
                if result is None and small:
                    self._seen[key] = (req, False)  # not here: a thread answers (and keeps) it
        except (QueryError, ValueError):
            return None  # answered by a thread, as before (the error reply and its log)
        if result is None:
            return None
        data = result.data
        status_line, headers = reply_head(200, content_type(result), len(data))
        fields_ = request_fields(
            method, "/sparql", started, query=req.query, cache=cache, form=job["info"].form
        )
        log_request(fields_, 200, len(data))
        return status_line, headers, data

    def _look_up(self, job: QueryJob) -> RawResult | None:
        """A one-pattern query's answer of at most ``LOOP_BYTES``, read from the store and
        kept as the pool keeps a request thread's (what :meth:`QueryPool.run
        <competency_kg.query_pool.QueryPool.run>` does for a miss, within the loop's bound);
        None for any other query."""
        try:
            return self.look_up(job, LOOP_BYTES)  # type: ignore[misc]
        except QueryError:
            raise
        except Exception:  # never the loop's to fail: a thread answers it, in its words
            return None


def _may_look_up(query_string: str, body: bytes | None) -> bool:
    """Whether a request's bytes may hold a one-pattern query
    (:func:`~competency_kg.query_inline.one_pattern`: one ``{``, no ``(``), looked at before
    any parse: the loop parses and checks only those on first sight. False is sure; True is
    decided by the parse."""
    raw = query_string.encode("latin-1", "replace") + (body or b"")
    low = raw.lower()
    return raw.count(b"{") + low.count(b"%7b") == 1 and b"(" not in raw and b"%28" not in low


def kept_answers(app: Any) -> KeptAnswers | None:
    """The application's :class:`KeptAnswers`, when its SPARQL requests go through
    :class:`LeanEndpoint` to a query pool that keeps answers; None otherwise."""
    lean = getattr(app, "wsgi_app", None)
    if not isinstance(lean, LeanEndpoint) or not hasattr(lean.executor, "kept"):
        return None
    return KeptAnswers(lean.executor)


@functools.lru_cache(maxsize=64)
def _endpoint_url(
    scheme: str, host: str | None, server: str | None, port: str | None, script: str
) -> str:
    """The endpoint's own URL (the base IRI of queries), as ``url_for(..., _external=True)``
    gives it; remembered per host (Werkzeug's ``get_current_url`` was 8% of a cached
    answer's cost)."""
    environ = {"wsgi.url_scheme": scheme, "SCRIPT_NAME": script, "PATH_INFO": "/sparql"}
    for key, value in (("HTTP_HOST", host), ("SERVER_NAME", server), ("SERVER_PORT", port)):
        if value is not None:
            environ[key] = value
    return get_current_url(environ, root_only=True) + "sparql"


def _lean_request(environ: dict[str, Any]) -> ProtocolRequest | None:
    """The request's query and dataset if :class:`LeanEndpoint` can answer it, else None
    (with the body, if read, put back for Flask)."""
    method = environ["REQUEST_METHOD"]
    if method not in ("GET", "POST") or "HTTP_TRANSFER_ENCODING" in environ:
        return None
    query_string = environ.get("QUERY_STRING", "")
    if len(query_string) > MAX_QUERY_STRING:
        return None
    # what security._start sums, roughly: half its limit leaves the exact count to Flask
    if sum(len(k) + len(v) for k, v in environ.items() if k.startswith("HTTP_")) > (
        MAX_HEADER_BYTES // 2
    ):
        return None
    body: bytes | None = None
    if method == "POST":
        length = body_length(environ.get("CONTENT_TYPE", ""), environ.get("CONTENT_LENGTH", ""))
        if length is None:
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # for Flask, if it answers after all
        if len(body) != length:
            return None
    return protocol_request(query_string, environ.get("CONTENT_TYPE"), body)


def body_length(content_type: str, content_length: str) -> int | None:
    """The length of a POST body :class:`LeanEndpoint` reads (a UTF-8 form or a query with a
    ``Content-Length`` within the limit), or None."""
    mime, _, params = content_type.partition(";")
    if (
        mime.strip().lower() not in (FORM_TYPE, QUERY_TYPE)
        or params.strip() not in ("", "charset=utf-8", "charset=UTF-8")
        or not content_length.isdigit()
        or int(content_length) > MAX_REQUEST_BYTES
    ):
        return None
    return int(content_length)


def protocol_request(
    query_string: str, content_type: str | None, body: bytes | None
) -> ProtocolRequest | None:
    """One query and its dataset from a request's query string and (a POST's) ``body``, if
    :class:`LeanEndpoint` answers the request; else None. A POST's ``content_type`` and
    length are those :func:`body_length` accepts."""
    if len(query_string) > MAX_QUERY_STRING:
        return None
    pairs = parse_qsl(query_string, keep_blank_values=True, errors="replace")
    if body is not None:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if (content_type or "").partition(";")[0].strip().lower() == FORM_TYPE:
            pairs += parse_qsl(text, keep_blank_values=True)
        else:
            pairs.append(("query", text))
    if any(key not in _LEAN_PARAMS for key, _ in pairs):
        return None
    queries = [value for key, value in pairs if key == "query"]
    if len(queries) != 1 or not queries[0].strip():
        return None
    return ProtocolRequest(
        query=queries[0],
        default_graphs=[v for k, v in pairs if k == "default-graph-uri"],
        named_graphs=[v for k, v in pairs if k == "named-graph-uri"],
    )
