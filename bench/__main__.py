"""``python -m bench [--quick | --smoke | --full]``: see :mod:`bench`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import data as bdata
from bench import queries as bq
from bench import report, run, servers
from bench.data import ROOT, TIERS


@dataclass(frozen=True)
class Mode:
    name: str
    tiers: tuple[str, ...]
    rounds: int
    cap: float  # a system slower than this on the warm-up run is not run again
    timeout: float  # a request slower than this counts as a timeout
    systems: tuple[str, ...]
    deref_per_class: int
    load_seconds: float
    clients: int
    shacl: tuple[int, int, int] | None  # O*NET occupations, synthetic triples, rounds
    loads: bool
    lookup_seconds: float = 15.0  # the throughput pass (one-triple lookup), per system


MODES = {
    "smoke": Mode("smoke", ("smoke",), 1, 10, 60, ("ours", "oxigraph"), 2, 0, 0, None, False),
    "quick": Mode("quick", ("quick",), 2, 8, 20, ("ours", "oxigraph", "rdflib", "virtuoso"), 5,
                  8, 16, (1, 1000, 1), True, 8.0),
    "1m": Mode("1m", ("1m",), 3, 20, 90, ("ours", "oxigraph", "rdflib", "virtuoso"), 12, 30, 16,
               (2, 4000, 1), True),
    "full": Mode("full", ("1m", "5m"), 5, 30, 300, ("ours", "oxigraph", "rdflib", "virtuoso"),
                 20, 30, 16, (3, 6000, 2), True),
}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench",
        description="competency-kg serve against rdflib-endpoint, Oxigraph server, Virtuoso.",
    )
    g = ap.add_mutually_exclusive_group()
    g.add_argument(
        "--quick",
        action="store_const",
        dest="mode",
        const="quick",
        help="~250 k triples, 3 rounds, short load test: under 5 minutes",
    )
    g.add_argument(
        "--smoke",
        action="store_const",
        dest="mode",
        const="smoke",
        help="a few thousand synthetic triples, ours and Oxigraph, 1 round (tests)",
    )
    g.add_argument(
        "--full", action="store_const", dest="mode", const="full", help="the 1 M and the 5 M tier"
    )
    ap.add_argument("--tier", choices=sorted(TIERS), help="run this data tier only")
    ap.add_argument("--rounds", type=int, help="measured rounds per query (after a warm-up)")
    ap.add_argument("--systems", help="comma-separated: ours,oxigraph,rdflib,virtuoso")
    ap.add_argument(
        "--skip", default="", help="comma-separated: queries,throughput,deref,load,shacl,loads"
    )
    ap.add_argument("--queries", help="comma-separated query names: run these queries only")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    ap.add_argument("--cache", type=Path, help="data cache (default: OUT/cache)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the data even if cached")
    ap.set_defaults(mode="1m")  # fmt: skip
    args = ap.parse_args(argv)
    mode = MODES[args.mode]
    if args.rounds:
        mode = _replace(mode, rounds=args.rounds)
    if args.systems:
        mode = _replace(mode, systems=tuple(s.strip() for s in args.systems.split(",")))
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    only = {q.strip() for q in args.queries.split(",") if q.strip()} if args.queries else None
    if only is not None:
        try:
            bq.all_queries(only)
        except ValueError as exc:
            ap.error(str(exc))
    tiers = (args.tier,) if args.tier else mode.tiers
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    cache = args.cache or out / "cache"
    started = time.perf_counter()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers on the way out

    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {msg}", flush=True)

    code = 0
    for tier_name in tiers:
        res = run_tier(
            mode, TIERS[tier_name], out, cache, skip, say, rebuild=args.rebuild, only=only
        )
        stem = (
            f"report-{mode.name}-{tier_name}" if mode.name != tier_name else f"report-{tier_name}"
        )
        chart_name = f"{stem}.png"
        has_chart = bool(res.get("queries")) and report.chart(
            res["queries"], res["systems"], out / chart_name,
            f"{tier_name}: {res['dataset'].triples:,} triples, median of {mode.rounds} rounds",
        )  # fmt: skip
        res["load_after"] = os.getloadavg()[0]
        md = report.markdown(res, chart_name if has_chart else None)
        (out / f"{stem}.md").write_text(md, encoding="utf-8")
        print()
        print(f"== {tier_name}: {res['dataset'].triples:,} triples ({report.machine()})")
        if res.get("queries"):
            print(
                report.text_table(
                    report.query_header(res["systems"]),
                    report.query_rows(res["queries"], res["systems"], res["kinds"]),
                )
            )
        print()
        for goal, target, measured, ok in report.goals(res):
            flag = "MET " if ok else ("n/a " if ok is None else "MISS")
            print(f"  [{flag}] {goal}: {measured} (target {target})")
        print(
            f"\nreport: {out / (stem + '.md')}"
            + (f"; chart: {out / chart_name}" if has_chart else "")
        )
        if res.get("failed"):
            code = 1
    say("done")
    return code


def _replace(mode: Mode, **kw: Any) -> Mode:
    from dataclasses import replace

    return replace(mode, **kw)


def run_tier(
    mode: Mode, tier: bdata.Tier, out: Path, cache: Path, skip: set[str], say: run.Say, *,
    rebuild: bool = False, only: set[str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    ds = bdata.build(tier, cache, say, rebuild=rebuild)
    work = ds.folder / "work"
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {
        "mode": mode.name if mode.name == tier.name else f"{mode.name}, tier {tier.name}",
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_before": os.getloadavg()[0],
        "dataset": ds,
        "systems": list(mode.systems),
        "rounds": mode.rounds,
        "cap": mode.cap,
        "load_seconds": mode.load_seconds,
        "notes": [],
    }
    loads_table: list[tuple[str, str, int, float]] = [
        (f"{x.name} ({'competency-kg load' if x.kind == 'documents' else 'bulk_replace'})",
         "ours", x.triples, x.seconds)
        for x in ds.loads
    ]  # fmt: skip
    started: list[servers.Server] = []
    ox_location = work / "oxigraph-store"
    try:
        ours = servers.start_ours(ds.store, logs, timeout=mode.timeout)
        started.append(ours)
        say(f"servers: competency-kg serve up in {ours.info['start_seconds']:.1f} s")
        live = [ours]
        if "oxigraph" in mode.systems:
            secs = servers.load_oxigraph(ds.nquads, ox_location)
            loads_table.append(("oxigraph load (CLI) of data.nq", "oxigraph", ds.triples, secs))
            oxi = servers.start_oxigraph(ox_location, logs)
            started.append(oxi)
            live.append(oxi)
            say(f"servers: Oxigraph server up (load {secs:.1f} s)")
        rdf = None
        if "rdflib" in mode.systems and "queries" not in skip:
            rdf = servers.start_rdflib(ds.nquads, logs)
            started.append(rdf)
            live.append(rdf)
            secs = rdf.info.get("load_seconds", float("nan"))
            loads_table.append(("rdflib Dataset.parse of data.nq", "rdflib", ds.triples, secs))
            say(f"servers: rdflib-endpoint up (parse {secs:.1f} s)")
        virtuoso_db = None
        if "virtuoso" in mode.systems and not {"queries", "throughput"} <= skip:
            virtuoso_db, secs = servers.load_virtuoso(
                ds.nquads, ds.ntriples, work / "virtuoso", logs
            )
            loads_table.append(
                ("Virtuoso bulk loader: data.nq, and data.nt into the merge graph", "virtuoso",
                 2 * ds.triples, secs)
            )  # fmt: skip
            graphs = _source_graphs(ds.nquads)
            res["virtuoso_graphs"] = len(graphs)
            virt = servers.start_virtuoso(virtuoso_db, logs, source_graphs=graphs)
            started.append(virt)
            live.append(virt)
            say(f"servers: Virtuoso up (bulk load {secs:.1f} s, {len(graphs)} source graphs)")

        def restart(s: servers.Server) -> servers.Server:
            if s.name == "rdflib":
                return servers.restart_rdflib(s)
            servers.stop(s)
            started.remove(s)
            if s.name == "oxigraph":
                new = servers.start_oxigraph(ox_location, logs)
            elif s.name == "virtuoso" and virtuoso_db is not None:
                new = servers.start_virtuoso(virtuoso_db, logs, source_graphs=graphs)
            else:
                new = servers.start_ours(ds.store, logs, timeout=mode.timeout)
            started.append(new)
            return new

        if "queries" not in skip:
            qs = bq.all_queries(only)
            res["kinds"] = {q.name: q.kind for q in qs}
            res["queries"] = run.run_queries(
                live, qs, mode.rounds, cap=mode.cap, timeout=mode.timeout, say=say,
                restart=restart,
            )  # fmt: skip
        for s in list(started):
            if s.name == "rdflib":
                servers.stop(s)
                started.remove(s)

        if "throughput" not in skip and mode.lookup_seconds:
            res["throughput"] = _throughput(mode, started, say)
        for s in list(started):
            if s.name == "virtuoso":
                servers.stop(s)
                started.remove(s)

        if "deref" not in skip and mode.deref_per_class:
            iris = run.sample_resources(ours, mode.deref_per_class)
            d = run.deref(ours, iris, say)
            desc = {"ours": run.describe_times(ours, iris)}
            oxi_s = next((s for s in started if s.name == "oxigraph"), None)
            if oxi_s is not None:
                desc["oxigraph"] = run.describe_times(oxi_s, iris)
            note = ""
            if not d["text/html"].seconds and not d["text/turtle"].seconds:
                note = (
                    "Resource URLs answered 404 or failed on this server: the browsing pages "
                    "are not part of this build yet, so only SPARQL DESCRIBE was measured."
                )
            res["deref"] = {
                "results": d, "iris": iris, "classes": 9, "rounds": 2, "describe": desc,
                "note": note,
            }  # fmt: skip
            res["features"] = run.site_features(ours, _occupations(ours), say)

        if "load" not in skip and mode.load_seconds:
            occ = _occupations(ours)
            pages = (res.get("deref") or {}).get("iris") or []
            if res.get("deref") and not res["deref"]["results"]["text/html"].seconds:
                pages = []
            for s in list(started):
                servers.stop(s)
                started.remove(s)
            conc = []
            short = servers.start_ours(ds.store, logs, timeout=5)
            started.append(short)
            for runaway in (False, True):
                label = f"ours, {'with' if runaway else 'without'} a runaway query"
                say(f"load: {label} ({mode.clients} clients, {mode.load_seconds:g} s)")
                conc.append(
                    run.concurrent_load(
                        short, clients=mode.clients, seconds=mode.load_seconds,
                        occupations=occ, pages=pages, runaway=runaway, label=label,
                    )
                )  # fmt: skip
            servers.stop(short)
            started.remove(short)
            if "oxigraph" in mode.systems:
                oxi5 = servers.start_oxigraph(ox_location, logs, timeout=5)
                started.append(oxi5)
                for runaway in (False, True):
                    label = f"Oxigraph server, {'with' if runaway else 'without'} a runaway query"
                    say(f"load: {label}")
                    conc.append(
                        run.concurrent_load(
                            oxi5, clients=mode.clients, seconds=mode.load_seconds,
                            occupations=occ, pages=[], runaway=runaway, label=label,
                        )
                    )  # fmt: skip
                servers.stop(oxi5)
                started.remove(oxi5)
            res["concurrency"] = conc
    except servers.ServerFailed as exc:
        res["notes"].append(f"a server failed: {exc}")
        res["failed"] = True
        say(str(exc))
    finally:
        for s in started:
            servers.stop(s)

    if mode.loads and "loads" not in skip:
        nt = run.ntriples_loads(ds.ntriples, work, say)
        res["ntriples_loads"] = nt
        loads_table += [(x.what + " of data.nt", x.system, x.triples, x.seconds) for x in nt]
        for x in run.dumps(ds.store, ox_location if ox_location.exists() else None, work, say):
            loads_table.append((x.what, x.system, x.triples, x.seconds))
    res["loads_table"] = loads_table

    if mode.shacl and "shacl" not in skip:
        from bench.shacl import compare

        occupations, synthetic, rounds = mode.shacl
        res["shacl"] = compare(ds.store, occupations, synthetic, rounds, say)
    return res


def _source_graphs(nquads: Path) -> list[str]:
    """The named graphs of the N-Quads: the dataset's named graphs on every system."""
    import pyoxigraph as ox

    return sorted(
        {q.graph_name.value for q in ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS)
         if isinstance(q.graph_name, ox.NamedNode)}
    )  # fmt: skip


