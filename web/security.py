"""HTTP hygiene for every response and request: limits, security headers, read-only writes,
clean errors, and one structured log line per request.

:func:`init_security` (called once by ``create_app``) registers, application-wide:

- **Limits** (besides ``MAX_CONTENT_LENGTH``, 10 MB, which holds for a chunked body too:
  :class:`_ChunkedBodies`): a query string over
  :data:`MAX_QUERY_STRING` bytes gets 414 (send long SPARQL by POST), request headers over
  :data:`MAX_HEADER_BYTES` in all get 431; a SPARQL form body (``POST /sparql``,
  ``application/x-www-form-urlencoded``) that is not UTF-8 gets 400 rather than being read
  as an empty form (which would answer the service description). Under gunicorn the
  request line, the number and the size of header fields are capped before the application
  sees them (``competency_kg.web.server``).
- **Headers** on every response (a view's own value wins): ``X-Content-Type-Options:
  nosniff``, ``Referrer-Policy: same-origin``, ``X-Frame-Options: DENY``, and a
  ``Content-Security-Policy``: for HTML (:data:`HTML_CSP`) scripts, styles, fonts, images
  and fetches from this origin only, no inline script or style (but the one stylesheet
  YASGUI's table writes, by its hash), no plugins, no framing; data blocks (``<script
  type="application/ld+json">``) are not scripts and need no allowance. Any other response
  gets :data:`OTHER_CSP` (nothing may load, no framing).
- **Nothing writes over HTTP.** The endpoint is read-only and the upload check stores nothing;
  a ``POST``/``PUT``/``DELETE``/``PATCH`` that no route accepts (a resource IRI, a Graph Store
  Protocol path such as ``/data?graph=…``) gets 405 with a one-line reason and ``Allow``.
- **Redirects stay on this site**: a ``Location`` that starts with ``//`` (or ``/\\``), which a
  browser reads as another host, loses the extra slashes.
- **Clean errors**: an HTTP error no view answers itself is one line of text (never
  Werkzeug's HTML page); an unexpected exception is answered with one line of text (500) and its
  traceback goes to the log only (Flask logs it); a store that cannot be reached
  (``StoreError``, or a query error a page did not handle) is a 503 with ``Retry-After``.
- **Request log**: one line per request on standard error, ``key=value`` pairs:
  ``method path status duration_ms bytes``, and for SPARQL the query form and the first
  12 hex digits of the query's SHA-256 (never the query itself), ``cache=hit`` or
  ``cache=miss`` when the query pool looked for a kept answer (see
  :attr:`~competency_kg.query_pool.QueryPool.answers`), and ``outcome="killed
  after N s"`` when a query ran out of time. Values with spaces, quotes or control characters
  are JSON-quoted, and every logger's records (a library's too) go through one handler at
  the root that escapes control characters, so a request cannot forge a log line. Level
  from ``COMPETENCY_KG_LOG_LEVEL`` (default ``info``).
"""

from __future__ import annotations

import functools
import hashlib
import io
import ipaddress
import json
import logging
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from flask import logging as flask_logging
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
)

from competency_kg.safe_text import EscapingFormatter, install_log_escaping
from competency_kg.sparql.errors import (
    ClientBusy,
    PoolBusy,
    QueryError,
    QueryMemoryExceeded,
    QueryTimeout,
    StoreUnavailable,
)
from competency_kg.sparql.text import inspect_query, remembered
from competency_kg.store import StoreError
from competency_kg.web.state import state

