"""Whole requests before threads: gunicorn's ``gthread`` worker with an event-loop front.

gunicorn's ``gthread`` worker hands a connection to a request thread as soon as its first
bytes arrive, and the thread then blocks reading the rest of the request. A client that sends
half a request header, or a body a byte at a time, holds a thread for as long as it likes:
``--threads`` such clients (8) stopped the whole site. :class:`BufferingWorker` reads each
request in the worker's event loop instead (non-blocking, like waitress and nginx do), and
hands the connection to a thread only when the request is complete — its header block, and
its body by ``Content-Length`` or to the last chunk of a ``chunked`` one — so a thread only
ever parses bytes already in memory. A slow client costs a socket and its buffer, never a
thread: 256 slow connections leave every thread free for other clients.

Bounds, so that holding connections open costs an attacker as much as it costs the server:

- silence: a connection whose request has not moved for :data:`READ_TIMEOUT` seconds is
  closed (a kept-alive one with no byte of a next request: after gunicorn's ``keepalive``);
- size: the header block up to gunicorn's own limits (request line, fields), a body up to the
  application's limit (``MAX_REQUEST_BYTES``); past either, the thread takes over at once and
  gunicorn or the application answers 414/431/413 as before;
- memory: all buffers together up to :data:`BUFFER_BUDGET`; a request that would pass it is
  handed to a thread, which reads the rest itself (as plain ``gthread`` always does);
- connections: gunicorn's ``worker_connections`` (beyond them the kernel's backlog waits).

``Expect: 100-continue`` is answered here, since the body is waited for here. TLS and HTTP/2
cleartext connections keep gunicorn's own path (this server serves neither).
"""

from __future__ import annotations

import contextlib
import selectors
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, TConn, ThreadWorker

from competency_kg.web.state import MAX_REQUEST_BYTES

#: Seconds a request may stay without a new byte before its connection is closed.
READ_TIMEOUT = 30.0
#: Bytes all connections' buffers may hold together (per worker process).
BUFFER_BUDGET = 256 * 1024 * 1024
_RECV = 64 * 1024
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_CHUNK_LINE = 1024  # longest chunk-size line (size and extensions) waited for


@dataclass
class _Reading:
    """One connection's request as far as it has arrived, and how far it was scanned."""

    buf: bytearray
    deadline: float
    head_end: int = -1  # offset just past the blank line ending the header block
    need: int | None = None  # total bytes of a request with Content-Length
    chunk_at: int = -1  # next chunk-size line of a chunked body
    continued: bool = False


def _header_limit(cfg: Any) -> int:
    """Largest header block gunicorn's parser accepts; past it the parser answers 414/431."""
    line = cfg.limit_request_line or 8190
    fields = (cfg.limit_request_fields or 100) * ((cfg.limit_request_field_size or 8190) + 2)
    return line + 2 + fields + 2


