"""The results as a console table, a Markdown report and a PNG chart."""

from __future__ import annotations

import math
import platform
from pathlib import Path
from typing import Any

from bench.run import KINDS, Sample, median, pct
from bench.servers import LABELS

SYSTEMS = ("ours", "oxigraph", "rdflib", "virtuoso")
SHORT = {"oxigraph": "Oxigraph", "rdflib": "rdflib-ep", "virtuoso": "Virtuoso"}


def ms(seconds: float) -> str:
    if seconds != seconds:  # NaN
        return "—"
    v = seconds * 1000
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def ratio(a: float, b: float) -> str:
    if a != a or b != b or a <= 0:
        return "—"
    return f"{b / a:.1f}×" if b / a >= 10 else f"{b / a:.2f}×"


def cell(sample: Sample | None) -> str:
    if sample is None:
        return "—"
    if not sample.ok:
        return sample.note.split(":")[0] if sample.note else "failed"
    mark = "¹" if sample.note.startswith("1 run") else ""
    wrong = " ≠" if sample.differs else ""
    return ms(sample.median) + mark + wrong


def query_rows(
    results: dict[str, dict[str, Sample]], systems: list[str], kinds: dict[str, str]
) -> list[list[str]]:
    rows = []
    for name, per in results.items():
        ours = per.get("ours")
        row = [name, kinds.get(name, ""), cell(ours)]
        for s in systems:
            if s == "ours":
                continue
            row.append(cell(per.get(s)))
            o, p = ours, per.get(s)
            # A wrong answer is no win: its ratio is not shown (nor counted by the goals).
            row.append(ratio(o.median, p.median) if o and p and o.ok and p.right else "—")
        sizes = {s: per[s].size for s in systems if s in per and per[s].ok}
        row.append(_sizes(sizes))
        rows.append(row)
    return rows


def _sizes(sizes: dict[str, int]) -> str:
    vals = set(sizes.values())
    if len(vals) <= 1:
        return str(next(iter(vals), "—"))
    return " / ".join(f"{LABELS[s].split()[0]} {n}" for s, n in sizes.items())


def query_header(systems: list[str]) -> list[str]:
    head = ["query", "kind", "ours ms"]
    for s in systems:
        if s != "ours":
            head += [f"{SHORT[s]} ms", f"{SHORT[s]}/ours"]
    head.append("rows / triples")
    return head


def text_table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)] if rows else []
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    for r in rows:
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    return "\n".join(out)


