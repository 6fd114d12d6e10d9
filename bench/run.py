"""The measurements: queries side by side, dereferencing, loads and dumps, SHACL, concurrency."""

from __future__ import annotations

import json
import random
import statistics
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.answers import Answer, read_answer
from bench.client import Client, Reply, run_clients
from bench.queries import BASE, RUNAWAY, SIMPLE, BenchQuery
from bench.servers import Server

Say = Callable[[str], None]


def pct(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``; NaN when there are none."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))
    return s[k]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --------------------------------------------------------------------------- queries
@dataclass
class Sample:
    seconds: list[float] = field(default_factory=list)
    status: int = 0
    size: int = -1  # rows (SELECT), 1/0 (ASK) or triples (graph); -1 unknown
    note: str = ""  # "timeout", "error 500: …", "1 run (over the cap)"
    answer: Answer | None = None  # the first answer (:mod:`bench.answers`)
    #: How this peer's answer differs from ours ("" when it is the same; never set on ours).
    differs: str = ""

    @property
    def right(self) -> bool:
        """Answered, with our answer: the only samples a speed ratio counts."""
        return self.ok and not self.differs

    @property
    def median(self) -> float:
        return median(self.seconds)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and bool(self.seconds)


def result_size(body: bytes, accept: str) -> int:
    try:
        if accept.endswith("json"):
            d = json.loads(body)
            if "boolean" in d:
                return int(bool(d["boolean"]))
            return len(d["results"]["bindings"])
        return sum(1 for line in body.splitlines() if line.strip() and not line.startswith(b"#"))
    except (ValueError, KeyError, TypeError):
        return -1


def run_queries(
    servers: list[Server],
    queries: list[BenchQuery],
    rounds: int,
    *,
    cap: float,
    timeout: float,
    say: Say,
    restart: Callable[[Server], Server] | None = None,
) -> dict[str, dict[str, Sample]]:
    """Each query on each system: one warm-up run, then ``rounds`` interleaved rounds, each
    round's text its own (a comment with the round), so no answer kept of an earlier round
    answers it.

    A system whose warm-up run took longer than ``cap`` seconds is not run again for that
    query (its one run is its time). A request that runs past ``timeout`` is recorded as a
    timeout and the server restarted (rdflib-endpoint cannot cancel a query).
    """
    results: dict[str, dict[str, Sample]] = {q.name: {} for q in queries}
    clients = {s.name: Client(s.base, timeout=timeout) for s in servers}
    live = {s.name: s for s in servers}
    for r in range(rounds + 1):
        say(f"queries: {'warm-up' if r == 0 else f'round {r}/{rounds}'}")
        for q in queries:
            order = list(live.values())
            shift = r % len(order)
            order = order[shift:] + order[:shift]
            for s in order:
                sample = results[q.name].setdefault(s.name, Sample())
                if r > 0 and (sample.note or not 200 <= sample.status < 300):
                    continue
                # a text no round has sent: every round is a first run for every system
                # (our answer cache keeps answers per query text; the peers keep none)
                text = f"# round {r}\n{q.text}"
                try:
                    reply = clients[s.name].sparql(s.endpoint, text, q.accept, s.dataset)
                except TimeoutError:
                    sample.note = f"timeout (>{timeout:g} s)"
                    sample.status = 0
                    clients[s.name].close()
                    say(f"  {q.name} on {s.label}: timed out; restarting it")
                    if restart is not None:
                        live[s.name] = restart(live[s.name])
                        clients[s.name] = Client(live[s.name].base, timeout=timeout)
                    continue
                sample.status = reply.status
                if not 200 <= reply.status < 300:
                    text = reply.body[:160].decode("utf-8", "replace").strip().replace("\n", " ")
                    sample.note = f"HTTP {reply.status}: {text}"
                    continue
                sample.size = result_size(reply.body, q.accept)
                if sample.answer is None:
                    sample.answer = read_answer(reply.body, q.accept)
                if r == 0:
                    if reply.seconds > cap:
                        sample.seconds = [reply.seconds]
                        sample.note = "1 run (over the cap)"
                    continue
                sample.seconds.append(reply.seconds)
    for c in clients.values():
        c.close()
    compare_answers(results)
    return results


def compare_answers(results: dict[str, dict[str, Sample]]) -> None:
    """Mark each peer's answer that is not ours (:attr:`Sample.differs`)."""
    for per in results.values():
        ours = per.get("ours")
        for name, sample in per.items():
            if name == "ours" or not sample.ok or ours is None or not ours.ok:
                continue
            if sample.answer is None or ours.answer is None:
                sample.differs = "answer unreadable"
            else:
                sample.differs = sample.answer.differs_from(ours.answer)


# --------------------------------------------------------------------------- dereferencing
def sample_resources(server: Server, per_class: int, seed: int = 1) -> list[str]:
    """IRIs under the data base of several classes, taken from the store through SPARQL."""
    classes = (
        "Occupation", "Competency", "CompetencyStatement", "CompetencyRequirement",
        "WorkScenario", "Tool", "JobTitle", "ElementRating", "ContentModelElement",
    )  # fmt: skip
    c = Client(server.base, timeout=60)
    out: list[str] = []
    for cls in classes:
        q = (
            f"SELECT ?s WHERE {{ ?s a <https://w3id.org/competency-kg/ontology#{cls}> "
            f'FILTER STRSTARTS(STR(?s), "{BASE}") }} LIMIT {per_class * 20}'
        )
        reply = c.sparql(server.endpoint, q, "application/sparql-results+json")
        if reply.status != 200:
            continue
        rows = [b["s"]["value"] for b in json.loads(reply.body)["results"]["bindings"]]
        rng = random.Random(f"{seed}:{cls}")
        out += rng.sample(rows, min(per_class, len(rows)))
    c.close()
    return out


@dataclass
class DerefResult:
    fmt: str
    seconds: list[float] = field(default_factory=list)  # first fetch of each resource
    repeat: list[float] = field(default_factory=list)  # later fetches (caches warm)
    statuses: Counter[int] = field(default_factory=Counter)
    bytes: int = 0


def deref(server: Server, iris: list[str], say: Say, rounds: int = 2) -> dict[str, DerefResult]:
    """GET each resource's own URL on our server, as HTML and as Turtle."""
    c = Client(server.base, timeout=60)
    out = {f: DerefResult(f) for f in ("text/html", "text/turtle")}
    for r in range(rounds):
        for iri in iris:
            path = "/" + iri[len(BASE) :]
            for fmt, res in out.items():
                reply = c.get(path, fmt)
                res.statuses[reply.status] += 1
                if reply.status == 200:
                    (res.seconds if r == 0 else res.repeat).append(reply.seconds)
                    res.bytes += len(reply.body) if r == 0 else 0
        say(f"dereferencing: pass {r + 1}/{rounds} done")
    c.close()
    return out


#: What an analyst types into the search box (autocomplete, as JSON).
SEARCH_TERMS = (
    "network", "nurse", "data", "customer service", "weld", "software developers", "safety",
    "15-1232", "teach", "repair",
)  # fmt: skip


def site_features(
    server: Server, occupations: list[tuple[str, str]], say: Say, rounds: int = 2, pairs: int = 10
) -> dict[str, DerefResult]:
    """Time the search (``/search?format=json``) and the comparison of two occupations
    (``/compare?a=…&b=…&format=json``) on our server, first fetch and repeat."""
    c = Client(server.base, timeout=120)
    codes = [code for _, code in occupations]
    chosen = [(codes[i], codes[-1 - i]) for i in range(min(pairs, len(codes) // 2))]
    out = {k: DerefResult(k) for k in ("search (JSON)", "compare (JSON)")}
    for r in range(rounds):
        for term in SEARCH_TERMS:
            path = "/search?" + urllib.parse.urlencode({"q": term, "format": "json"})
            _record(out["search (JSON)"], c.get(path, "application/json"), r)
        for a, b in chosen:
            path = "/compare?" + urllib.parse.urlencode({"a": a, "b": b, "format": "json"})
            _record(out["compare (JSON)"], c.get(path, "application/json"), r)
        say(f"search and comparison: pass {r + 1}/{rounds} done")
    c.close()
    return out


def _record(res: DerefResult, reply: Reply, round_: int) -> None:
    res.statuses[reply.status] += 1
    if reply.status == 200:
        (res.seconds if round_ == 0 else res.repeat).append(reply.seconds)


def describe_times(server: Server, iris: list[str]) -> list[float]:
    """DESCRIBE of each resource as Turtle through a SPARQL endpoint (a reference point)."""
    c = Client(server.base, timeout=60)
    times = []
    for iri in iris:
        reply = c.sparql(server.endpoint, f"DESCRIBE <{iri}>", "text/turtle")
        if reply.status == 200:
            times.append(reply.seconds)
    c.close()
    return times


# --------------------------------------------------------------------------- concurrency
@dataclass
class LoadResult:
    label: str
    seconds: float
    clients: int
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    runaway: Counter[str] = field(default_factory=Counter)

    @property
    def completed(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def throughput(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    def all_latencies(self, prefix: str = "") -> list[float]:
        return [x for k, v in self.latencies.items() if k.startswith(prefix) for x in v]


def concurrent_load(
    server: Server,
    *,
    clients: int,
    seconds: float,
    occupations: list[tuple[str, str]],
    pages: list[str],
    runaway: bool,
    label: str,
) -> LoadResult:
    """``clients`` threads send a mix of simple queries and page fetches for ``seconds``.

    With ``runaway``, one more client keeps sending a query that never finishes in time, so
    the server is always busy cutting one. Latencies are kept per operation kind.
    """
    result = LoadResult(label, seconds, clients)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    ops: list[tuple[str, float]] = [(f"query:{k}", 2.0) for k in SIMPLE]
    if pages:
        ops += [("page:html", 1.5), ("page:turtle", 1.5)]

    def worker(n: int) -> None:
        rng = random.Random(n)
        c = Client(server.base, timeout=60)
        kinds, weights = zip(*ops, strict=True)
        while time.monotonic() < stop_at:
            kind = rng.choices(kinds, weights)[0]
            iri, code = rng.choice(occupations)
            try:
                if kind.startswith("query:"):
                    text = SIMPLE[kind[6:]].format(iri=f"<{iri}>", code=code)
                    reply = c.sparql(
                        server.endpoint, text, "application/sparql-results+json", server.dataset
                    )
                else:
                    path = "/" + rng.choice(pages)[len(BASE) :]
                    accept = "text/html" if kind == "page:html" else "text/turtle"
                    reply = c.get(path, accept)
            except Exception as exc:
                with lock:
                    result.errors[f"{kind}: {type(exc).__name__}"] += 1
                c.close()
                continue
            with lock:
                if reply.status == 200:
                    result.latencies.setdefault(kind, []).append(reply.seconds)
                else:
                    result.errors[f"{kind}: HTTP {reply.status}"] += 1
        c.close()

    def hog() -> None:
        c = Client(server.base, timeout=120)
        while time.monotonic() < stop_at:
            try:
                reply = c.sparql(
                    server.endpoint, RUNAWAY, "application/sparql-results+json", server.dataset
                )
                with lock:
                    result.runaway[f"HTTP {reply.status}"] += 1
            except Exception as exc:
                with lock:
                    result.runaway[type(exc).__name__] += 1
                c.close()
        c.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    if runaway:
        threads.append(threading.Thread(target=hog, daemon=True))
        threads[-1].start()
        time.sleep(0.5)  # the runaway query is running before the clients start
    started = time.monotonic()
    for t in threads[:clients]:
        t.start()
    for t in threads[:clients]:
        t.join(seconds + 90)
    result.seconds = time.monotonic() - started
    if runaway:
        threads[-1].join(15)  # a server that cannot cut it is stopped by the caller
        if threads[-1].is_alive():
            result.runaway["still running 15 s after the clients stopped"] += 1
    return result


# --------------------------------------------------------------------------- throughput
#: The two kinds of throughput pass: the same text every time (answers that repeat: a cache
#: per store version may answer them), and a different text each time (a comment with a
#: counter: no answer kept per text helps; the look-up itself, every time).
HIT, MISS = "hit", "miss"
KINDS = {HIT: "the same text every request", MISS: "a different text every request"}


@dataclass
class Throughput:
    """The one-triple lookup sent by ``clients`` clients for ``seconds``, back to back:
    the same text each time (``kind`` :data:`HIT`) or a different one (:data:`MISS`)."""

    label: str
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    note: str = ""
    kind: str = HIT

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def throughput(
    server: Server, query: str, *, clients: int, seconds: float, label: str, processes: int = 2,
    note: str = "", kind: str = HIT,
) -> Throughput:  # fmt: skip
    """``clients`` clients (threads spread over ``processes`` client processes, so that the
    client is not held to one core by Python's GIL) send the one-triple lookup for
    ``seconds``, its text the same every time or (``kind`` :data:`MISS`) never the same.
    Requests per second counts 200 answers only; errors are counted apart."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as ex:
        # A warm-up request per process (spawning takes longer than a request).
        run_clients(ex, server.base, server.endpoint, query, processes, 0.2, processes,
                    dataset=server.dataset)  # fmt: skip
        out = Throughput(label, clients, seconds, note=note, kind=kind)
        out.latencies, out.errors, out.seconds = run_clients(
            ex, server.base, server.endpoint, query, clients, seconds, processes,
            dataset=server.dataset, unique=f"{label}-{time.time_ns()}" if kind == MISS else None,
        )  # fmt: skip
    return out


# --------------------------------------------------------------------------- loads and dumps
@dataclass
class Timed:
    what: str
    system: str
    triples: int
    seconds: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.triples / self.seconds if self.seconds else 0.0


def count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            n += chunk.count(b"\n")
    return n


def ntriples_loads(ntriples: Path, work: Path, say: Say) -> list[Timed]:
    """N-Triples into the embedded store: our ``bulk_replace``, and ``bulk_load`` lenient."""
    import shutil

    import pyoxigraph as ox
    from rdflib import URIRef

    from competency_kg.store.embedded import EmbeddedStore

    triples = count_lines(ntriples)
    out = []
    graph = URIRef(BASE + "graph/bench-load")
    for attempt in ("bulk_replace", "lenient"):
        folder = work / f"load-{attempt}"
        if folder.exists():
            shutil.rmtree(folder)
        extras = [folder.with_name(folder.name + x) for x in (".checkpoint", ".versions")]
        for extra in extras:
            if extra.exists():
                shutil.rmtree(extra)
        t = time.perf_counter()
        if attempt == "bulk_replace":
            store = EmbeddedStore(folder)
            store.bulk_replace(graph, ntriples)
            store.close()
            what = "EmbeddedStore.bulk_replace (competency-kg)"
        else:
            s = ox.Store(str(folder))
            s.bulk_load(
                path=str(ntriples),
                format=ox.RdfFormat.N_TRIPLES,
                to_graph=ox.NamedNode(str(graph)),
                lenient=True,
            )
            s.flush()
            del s
            what = "pyoxigraph bulk_load(lenient=True) (proposed)"
        seconds = time.perf_counter() - t
        out.append(Timed(what, "ours", triples, seconds))
        say(f"load: {what}: {triples / seconds:,.0f} triples/s")
        for done in (folder, *extras):
            shutil.rmtree(done, ignore_errors=True)
    return out


def dumps(store_path: Path, oxigraph_location: Path | None, work: Path, say: Say) -> list[Timed]:
    """A full N-Quads dump: our export path, pyoxigraph's own dump, the Oxigraph CLI."""
    import os
    import subprocess

    import pyoxigraph as ox

    from bench.servers import executable
    from competency_kg.store.embedded import EmbeddedStore

    out = []
    target = work / "dump.nq"
    store = EmbeddedStore(store_path, read_only=True)
    t = time.perf_counter()
    with target.open("wb") as f:
        store.dump(f, "application/n-quads")
    out.append(
        Timed("competency-kg export (EmbeddedStore.dump)", "ours", 0, time.perf_counter() - t)
    )
    raw = store.oxigraph
    t = time.perf_counter()
    with target.open("wb") as f:
        raw.dump(f, ox.RdfFormat.N_QUADS)
    out.append(Timed("pyoxigraph Store.dump (proposed)", "ours", 0, time.perf_counter() - t))
    store.close()
    quads = count_lines(target)
    if oxigraph_location is not None:
        t = time.perf_counter()
        subprocess.run(
            [executable("oxigraph"), "dump", "--location", str(oxigraph_location),
             "--file", str(target)],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=dict(os.environ, RUST_LOG="warn"),
        )  # fmt: skip
        out.append(Timed("oxigraph dump (CLI)", "oxigraph", 0, time.perf_counter() - t))
    target.unlink(missing_ok=True)
    for x in out:
        x.triples = quads
        say(f"dump: {x.what}: {x.seconds:.2f} s")
    return out
