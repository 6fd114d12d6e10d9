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

A request whose answer is already kept is answered here too, without a thread: a plain
HTTP/1.1 ``GET``/``POST`` to ``/sparql`` (:func:`_plain_head`: a few usual headers, each
once, nothing conditional, no ``Connection`` field) whose query's answer the query pool keeps
for the store's current version (:class:`~competency_kg.web.sparql_lean.KeptAnswers`: a dict
lookup and one ``stat``). A request thread costs more CPU than the whole answer (gunicorn's
environ, the thread hand-offs: a hello-world app under ``gthread`` costs 0.44 ms of CPU a
request; ``docs/benchmarks/lookup.md``). The bytes written are the thread
path's — gunicorn's status line, ``Server``, ``Date`` and ``Connection: keep-alive``, then
:class:`~competency_kg.web.sparql_lean.LeanEndpoint`'s headers and body — and so is the log
line. Bytes after the request are the next request (pipelining), read on here; with none the
connection waits here for its next request, for gunicorn's ``keepalive`` seconds as a
kept-alive connection does (still registered: a kept answer costs one ``select`` wake-up, one
``recv`` and one ``send``). What the socket does not take at once a thread sends (the loop
never waits on a client), and the loop then reads on. Everything else — a request the loop
sees for the first time (but a look-up, below), a miss, an error, HEAD, HTTP/1.0,
``Connection: close``, a stopping worker — goes to a thread as before.

A miss that is a one-pattern look-up (one triple pattern, its answer within
:data:`~competency_kg.query_inline.LOOP_BYTES`) is answered here too, from the store, and
kept (:meth:`~competency_kg.web.sparql_lean.KeptAnswers.answer`): the thread path would
cost it 0.6 ms of CPU more than its whole answer (``docs/benchmarks/lookup.md``, "Misses").
Its bound bounds how long the loop reads the store while new requests wait (6 ms at worst);
a look-up with more is cut off there and goes to a thread.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from gunicorn import SERVER
from gunicorn import util as gunicorn_util
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, TConn, ThreadWorker

from competency_kg.web.sparql_lean import KeptAnswers, kept_answers
from competency_kg.web.state import MAX_REQUEST_BYTES

#: Seconds a request may stay without a new byte before its connection is closed.
READ_TIMEOUT = 30.0
#: Bytes all connections' buffers may hold together (per worker process).
BUFFER_BUDGET = 256 * 1024 * 1024
_RECV = 64 * 1024
#: Seconds between two looks for connections past their deadline.
_SWEEP = 0.25
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_CHUNK_LINE = 1024  # longest chunk-size line (size and extensions) waited for

#: The request line of a request the loop may answer: the endpoint, a query string of
#: RFC 3986 characters only, HTTP/1.1 (whose answer keeps the connection alive).
_PLAIN_LINE = re.compile(rb"(GET|POST) /sparql(?:\?([A-Za-z0-9\-._~%!$&'()*+,;=:@/?]*))? HTTP/1\.1")
#: A header field as the loop takes it: a token name, printable ASCII value (RFC 9112 §5).
_PLAIN_FIELD = re.compile(rb"([A-Za-z0-9-]+):[ \t]*([ -~]*?)[ \t]*")
#: The header fields a request the loop answers may have (each once; ``Host`` required):
#: none changes the answer but those the endpoint reads (``Accept``, the body's type and
#: length). Any other — conditional, ``Connection``, ``Expect``, forwarding, ``Transfer-
#: Encoding`` — sends the request to a thread.
_PLAIN_FIELDS = frozenset(
    {
        "host",
        "accept",
        "accept-encoding",
        "accept-language",
        "user-agent",
        "content-type",
        "content-length",
        "origin",
        "referer",
        "cache-control",
        "pragma",
    }
)
#: The largest header block the loop reads (under every limit gunicorn and the application
#: put on one, so a request past them is answered as before: by a thread).
_PLAIN_HEAD = 8190


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


def _plain_head(head: bytes) -> tuple[str, str, dict[str, str]] | None:
    """The method, query string and header fields of a request the loop may answer (see
    the module's doc), from its header block without the blank line; else None."""
    if len(head) > _PLAIN_HEAD:
        return None
    lines = head.split(b"\r\n")
    line = _PLAIN_LINE.fullmatch(lines[0])
    if line is None:
        return None
    fields: dict[str, str] = {}
    for raw in lines[1:]:
        field = _PLAIN_FIELD.fullmatch(raw)
        if field is None:
            return None
        name = field[1].decode("ascii").lower()
        if name not in _PLAIN_FIELDS or name in fields:
            return None
        fields[name] = field[2].decode("ascii")
    if "host" not in fields:
        return None
    return line[1].decode("ascii"), (line[2] or b"").decode("ascii"), fields


