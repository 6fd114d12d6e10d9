"""The per-request cost of the endpoint: the one-triple lookup, many clients, servers side by
side in interleaved passes (A B A B), each pass with the machine's load average beside it.

    python -m bench.lookup --store STORE --server new=.venv/bin/competency-kg \\
        --server old=OTHER/.venv/bin/competency-kg --clients 16 --seconds 10 --rounds 2

Each ``--server LABEL=EXECUTABLE`` is a ``competency-kg`` program (two checkouts, before and
after a change) started over the same store as the benchmark starts ours (``--threads 16``,
:data:`SERVER_ENV`);
``--url LABEL=URL`` adds a server already running (the Oxigraph server, Virtuoso; with
``--pid LABEL=PID`` its CPU is counted too).

Two kinds of request, each its own pass (``--modes``):

- ``same``: the same query text every time: what a client polling a value, or many clients
  asking one thing, send; the endpoint's answer cache (:mod:`competency_kg.versioned_cache`)
  answers all but the first;
- ``unique``: every request's text differs (a comment with a counter), so nothing remembered
  of a text helps: the whole cost of a look-up never seen (a one-pattern query, which the
  web process answers itself: :class:`competency_kg.query_inline.BoundedLookups`);
- ``worker``: as ``unique``, with a ``FILTER`` that makes it more than one pattern: the same
  answer through a worker process, round trip included.

``--query NAME`` sends a query of :mod:`bench.queries` instead of the lookup (modes ``same``
and ``unique``); with ``--clients 1 --processes 1`` a pass is one request at a time, and its
p50 is the query's time as the benchmark's query table measures it (a new text each round).

The clients are threads spread over ``--processes`` client processes (the client's Python
would otherwise be held to one core by its GIL), each on a keep-alive connection, sending the
query as a URL-encoded POST. Requests per second counts 200 answers only; others are errors.
Beside them, the server's CPU time (all its processes) per answered request: on a machine
others share, requests per second follow the load, CPU per request much less.

A store to run it on: ``competency-kg --store STORE load`` (the seeds).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.client import run_clients
from bench.queries import PREFIXES, all_queries
from bench.servers import free_port, wait_until_answers

#: The benchmark's one-triple lookup (``lookup-label`` of :mod:`bench.queries`); the seeds
#: hold this occupation too.
LOOKUP = (
    PREFIXES
    + "SELECT ?label WHERE { <https://w3id.org/competency-kg/occupation/15-1232.00> "
    + "skos:prefLabel ?label }"
)
#: The server's settings: the benchmark's (a quiet log; every client from 127.0.0.1 counted as
#: one client of a large share), and no warmer: 5 s after a start it renders pages, builds the
#: search and comparison indexes, counts classes and writes the dumps in the server's
#: processes (every step of ``competency_kg.web.warming.STEPS``), which would share them
#: with the first passes.
_WARM_STEPS = (
    "BASICS",
    "SEARCH",
    "CLASSES",
    "COMPARISON",
    "PAGES",
    "REPORT",
    "TRANSITIONS",
    "DUMPS",
)
SERVER_ENV = {
    "COMPETENCY_KG_LOG_LEVEL": "warning",
    "COMPETENCY_KG_QUERIES_PER_CLIENT": "64",
    **{f"COMPETENCY_KG_WARM_{step}": "0" for step in _WARM_STEPS},
}


@dataclass
class Pass:
    label: str
    mode: str
    seconds: float
    load: float  # one-minute load average when the pass began
    cpu: float = float("nan")  # CPU seconds the server's processes used (servers started here)
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_request(self) -> float:
        """Server CPU milliseconds per answered request."""
        return self.cpu * 1000 / len(self.latencies) if self.latencies else float("nan")


_TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user and system) used so far by process ``pid`` and every process under
    it (the gunicorn worker, the fork server, the query workers): what a request costs the
    server whatever else the machine runs, unlike requests per second."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / _TICK
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += used.get(p, 0.0)
        todo += [c for c, parent in parents.items() if parent == p]
    return total


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_pass(
    ex: ProcessPoolExecutor, label: str, base: str, mode: str, clients: int, seconds: float,
    processes: int, tag: int, pid: int | None = None, text: str = LOOKUP,
) -> Pass:  # fmt: skip
    """One pass of ``mode`` against one server, through the benchmark's one client loop
    (:func:`bench.client.run_clients`); the server's CPU counted when its ``pid`` is known."""
    if mode == "worker":
        text = text.replace("?label }", "?label FILTER(isLiteral(?label)) }")
    out = Pass(label, mode, seconds, os.getloadavg()[0])
    cpu = tree_cpu(pid) if pid else None
    out.latencies, out.errors, out.seconds = run_clients(
        ex, base, "/sparql", text, clients, seconds, processes,
        unique=None if mode == "same" else str(tag),
    )  # fmt: skip
    if pid and cpu is not None:
        out.cpu = tree_cpu(pid) - cpu
    return out


