"""``python -m bench.career STORE [--related FILE] [--http]``: the figures of docs/career.md.

On a store holding an O*NET release (the whole one for the documented figures):

- the build of the match data and the transition graph once the comparison's profiles are
  read: seconds, then peak and kept Python memory (tracemalloc) in a second build apart, with
  the graph's size;
- the agreement with O*NET's "Related Occupations" (the yardstick the transitions never read):
  for each occupation O*NET lists related occupations for, the share of them among its top-10
  transitions (cheapest first) and among its 10 most similar occupations; the mean share. The
  related pairs come from ``--related`` (O*NET's ``Related Occupations.txt``, read here by
  itself) or else from the store's ``ckg:relatedOccupation``;
- the similarity of related pairs against random pairs (why the threshold);
- with ``--http``: p50/p95 of ``/match`` with 10 competencies and of ``/pathway`` over HTTP
  against ``competency-kg serve`` on the store, warm (each request sent once before timing).
  Never a timed test: these are measurements to report.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import time
import tracemalloc
import urllib.parse
import urllib.request
from pathlib import Path

from bench import servers
from competency_kg import career
from competency_kg.career.data import build_career_data
from competency_kg.career.pathways import build_graph
from competency_kg.compare.index import occupation_index
from competency_kg.compare.queries import StoreRunner, store_state
from competency_kg.compare.scoring import similarity
from competency_kg.iris import Minter
from competency_kg.store import open_store

BASE = "https://w3id.org/competency-kg/"


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def related_pairs(path: Path | None, store: object) -> dict[str, set[str]]:
    """O*NET-SOC code → the codes O*NET lists as related."""
    out: dict[str, set[str]] = {}
    if path is not None:
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                out.setdefault(row["O*NET-SOC Code"], set()).add(row["Related O*NET-SOC Code"])
        return out
    q = (
        "PREFIX ckg: <https://w3id.org/competency-kg/ontology#>\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "SELECT DISTINCT ?a ?b WHERE { ?o ckg:relatedOccupation ?r ; skos:notation ?a . "
        "?r skos:notation ?b }"
    )
    for r in store.select(q):  # type: ignore[attr-defined]
        out.setdefault(str(r["a"]), set()).add(str(r["b"]))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.career")
    ap.add_argument("store")
    ap.add_argument("--related", type=Path, help="O*NET's Related Occupations.txt")
    ap.add_argument("--http", action="store_true", help="measure /match and /pathway over HTTP")
    ap.add_argument("--requests", type=int, default=40)
    args = ap.parse_args(argv)
    say = print
    minter = Minter()
    store = open_store(args.store, read_only=True)
    runner = StoreRunner(store)
    state = store_state(runner, minter)
    t = time.perf_counter()
    index = occupation_index(runner, minter, state)
    say(
        f"comparison profiles: {len(index.clusters)} occupations in {time.perf_counter() - t:.1f} s"
    )
    # wall and CPU seconds: on a shared machine the CPU time is the steadier figure
    t, c = time.perf_counter(), time.process_time()
    data = career.career_data(runner, minter, state)
    t_data, c_data = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    graph = career.transition_graph(runner, minter, state)
    t_graph, c_graph = time.perf_counter() - t, time.process_time() - c
    # Memory in a second build of each, apart: tracemalloc slows allocating code several
    # times over (the graph's first figure, 217 s, was timed under it; the packed integers
    # of career.nearest are slowed even more).
    tracemalloc.start()
    again = build_career_data(runner, minter, state)
    _, peak_data = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    kept = build_graph(again)
    current, peak_graph = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [[(e.target, e.similarity, e.cost) for e in out] for out in kept.edges] == [
        [(e.target, e.similarity, e.cost) for e in out] for out in graph.edges
    ]
    del again, kept
    say(f"match data: {t_data:.1f} s ({c_data:.1f} s CPU), peak {peak_data / 2**20:.0f} MiB")
    say(
        f"transition graph: {t_graph:.1f} s ({c_graph:.1f} s CPU), peak "
        f"{(peak_graph - before) / 2**20:.0f} MiB above the data, held "
        f"{(current - before) / 2**20:.1f} MiB; {graph.edge_count()} "
        f"transitions, {sum(1 for e in graph.edges if e)} occupations with at least one"
    )

    codes = {c.code: i for i, c in enumerate(data.index.clusters) if c.code}
    related = related_pairs(args.related, store)
    shares_t, shares_s, sims, misses = [], [], [], []
    for code, rel in sorted(related.items()):
        i = codes.get(code)
        rel_i = {codes[r] for r in rel if r in codes}
        if i is None or not rel_i:
            continue
        top_t = {e.target for e in graph.edges[i][:10]}
        by_sim = sorted(graph.edges[i], key=lambda e: -e.similarity)[:10]
        top_s = {e.target for e in by_sim}
        shares_t.append(len(rel_i & top_t) / len(rel_i))
        shares_s.append(len(rel_i & top_s) / len(rel_i))
        for j in rel_i:
            s = similarity(data.index.clusters[i].profile, data.index.clusters[j].profile).score
            if s is not None:
                sims.append(s)
            if j not in top_t:
                misses.append((code, data.index.clusters[j].code, s))
    rnd = random.Random(1)
    n = len(data.index.clusters)
    rand_sims = []
    for _ in range(5000):
        a, b = rnd.randrange(n), rnd.randrange(n)
        s = similarity(data.index.clusters[a].profile, data.index.clusters[b].profile).score
        if a != b and s is not None:
            rand_sims.append(s)
    say(
        f"agreement with O*NET Related Occupations ({len(shares_t)} occupations): mean share "
        f"among the top-10 transitions {statistics.mean(shares_t):.3f}; among the 10 most "
        f"similar transitions {statistics.mean(shares_s):.3f}"
    )
    if sims:
        say(
            f"similarity of related pairs: median {statistics.median(sims):.3f}, p10 "
            f"{pct(sims, 10):.3f}, p25 {pct(sims, 25):.3f}; share >= {career.THRESHOLD}: "
            f"{sum(s >= career.THRESHOLD for s in sims) / len(sims):.3f}"
        )
        say(
            f"similarity of random pairs: median {statistics.median(rand_sims):.3f}, p90 "
            f"{pct(rand_sims, 90):.3f}, p99 {pct(rand_sims, 99):.3f}"
        )
    low = sorted((m for m in misses if m[2] is not None), key=lambda m: m[2])[:5]
    say("related pairs the transitions miss, lowest similarity first: " + "; ".join(
        f"{a} → {b} ({s:.2f})" for a, b, s in low))  # fmt: skip
    store.close()
    if args.http:
        http(Path(args.store), data, args.requests, say)
    return 0


def http(store: Path, data: career.CareerData, requests: int, say: object) -> None:
    """p50/p95 of /match (10 competencies) and /pathway over HTTP, warm."""
    import tempfile

    logs = Path(tempfile.mkdtemp(prefix="career-bench-"))
    server = servers.start_ours(store, logs)
    try:
        rnd = random.Random(2)
        names = sorted({data.label(k) for needs in data.needs for k, n in needs.items()
                        if n.required})  # fmt: skip
        coded = [c.code for c in data.index.clusters if c.code]
        matches = []
        for _ in range(requests):
            picked = rnd.sample(names, 10)
            q = urllib.parse.urlencode([("competency", x) for x in picked] + [("format", "json")])
            matches.append("/match?" + q)
        paths = [
            "/pathway?" + urllib.parse.urlencode(
                {"a": rnd.choice(coded), "b": rnd.choice(coded), "format": "json"})
            for _ in range(requests)
        ]  # fmt: skip
        for name, urls in (("match", matches), ("pathway", paths)):
            get(server.base + urls[0], timeout=600)  # builds the data and the graph once
            for u in urls:  # warm: each request once
                get(server.base + u)
            times = []
            for u in urls:
                t = time.perf_counter()
                get(server.base + u)
                times.append((time.perf_counter() - t) * 1000)
            print(
                f"HTTP {name} ({len(urls)} requests, warm): p50 {statistics.median(times):.0f} "
                f"ms, p95 {pct(times, 95):.0f} ms, max {max(times):.0f} ms"
            )
    finally:
        servers.stop(server)


def get(url: str, timeout: float = 60) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


if __name__ == "__main__":
    sys.exit(main())