#: Longest query string accepted (gunicorn caps the whole request line at 8190 bytes too).
MAX_QUERY_STRING = 8000
#: Largest total size of the request headers.
MAX_HEADER_BYTES = 64 * 1024
#: The one inline stylesheet allowed: the column-resizer rules YASGUI's result table
#: (``@zazuko/yasgui`` 4.x) writes into the page, by the SHA-256 of its text.
YASGUI_TABLE_STYLE = "'sha256-zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk='"
#: The Content-Security-Policy of HTML pages.
HTML_CSP = (
    f"default-src 'none'; script-src 'self'; style-src 'self' {YASGUI_TABLE_STYLE}; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)
#: The Content-Security-Policy of every other response (data, scripts, stylesheets, errors).
OTHER_CSP = "default-src 'none'; frame-ancestors 'none'"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
#: The answer to a query when the remote store's SPARQL server does not answer.
RETRY = {"Retry-After": "5"}
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
READ_ONLY = (
    "this server is read-only: {method} is not accepted at {path}; the data is changed only by "
    "the operator's 'competency-kg load'"
)
#: How much of a query is looked at to tell its form for the log.
_FORM_SCAN = 64 * 1024
_SPARQL_PATH = "/sparql"
_QUERY_TYPE = "application/sparql-query"
_FORM_TYPE = "application/x-www-form-urlencoded"
_UPDATE_TYPE = "application/sparql-update"
_PLAIN = re.compile(r"^[\w./:@%+,;=~\-*?&!$'()\[\]]+$")

log = logging.getLogger("competency_kg.access")
errors = logging.getLogger(__name__)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record is emitted."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _setup_logging() -> None:
    """One handler on standard error, at the root, with gunicorn's line format and an
    :class:`~competency_kg.safe_text.EscapingFormatter`: every logger's records (the request
    log, the query pool's, Flask's, a library's warning quoting a request's value) are one
    line each, their control characters escaped, so no request can forge a line. The
    package's loggers log at ``COMPETENCY_KG_LOG_LEVEL``; others at the root's level
    (warnings). Once per process."""
    root = logging.getLogger()
    if any(isinstance(h, _StderrHandler) for h in root.handlers):
        return
    handler = _StderrHandler()
    handler.setFormatter(
        EscapingFormatter(
            "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s", "%Y-%m-%d %H:%M:%S %z"
        )
    )
    root.addHandler(handler)
    install_log_escaping(logging.lastResort)  # type: ignore[arg-type]
    package = logging.getLogger("competency_kg")
    if package.level == logging.NOTSET:
        level = os.environ.get("COMPETENCY_KG_LOG_LEVEL", "info").upper()
        package.setLevel(level if level in logging.getLevelNamesMapping() else "INFO")


#: Set in the WSGI environment when a chunked body was over the limit.
_TOO_LARGE = "competency_kg.body_too_large"


class _ChunkedBodies:
    """WSGI middleware: a body sent without ``Content-Length`` (``Transfer-Encoding:
    chunked``) is read here, up to ``MAX_CONTENT_LENGTH`` + 1 byte, and handed on with its
    length, so every limit (the 10 MB of a request, the upload check's 5 MB) holds for it as
    for a declared length. Werkzeug alone reads such a body up to the limit and stops there
    without noticing that more follows: the request ran on its first 10 MB. Over the limit,
    :func:`_start` answers 413."""

    def __init__(self, wsgi_app: Any, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        limit = self.app.config.get("MAX_CONTENT_LENGTH")
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if limit is not None and chunked:
            stream = environ["wsgi.input"]
            body = bytearray()
            while len(body) <= limit:
                chunk = stream.read(min(1 << 16, limit + 1 - len(body)))
                if not chunk:
                    break
                body += chunk
            if len(body) > limit:
                environ[_TOO_LARGE] = True
                body = bytearray()
            environ["wsgi.input"] = io.BytesIO(bytes(body))
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_TRANSFER_ENCODING"]
        return self.wsgi_app(environ, start_response)


def init_security(app: Flask) -> None:
    """Register the limits, headers, write refusal, error answers and request log."""
    _setup_logging()
    app.wsgi_app = _ChunkedBodies(app.wsgi_app, app)  # type: ignore[method-assign]
    app.logger.removeHandler(flask_logging.default_handler)  # the root's handler escapes
    app.before_request(_start)
    app.after_request(_finish)
    app.register_error_handler(StoreError, _store_unavailable)
    app.register_error_handler(QueryError, _query_error)
    app.register_error_handler(InternalServerError, _internal_error)
    app.register_error_handler(HTTPException, _http_error)
    _watch_timeouts(state(app).executor)


# --------------------------------------------------------------------------- responses
def _plain(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    resp = Response(message.rstrip("\n") + "\n", status=status)
    resp.content_type = "text/plain; charset=utf-8"
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def _store_unavailable(exc: StoreError) -> Response:
    errors.warning("store unavailable: %s", exc)
    return _plain(503, "the store cannot be reached just now; try again shortly", RETRY)


def retryable(exc: QueryError) -> bool:
    """A refusal the server chose or a store away for now (503 + ``Retry-After``), not a fault."""
    return isinstance(
        exc, QueryTimeout | QueryMemoryExceeded | PoolBusy | ClientBusy | StoreUnavailable
    )


def log_query_error(exc: QueryError, what: str = "query") -> None:
    """One line for the log, with the cause a public message leaves out (a store's address)."""
    cause = f" ({exc.__cause__})" if exc.__cause__ is not None else ""
    level = logging.WARNING if retryable(exc) else logging.ERROR
    errors.log(level, "%s not answered: %s%s", what, exc, cause)


def _query_error(exc: QueryError) -> Response:
    log_query_error(exc)
    if retryable(exc):
        return _plain(429 if isinstance(exc, ClientBusy) else 503, str(exc), RETRY)
    return _plain(500, "the query could not be answered (it has been logged)")


def _http_error(exc: HTTPException) -> Response:
    """Any HTTP error no view answered itself (a missing static file, a body over the limit):
    one line of text, not Werkzeug's HTML page; its headers (``Allow``…) kept."""
    if exc.response is not None:
        return exc.response  # type: ignore[return-value]
    if isinstance(exc, InternalServerError):
        return _internal_error(exc)
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return _plain(exc.code or 500, exc.description or exc.name, headers)


def _internal_error(_exc: InternalServerError) -> Response:
    # Flask has already logged the traceback (app.log_exception, to standard error).
    return _plain(500, "internal error while answering the request (it has been logged)")


# --------------------------------------------------------------------------- clients
def _trusted_proxies() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """``COMPETENCY_KG_TRUSTED_PROXIES``: addresses or networks (comma-separated) of reverse
    proxies whose ``X-Forwarded-For`` is believed; none by default."""
    text = os.environ.get("COMPETENCY_KG_TRUSTED_PROXIES", "")
    return [ipaddress.ip_network(p.strip(), strict=False) for p in text.split(",") if p.strip()]


def _trusted(address: str, proxies: list[Any]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address() -> str:
    """Who sent the request, for per-client shares (:func:`client_of`)."""
    return client_of(request.remote_addr, request.headers.get("X-Forwarded-For", ""))


def client_of(peer: str | None, forwarded_for: str) -> str:
    """Who sent a request, for per-client shares: the TCP ``peer``; when that peer is a
    trusted proxy, the right-most ``X-Forwarded-For`` entry that is not one (what a client
    writes to the left of it is not believed). An IPv6 client counts by its /64, the block
    one host is usually given."""
    address = peer or "-"
    proxies = _trusted_proxies()
    if proxies and _trusted(address, proxies):
        for hop in reversed(forwarded_for.split(",")):
            if hop.strip() and not _trusted(hop, proxies):
                address = hop.strip()
                break
    return _client_key(address)


@functools.lru_cache(maxsize=1024)
def _client_key(address: str) -> str:
    """The address a client counts as (remembered: a client sends many requests)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


# --------------------------------------------------------------------------- requests
def _start() -> Response | None:
    g.ckg_started = time.monotonic()
    if request.environ.get(_TOO_LARGE):
        raise RequestEntityTooLarge()
    if len(request.query_string) > MAX_QUERY_STRING:
        return _plain(
            414,
            f"the query string is over {MAX_QUERY_STRING} bytes; send a long query by POST "
            "(application/sparql-query or a form)",
        )
    header_bytes = sum(len(k) + len(v) + 4 for k, v in request.headers.items())
    if header_bytes > MAX_HEADER_BYTES:
        return _plain(431, f"the request headers are over {MAX_HEADER_BYTES // 1024} KB in all")
    routing = request.routing_exception
    if request.method in WRITE_METHODS and isinstance(routing, NotFound | MethodNotAllowed):
        allowed = "GET, HEAD, OPTIONS"
        if isinstance(routing, MethodNotAllowed) and routing.valid_methods:
            allowed = ", ".join(sorted(routing.valid_methods))
        return _plain(
            405, READ_ONLY.format(method=request.method, path=request.path), {"Allow": allowed}
        )
    if request.path == _SPARQL_PATH and request.method == "POST" and _fits():
        # Read once and kept: the endpoint reads it again, and the log line hashes the query.
        if request.mimetype == _FORM_TYPE:
            try:
                request.get_data(cache=True).decode("utf-8")
            except UnicodeDecodeError:
                return _plain(400, "the form body is not valid UTF-8")
        elif request.mimetype == _QUERY_TYPE:
            request.get_data(cache=True)
    return None


def _fits() -> bool:
    limit = request.max_content_length
    length = request.content_length
    return length is not None and (limit is None or length <= limit)


def _finish(resp: Response) -> Response:
    for key, value in HEADERS.items():
        resp.headers.setdefault(key, value)
    location = resp.headers.get("Location")
    if location and location.startswith(("//", "/\\")):
        # "//host/…" is another site to a browser: a redirect built from a path stays here,
        # and so does its body (Werkzeug's page links the original target).
        here = "/" + location.lstrip("/\\")
        resp.headers["Location"] = here
        if resp.is_sequence:
            resp.set_data(f"See {here}\n")
            resp.mimetype = "text/plain"
    if "Content-Security-Policy" not in resp.headers:
        resp.headers["Content-Security-Policy"] = (
            HTML_CSP if resp.mimetype == "text/html" else OTHER_CSP
        )
    fields = _fields()
    if resp.is_streamed and not resp.direct_passthrough:  # generated: count what is sent
        counter = _Counter(resp.response)
        resp.response = counter
        resp.call_on_close(lambda: log_request(fields, resp.status_code, counter.bytes))
    else:  # in memory, or a file (whose length is known and which may go out by sendfile)
        length = resp.content_length if resp.is_streamed else resp.calculate_content_length()
        resp.call_on_close(lambda: log_request(fields, resp.status_code, length))
    return resp


class _Counter:
    """A response body that counts the bytes it hands to the server."""

    def __init__(self, body: Iterable[bytes]) -> None:
        self.body = body
        self.bytes = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.body:
            self.bytes += len(chunk)
            yield chunk

    def close(self) -> None:
        close = getattr(self.body, "close", None)
        if close is not None:
            close()


# --------------------------------------------------------------------------- the log line
def _fields() -> dict[str, Any]:
    text = _sparql_text() if request.path == _SPARQL_PATH else None
    return request_fields(
        request.method,
        request.path,
        g.get("ckg_started", time.monotonic()),
        query=text,
        cache=g.get("ckg_cache"),
        killed=g.get("ckg_killed"),
    )


def request_fields(
    method: str,
    path: str,
    started: float,
    *,
    query: str | None = None,
    cache: str | None = None,
    killed: float | None = None,
    form: str | None = None,
) -> dict[str, Any]:
    """What the log line of a request says besides its status and size (:func:`log_request`):
    for a SPARQL query its form and hash, never its text. ``form``: the query's, when the
    caller has looked already (the query check: a second look was 30–80 µs of a miss)."""
    fields: dict[str, Any] = {"method": method, "path": path}
    if query is not None:
        if form is None:
            form = inspect_query(query[:_FORM_SCAN]).form
        fields["query_form"] = form or "unknown"
        fields["query_hash"] = _query_hash(query)
    if cache is not None:
        fields["cache"] = cache
    if killed is not None:
        fields["outcome"] = f"killed after {killed:g} s"
    fields["started"] = started
    return fields


@remembered
def _query_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:12]


def _sparql_text() -> str | None:
    """The SPARQL query (or update) of a request to the endpoint, as far as it can be read."""
    try:
        for source in (request.args, request.form if request.method == "POST" else {}):
            for key in ("query", "update"):
                value = source.get(key)
                if value:
                    return str(value)
        if request.method == "POST" and request.mimetype in (
            _QUERY_TYPE,
            "application/sparql-update",
        ):
            data = request.get_data(cache=True) if _fits() else b""
            return data.decode("utf-8", "replace") or None
    except (HTTPException, ValueError, OSError):
        return None
    return None


def _quote(value: object) -> str:
    text = str(value)
    return text if text and _PLAIN.match(text) else json.dumps(text)


def log_request(fields: dict[str, Any], status: int, length: int | None) -> None:
    """The one log line of a request (:func:`request_fields` and its outcome)."""
    # 503 is a refusal the server chose (a timeout, a busy pool, a store away), not a fault.
    level = logging.ERROR if status >= 500 and status != 503 else logging.INFO
    if not log.isEnabledFor(level):
        return
    started = fields.pop("started")
    duration = (time.monotonic() - started) * 1000
    parts = [
        f"method={_quote(fields.pop('method'))}",
        f"path={_quote(fields.pop('path'))}",
        f"status={status}",
        f"duration_ms={duration:.1f}",
        f"bytes={length if length is not None else '-'}",
    ]
    parts += [f"{key}={_quote(value)}" for key, value in fields.items()]
    log.log(level, "request %s", " ".join(parts))


# --------------------------------------------------------------------------- timeouts
def _watch_timeouts(executor: Any) -> None:
    """Note on the request when a query it ran was killed for running out of time."""
    run = executor.run

    answered_from = getattr(executor, "answered_from", None)

    def run_watched(*args: Any, **kwargs: Any) -> Any:
        try:
            return run(*args, **kwargs)
        except QueryTimeout as exc:
            if has_request_context():
                g.ckg_killed = exc.seconds
            raise
        finally:
            if answered_from is not None and has_request_context():
                g.ckg_cache = answered_from()

    executor.run = run_watched