def md_table(head: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


# --------------------------------------------------------------------------- goals
def speedups(
    results: dict[str, dict[str, Sample]], peer: str, base: str = "ours"
) -> dict[str, float]:
    """Per query, the peer's median time over ``base``'s (inf where only the peer timed out).

    Only queries the peer answers as we do count: a wrong answer is never a speed."""
    out = {}
    for name, per in results.items():
        o, p = per.get(base), per.get(peer)
        if o and p and o.ok and p.right and o.median > 0:
            out[name] = p.median / o.median
        elif o and o.ok and p is not None and p.note.startswith("timeout"):
            out[name] = math.inf
    return out


def goals(res: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(goal, target, measured, met) rows."""
    out: list[tuple[str, str, str, bool | None]] = []
    q = res.get("queries") or {}
    if "rdflib" in res["systems"] and q:
        sp = speedups(q, "rdflib")
        finite = [v for v in sp.values()]
        med = median(finite) if finite else float("nan")
        measured = f"{med:.1f}×"
        if "oxigraph" in res["systems"]:  # the engine's own bound, for the same queries
            engine = list(speedups(q, "rdflib", base="oxigraph").values())
            if engine:
                measured += f" (the Oxigraph server's own: {median(engine):.1f}×)"
        out.append(("median speed-up over rdflib-endpoint", "≥ 20×", measured, med >= 20))
        slow = [n for n, v in sp.items() if v < 1]
        out.append(
            (
                "no query slower than rdflib-endpoint",
                "0 queries",
                f"{len(slow)} ({', '.join(slow) or 'none'}); min {min(finite, default=0):.2f}×",
                not slow,
            )
        )
    if "oxigraph" in res["systems"] and q:
        bad = []
        for name, per in q.items():
            o, p = per.get("ours"), per.get("oxigraph")
            if not (o and p and o.ok and p.ok):
                continue
            if p.median >= 0.010:
                if o.median > 1.3 * p.median:
                    bad.append(f"{name} {o.median / p.median:.2f}×")
            elif o.median - p.median > 0.003:
                bad.append(f"{name} +{(o.median - p.median) * 1000:.1f} ms")
        out.append(
            (
                "vs Oxigraph server: ≤ 1.3× (≥ 10 ms), ≤ +3 ms (faster ones)",
                "every query",
                ", ".join(bad) or "all within",
                not bad,
            )
        )
    if "virtuoso" in res["systems"] and q:
        sp = speedups(q, "virtuoso")  # Virtuoso's time / ours, right answers only
        ours_over = {n: 1 / v for n, v in sp.items() if v > 0}
        med = median(list(ours_over.values())) if ours_over else float("nan")
        out.append(
            (
                "median time ours/Virtuoso (queries Virtuoso answers as we do)",
                "≤ 1×",
                f"{med:.2f}× over {len(ours_over)} queries",
                med <= 1,
            )
        )
        slow = sorted((v, n) for n, v in ours_over.items() if v > 3)
        out.append(
            (
                "no query over 3× Virtuoso's time (where it answers as we do)",
                "0 queries",
                f"{len(slow)}: " + ", ".join(f"{n} {v:.1f}×" for v, n in slow[::-1]) or "none",
                not slow,
            )
        )
    for t in res.get("throughput") or []:
        if t.label.startswith("competency-kg"):
            p95 = pct(t.latencies, 95)
            errs = sum(t.errors.values())
            kind = getattr(t, "kind", "hit")  # results pickled before misses were measured
            out.append(
                (
                    f"one-triple lookup, {t.clients} clients, {KINDS[kind]} ({t.label})",
                    "≥ 2,500 req/s, p95 < 10 ms"
                    + ("" if kind == "hit" else " (the goal is judged on hits; shown)"),
                    f"{t.rate:,.0f} req/s, p95 {p95 * 1000:.1f} ms, {errs} errors",
                    t.rate >= 2500 and p95 < 0.010 and not errs,
                )
            )
    d = res.get("deref")
    if d:
        for fmt, label in (("text/html", "HTML"), ("text/turtle", "Turtle")):
            r = d["results"].get(fmt)
            if r and r.seconds:
                p95 = pct(r.seconds, 95)
                rep = pct(r.repeat, 95)
                out.append(
                    (
                        f"resource page p95, {label} (first fetch)",
                        "< 50 ms",
                        f"{p95 * 1000:.1f} ms (repeat fetch: {rep * 1000:.1f} ms)",
                        p95 < 0.05,
                    )
                )
            else:
                out.append((f"resource page p95, {label}", "< 50 ms", "not available (404)", None))
    loads = res.get("ntriples_loads") or []
    if loads:
        best = loads[0]
        out.append(
            (
                "N-Triples load into the embedded store",
                "≥ 150 k triples/s",
                f"{best.rate / 1000:,.0f} k/s (bulk_replace); "
                + ", ".join(
                    f"{x.rate / 1000:,.0f} k/s ({x.what.split(' ')[1]})" for x in loads[1:]
                ),
                best.rate >= 150_000,
            )
        )
    sh = res.get("shacl")
    if sh and sh.ours and sh.baseline:
        speed = median(sh.baseline) / median(sh.ours)
        out.append(
            (
                "SHACL report vs plain pySHACL",
                "≥ 3×, identical",
                f"{speed:.1f}×, {'identical' if sh.identical else 'DIFFERENT'}",
                speed >= 3 and sh.identical,
            )
        )
    conc = res.get("concurrency") or []
    for c in conc:
        if c.label.startswith("ours"):
            simple = c.all_latencies("query:")
            p95 = pct(simple, 95)
            errs = sum(c.errors.values())
            out.append(
                (
                    f"concurrent load, {c.label}",
                    "0 errors, simple p95 < 100 ms",
                    f"{errs} errors, p95 {p95 * 1000:.1f} ms",
                    errs == 0 and p95 < 0.1,
                )
            )
    return out


def answers_section(results: dict[str, dict[str, Sample]], systems: list[str]) -> list[str]:
    """Each peer's answer against ours (:mod:`bench.answers`): how many agree, and each that
    does not, in words. ≠ in the tables marks these; their ratios are not shown or counted."""
    peers = [s for s in systems if s != "ours"]
    if not peers:
        return []
    rows = []
    for s in peers:
        same = sum(1 for per in results.values() if s in per and per[s].right)
        wrong = [n for n, per in results.items() if s in per and per[s].ok and per[s].differs]
        failed = [n for n, per in results.items() if s in per and not per[s].ok]
        rows.append([LABELS[s], str(same), str(len(wrong)), str(len(failed))])
    lines = [
        "## Answers check (each peer's answer against ours)",
        "",
        "Rows compared as multisets (order not compared), graphs as sets of triples, blank "
        "nodes as one node, numbers by value; ≠ marks a different answer, whose ratio is "
        "neither shown nor counted.",
        "",
        md_table(["peer", "same answer", "different answer", "error / timeout"], rows),
        "",
    ]
    diffs = [
        f"- {n} on {LABELS[s]}: {per[s].differs}"
        for n, per in results.items()
        for s in peers
        if s in per and per[s].ok and per[s].differs
    ]
    return lines + diffs + ([""] if diffs else [])


def throughput_section(passes: list[Any]) -> list[str]:
    if not passes:
        return []
    rows = [
        [
            t.label + (f" ({t.note})" if t.note else ""),
            KINDS[getattr(t, "kind", "hit")],
            f"{len(t.latencies):,}",
            f"{t.rate:,.0f}",
            ms(pct(t.latencies, 50)),
            ms(pct(t.latencies, 95)),
            ", ".join(f"{k}×{v}" for k, v in t.errors.items()) or "0",
        ]
        for t in passes
    ]
    return [
        f"## Throughput: one-triple lookup, {passes[0].clients} clients, "
        f"{passes[0].seconds:.0f} s per pass",
        "",
        "`lookup-label` sent back to back by the clients (threads in two client processes on "
        "the same machine: the client shares the cores with the server), each system in turn, "
        "two passes in opposite orders; first with the same text every request (*hit*: what "
        "an answer cache per store version answers), then with a different text every request "
        "(*miss*: a comment with a counter, so no answer kept per text helps). The goal "
        "(≥ 2,500 req/s, p95 < 10 ms) is judged on the hit rows; the miss rows are shown "
        "beside it.",
        "",
        md_table(["system", "requests", "answers", "req/s", "p50 ms", "p95 ms", "errors"], rows),
        "",
    ]


# --------------------------------------------------------------------------- chart
def chart(
    results: dict[str, dict[str, Sample]], systems: list[str], path: Path, title: str
) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = list(results)
    colors = {"ours": "#1b9e77", "oxigraph": "#7570b3", "rdflib": "#d95f02", "virtuoso": "#e7298a"}
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(names) * len(systems) / 2 + 2))
    h = 0.8 / len(systems)
    for i, s in enumerate(systems):
        ys, xs = [], []
        for j, n in enumerate(names):
            smp = results[n].get(s)
            if smp and smp.right:  # a wrong answer gets no bar
                ys.append(j + i * h)
                xs.append(smp.median * 1000)
        ax.barh(ys, xs, height=h, label=LABELS[s], color=colors[s])
    ax.set_yticks([j + h * (len(systems) - 1) / 2 for j in range(len(names))])
    ax.set_yticklabels(names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("median latency, ms (log scale; lower is better)")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


# --------------------------------------------------------------------------- markdown
def machine() -> str:
    import os

    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 0
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{platform.machine()}, {cores} cores{mem}, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def markdown(res: dict[str, Any], chart_name: str | None) -> str:
    ds = res["dataset"]
    systems = res["systems"]
    sliced = "" if ds.occupations_kept is None else f" sliced to {ds.occupations_kept} occupations"
    built = "from the cache" if ds.cached else f"in {ds.build_seconds:.0f} s"
    lines = [
        f"# Benchmark: {res['mode']} ({ds.triples:,} triples)",
        "",
        f"- when: {res['when']}; machine: {machine()}; 1-minute load average "
        f"{res.get('load_before', 0):.2f} before the run, {res.get('load_after', 0):.2f} after "
        "(the machine may be shared: systems are compared side by side in the same run, "
        "interleaved rounds, medians)",
        f"- data: {ds.triples:,} quads in {ds.graphs} named graphs — real sources "
        f"(seeds, CTDL-ASN, O*NET release{sliced}) and {ds.synthetic_triples:,} synthetic "
        f"triples; built {built}",
        f"- systems: {', '.join(LABELS[s] for s in systems)}; every request over HTTP on 127.0.0.1",
        f"- rounds: 1 warm-up + {res['rounds']} measured per query and system; "
        f"¹ = one run only (over {res['cap']:g} s)",
        "",
        "## Goals",
        "",
        md_table(
            ["goal", "target", "measured", "met"],
            [
                [g, t, m, "yes" if ok else ("—" if ok is None else "**no**")]
                for g, t, m, ok in goals(res)
            ],
        ),
        "",
    ]
    if res.get("queries"):
        kinds = res["kinds"]
        lines += [
            "## Queries (median ms; ratio = peer time / our time, > 1 means we are faster)",
            "",
            md_table(query_header(systems), query_rows(res["queries"], systems, kinds)),
            "",
        ]
        if chart_name:
            lines += [f"![latency per query]({chart_name})", ""]
        notes = [
            f"- {n} on {LABELS[s]}: {smp.note}"
            for n, per in res["queries"].items()
            for s, smp in per.items()
            if smp.note and not smp.note.startswith("1 run")
        ]
        if notes:
            lines += ["Failures:", "", *notes, ""]
        lines += answers_section(res["queries"], systems)
    d = res.get("deref")
    if d:
        rows = []
        for fmt, r in d["results"].items():
            statuses = ", ".join(f"{k}×{v}" for k, v in sorted(r.statuses.items()))
            for label, vals in (("first fetch", r.seconds), ("repeat fetch", r.repeat)):
                rows.append(
                    [
                        f"ours {fmt}, {label}",
                        str(len(vals)),
                        statuses,
                        ms(pct(vals, 50)),
                        ms(pct(vals, 95)),
                    ]
                )
        for name, times in d.get("describe", {}).items():
            rows.append(
                [
                    f"{LABELS[name]}: SPARQL DESCRIBE (Turtle)",
                    str(len(times)),
                    "200",
                    ms(pct(times, 50)),
                    ms(pct(times, 95)),
                ]
            )
        lines += [
            f"## Resource dereferencing ({len(d['iris'])} resources of {d['classes']} classes, "
            f"{d['rounds']} passes)",
            "",
            md_table(["what", "n", "statuses", "p50 ms", "p95 ms"], rows),
            "",
        ]
        if d.get("note"):
            lines += [d["note"], ""]
    features = res.get("features")
    if features:
        rows = [
            [
                f"{what}, {label}",
                str(len(vals)),
                ", ".join(f"{k}×{v}" for k, v in sorted(r.statuses.items())),
                ms(pct(vals, 50)),
                ms(pct(vals, 95)),
            ]
            for what, r in features.items()
            for label, vals in (("first fetch", r.seconds), ("repeat fetch", r.repeat))
        ]
        lines += [
            "## Search and comparison (ours)",
            "",
            "Ten search terms as the autocomplete sends them, and ten pairs of occupations "
            "compared; the first comparison after a start or a load reads every occupation's "
            "profile (for the nearest-occupation lists).",
            "",
            md_table(["what", "n", "statuses", "p50 ms", "p95 ms"], rows),
            "",
        ]
    lines += throughput_section(res.get("throughput") or [])
    timed = res.get("loads_table") or []
    if timed:
        lines += [
            "## Loads and dumps",
            "",
            md_table(
                ["what", "system", "triples", "seconds", "triples/s"],
                [
                    [w, s, f"{n:,}", f"{sec:.2f}", f"{n / sec:,.0f}" if sec else "—"]
                    for w, s, n, sec in timed
                ],
            ),
            "",
        ]
    sh = res.get("shacl")
    if sh:
        speed = median(sh.baseline) / median(sh.ours) if sh.ours and sh.baseline else float("nan")
        lines += [
            "## SHACL report",
            "",
            f"Slice: {sh.triples:,} triples ({len(sh.occupations)} O*NET occupations with all "
            "their ratings, the resources they link to, the seeds' overviews, synthetic "
            "frameworks).",
            "",
            md_table(
                ["path", "runs", "median s"],
                [
                    [
                        "ours: validate_graph (pySHACL core + SPARQL constraints on Oxigraph)",
                        str(len(sh.ours)),
                        f"{median(sh.ours):.2f}",
                    ],
                    [
                        "plain pySHACL: validate_with_pyshacl_only",
                        str(len(sh.baseline)),
                        f"{median(sh.baseline):.2f}",
                    ],
                ],
            ),
            "",
            f"Speed-up {speed:.1f}×; {sh.results} results ({sh.violations} violations); reports "
            + (
                "identical."
                if sh.identical
                else f"DIFFER: {sh.only_ours} only ours, {sh.only_baseline} only pySHACL."
            ),
            "",
        ]
    conc = res.get("concurrency") or []
    if conc:
        rows = []
        for c in conc:
            for kind in sorted(c.latencies):
                v = c.latencies[kind]
                rows.append(
                    [c.label, kind, str(len(v)), ms(pct(v, 50)), ms(pct(v, 95)), ms(pct(v, 99))]
                )
            rows.append(
                [
                    c.label,
                    "**all**",
                    f"{c.completed} ({c.throughput:.0f}/s)",
                    ms(pct(c.all_latencies(), 50)),
                    ms(pct(c.all_latencies(), 95)),
                    ms(pct(c.all_latencies(), 99)),
                ]
            )
        lines += [
            f"## Concurrent load ({conc[0].clients} clients, {res['load_seconds']:g} s each)",
            "",
            md_table(["run", "operation", "completed", "p50 ms", "p95 ms", "p99 ms"], rows),
            "",
        ]
        for c in conc:
            errs = ", ".join(f"{k}: {v}" for k, v in c.errors.items()) or "none"
            line = f"- {c.label}: errors {errs}"
            if c.runaway:
                line += "; runaway query answers: " + ", ".join(
                    f"{k}×{v}" for k, v in c.runaway.items()
                )
            lines.append(line)
        lines.append("")
    if res.get("notes"):
        lines += ["## Notes", "", *[f"- {n}" for n in res["notes"]], ""]
    return "\n".join(lines)