def _throughput(mode: Mode, started: list[servers.Server], say: run.Say) -> list[run.Throughput]:
    """The one-triple lookup, ``mode.clients`` clients, on each system in turn (twice,
    interleaved), its text the same every request (hits of an answer cache) and then a
    different one every request (misses: the look-up itself), each kind its own rows. The
    Oxigraph server runs it on a server started without ``--timeout-s``: with it, it failed
    under this load (HTTP 500 "os error 11" after ~17 k requests, then a panic; issue 23)."""
    query = next(q.text for q in bq.heavy_queries() if q.name == "lookup-label")
    order = [s for s in started if s.name in ("ours", "virtuoso")]
    if "oxigraph" in mode.systems:
        order.insert(1, next(s for s in started if s.name == "oxigraph"))  # started without it
    out = []
    for kind in (run.HIT, run.MISS):
        for r in (1, 2):
            for s in order if r == 1 else order[::-1]:
                note = "started without --timeout-s" if s.name == "oxigraph" else ""
                say(
                    f"throughput ({kind}): {s.label}, {mode.clients} clients, "
                    f"{mode.lookup_seconds:g} s ({r}/2)"
                )
                out.append(
                    run.throughput(
                        s, query, clients=mode.clients, seconds=mode.lookup_seconds,
                        label=f"{s.label}, {kind}, pass {r}", note=note, kind=kind,
                    )
                )  # fmt: skip
    return out


def _occupations(server: servers.Server) -> list[tuple[str, str]]:
    """(IRI, code) of occupations with O*NET ratings, for the concurrency mix."""
    import json

    from bench.client import Client

    c = Client(server.base, timeout=60)
    q = (
        "SELECT ?o ?code WHERE { ?o a <https://w3id.org/competency-kg/ontology#Occupation> ; "
        "<http://www.w3.org/2004/02/skos/core#notation> ?code } LIMIT 500"
    )
    reply = c.sparql(server.endpoint, q, "application/sparql-results+json")
    c.close()
    rows = json.loads(reply.body)["results"]["bindings"] if reply.status == 200 else []
    return [(r["o"]["value"], r["code"]["value"]) for r in rows] or [
        (bq.BASE + "occupation/15-1232.00", "15-1232.00")
    ]


if __name__ == "__main__":
    sys.exit(main())
