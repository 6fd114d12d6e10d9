"""A bounded load test over loopback: concurrent clients mixing SPARQL queries, page fetches,
runaway queries, memory-greedy queries and queries that would overflow the engine's stack,
against ``competency-kg serve --query-timeout 2 --query-memory 256M``, with 256 slow clients
(raw sockets sending a request a byte at a time) connected throughout. Each client has its own
loopback address (127.0.0.x), as the per-client share of the SPARQL workers counts addresses.

Passes when, counted by kind and status: every page and probe is answered 200; every normal
SPARQL query 200, or 503/429 with ``Retry-After`` when the pool was busy or the client's share
was taken (the design allows it: the query waited too long for a worker); every runaway query
503 after the timeout (its worker is killed and replaced); every memory-greedy query 503 naming
the memory limit; every crash-inducing query 400 naming the chain limit, before it runs; no
500 in the server's log, no worker crash in it; the summed resident memory of the server's
processes (sampled from ``/proc`` throughout) never above workers × ceiling + the web
processes + a margin; and afterwards a simple query answers at once and the query pool is
back to its full size (the server's processes counted in ``/proc``), and the memory grew by
less than :data:`MEMORY_GROWTH_BOUND` over the run.

12 normal and hostile clients and a probe for 15 s by default; 60 s with ``--runslow``.
"""

from __future__ import annotations

import collections
import json
import os
import random
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sparql_support
from sparql_support import (
    LoadedStore,
    Server,
    SlowClients,
    _descendants,
    cli,
    fetch,
    start_server,
    stop_server,
)

from competency_kg.query_pool import WRITTEN_NICENESS
from competency_kg.sparql.checks import MAX_QUERY_OPERATORS

from support import FIXTURES, SEEDS

#: Clients sending normal traffic (SPARQL queries and pages), after the hostile ones.
NORMAL_CLIENTS = 8
RUNAWAY_CLIENTS = 2
GREEDY_CLIENTS = 1
CRASH_CLIENTS = 1
HOSTILE = ["runaway"] * RUNAWAY_CLIENTS + ["greedy"] * GREEDY_CLIENTS + ["crash"] * CRASH_CLIENTS
CLIENTS = len(HOSTILE) + NORMAL_CLIENTS
QUERY_WORKERS = 4
THREADS = 8
TIMEOUT = 2.0
WARM_UP = 2.0
#: Each query worker's memory ceiling on the load server (a worker holds ~35 MB at rest; the
#: greedy query reaches this in about a second, well before the 2 s timeout).
QUERY_MEMORY = 256 << 20
#: Over workers × ceiling + the web processes' memory before the run, what the server's
#: processes may be seen to hold in all: a worker may overshoot its ceiling between two
#: looks of the pool (its backstop stopped one 92 MB over), a killed worker and its
#: replacement coexist for a moment, and the web process buffers 256 slow clients.
MEMORY_MARGIN = 256 << 20
#: How much the server and its children may grow over the measured run.
MEMORY_GROWTH_BOUND = 100 * 1024 * 1024
#: Slow connections held open (half in the header, half in the body) during the measured run.
SLOW_CONNECTIONS = 256
#: Answers of each kind that must have come in: a count, not a speed (speed is the bench's).
MIN_ANSWERED = 3
#: The server's defaults for the lanes of the query pool (the harness raises the per-client
#: share, since its other tests all come from 127.0.0.1), and the memory ceiling.
DEFAULT_SHARES = {
    "COMPETENCY_KG_QUERIES_PER_CLIENT": "",
    "COMPETENCY_KG_QUERY_MEMORY": str(QUERY_MEMORY),
}
#: What a worker crash (or a gunicorn worker's) leaves in the server's log.
CRASH_SIGNS = ("died while answering", "SIGSEGV", "Traceback", "WORKER TIMEOUT", "Worker (pid:")

