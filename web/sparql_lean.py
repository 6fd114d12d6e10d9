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

from competency_kg.query_pool import InlineExecutor, QueryPool
from competency_kg.sparql.errors import QueryError, QueryTimeout
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
        headers = [("Content-Type", mime), ("Content-Length", str(len(body))), *_LEAN_HEADERS]
        headers += (extra or {}).items()
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'Unknown').upper()}", headers)
        fields = request_fields(
            environ["REQUEST_METHOD"],
            "/sparql",
            started,
            query=req.query,
            cache=cache,
            killed=killed,
        )
        log_request(fields, status, len(body))
        return [body]


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
    pairs = parse_qsl(query_string, keep_blank_values=True, errors="replace")
    if method == "POST":
        mime, _, params = environ.get("CONTENT_TYPE", "").partition(";")
        mime = mime.strip().lower()
        length = environ.get("CONTENT_LENGTH", "")
        if (
            mime not in (FORM_TYPE, QUERY_TYPE)
            or params.strip() not in ("", "charset=utf-8", "charset=UTF-8")
            or not length.isdigit()
            or int(length) > MAX_REQUEST_BYTES
        ):
            return None
        data = environ["wsgi.input"].read(int(length))
        environ["wsgi.input"] = io.BytesIO(data)  # for Flask, if it answers after all
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if len(data) != int(length):
            return None
        if mime == FORM_TYPE:
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
