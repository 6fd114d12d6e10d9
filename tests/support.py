"""What tests share besides fixtures: the project's paths, a way to run the CLI and one to
serve as a user does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rdflib import BNode, Graph
from rdflib.namespace import RDF

from bench.servers import wait_until_answers
from competency_kg.namespaces import SH

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FRAMEWORK_SEED = SEEDS / "000_78da1468efeafd76.txt"
OVERVIEW_SEED = SEEDS / "004_151618e0f121074d.txt"


#: What every load writes anew in the metadata graph, whatever it loads: the descriptions of
#: the entailed graph (with its activity and rules) and of the links graph, both recomputed
#: from the whole store (competency_kg/entailment.py, competency_kg/linking), and the figures
#: kept at load (competency_kg/stats.py). As the start of an export's line: its subject.
RECOMPUTED_AT_LOAD = (
    "<https://w3id.org/competency-kg/graph/entailed>",
    "<https://w3id.org/competency-kg/graph/entailed/",
    "<https://w3id.org/competency-kg/graph/links>",
    "<https://w3id.org/competency-kg/graph/metadata/statistics/",
)
METADATA_GRAPH = "<https://w3id.org/competency-kg/graph/metadata>"


def recomputed_at_load(line: str, *, nquads: bool) -> bool:
    """A line of an export (N-Quads: only in the metadata graph; N-Triples: the merge) that
    every load recomputes (:data:`RECOMPUTED_AT_LOAD`): it may differ after any load, so a
    test of what a load keeps leaves it aside."""
    if not line.startswith(RECOMPUTED_AT_LOAD):
        return False
    return not nquads or line.endswith(f"{METADATA_GRAPH} .")


def run_cli(
    *args: str, store: Path, cwd: Path = ROOT, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``competency-kg`` console script as a user would."""
    exe = Path(sys.executable).with_name("competency-kg")
    env = dict(os.environ, COMPETENCY_KG_STORE=str(store))
    return subprocess.run(
        [str(exe), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=300,
    )


@contextmanager
def serving(
    command: Sequence[str | Path], *, cwd: Path, env: dict[str, str], log: Path, url: str
) -> Iterator[None]:
    """``competency-kg serve …`` started as a user starts it, its output in ``log``: entered
    once it answers a query at ``url``, stopped on leaving (SIGTERM, then SIGKILL)."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(a) for a in command], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        problem = wait_until_answers(proc, f"{url}/sparql?query=ASK%7B%7D", 120)
        assert problem is None, f"competency-kg serve {problem}:\n{log.read_text()}"
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def result_rows(report: Graph) -> Counter[tuple[str, ...]]:
    """A SHACL validation report's results, each as (focus, shape, severity, value, path,
    message, component), blank nodes shown alike: for comparing two engines' reports."""
    props = (
        SH.focusNode,
        SH.sourceShape,
        SH.resultSeverity,
        SH.value,
        SH.resultPath,
        SH.resultMessage,
        SH.sourceConstraintComponent,
    )

    def show(term: object) -> str:
        return "(blank node)" if isinstance(term, BNode) else str(term)

    return Counter(
        tuple(show(report.value(r, p)) for p in props)
        for r in report.subjects(RDF.type, SH.ValidationResult)
    )