def _send_all(sock: Any, data: memoryview) -> None:
    """The rest of an answer, in a request thread (the loop never waits on a client)."""
    sock.setblocking(True)
    sock.sendall(data)


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
        self._answers: KeptAnswers | None = None
        self._swept = 0.0  # when murder_pending last looked at every connection

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self._answers = kept_answers(self.wsgi) if self._front and self._plain_server() else None

    def _plain_server(self) -> bool:
        """Whether a request answered in the loop gets the bytes a thread would write: no
        gunicorn access log, hooks, proxy protocol or ``SCRIPT_NAME`` to honour, and
        connections kept alive."""
        cfg = self.cfg
        hooks = (cfg.settings[name] for name in ("pre_request", "post_request"))
        return (
            not cfg.accesslog
            and all(hook.get() is hook.default for hook in hooks)
            and cfg.proxy_protocol in ("off", False, None)
            and getattr(cfg, "protocol", "http") == "http"
            and not os.environ.get("SCRIPT_NAME")
            and cfg.keepalive > 0
        )

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
        del self._reading[conn]
        self._buffered -= len(r.buf)
        while self._answers is not None:
            answered = self._answer_here(conn, r)
            if answered is None:
                break  # not one the loop answers: a thread does
            reply, end = answered
            del r.buf[:end]  # the next request's bytes, if any (pipelining)
            if not self._send(conn, reply, r.buf, registered):
                return  # gone, or the rest of the answer is with a thread
            # The next request: read on here (still registered: no system call); with none
            # begun, for gunicorn's keepalive seconds, as a kept-alive connection waits.
            wait = READ_TIMEOUT if r.buf else self.cfg.keepalive
            r = _Reading(r.buf, time.monotonic() + wait)
            if not _scan(r, self._header_limit, MAX_REQUEST_BYTES):
                self._reading[conn] = r
                self._buffered += len(r.buf)
                if not registered:
                    self.poller.register(
                        conn.sock, selectors.EVENT_READ, partial(self._readable, conn)
                    )
                if r.continued:
                    r.continued = False
                    self._continue(conn, r)
                return
        if registered:
            self._unregister(conn)
        conn.front_data = bytes(r.buf)
        conn.data_ready = True
        conn.front_ready = True
        self.enqueue_req(conn)

    # -- answers the loop gives itself
    def _answer_here(self, conn: Any, r: _Reading) -> tuple[bytes, int] | None:
        """The answer to ``r``'s first request as a thread would write it, and the request's
        length, if the loop gives it (a kept answer); else None."""
        if r.head_end < 0 or not self.alive or self.nr + 1 >= self.max_requests:
            return None
        if len(self.keepalived_conns) >= self.max_keepalived:
            return None  # gunicorn would close this connection after the answer
        plain = _plain_head(bytes(r.buf[: r.head_end - 4]))
        if plain is None:
            return None
        method, query_string, fields = plain
        end = r.head_end
        body: bytes | None = None
        if "content-length" in fields:
            length = fields["content-length"]
            if method != "POST" or not length.isdigit():
                return None
            end += int(length)
            if end > len(r.buf):
                return None
            body = bytes(r.buf[r.head_end : end])
        peer = conn.client[0] if isinstance(conn.client, tuple) else None
        reply = self._answers.answer(  # type: ignore[union-attr]
            method, query_string, fields, body, peer, time.monotonic()
        )
        if reply is None:
            return None
        self.nr += 1
        status, headers, data = reply
        head = (
            f"HTTP/1.1 {status}\r\nServer: {SERVER}\r\nDate: {gunicorn_util.http_date()}\r\n"
            "Connection: keep-alive\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        )
        return head.encode("latin-1") + data, end

    def _send(self, conn: Any, reply: bytes, rest: bytearray, registered: bool) -> bool:
        """Send ``reply`` without waiting: True when the socket took it all. What it does not
        take at once a thread sends (blocking, as a thread path's answer is written), then
        the loop reads ``rest`` and what follows; False then, and when the client is gone."""
        try:
            sent = conn.sock.send(reply)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            sent = -1
        if sent == len(reply):
            return True
        if registered:
            self._unregister(conn)
        if sent < 0:
            self.nr_conns -= 1
            conn.close()
            return False
        pending = bytes(rest)
        fut = self.tpool.submit(_send_all, conn.sock, memoryview(reply)[sent:])
        fut.add_done_callback(lambda f: self.method_queue.defer(self._sent, conn, f, pending))
        return False

    def _sent(self, conn: Any, fut: Any, rest: bytes) -> None:
        """A thread has sent the rest of an answer: the connection reads on (its next
        request, or kept alive), or is closed if the send failed."""
        if fut.exception() is not None:
            self.nr_conns -= 1
            conn.close()
            return
        self._read_ahead(conn, rest, READ_TIMEOUT if rest else self.cfg.keepalive)

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
        # Called after every wake-up of the loop: under load thousands of times a second,
        # with every kept-alive connection in ``_reading``. Deadlines are seconds apart.
        if self.alive and now < self._swept + _SWEEP:
            return
        self._swept = now
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
