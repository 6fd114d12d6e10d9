"""``python -m bench.firstfetch STORE [--occupations N] [--settle S]``: the first and second
fetch of every page a visitor reaches first, on a fresh server (the figures of
docs/benchmarks/firstfetch.md).

A fresh ``competency-kg serve`` is started on STORE (ready once its endpoint answers ``ASK {}``,
which renders no page); after ``--settle`` seconds (the warmer's steps run meanwhile; 0: a
visitor arriving at once), every same-site link of ``/``, ``/.well-known/void``, a few searches
and comparisons, ``/sparql``, ``/validation``, the dumps, the HTML and Turtle pages of
``--occupations`` O*NET occupations and of a few competencies and O*NET content model elements
are each fetched twice, all first fetches before any second one. It prints one row per URL (status,
first and second time, bytes), then p50/p95/max per kind, and the load average before and
after. Measurements to report, never a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench.servers import Server, start_ours, stop

#: Links of ``/`` not fetched: downloads (the dumps are measured by the VoID row).
SKIPPED = ("/dumps/", "/static/")
#: Seconds a fetch may take (then it is reported with status 0).
TIMEOUT = 60.0
OCCUPATIONS_QUERY = (
    "SELECT ?o WHERE { GRAPH <https://w3id.org/competency-kg/graph/onet-27.0> "
    "{ ?o a <https://w3id.org/competency-kg/ontology#Occupation> } } ORDER BY ?o"
)
#: Other kinds of resource page sampled (kind, class), ``OTHERS_SAMPLED`` of each.
OTHERS = (
    ("competency", "https://w3id.org/competency-kg/ontology#Competency"),
    ("element", "https://w3id.org/competency-kg/ontology#ContentModelElement"),
)
OTHERS_SAMPLED = 5
#: Pages no link of ``/`` may name, always measured; the dumps (downloads) by their whole body.
ALWAYS = (
    ("sparql", "/sparql", "text/html"),
    ("validation", "/validation", "text/html"),
    ("dump", "/dumps/all.nq.gz", "*/*"),
    ("dump", "/dumps/all.ttl.gz", "*/*"),
)


def fetch(url: str, accept: str = "text/html") -> tuple[int, float, int]:
    """Status, seconds and body size of one GET."""
    req = urllib.request.Request(url, headers={"Accept": accept})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            body = r.read()
            status = r.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    except (TimeoutError, urllib.error.URLError):
        body, status = b"", 0  # no answer within the timeout: status 0
    took = time.perf_counter() - started
    print(f"  {status} {took * 1000:8.0f} ms  {url} ({accept})", file=sys.stderr, flush=True)
    return status, took, len(body)


def home_links(server: Server, html: str) -> list[str]:
    out = []
    for href in re.findall(r'href="([^"#]+)"', html):
        href = href.replace("&amp;", "&")
        if href.startswith(server.base):
            href = href[len(server.base) :]
        if href.startswith("/") and not href.startswith(SKIPPED) and href != "/":
            out.append(href)
    return list(dict.fromkeys(out))


def occupations(server: Server, n: int, query: str = OCCUPATIONS_QUERY) -> list[str]:
    """Paths of ``n`` O*NET occupations (or what ``query`` selects as ``?o``) spread over
    the release (SPARQL, no page rendered)."""
    q = urllib.parse.urlencode({"query": query})
    req = urllib.request.Request(
        f"{server.base}/sparql?{q}", headers={"Accept": "application/sparql-results+json"}
    )
    with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
        rows = json.load(r)["results"]["bindings"]
    iris = [row["o"]["value"] for row in rows]
    step = max(1, len(iris) // max(n, 1))
    base = "https://w3id.org/competency-kg/"
    return ["/" + iri[len(base) :] for iri in iris[::step][:n] if iri.startswith(base)]


def targets(server: Server, n: int) -> list[tuple[str, str, str]]:
    """(kind, path, Accept) of every URL measured, ``/`` first."""
    html = urllib.request.urlopen(server.base + "/", timeout=120).read().decode("utf-8")
    out = [("home", "/", "text/html"), ("void", "/.well-known/void", "text/turtle")]
    for link in home_links(server, html):
        kind = link.split("?")[0].strip("/").split("/")[0] or "home"
        out.append((kind, link, "text/html"))
    out.append(("compare", "/compare?a=15-1252.00&b=15-1211.00", "text/html"))
    out += [t for t in ALWAYS if t[1] not in {o[1] for o in out}]
    for path in occupations(server, n):
        out.append(("occupation", path, "text/html"))
        out.append(("occupation.ttl", path, "text/turtle"))
    for kind, cls in OTHERS:
        query = f"SELECT DISTINCT ?o WHERE {{ ?o a <{cls}> FILTER(isIRI(?o)) }} ORDER BY ?o"
        for path in occupations(server, OTHERS_SAMPLED, query):
            out.append((kind, path, "text/html"))
            out.append((f"{kind}.ttl", path, "text/turtle"))
    return out


def run(store: Path, n: int, settle: float) -> None:
    load_before = os.getloadavg()
    logs = Path(tempfile.mkdtemp(prefix="firstfetch-"))
    server = start_ours(store, logs, timeout=60.0)
    try:
        time.sleep(settle)
        # the home page's first fetch, before anything else renders a page
        first_home = fetch(server.base + "/")
        rows = []
        measured = targets(server, n)
        firsts = {("home", "/", "text/html"): first_home}
        for t in measured[1:]:
            firsts[t] = fetch(server.base + t[1], t[2])
        for t in measured:
            status, first, size = firsts[t]
            _, second, _ = fetch(server.base + t[1], t[2])
            rows.append((t[0], t[1], t[2], status, first, second, size))
    finally:
        stop(server)
    load_after = os.getloadavg()
    print(f"store {store}; settle {settle:g} s; load average before {load_before[0]:.2f}, "
          f"after {load_after[0]:.2f}")  # fmt: skip
    print(f"{'kind':<15} {'status':>6} {'first ms':>9} {'second ms':>9} {'bytes':>9}  path")
    for kind, path, accept, status, first, second, size in rows:
        shown = path if accept == "text/html" else f"{path} ({accept})"
        times = f"{first * 1000:>9.0f} {second * 1000:>9.1f}"
        print(f"{kind:<15} {status:>6} {times} {size:>9}  {shown}")
    print()
    print(f"{'kind':<15} {'n':>3} {'first p50':>9} {'first p95':>9} {'first max':>9} "
          f"{'2nd p95':>8}")  # fmt: skip
    for kind in dict.fromkeys(r[0] for r in rows):
        of = [r for r in rows if r[0] == kind]
        firsts_ms = sorted(r[4] * 1000 for r in of)
        seconds_ms = sorted(r[5] * 1000 for r in of)
        print(
            f"{kind:<15} {len(of):>3} {statistics.median(firsts_ms):>9.0f} "
            f"{_p95(firsts_ms):>9.0f} {firsts_ms[-1]:>9.0f} {_p95(seconds_ms):>8.1f}"
        )


def _p95(values: list[float]) -> float:
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("store", type=Path)
    p.add_argument("--occupations", type=int, default=20, help="occupations sampled (20)")
    p.add_argument("--settle", type=float, default=0.0, help="seconds before fetching (0)")
    args = p.parse_args(argv)
    run(args.store, args.occupations, args.settle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