def start(label: str, exe: str, store: Path, logs: Path, threads: int) -> subprocess.Popen[bytes]:
    port = free_port()
    env = dict(os.environ, **SERVER_ENV)
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / f"{label}.log").open("wb") as log:
        proc = subprocess.Popen(
            [exe, "--store", str(store), "serve", "--host", "127.0.0.1", "--port", str(port),
             "--threads", str(threads)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        )  # fmt: skip
    proc.base = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    problem = wait_until_answers(proc, f"{proc.base}/sparql?query=ASK%7B%7D", 120)  # type: ignore[attr-defined]
    if problem is not None:
        proc.kill()
        raise SystemExit(f"{label}: {problem}; see {logs / (label + '.log')}")
    wait_idle(proc.pid)
    return proc


def wait_idle(pid: int, most: float = 120.0) -> None:
    """Wait (``most`` seconds at most) until the server's processes use under a tenth of a
    core: after a start it writes the store's dumps once and probes the store in a worker
    (at 1 M, 20 s of CPU), which would otherwise be counted in the first passes."""
    end = time.monotonic() + most
    used = tree_cpu(pid)
    while time.monotonic() < end:
        time.sleep(1.0)
        now = tree_cpu(pid)
        if now - used < 0.1:
            return
        used = now


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.lookup", description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, help="the store every --server serves")
    ap.add_argument("--server", action="append", default=[], help="LABEL=competency-kg program")
    ap.add_argument("--url", action="append", default=[], help="LABEL=URL of a running server")
    ap.add_argument(
        "--pid", action="append", default=[], help="LABEL=PID of a --url server: count its CPU"
    )
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--processes", type=int, default=2, help="client processes")
    ap.add_argument("--threads", type=int, default=16, help="the servers' request threads")
    ap.add_argument("--modes", default="same,unique,worker")
    ap.add_argument(
        "--query",
        help="a query of bench.queries by name instead of the one-triple lookup (mode worker: "
        "only with the lookup)",
    )
    ap.add_argument("--logs", type=Path, default=Path("bench/results/lookup-logs"))
    args = ap.parse_args(argv)
    text = all_queries({args.query})[0].text if args.query else LOOKUP

    targets: list[tuple[str, str, int | None]] = []
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for spec in args.server:
            label, _, exe = spec.partition("=")
            if args.store is None:
                ap.error("--server needs --store")
            proc = start(label, exe, args.store, args.logs, args.threads)
            procs.append(proc)
            targets.append((label, proc.base, proc.pid))  # type: ignore[attr-defined]
        pids = {label: int(pid) for label, _, pid in (p.partition("=") for p in args.pid)}
        for spec in args.url:
            label, _, url = spec.partition("=")
            targets.append((label, url.rstrip("/"), pids.get(label)))
        if not targets:
            ap.error("give at least one --server or --url")
        passes: list[Pass] = []
        modes = [m for m in args.modes.split(",") if m]
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(args.processes, mp_context=ctx) as ex:
            for label, base, _ in targets:  # warm-up: the processes, the servers' workers
                run_pass(ex, label, base, "same", args.processes, 1.0, args.processes, 0)
            tag = 1
            for r in range(args.rounds):
                for mode in modes:
                    # A B, then B A: neither always runs second (the load drifts)
                    for label, base, pid in targets if r % 2 == 0 else targets[::-1]:
                        p = run_pass(
                            ex, label, base, mode, args.clients, args.seconds, args.processes,
                            tag, pid, text,
                        )  # fmt: skip
                        tag += 1
                        passes.append(p)
                        print(
                            f"round {r + 1} {mode:6} {label:10} {p.rate:8.0f} req/s  "
                            f"p50 {percentile(p.latencies, 0.5) * 1000:6.2f} ms  "
                            f"p95 {percentile(p.latencies, 0.95) * 1000:6.2f} ms  "
                            f"server CPU {p.cpu_per_request:5.2f} ms/req  "
                            f"load {p.load:5.2f}  errors {dict(p.errors) or 0}",
                            flush=True,
                        )
        print(
            "\nsummary (median req/s and server CPU per request of the passes; p95 of all "
            "their requests)"
        )
        for mode in modes:
            for label, _, _ in targets:
                mine = [p for p in passes if p.label == label and p.mode == mode]
                lat = [x for p in mine for x in p.latencies]
                errors = sum(sum(p.errors.values()) for p in mine)
                print(
                    f"{mode:6} {label:10} {statistics.median(p.rate for p in mine):8.0f} req/s  "
                    f"p95 {percentile(lat, 0.95) * 1000:6.2f} ms  "
                    f"server CPU {statistics.median(p.cpu_per_request for p in mine):5.2f} ms/req  "
                    f"errors {errors}  "
                    f"load {min(p.load for p in mine):.1f}-{max(p.load for p in mine):.1f}"
                )
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