def _scan(r: _Reading, header_limit: int, body_limit: int) -> bool:
    """Whether the thread can take the request now: it is whole, or it is wrong or too
    large in a way gunicorn or the application answers without reading on."""
    buf = r.buf
    if r.head_end < 0:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return len(buf) > header_limit
        r.head_end = end + 4
        length: int | None = None
        chunked = False
        expect = False
        for line in bytes(buf[:end]).split(b"\r\n")[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                continue
            key = name.strip().lower()
            if key == b"content-length":
                if length is not None or not value.strip().isdigit():
                    return True  # the parser refuses it (400)
                length = int(value.strip())
            elif key == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif key == b"expect":
                expect = value.strip().lower() == b"100-continue"
        if chunked:
            if length is not None:
                return True  # both framings: the parser refuses it
            r.chunk_at = r.head_end
        elif length is None:
            return True  # no body
        elif length > body_limit:
            return True  # the application answers 413 without reading it
        else:
            r.need = r.head_end + length
        if expect:
            r.continued = True
    if r.need is not None:
        return len(buf) >= r.need
    return _chunks_done(r, body_limit)


def _chunks_done(r: _Reading, body_limit: int) -> bool:
    """Walk the chunks that have arrived; True at the last one (and its trailer), or when
    the body is over the limit (the application answers 413), or malformed (400)."""
    buf = r.buf
    while True:
        if r.chunk_at - r.head_end > body_limit + _CHUNK_LINE:
            return True
        eol = buf.find(b"\r\n", r.chunk_at)
        if eol < 0:
            return len(buf) - r.chunk_at > _CHUNK_LINE
        size_text = bytes(buf[r.chunk_at : eol]).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return True
        if size == 0:  # the last chunk; the trailer section ends with a blank line
            rest = eol + 2
            return buf.startswith(b"\r\n", rest) or buf.find(b"\r\n\r\n", eol) >= 0
        end = eol + 2 + size + 2
        if end > len(buf):
            return False
        r.chunk_at = end


class BufferingWorker(ThreadWorker):
    """``gthread`` with requests read whole in the event loop (see the module's doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading: dict[Any, _Reading] = {}
        self._buffered = 0
        self._front = not self.cfg.is_ssl and getattr(self.cfg, "http2_cleartext", "off") in (
            "off",
            None,
        )
        self._header_limit = _header_limit(self.cfg)

    # -- where connections come from
    def accept(self, listener: Any) -> None:
        if not self._front:
            return super().accept(listener)
        try:
            client_sock, client_addr = listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return None
        self.nr_conns += 1
        conn = self._conn(client_sock, client_addr, listener.getsockname())
        self._read_ahead(conn, b"", READ_TIMEOUT)
        return None

    def _conn(self, sock: Any, addr: Any, server: Any) -> Any:
        return TConn(self.cfg, sock, addr, server)

    def on_client_socket_readable(self, conn: Any, client: Any) -> None:
        """A kept-alive connection has its next request coming: read it here too."""
        if not self._front:
            return super().on_client_socket_readable(conn, client)
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._read_ahead(conn, b"", READ_TIMEOUT)
        return None

    def enqueue_req(self, conn: Any) -> None:
        """To a thread only when the front says the request is whole; otherwise (gunicorn
        re-queues a kept-alive connection whose parser read ahead) the front reads on."""
        if not self._front or getattr(conn, "front_ready", False):
            conn.front_ready = False
            return super().enqueue_req(conn)
        held = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        self._read_ahead(conn, held, READ_TIMEOUT)
        return None

    # -- the front
    def _read_ahead(self, conn: Any, held: bytes, timeout: float) -> None:
        r = _Reading(bytearray(held), time.monotonic() + timeout)
        self._reading[conn] = r
        self._buffered += len(held)
        conn.sock.setblocking(False)
        if held and self._ready(conn, r):
            return
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._readable, conn))

    def _readable(self, conn: Any, _sock: Any) -> None:
        r = self._reading.get(conn)
        if r is None:
            return
        try:
            data = conn.sock.recv(_RECV)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # reset: nobody to answer
            self._drop(conn)
            return
        if not data:
            if r.head_end >= 0:  # a whole header, a body cut short: answered as before (400)
                self._hand_over(conn, r, registered=True)
            else:
                self._drop(conn)
            return
        r.buf += data
        self._buffered += len(data)
        r.deadline = time.monotonic() + READ_TIMEOUT
        if self._ready(conn, r, registered=True):
            return
        if r.continued:
            r.continued = False
            self._continue(conn, r)

    def _ready(self, conn: Any, r: _Reading, registered: bool = False) -> bool:
        """Hand the connection to a thread if its request is whole (or must go now)."""
        whole = _scan(r, self._header_limit, MAX_REQUEST_BYTES)
        if not whole and self._buffered <= BUFFER_BUDGET:
            return False
        self._hand_over(conn, r, registered)
        return True

    def _hand_over(self, conn: Any, r: _Reading, registered: bool) -> None:
        if registered:
            self._unregister(conn)
        del self._reading[conn]
        self._buffered -= len(r.buf)
        conn.front_data = bytes(r.buf)
        conn.data_ready = True
        conn.front_ready = True
        self.enqueue_req(conn)

    def _continue(self, conn: Any, r: _Reading) -> None:
        """Answer ``Expect: 100-continue`` here, and take the header out of the request so
        that gunicorn does not answer it a second time."""
        with contextlib.suppress(OSError):
            conn.sock.send(_CONTINUE)
        head = bytes(r.buf[: r.head_end])
        lines = head.split(b"\r\n")
        kept = [ln for ln in lines if not ln.lower().startswith(b"expect:")]
        if len(kept) != len(lines):
            new_head = b"\r\n".join(kept)
            shift = len(head) - len(new_head)
            r.buf[: r.head_end] = new_head
            r.head_end -= shift
            self._buffered -= shift
            if r.need is not None:
                r.need -= shift
            if r.chunk_at >= 0:
                r.chunk_at -= shift

    def _unregister(self, conn: Any) -> None:
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)

    def _drop(self, conn: Any) -> None:
        r = self._reading.pop(conn, None)
        if r is not None:
            self._buffered -= len(r.buf)
        self._unregister(conn)
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """gunicorn's pending connections, and the front's that fell silent; a stopping
        worker waits only briefly for requests still arriving."""
        super().murder_pending()
        now = time.monotonic()
        for conn, r in list(self._reading.items()):
            limit = r.deadline
            if not self.alive:
                limit = min(limit, self._stopped_at + STOP_KEEPALIVE_LINGER) if r.buf else now
            if limit <= now:
                self._drop(conn)

    @property
    def _stopped_at(self) -> float:
        if not hasattr(self, "_stop_time"):
            self._stop_time = time.monotonic()
        return self._stop_time

    # -- the thread's side
    def handle(self, conn: Any) -> Any:
        data = conn.__dict__.pop("front_data", b"")
        if data:
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(data)
        return super().handle(conn)