PREFIXES = (
    "PREFIX ckg: <https://w3id.org/competency-kg/ontology#>\n"
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
)
QUERIES = [
    PREFIXES + "SELECT ?t (COUNT(?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY DESC(?n)",
    PREFIXES + "SELECT ?o ?label WHERE { ?o a ckg:Occupation ; skos:prefLabel ?label } LIMIT 50",
    PREFIXES + "ASK { ?o skos:notation '15-1232.00' }",
    PREFIXES + "DESCRIBE <https://w3id.org/competency-kg/occupation/15-1232.00>",
    PREFIXES + "SELECT ?s ?l WHERE { ?s skos:prefLabel ?l FILTER(REGEX(?l, 'net', 'i')) } LIMIT 20",
    PREFIXES + "CONSTRUCT { ?s skos:prefLabel ?l } WHERE { ?s skos:prefLabel ?l } LIMIT 100",
]
ACCEPTS = [
    "application/sparql-results+json, text/turtle;q=0.9",
    "application/sparql-results+xml, application/rdf+xml;q=0.9",
    "text/csv, application/n-triples;q=0.9",
]


def _values(variables: int, values: int) -> str:
    numbers = " ".join(str(j) for j in range(values))
    return " ".join(f"VALUES ?v{i} {{ {numbers} }}" for i in range(variables))


RUNAWAY = f"SELECT (COUNT(*) AS ?n) WHERE {{ {_values(5, 100)} }}"
#: The store joined with itself three times and sorted: memory grows without end.
GREEDY = (Path(__file__).resolve().parent / "hostile" / "sparql" / "memory-greedy.rq").read_text(
    encoding="utf-8"
)
#: Each crashed a worker (its stack overflowed) before the chain limit: refused, 400.
CRASH = [
    "ASK { FILTER(" + "+".join(["1"] * 10_000) + " > 0) }",
    "SELECT * WHERE { ?s " + "/".join(["<urn:x:p>"] * 10_000) + " ?o }",
]

#: Pages the mix fetches when the server has them (each is checked once before the run).
CANDIDATE_PAGES = [
    "/",
    "/class/occupation",
    "/class/competency",
    "/occupation/15-1232.00",
    "/competency/active-listening",
    "/search?q=network",
    "/search?q=network&format=json",
    "/validation",
    "/sparql",
    "/sparql/examples",
    "/.well-known/void",
    "/ontology",
    "/static/site.css",
    "/assets/yasgui/yasgui.min.css",
    "/compare?a=15-1232.00&b=15-1231.00",
]


@pytest.fixture(scope="module")
def load_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("load-store") / "store"
    sources = [
        SEEDS / "onet-extract",
        FIXTURES / "framework" / "nurse-framework.json",
        FIXTURES / "framework" / "welder-framework.json",
        FIXTURES / "overview" / "registered_nurse.txt",
    ]
    code, log = cli("load", *map(str, sources), store=store)
    assert code == 0, log
    return store


@pytest.fixture
def load_server(
    load_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Server]:
    monkeypatch.setattr(sparql_support, "QUERY_WORKERS", QUERY_WORKERS)
    server = start_server(LoadedStore(load_store), tmp_path, timeout=TIMEOUT, env=DEFAULT_SHARES)
    yield server
    stop_server(server)


# --------------------------------------------------------------------------- measuring
def rss(pids: set[int]) -> int:
    """Resident memory of these processes, in bytes (VmRSS from /proc)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def processes(server: Server) -> set[int]:
    """The server and every process under it (gunicorn worker, fork server, query workers)."""
    return {server.proc.pid, *_descendants(server.proc.pid)}


@dataclass
class Tally:
    """Answers counted by kind and status; what a kind must not get, listed."""

    statuses: collections.Counter[tuple[str, int | str]] = field(
        default_factory=collections.Counter
    )
    errors: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, status: int | str, seconds: float, problem: str | None) -> None:
        with self.lock:
            self.statuses[kind, status] += 1
            if problem:
                self.errors.append(f"{kind}: {status} {problem}")
            elif status == 200:
                self.latencies[kind].append(seconds)

    def count(self, kind: str, status: int | None = None) -> int:
        return sum(
            n
            for (k, s), n in self.statuses.items()
            if k == kind and (status is None or s == status)
        )

    def by_kind(self) -> dict[str, dict[int | str, int]]:
        table: dict[str, dict[int | str, int]] = collections.defaultdict(dict)
        for (kind, status), n in sorted(self.statuses.items(), key=str):
            table[kind][status] = n
        return dict(table)


def source(n: int) -> str:
    """Client ``n``'s own loopback address."""
    return f"127.0.0.{10 + n}"


