"""The figures a load keeps in the metadata graph (competency_kg/stats.py) are the figures of
the data: after a load, a load with a correction, a reload without it, and a failed load, the
kept statements, quads per graph and instances per class (over all graphs and per graph)
equal what SPARQL counts, and ``competency-kg stats`` shows them. Each step is run as a user
runs it (the command line); the pages read the same figures (tests/test_browsing.py checks
VoID against the dumps).

Checked by breaking it on purpose: with the figures not counting their own triples (``added``
left out of the statements in ``record_statistics``), this failed at the first load
("statements: kept 589, counted 717").
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from support import FIXTURES, FRAMEWORK_SEED, OVERVIEW_SEED, run_cli

BASE = "https://w3id.org/competency-kg/"
VOID = "http://rdfs.org/ns/void#"
STATS_OF = "https://w3id.org/competency-kg/ontology#statisticsOf"

#: Every figure counted from the data, and every figure kept, in one query (one process).
FIGURES = f"""
SELECT ?what ?g ?c ?n WHERE {{
  {{ SELECT ("statements" AS ?what) (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o }} }}
  UNION {{ SELECT ("quads" AS ?what) ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}
           GROUP BY ?g }}
  UNION {{ SELECT ("classes" AS ?what) ?c (COUNT(DISTINCT ?s) AS ?n)
           WHERE {{ ?s a ?c FILTER(isIRI(?c)) }} GROUP BY ?c }}
  UNION {{ SELECT ("graph-classes" AS ?what) ?g ?c (COUNT(DISTINCT ?s) AS ?n)
           WHERE {{ GRAPH ?g {{ ?s a ?c }} FILTER(isIRI(?c)) }} GROUP BY ?g ?c }}
  UNION {{ GRAPH <{BASE}graph/metadata> {{ ?node <{STATS_OF}> ?of ; <{VOID}triples> ?n }}
         BIND(IF(?of = <{BASE}>, "kept-statements", "kept-quads") AS ?what)
         BIND(IF(?of = <{BASE}>, ?none, ?of) AS ?g) }}
  UNION {{ GRAPH <{BASE}graph/metadata> {{ ?node <{STATS_OF}> ?of ;
             <{VOID}classPartition> [ <{VOID}class> ?c ; <{VOID}entities> ?n ] }}
         BIND(IF(?of = <{BASE}>, "kept-classes", "kept-graph-classes") AS ?what)
         BIND(IF(?of = <{BASE}>, ?none, ?of) AS ?g) }}
}}"""


def figures(store: Path) -> tuple[dict[str, dict[tuple[str, str], int]], str]:
    """What SPARQL counts and what the metadata graph keeps (by kind → (graph, class) →
    number), and what ``competency-kg stats`` prints."""
    r = run_cli("query", FIGURES, "--format", "json", store=store)
    assert r.returncode == 0, r.stderr
    out: dict[str, dict[tuple[str, str], int]] = {}
    for row in json.loads(r.stdout)["results"]["bindings"]:
        key = (row.get("g", {}).get("value", ""), row.get("c", {}).get("value", ""))
        out.setdefault(row["what"]["value"], {})[key] = int(row["n"]["value"])
    shown = run_cli("stats", store=store)
    assert shown.returncode == 0, shown.stderr
    return out, shown.stdout


def check(store: Path, step: str) -> None:
    found, shown = figures(store)
    assert "kept-statements" in found, f"{step}: no figures kept"
    for kind in ("statements", "quads", "classes", "graph-classes"):
        kept, counted = found.get(f"kept-{kind}", {}), found.get(kind, {})
        assert kept == counted, f"{step}: {kind}: kept {kept}, counted {counted}"
    statements = found["statements"][("", "")]
    assert re.search(rf"^\s*{statements}  statements", shown, re.M), (step, shown)
    for (graph, _), n in found["quads"].items():
        assert re.search(rf"^\s*{n}  <{re.escape(graph)}>", shown, re.M), (step, graph, shown)


def test_kept_figures_are_the_datas_after_every_load(tmp_path: Path) -> None:
    store = tmp_path / "store"
    r = run_cli("load", str(FRAMEWORK_SEED), store=store)
    assert r.returncode == 0, r.stderr
    check(store, "a load")

    overview = tmp_path / "in" / OVERVIEW_SEED.name
    overview.parent.mkdir()
    shutil.copy(OVERVIEW_SEED, overview)
    fixes = FIXTURES / "curation"
    r = run_cli("load", str(overview), "--corrections", str(fixes), store=store)
    assert r.returncode == 0, r.stderr
    assert "/graph/curation/" in figures(store)[1]  # the correction's graph is counted
    check(store, "a load with a correction")

    empty = tmp_path / "no-corrections"
    empty.mkdir()
    r = run_cli("load", str(overview), "--corrections", str(empty), store=store)
    assert r.returncode == 0, r.stderr
    check(store, "a reload without the correction")

    before = figures(store)
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    r = run_cli("load", str(FRAMEWORK_SEED), str(bad), store=store)
    assert r.returncode == 2, r.stderr
    assert figures(store) == before, "a failed load changed the figures"
    check(store, "a failed load")
