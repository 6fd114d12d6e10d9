"""``competency-kg serve``: the web application under gunicorn, ready for production.

One gunicorn worker process with ``threads`` request threads (``gthread``): the store handle
and the query pool belong to a process, and the queries themselves run in the pool's worker
processes, so one process is enough to keep every core busy. Logs (errors and access) go to
standard error. SIGTERM and SIGINT (Ctrl-C) both shut down gracefully: no new connections,
requests in flight finish (for at most the query timeout), then the query workers stop.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from gunicorn import util as gunicorn_util
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.glogging import Logger

from competency_kg.config import Settings
from competency_kg.query_pool import DEFAULT_TIMEOUT, QueryPool
from competency_kg.safe_text import install_log_escaping
from competency_kg.web.app import create_app
from competency_kg.web.front import BufferingWorker
from competency_kg.web.security import OTHER_CSP
from competency_kg.web.state import state

EXIT_OK, EXIT_ERROR = 0, 2


class _StderrLogger(Logger):
    """gunicorn's logger, with the access log on standard error too (gunicorn uses stdout),
    and control characters escaped in both logs (a bad request line is quoted in them)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if cfg.accesslog == "-":
            self._set_handler(
                self.access_log, "-", logging.Formatter(self.access_fmt), stream=sys.stderr
            )
        for handler in (*self.error_log.handlers, *self.access_log.handlers):
            install_log_escaping(handler)


