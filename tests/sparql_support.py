"""Helpers for the SPARQL endpoint tests: the real server as a subprocess, HTTP, a listener.

The fixtures built on them live in ``server_fixture`` (a plugin module).
"""

from __future__ import annotations

import http.client
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Namespace
from rdflib.namespace import RDFS

from bench.servers import free_port

from support import ROOT

W3C_PROTOCOL = Path(__file__).resolve().parent / "w3c" / "sparql11-protocol"
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
QUERY_TIMEOUT = 2.0
MAX_RESULT_BYTES = 1_000_000
QUERY_WORKERS = 2


# --------------------------------------------------------------------------- HTTP
@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    elapsed: float = 0.0

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(
    base: str,
    path: str,
    *,
    method: str = "GET",
    params: dict[str, str | list[str]] | None = None,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    timeout: float = 30.0,
    source: str | None = None,
) -> Reply:
    """One HTTP request with exactly the headers given (http.client adds no Accept); from the
    loopback address ``source`` (127.0.0.2, …) to act as another client."""
    parsed = urllib.parse.urlsplit(base)
    if params:
        path += ("&" if "?" in path else "?") + urllib.parse.urlencode(params, doseq=True)
    if isinstance(body, str):
        body = body.encode("utf-8")
    conn = http.client.HTTPConnection(
        parsed.hostname,
        parsed.port,
        timeout=timeout,
        source_address=(source, 0) if source else None,
    )
    start = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    return Reply(resp.status, resp.headers, data, time.monotonic() - start)


class SlowClients:
    """``count`` connections that send part of a request and then a byte every ``every``
    seconds (slowloris): half of them stuck in the header, half in a declared body. Used as a
    context manager; ``open`` counts those the server has not closed."""

    HEAD = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    BODY = (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/sparql-query\r\nContent-Length: 100000\r\n\r\nASK {"
    )

    def __init__(self, base: str, count: int = 256, every: float = 2.0) -> None:
        parsed = urllib.parse.urlsplit(base)
        self.address = (parsed.hostname, parsed.port)
        self.count, self.every = count, every
        self.socks: list[socket.socket] = []
        self.open = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def __enter__(self) -> SlowClients:
        for i in range(self.count):
            s = socket.create_connection(self.address, timeout=5)
            s.sendall(self.HEAD if i % 2 == 0 else self.BODY)
            self.socks.append(s)
        self.open = len(self.socks)
        self._thread.start()
        return self

    def _trickle(self) -> None:
        while not self._stop.wait(self.every):
            alive = 0
            for s in self.socks:
                try:
                    s.send(b"a")
                    alive += 1
                except OSError:
                    pass
            self.open = alive

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        for s in self.socks:
            s.close()


class Listener:
    """A local TCP server that records every connection made to it (and closes it)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self._thread.join(2)
        self.sock.close()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


def parse_rdf(body: bytes, mime: str) -> Graph:
    """Parse a response body with rdflib (an independent parser) by its media type."""
    with warnings.catch_warnings():
        # rdflib's JSON-LD parser uses its own deprecated ConjunctiveGraph internally
        warnings.simplefilter("ignore", DeprecationWarning)
        return Graph().parse(data=body, format=RDF_FORMATS[mime], publicID="http://x.test/")


# --------------------------------------------------------------------------- the store
def w3c_graphs() -> dict[Path, str]:
    """The protocol suite's data files and the graph names its manifest gives them."""
    manifest = Graph().parse(W3C_PROTOCOL / "manifest.ttl", format="turtle")
    found: dict[Path, str] = {}
    for _, data in manifest.subject_objects(UT.graphData):
        file_iri = manifest.value(data, UT.graph)
        label = manifest.value(data, RDFS.label)
        path = W3C_PROTOCOL / urllib.parse.urlsplit(str(file_iri)).path.rsplit("/", 1)[-1]
        found[path] = str(label)
    return found


def cli(*args: str, store: Path) -> tuple[int, str]:
    """Run the ``competency-kg`` command in this process (same code, no interpreter start)."""
    from competency_kg.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(["--store", str(store), *args], out=out, err=err)
    # the first line of standard error names the store (tests/test_cli.py checks it): left out
    said = err.getvalue()
    return code, out.getvalue() + (said.split("\n", 1)[1] if said.startswith("store: ") else said)


@dataclass
class LoadedStore:
    path: Path | str  # a folder, or a remote store's URL
    graphs: dict[str, Path] = field(default_factory=dict)  # W3C graph name -> file
    seeds_loaded: bool = False


def build_store(path: Path) -> LoadedStore:
    loaded = LoadedStore(path)
    for file, name in sorted(w3c_graphs().items()):
        code, log = cli("load", "--graph", name, str(file), store=path)
        assert code == 0, f"loading {file.name} failed:\n{log}"
        loaded.graphs[name] = file
    code, log = cli("load", str(ROOT / "seeds"), store=path)
    assert code == 0, f"loading the seeds failed:\n{log}"  # no fallback: the tests need them
    loaded.seeds_loaded = True
    return loaded


# --------------------------------------------------------------------------- the server
@dataclass
class Server:
    url: str  # http://127.0.0.1:PORT
    proc: subprocess.Popen[bytes]
    store: LoadedStore
    log_path: Path

    @property
    def endpoint(self) -> str:
        return self.url + "/sparql"

    def get(self, **kwargs: object) -> Reply:
        return fetch(self.url, "/sparql", **kwargs)  # type: ignore[arg-type]

    def post(self, **kwargs: object) -> Reply:
        return fetch(self.url, "/sparql", method="POST", **kwargs)  # type: ignore[arg-type]

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def descendants(self) -> set[int]:
        """Process ids of every process the server started (gunicorn worker, query workers)."""
        return _descendants(self.proc.pid)


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


#: The file a decoy ``competency_kg`` package (:func:`plant_decoy`) writes when imported.
DECOY_MARK = "decoy-competency-kg-imported"


def plant_decoy(folder: Path) -> Path:
    """A ``competency_kg/`` package in ``folder`` whose import writes :data:`DECOY_MARK` there
    (the importing process's command line) and fails: a server started in ``folder`` (as if
    inside another checkout) must never import it. Returns the mark's path."""
    mark = folder / DECOY_MARK
    package = folder / "competency_kg"
    package.mkdir()
    (package / "__init__.py").write_text(
        "import sys\n"
        f"with open({str(mark)!r}, 'a') as f:\n"
        "    f.write(repr(sys.argv) + '\\n')\n"
        "raise ImportError('the decoy competency_kg of tests/sparql_support.py')\n"
    )
    return mark


def start_server(
    store: LoadedStore, workdir: Path, *, timeout: float = QUERY_TIMEOUT, env: dict | None = None
) -> Server:
    port = free_port()
    exe = Path(sys.executable).with_name("competency-kg")
    log_path = workdir / f"server-{port}.log"
    full_env = dict(
        os.environ,
        COMPETENCY_KG_STORE=str(store.path),
        COMPETENCY_KG_MAX_RESULT_BYTES=str(MAX_RESULT_BYTES),
        COMPETENCY_KG_QUERY_WORKERS=str(QUERY_WORKERS),
        # Every test client comes from 127.0.0.1, one client to the per-client share; tests
        # of the share itself set it back to the default ("") and use other loopback sources.
        COMPETENCY_KG_QUERIES_PER_CLIENT="64",
        # no validation report computed in the background (pySHACL, ~25 s of CPU with the
        # seeds' O*NET sources) on a machine shared by the suite; tests/test_default_setup.py
        # keeps it, as a user has it
        COMPETENCY_KG_WARM_REPORT="0",
        # so a page that needs the report waits for it, as before (not the page saying it is
        # being computed: tests/test_validation_web.py sets 0 to get that one)
        COMPETENCY_KG_REPORT_WAIT="600",
        COMPETENCY_KG_WARM_TRANSITIONS="0",
    )
    full_env.update(env or {})
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [str(exe), "serve", "--port", str(port), "--query-timeout", f"{timeout:g}"],
            cwd=workdir,
            env=full_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", proc, store, log_path)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{server.log()}")
        try:
            if server.get(params={"query": "ASK {}"}, timeout=5).status == 200:
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_server(server)
            raise RuntimeError(f"the server did not answer within 60 s:\n{server.log()}")
        time.sleep(0.1)


def stop_server(server: Server, sig: int = signal.SIGTERM, wait: float = 30.0) -> int:
    if server.proc.poll() is None:
        server.proc.send_signal(sig)
        try:
            server.proc.wait(wait)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(5)
    return server.proc.returncode
