"""The benchmark harness (``bench/``): its data generator and a tiny end-to-end run.

No timing is asserted here: the numbers belong to the benchmark's report, not to the tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT

sys.path.insert(0, str(ROOT))  # the bench package lives at the project root, beside tests/

from bench.synthetic import generate_graph, occupation_graphs, write_batches
from competency_kg.iris import Minter
from competency_kg.namespaces import CKG
from competency_kg.validation import validate_graph


def test_generated_sample_conforms_to_the_shapes() -> None:
    g = generate_graph(4_000)
    report, _ = validate_graph(g, {})
    assert report.violations == 0, report.to_text()
    # every part of the model is there
    from rdflib.namespace import RDF

    from competency_kg.namespaces import CEASN

    for cls in (
        CKG.Occupation,
        CEASN.CompetencyFramework,
        CKG.ProficiencyLevel,
        CKG.CompetencyStatement,
        CKG.CompetencyRequirement,
        CKG.PrioritizedList,
        CKG.WorkScenario,
        CKG.Tool,
        CKG.Certification,
        CKG.JobTitle,
    ):
        assert (None, RDF.type, cls) in g, cls


def test_generator_reaches_the_requested_size_deterministically() -> None:
    minter = Minter()
    fw, ov = occupation_graphs(0, minter)
    per_occupation = len(fw) + len(ov)
    for size in (1_000, 12_000):
        g = generate_graph(size, minter)
        assert size <= len(g) < size + 2 * per_occupation
    assert len(generate_graph(3_000, minter) ^ generate_graph(3_000, minter)) == 0


def test_batches_add_up_to_the_requested_size(tmp_path: Path) -> None:
    batches = list(write_batches(tmp_path, 9_000, Minter(), batch_triples=4_000))
    total = sum(b.triples for b in batches)
    assert len(batches) >= 2
    assert 9_000 <= total < 9_000 + 4_000
    from rdflib import Graph

    lines = sum(1 for b in batches for line in b.path.read_text().splitlines() if line.strip())
    assert lines == total
    # shared resources (competencies, tools) are written by every document naming them
    distinct = len(Graph().parse(batches[0].path, format="nt"))
    assert 0.5 * batches[0].triples < distinct <= batches[0].triples


def test_smoke_run_prints_the_table(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "ours ms" in out and "Oxigraph ms" in out and "Oxigraph/ours" in out
    for name in ("lookup-label", "statements-per-level", "describe-high-degree"):
        assert name in out
    for q in (ROOT / "queries").glob("*.rq"):
        assert q.stem in out
    report = (tmp_path / "report-smoke.md").read_text()
    assert "## Queries" in report and "## Goals" in report


@pytest.mark.parametrize("name", ["quick", "1m", "5m"])
def test_tiers_are_defined(name: str) -> None:
    from bench.data import TIERS

    assert TIERS[name].target >= 250_000