def _write_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's answer to a request it rejects before the application sees it (a bad request
    line, headers over its limits): plain text with the site's security headers, instead of
    gunicorn's bare HTML page. Installed as ``gunicorn.util.write_error``, which its workers
    call for these errors."""
    body = f"{reason}: {mesg}\n".encode("utf-8", "replace")
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "X-Frame-Options: DENY\r\n"
        "Referrer-Policy: same-origin\r\n"
        f"Content-Security-Policy: {OTHER_CSP}\r\n\r\n"
    )
    gunicorn_util.write_nonblock(sock, head.encode("latin-1", "replace") + body)


_gunicorn_http_date = gunicorn_util.http_date
_date: tuple[int, str] = (0, "")


def _http_date(timestamp: float | None = None) -> str:
    """gunicorn's ``Date`` header (RFC 9110 §6.6.1: one-second resolution), formatted once a
    second rather than for every response (``email.utils.formatdate`` was 4% of a cached
    answer's cost). Installed as ``gunicorn.util.http_date``."""
    global _date
    if timestamp is not None:
        return _gunicorn_http_date(timestamp)
    now = int(time.time())
    second, text = _date
    if second != now:
        text = _gunicorn_http_date(now)
        _date = (now, text)
    return text


class _Arbiter(Arbiter):
    """SIGINT stops gracefully, like SIGTERM (gunicorn's own default is a quick stop)."""

    def handle_int(self) -> None:
        raise StopIteration


def _post_worker_init(worker: Any) -> None:
    # In the worker, too, Ctrl-C means "finish what you are doing", not "drop everything".
    signal.signal(signal.SIGINT, worker.handle_exit)
    st = state(worker.wsgi)
    executor = st.executor
    if not isinstance(executor, QueryPool):
        worker.log.info("queries go to the remote store's SPARQL server")
        return
    executor.start()
    if executor.wait_ready(30.0):
        guard = "on" if executor.network_guarded else "UNAVAILABLE (relying on the query check)"
        worker.log.info("%d query workers ready; network guard %s", executor.size, guard)
    else:
        worker.log.warning("query workers are not ready yet; queries will wait for them")


class _Application(BaseApplication):
    def __init__(self, options: dict[str, Any], factory: Any) -> None:
        self.options = options
        self.factory = factory
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings newer than the installed gunicorn are skipped
                self.cfg.set(key, value)

    def load(self) -> Any:
        app = self.factory()
        atexit.register(state(app).executor.close)
        return app

    def run(self) -> None:
        _Arbiter(self).run()


def _worker_class() -> Any:
    return BufferingWorker


def _url(host: str, port: int) -> str:
    shown = "localhost" if host in ("", "0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def _refusal(
    cfg: Settings,
    threads: int,
    query_timeout: float,
    query_workers: int | None,
    max_result_bytes: int | None,
    query_memory: int | None,
) -> str | None:
    """Why the server cannot start with these settings, in one line; ``None`` if it can."""
    remote = cfg.store.startswith(("http://", "https://"))
    store = Path(cfg.store)
    if not remote and not store.is_dir():
        return (
            f"no store at {cfg.store}: run 'competency-kg load' first "
            "(or point --store / COMPETENCY_KG_STORE at one)"
        )
    # Fail now, with one clear line, rather than in every query worker later. The store is
    # not opened here: RocksDB state must never be inherited by the forked gunicorn worker.
    if not remote and not (store / "CURRENT").is_file():
        return f"{cfg.store} is not a competency-kg store: run 'competency-kg load' first"
    if threads < 1 or query_timeout <= 0:
        return "--threads must be at least 1 and --query-timeout positive"
    if query_workers is not None and query_workers < 1:
        return "--query-workers must be at least 1"
    if max_result_bytes is not None and max_result_bytes < 1:
        return "--max-result-bytes must be at least 1"
    if query_memory is not None and query_memory < 64 << 20:
        return "--query-memory must be at least 64M"
    return None


def _options(host: str, port: int, threads: int, query_timeout: float) -> dict[str, Any]:
    """gunicorn's settings: one worker process, its request threads, limits and logging."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    options: dict[str, Any] = {
        "bind": [bind],
        "workers": 1,
        # gthread, with each request read whole in the event loop before a thread takes it
        # (slow clients hold no thread; see competency_kg.web.front)
        "worker_class": _worker_class(),
        "threads": threads,
        "timeout": max(60, int(query_timeout) + 30),
        "graceful_timeout": min(max(5, int(query_timeout) + 2), 120),
        "keepalive": 5,
        # Refused before the application sees them: a request line (method, path and query
        # string) over 8 KB (414: long queries go by POST), more than 64 header fields or
        # one over 8 KB (431). One log line per request comes from competency_kg.web.security,
        # so gunicorn's own access log stays off.
        "limit_request_line": 8190,
        "limit_request_fields": 64,
        "limit_request_field_size": 8190,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": os.environ.get("COMPETENCY_KG_LOG_LEVEL", "info"),
        "logger_class": _StderrLogger,
        "proc_name": "competency-kg",
        "post_worker_init": _post_worker_init,
        "control_socket_disable": True,  # gunicorn >= 25.1 would create one under $HOME
    }
    return options


def serve(
    cfg: Settings,
    host: str = "127.0.0.1",
    port: int = 8080,
    threads: int = 16,
    query_timeout: float = DEFAULT_TIMEOUT,
    *,
    query_workers: int | None = None,
    max_result_bytes: int | None = None,
    query_memory: int | None = None,
) -> int:
    """Serve the web application until SIGTERM/SIGINT; the exit code (0 ok, 2 error)."""
    problem = _refusal(cfg, threads, query_timeout, query_workers, max_result_bytes, query_memory)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_ERROR

    def factory() -> Any:
        return create_app(
            cfg,
            query_timeout=query_timeout,
            query_workers=query_workers,
            max_result_bytes=max_result_bytes,
            query_memory=query_memory,
            request_threads=threads,
            served=True,  # a visitor, not a test's own client, is waiting
        )

    options = _options(host, port, threads, query_timeout)
    url = _url(host, port)
    print(f"competency-kg: serving on {url} (SPARQL endpoint: {url}sparql)", flush=True)
    try:
        gunicorn_util.write_error = _write_error
        gunicorn_util.http_date = _http_date
        _Application(options, factory).run()
    except SystemExit as exc:  # the arbiter leaves through sys.exit
        code = exc.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_ERROR)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK
