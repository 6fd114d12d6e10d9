"""The three systems, each started as a child process on 127.0.0.1 over the same data.

- ``ours``: ``competency-kg serve`` (gunicorn, killable query worker processes) on the store the
  data builder wrote;
- ``oxigraph``: the Oxigraph server (PyPI ``oxigraph``), its own store loaded from the same
  N-Quads with ``oxigraph load`` (timed), ``--union-default-graph`` as ours;
- ``rdflib``: rdflib-endpoint (PyPI) over an rdflib ``Dataset(default_union=True)`` parsed from
  the same N-Quads (:mod:`bench.rdflib_server`, which reports its load time).

Each is stopped by its own pid (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
ASK = "query=ASK%7B%7D"

LABELS = {"ours": "competency-kg", "oxigraph": "Oxigraph server", "rdflib": "rdflib-endpoint"}


@dataclass
class Server:
    name: str  # ours | oxigraph | rdflib
    process: subprocess.Popen[bytes]
    base: str  # http://127.0.0.1:PORT
    endpoint: str  # the SPARQL endpoint path
    log: Path
    info: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return LABELS[self.name]

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""


class ServerFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def executable(name: str) -> str:
    """A program installed with the project (next to this Python), else on PATH."""
    p = BIN / name
    if p.exists():
        return str(p)
    found = shutil.which(name)
    if found is None:
        raise ServerFailed(f"{name} is not installed (pip install -e '.[bench]' or '.[dev]')")
    return found


def wait_until_answers(process: subprocess.Popen[bytes], probe: str, timeout: float) -> str | None:
    """Poll ``probe`` until it answers 200 (None), or say why not: the process exited, or
    ``timeout`` passed. The benchmark and the tests start their servers through this."""
    end = time.monotonic() + timeout
    last = ""
    while time.monotonic() < end:
        if process.poll() is not None:
            return f"exited ({process.returncode}) while starting"
        try:
            with urllib.request.urlopen(probe, timeout=5) as r:
                if r.status == 200:
                    return None
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.2)
    return f"did not answer {probe} within {timeout:g} s ({last})"


def _wait(server: Server, timeout: float) -> None:
    problem = wait_until_answers(server.process, f"{server.base}{server.endpoint}?{ASK}", timeout)
    if problem is not None:
        stop(server)
        raise ServerFailed(f"{server.label} {problem}:\n{server.log_tail()}")


def _popen(
    args: list[str], log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        return subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env or dict(os.environ),
        )


def start_ours(
    store: Path, logs: Path, *, timeout: float = 120.0, workers: int | None = None, threads: int = 8
) -> Server:
    port = free_port()
    # The concurrent load's clients all come from 127.0.0.1: one client to the per-client share.
    env = dict(os.environ, COMPETENCY_KG_LOG_LEVEL="warning", COMPETENCY_KG_QUERIES_PER_CLIENT="64")
    args = [
        executable("competency-kg"),
        "--store", str(store),
        "serve", "--host", "127.0.0.1", "--port", str(port),
        "--threads", str(threads), "--query-timeout", f"{timeout:g}",
    ]  # fmt: skip
    if workers:
        args += ["--query-workers", str(workers)]
    t = time.perf_counter()
    server = Server(
        "ours", _popen(args, logs / f"ours-{port}.log", env), f"http://127.0.0.1:{port}",
        "/sparql", logs / f"ours-{port}.log",
    )  # fmt: skip
    _wait(server, 120)
    server.info["start_seconds"] = time.perf_counter() - t
    return server


def load_oxigraph(nquads: Path, location: Path) -> float:
    """``oxigraph load`` the N-Quads into a fresh folder; the seconds it took."""
    if location.exists():
        shutil.rmtree(location)
    t = time.perf_counter()
    subprocess.run(
        [executable("oxigraph"), "load", "--location", str(location), "--file", str(nquads)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=dict(os.environ, RUST_LOG="warn"),
    )
    return time.perf_counter() - t


def start_oxigraph(location: Path, logs: Path, *, timeout: float | None = None) -> Server:
    port = free_port()
    args = [
        executable("oxigraph"), "serve-read-only", "--location", str(location),
        "--bind", f"127.0.0.1:{port}", "--union-default-graph",
    ]  # fmt: skip
    if timeout:
        args += ["--timeout-s", str(int(timeout))]
    log = logs / f"oxigraph-{port}.log"
    t = time.perf_counter()
    server = Server(
        "oxigraph",
        _popen(args, log, dict(os.environ, RUST_LOG="warn")),
        f"http://127.0.0.1:{port}",
        "/query",
        log,
    )
    _wait(server, 120)
    server.info["start_seconds"] = time.perf_counter() - t
    return server


def start_rdflib(nquads: Path, logs: Path, *, start_timeout: float = 1800) -> Server:
    port = free_port()
    stats = logs / f"rdflib-{port}.json"
    args = [
        sys.executable, "-m", "bench.rdflib_server", "--data", str(nquads),
        "--port", str(port), "--stats", str(stats),
    ]  # fmt: skip
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    log = logs / f"rdflib-{port}.log"
    server = Server("rdflib", _popen(args, log, env), f"http://127.0.0.1:{port}", "/sparql", log)
    _wait(server, start_timeout)
    if stats.exists():
        server.info.update(json.loads(stats.read_text()))
    return server


def restart_rdflib(server: Server) -> Server:
    """Replace the rdflib-endpoint server process (busy with a query it cannot cancel)."""
    server.process.send_signal(signal.SIGUSR1)
    time.sleep(0.5)
    _wait(server, 120)
    return server


def stop(server: Server) -> None:
    """Stop the server by its pid: SIGTERM, then SIGKILL."""
    p = server.process
    if p.poll() is not None:
        return
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=10)