def _post_query(server: Server, text: str, src: str | None) -> sparql_support.Reply:
    headers = {"Content-Type": "application/sparql-query"}
    return server.post(body=text, headers=headers, timeout=60, source=src)


def _busy(r: sparql_support.Reply) -> bool:
    """A busy pool (503) or a taken share (429): the design's answer to a query that waited
    too long for a worker, with Retry-After, and saying so."""
    return (
        r.status in (429, 503)
        and bool(r.headers.get("Retry-After"))
        and ("busy" in r.text or "share" in r.text)
    )


def _request(
    server: Server, kind: str, rng: random.Random, src: str | None = None
) -> tuple[int | str, float, str | None]:
    """Send one request of ``kind``: its status, how long it took, and what was wrong with the
    answer (None when it is what the design gives this kind)."""
    start = time.monotonic()
    problem: str | None = None
    try:
        if kind == "runaway":
            r = _post_query(server, RUNAWAY, src)
            # cut at the time limit; or, on a saturated pool, refused as busy (with Retry-After)
            if r.status != 503 or not ("exceeded" in r.text or _busy(r)):
                problem = r.text[:200]
        elif kind == "greedy":
            r = _post_query(server, GREEDY, src)
            if r.status == 503 and "exceeded the" in r.text and r.headers.get("Retry-After"):
                # Cut by the time limit before its ceiling: a SPARQL worker runs at nice 10,
                # so on a busy machine it grows more slowly (bounded either way). Counted apart:
                # a memory-limit answer must still come (at least one, below).
                return "503 (time limit)", time.monotonic() - start, None
            named = f"{QUERY_MEMORY >> 20} MB memory limit" in r.text
            if r.status != 503 or not named or not r.headers.get("Retry-After"):
                problem = r.text[:200]
        elif kind == "crash":
            r = _post_query(server, rng.choice(CRASH), src)
            if r.status != 400 or f"more than {MAX_QUERY_OPERATORS} in a chain" not in r.text:
                problem = r.text[:200]
        elif kind == "sparql":
            query, accept = rng.choice(QUERIES), rng.choice(ACCEPTS)
            if rng.random() < 0.5:
                r = server.get(
                    params={"query": query}, headers={"Accept": accept}, timeout=60, source=src
                )
            else:
                body = urllib.parse.urlencode({"query": query})
                headers = {"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"}
                r = server.post(body=body, headers=headers, timeout=60, source=src)
            if r.status != 200 and not _busy(r):
                problem = r.text[:200]
        else:  # a page, or the probe of "/"
            path = "/" if kind == "probe" else kind
            r = fetch(
                server.url, path, headers={"Accept": "text/html,*/*;q=0.8"}, timeout=60, source=src
            )
            if r.status != 200:
                problem = r.text[:200]
        status: int | str = r.status
    except OSError as exc:
        status, problem = f"{type(exc).__name__}: {exc}", "no answer"
    return status, time.monotonic() - start, problem


def run_mix(server: Server, pages: list[str], seconds: float, tally: Tally) -> None:
    """``CLIENTS`` threads for ``seconds``: the hostile clients (runaway, memory-greedy and
    crash-inducing queries, one kind each), mixed SPARQL/page clients, and a probe of ``/``
    every 0.2 s; each from its own address."""
    end = time.monotonic() + seconds

    def client(n: int) -> None:
        rng = random.Random(n)
        while time.monotonic() < end:
            if n < len(HOSTILE):
                kind = HOSTILE[n]
            else:
                kind = "sparql" if rng.random() < 0.5 else rng.choice(pages)
            status, took, problem = _request(server, kind, rng, source(n))
            named = kind if kind in ("sparql", *HOSTILE) else "page"
            tally.record(named, status, took, problem)

    def probe() -> None:
        rng = random.Random(-1)
        while time.monotonic() < end:
            tally.record("probe", *_request(server, "probe", rng, source(CLIENTS)))
            time.sleep(0.2)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    threads.append(threading.Thread(target=probe))
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)


