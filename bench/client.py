"""A small keep-alive HTTP client that times each request (send → last byte read)."""

from __future__ import annotations

import http.client
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

RETRYABLE = (
    http.client.RemoteDisconnected,
    http.client.CannotSendRequest,
    http.client.BadStatusLine,
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
)


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float
    content_type: str = ""


class Client:
    """One persistent connection to ``base``; reconnects (once) when the server closed it."""

    def __init__(self, base: str, timeout: float = 600.0) -> None:
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 80
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        for attempt in (0, 1):
            conn = self._connect()
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers or {})
                resp = conn.getresponse()
                data = resp.read()
            except RETRYABLE:
                self.close()
                if attempt:
                    raise
                continue
            except Exception:
                self.close()
                raise
            seconds = time.perf_counter() - start
            if resp.will_close:
                self.close()
            return Reply(resp.status, data, seconds, resp.getheader("Content-Type") or "")
        raise AssertionError("unreachable")

    def sparql(
        self, endpoint: str, query: str, accept: str, dataset: Sequence[tuple[str, str]] = ()
    ) -> Reply:
        """The query as a URL-encoded POST (SPARQL 1.1 Protocol §2.1.2), with the protocol's
        ``dataset`` parameters: the one form every peer takes (Virtuoso 7.2.5 does not answer
        a POST of ``application/sparql-query``)."""
        body = urllib.parse.urlencode([("query", query), *dataset]).encode("ascii")
        return self.request(
            "POST",
            endpoint,
            body,
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
        )

    def get(self, path: str, accept: str) -> Reply:
        return self.request("GET", path, None, {"Accept": accept})