class MemoryWatch:
    """Samples the summed resident memory of the server's processes from ``/proc`` every
    50 ms while in its ``with`` block; ``peak`` is the highest sum seen."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss(processes(self.server)))
            self.samples += 1
            self._stop.wait(0.05)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _pages_served(server: Server) -> list[str]:
    found = []
    for path in CANDIDATE_PAGES:
        if fetch(server.url, path, headers={"Accept": "text/html,*/*;q=0.8"}).status == 200:
            found.append(path)
    return found


# --------------------------------------------------------------------------- the test
@pytest.mark.parametrize(
    "seconds", [pytest.param(15, id="15s"), pytest.param(60, id="60s", marks=pytest.mark.slow)]
)
def test_mixed_load(load_server: Server, seconds: float) -> None:
    """Checked by breaking each promise once (then restored); every check is made and all
    that failed are reported together:

    - the server's ceiling raised to 4G (``COMPETENCY_KG_QUERY_MEMORY``): every greedy query
      got 503 "exceeded the 2 s limit", not the memory limit (peak 1,360 MB, under the bound);
      with the timeout raised to 8 s as well, the peak was 3,366 MB: over the bound too;
    - no stack check (``MAX_QUERY_OPERATORS`` a million in ``competency_kg/sparql/checks.py``):
      crash queries got 500 naming SIGSEGV, the log "query worker … died", no 400 counted.
    """
    server = load_server
    pages = _pages_served(server)
    assert len(pages) >= 5, f"too few pages to fetch: {pages}"

    workers = _wait_for_full_pool(server)
    assert len(workers) == QUERY_WORKERS
    run_mix(server, pages, WARM_UP, Tally())  # caches filled, every worker used once
    workers = _wait_for_full_pool(server)
    before = rss(processes(server))
    web = rss(processes(server) - workers)  # the arbiter, the gunicorn worker, the fork server
    memory_bound = QUERY_WORKERS * QUERY_MEMORY + web + MEMORY_MARGIN
    log_start = len(server.log())

    tally = Tally()
    with SlowClients(server.url, SLOW_CONNECTIONS) as slow, MemoryWatch(server) as memory:
        run_mix(server, pages, seconds, tally)
        still_open = slow.open

    # Nothing stuck: a simple query answers, and the pool is back to its full size.
    # From its own address: the slow clients' bodies, cut short when they closed, are being
    # answered (400) as 127.0.0.1's, which may have its share of workers busy just now.
    reply = server.get(params={"query": "ASK {}"}, timeout=10, source="127.0.4.2")
    workers = _wait_for_full_pool(server)
    after = rss(processes(server))
    log = server.log()[log_start:]

    def ms(kind: str, q: float) -> str:
        return f"{_percentile(tally.latencies[kind], q) * 1000:.0f}"

    summary = (
        f"answers by kind and status {tally.by_kind()}; pages: {pages}; latency of 200s p50/p95: "
        + ", ".join(f"{k} {ms(k, 0.5)}/{ms(k, 0.95)} ms" for k in ("probe", "page", "sparql"))
        + f"; RSS peak {memory.peak / 2**20:.0f} MB of {memory.samples} samples (bound "
        f"{memory_bound / 2**20:.0f} MB: {QUERY_WORKERS} × {QUERY_MEMORY >> 20} MB + web "
        f"{web / 2**20:.0f} MB + {MEMORY_MARGIN >> 20} MB); RSS {before / 2**20:.0f} → "
        f"{after / 2**20:.0f} MB; {len(workers)} query workers; {still_open} of "
        f"{SLOW_CONNECTIONS} slow connections held open throughout"
    )
    print(summary)
    # Every check is made, and all that failed are reported together.
    crashes = [line for line in log.splitlines() if any(s in line for s in CRASH_SIGNS)]
    failed = [
        f"{len(tally.errors)} wrong answers: {tally.errors[:10]}" if tally.errors else "",
        "a 500 in the log" if "status=500" in log else "",
        f"a worker crashed: {crashes[:5]}" if crashes else "",
        f"memory peak {memory.peak >> 20} MB over the bound" if memory.peak > memory_bound else "",
        f"memory grew by {(after - before) >> 20} MB"
        if after - before >= MEMORY_GROWTH_BOUND
        else "",
        # The slow clients were really there, holding their connections (none timed out).
        f"{still_open} slow connections open" if still_open != SLOW_CONNECTIONS else "",
        "the query after the run was not answered"
        if reply.status != 200 or json.loads(reply.body)["boolean"] is not True
        else "",
        # A count, not a speed: each kind was sent and answered as it should be.
        *(
            f"too few {kind} answered {status}"
            for kind, status in [
                ("probe", 200),
                ("page", 200),
                ("sparql", 200),
                ("runaway", 503),
                ("greedy", 503),
                ("crash", 400),
            ]
            # one memory-limit answer proves the ceiling; the time limit may cut the others
            if tally.count(kind, status) < (1 if kind == "greedy" else MIN_ANSWERED)
        ),
    ]
    failed = [f for f in failed if f]
    assert not failed, "\n".join(failed) + "\n" + summary


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


def query_workers(server: Server) -> set[int]:
    """The pool's worker processes: the children of the server's multiprocessing fork server
    (gunicorn arbiter → gunicorn worker → fork server → query workers)."""
    procs = _descendants(server.proc.pid)
    return {p for p in procs if "multiprocessing.forkserver" in _cmdline(_parent(p))}


def _wait_for_full_pool(server: Server, within: float = 20.0) -> set[int]:
    """Wait until the pool has exactly ``QUERY_WORKERS`` live workers and no process under
    the server is a zombie; the workers."""
    deadline = time.monotonic() + within
    while True:
        workers = query_workers(server)
        zombies = [p for p in _descendants(server.proc.pid) if _state(p) == "Z"]
        live = {p for p in workers if _state(p) not in ("Z", "gone")}
        if len(live) == QUERY_WORKERS and not zombies:
            return live
        assert time.monotonic() < deadline, (
            f"{len(live)} live query workers ({len(zombies)} zombies), expected "
            f"{QUERY_WORKERS}: a worker was not replaced"
        )
        time.sleep(0.2)


# --------------------------------------------------------------------------- starvation
#: Clients sending runaway queries: more than there are workers.
SPARQL_HOGS = QUERY_WORKERS + 2
STARVE_SECONDS = 8.0
PROBE_BOUND = 5.0  # seconds: a probe slower than this counts as unanswered
#: Seconds under which 95 % of the pages must be answered: generous (the goal is 200 ms; about
#: 250 ms was measured on a busy 2-core machine), but far under the seconds pages waited when
#: runaway queries could take every worker.
PAGE_P95_BOUND = 1.5


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def test_slow_clients_and_runaway_queries_starve_nothing(load_server: Server) -> None:
    """256 slow connections, runaway queries from more clients than there are workers, and a
    greedy client sending three at once: probes and pages are all answered (each within
    5 s, a generous bound), and the greedy client's third query is refused with 429 and
    ``Retry-After`` (two is its share of the three SPARQL workers).

    Checked by breaking each fix once (then restored):
    - the plain gthread worker (``"worker_class": "gthread"`` in ``web/server.py``): no probe
      answered (every probe timed out after 5 s);
    - no workers left to pages (``COMPETENCY_KG_PAGE_WORKERS=0``): pages waited behind the
      runaway queries (two runs: p95 2.6 s; p95 0.96 s with one page after 5.4 s);
    - no per-client share (``COMPETENCY_KG_QUERIES_PER_CLIENT=99``): the greedy client's
      third query ran, and got 503 after the 2 s timeout, not 429;
    - SPARQL workers at the page workers' priority (``WRITTEN_NICENESS = 0`` in
      ``competency_kg/query_pool.py``): the priority assertion fails, and pages were slower
      (two runs each, alternated, with six other jobs on the machine: page p95 348 and 309 ms
      against 120 and 124 ms at nice 10).
    """
    server = load_server
    # The site's cached and simple pages (a comparison computes for seconds even alone).
    pages = [p for p in _pages_served(server) if p != "/sparql" and not p.startswith("/compare")]
    assert len(pages) >= 5, f"too few pages to fetch: {pages}"
    workers = _wait_for_full_pool(server)
    # The worker kept for pages runs at the server's priority, the SPARQL workers below it, so
    # that runaway queries leave pages the CPU (Linux's fair scheduler weighs nice 10 at ~1/9).
    base = os.getpriority(os.PRIO_PROCESS, server.proc.pid)
    niceness = sorted(os.getpriority(os.PRIO_PROCESS, pid) - base for pid in workers)
    assert niceness == [0] + [WRITTEN_NICENESS] * (QUERY_WORKERS - 1), niceness
    assert WRITTEN_NICENESS >= 5, "a nice value under 5 leaves pages too little of the CPU"
    stop = threading.Event()
    hog_statuses: collections.Counter[int | str] = collections.Counter()
    greedy: list[int | str] = []

    def runaway(src: str) -> int | str:
        try:
            headers = {"Content-Type": "application/sparql-query"}
            return server.post(body=RUNAWAY, headers=headers, timeout=60, source=src).status
        except OSError as exc:
            return type(exc).__name__

    def hog(n: int) -> None:
        while not stop.is_set():
            hog_statuses[runaway(f"127.0.1.{n}")] += 1

    def greedy_query() -> None:
        greedy.append(runaway("127.0.2.1"))

    page_latencies: list[float] = []
    slowest: list[tuple[float, str]] = []
    page_problems: list[str] = []
    probes: list[float] = []

    def page_client(n: int) -> None:
        rng = random.Random(n)
        end = time.monotonic() + STARVE_SECONDS
        while time.monotonic() < end:
            path = rng.choice(pages)
            start = time.monotonic()
            try:
                r = fetch(server.url, path, timeout=60, source=f"127.0.3.{n}")
                status: int | str = r.status
            except OSError as exc:
                status = type(exc).__name__
            if status == 200 and r.elapsed < PROBE_BOUND:
                page_latencies.append(r.elapsed)
                slowest.append((round(r.elapsed, 2), path))
            else:
                page_problems.append(f"{path}: {status} after {time.monotonic() - start:.1f} s")

    with SlowClients(server.url, SLOW_CONNECTIONS) as slow:
        first_two = [threading.Thread(target=greedy_query) for _ in range(2)]
        for t in first_two:
            t.start()
        time.sleep(0.5)  # two of the three SPARQL workers busy with its runaway queries
        third = server.post(
            body=RUNAWAY,
            headers={"Content-Type": "application/sparql-query"},
            timeout=30,
            source="127.0.2.1",
        )
        hogs = [threading.Thread(target=hog, args=(n,)) for n in range(SPARQL_HOGS)]
        for t in hogs:
            t.start()
        time.sleep(1.0)  # every SPARQL worker busy with a runaway query
        readers = [threading.Thread(target=page_client, args=(n,)) for n in range(3)]
        for t in readers:
            t.start()
        while any(t.is_alive() for t in readers):
            try:
                probes.append(fetch(server.url, "/", timeout=PROBE_BOUND).elapsed)
            except OSError:
                probes.append(float("inf"))
            time.sleep(0.25)
        stop.set()
        for t in [*readers, *first_two, *hogs]:
            t.join(60)
        still_open = slow.open

    answered = [p for p in probes if p < PROBE_BOUND]
    summary = (
        f"probes {len(answered)}/{len(probes)} answered (p50 {_percentile(probes, 0.5) * 1000:.0f}"
        f" ms, max {max(probes) * 1000:.0f} ms); pages {len(page_latencies)} answered, "
        f"{len(page_problems)} not (p50 {_percentile(page_latencies, 0.5) * 1000:.0f} ms, "
        f"p95 {_percentile(page_latencies, 0.95) * 1000:.0f} ms); runaway queries "
        f"{dict(hog_statuses)}; greedy client {greedy} then {third.status}; "
        f"{still_open}/{SLOW_CONNECTIONS} slow connections open; slowest pages "
        f"{sorted(slowest, reverse=True)[:4]}"
    )
    print(summary)
    assert probes and len(answered) == len(probes), summary
    assert page_problems == [] and len(page_latencies) >= 10, summary
    assert _percentile(page_latencies, 0.95) < PAGE_P95_BOUND, summary
    assert third.status == 429 and third.headers.get("Retry-After"), summary
    assert "share" in third.text, third.text
    assert set(hog_statuses) == {503}, summary  # cancelled, or told to come back
    assert still_open == SLOW_CONNECTIONS, summary
    # (From its own address: the slow clients' bodies, cut short when they closed, are being
    # answered, 400, as 127.0.0.1's.)
    assert server.get(params={"query": "ASK {}"}, timeout=30, source="127.0.4.1").status == 200
