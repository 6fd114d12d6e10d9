"""The command line as a user runs it: load, validate, query, export, stats, and bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from support import FRAMEWORK_SEED, OVERVIEW_SEED, SEEDS, run_cli


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the seeds loaded by ``competency-kg load`` (default path)."""
    store = tmp_path_factory.mktemp("cli") / "store"
    r = run_cli("load", store=store)
    assert r.returncode == 0, r.stderr
    return store


def _export(store: Path) -> set[tuple[str, ...]]:
    """The store's source-graph quads, metadata graph left out (it records load times)."""
    r = run_cli("export", "--format", "nquads", store=store)
    assert r.returncode == 0, r.stderr
    return {
        (str(q.subject), str(q.predicate), str(q.object), str(q.graph_name))
        for q in ox.parse(r.stdout.encode(), ox.RdfFormat.N_QUADS)
        if not str(q.graph_name).endswith("/graph/metadata>")
    }


def test_load_reports_each_source_and_counts(loaded: Path) -> None:
    r = run_cli("stats", store=loaded)
    assert r.returncode == 0, r.stderr
    assert "ckg:Occupation" in r.stdout and "ckg:CompetencyStatement" in r.stdout
    assert "/graph/000_78da1468efeafd76>" in r.stdout
    assert "/graph/004_151618e0f121074d>" in r.stdout


def test_seeds_validate_with_zero_violations(loaded: Path) -> None:
    r = run_cli("validate", store=loaded)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 violation(s)" in r.stdout
    assert "WARNINGS" in r.stdout  # the overview's real ambiguities


@pytest.mark.parametrize("fmt", ["json", "csv", "turtle"])
def test_validate_formats(loaded: Path, fmt: str) -> None:
    r = run_cli("validate", "--format", fmt, store=loaded)
    assert r.returncode == 0, r.stderr
    if fmt == "json":
        doc = json.loads(r.stdout)
        assert doc["conforms"] is True and doc["violations"] == 0 and doc["warnings"] > 0
    elif fmt == "csv":
        assert r.stdout.splitlines()[0].startswith("severity,shape,")
    else:
        g = Graph().parse(data=r.stdout, format="turtle")
        assert len(g) > 0


def test_validate_one_source(loaded: Path) -> None:
    """``--source links`` keeps the results that involve the links graph and drops the
    overview's own (checked by breaking it: with --source ignored, results without the links
    graph came back and this failed)."""

    def graphs(*args: str) -> list[str]:
        r = run_cli("validate", *args, "--format", "json", store=loaded)
        assert r.returncode == 0, r.stderr
        return [res["graph"] or "" for res in json.loads(r.stdout)["results"]]

    everything = graphs()
    links = graphs("--source", "links")
    assert links and all("/graph/links" in g for g in links)
    assert len(links) < len(everything)  # the filter dropped some: it does filter
    overview = graphs("--source", "004_151618e0f121074d")
    assert overview and all("004_151618e0f121074d" in g for g in overview)
    bad = run_cli("validate", "--source", "nope", store=loaded)
    assert bad.returncode == 2 and "no source graph 'nope'" in bad.stderr


def test_query_formats(loaded: Path) -> None:
    q = (
        "PREFIX ckg: <https://w3id.org/competency-kg/ontology#> "
        "SELECT (COUNT(?s) AS ?n) WHERE { ?s a ckg:CompetencyStatement }"
    )
    table = run_cli("query", q, store=loaded)
    assert table.returncode == 0 and "40" in table.stdout and "(1 row)" in table.stdout
    js = run_cli("query", q, "--format", "json", store=loaded)
    assert json.loads(js.stdout)["results"]["bindings"][0]["n"]["value"] == "40"
    csv = run_cli("query", q, "--format", "csv", store=loaded)
    assert csv.stdout.split() == ["n", "40"]
    ttl = run_cli(
        "query",
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3",
        "--format",
        "turtle",
        store=loaded,
    )
    assert len(Graph().parse(data=ttl.stdout, format="turtle")) == 3


def test_query_from_file_and_errors(loaded: Path, tmp_path: Path) -> None:
    f = tmp_path / "q.rq"
    f.write_text("ASK { ?s ?p ?o }")
    assert run_cli("query", "--file", str(f), store=loaded).stdout.strip() == "true"
    bad = run_cli("query", "SELECT ?x WHERE { ?x", store=loaded)
    assert bad.returncode == 2 and "SPARQL syntax" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("fmt", ["nquads", "trig", "turtle", "ntriples"])
def test_export_round_trips(loaded: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"dump.{fmt}"
    r = run_cli("export", "--format", fmt, "-o", str(out), store=loaded)
    assert r.returncode == 0, r.stderr
    formats = {
        "nquads": ox.RdfFormat.N_QUADS,
        "trig": ox.RdfFormat.TRIG,
        "turtle": ox.RdfFormat.TURTLE,
        "ntriples": ox.RdfFormat.N_TRIPLES,
    }
    quads = list(ox.parse(out.read_bytes(), formats[fmt]))
    assert len(quads) > 2000
    if fmt in ("nquads", "trig"):  # the named graphs survive
        assert len({str(q.graph_name) for q in quads}) >= 3


def test_loading_twice_gives_the_same_triples(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert run_cli("load", store=store).returncode == 0
    first = _export(store)
    assert run_cli("load", str(SEEDS), store=store).returncode == 0
    assert _export(store) == first


def _bad_inputs(tmp: Path) -> list[tuple[Path, str]]:
    """(file, text the one-line error must contain) for each kind of bad input."""
    cases: list[tuple[str, bytes, str]] = [
        ("empty.txt", b"", "file is empty"),
        ("binary.txt", b"\x00\x01\x02PNG\x00", "binary"),
        ("latin1.txt", "Occupation Overview: Caf\xe9".encode("latin-1"), "not valid UTF-8"),
        ("truncated.json", FRAMEWORK_SEED.read_bytes()[:700], "not valid JSON"),
        ("other-schema.json", b'{"name": "x", "items": []}', "unknown schema"),
        (
            "future.json",
            FRAMEWORK_SEED.read_bytes().replace(b'"1.0"', b'"2.0"', 1),
            "unsupported schema version",
        ),
        (
            "mistyped.json",
            FRAMEWORK_SEED.read_bytes().replace(b'"jobZone":4', b'"jobZone":"4"'),
            "$.occupation.jobZone",
        ),
        (
            "missing.json",
            FRAMEWORK_SEED.read_bytes().replace(b'"title":"Computer', b'"name":"C'),
            "$.occupation.title",
        ),
        ("broken.ttl", b'@prefix ex: <http://e/> .\nex:a ex:b "open .\n', "line"),
        ("entity.rdf", b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x "y">]>\n<r/>', "DOCTYPE"),
        (
            "sections.txt",
            b"Occupation Overview: Nobody\nJob Titles Within This Occupation\n",
            "section",
        ),
        ("unknown.txt", b"Dear diary, today I loaded a graph.\n", "unrecognised document format"),
    ]
    out = []
    for name, data, words in cases:
        p = tmp / name
        p.write_bytes(data)
        out.append((p, words))
    return out


def test_bad_input_names_file_and_place_and_leaves_store_unchanged(
    loaded: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    shutil.copytree(loaded, store)
    before = _export(store)
    for path, words in _bad_inputs(tmp_path):
        r = run_cli("load", str(path), store=store)
        assert r.returncode == 2, (path.name, r.stdout, r.stderr)
        last = r.stderr.strip().splitlines()[-1]
        assert last.startswith("error: ") and str(path) in last, (path.name, last)
        assert words in last, (path.name, last)
        assert "Traceback" not in r.stderr
    assert _export(store) == before


def test_a_bad_file_among_good_ones_stores_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    r = run_cli("load", str(FRAMEWORK_SEED), str(bad), store=store)
    assert r.returncode == 2
    stats = run_cli("stats", store=store)
    assert "CompetencyStatement" not in stats.stdout  # the good file was not stored either


def test_violations_refuse_the_source_unless_forced(tmp_path: Path) -> None:
    store = tmp_path / "store"
    bad = tmp_path / "bad-occupation.ttl"
    bad.write_text(
        "@prefix ckg: <https://w3id.org/competency-kg/ontology#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "<https://w3id.org/competency-kg/occupation/x> a ckg:Occupation ;\n"
        '  skos:notation "15-12" .\n'
    )
    r = run_cli("load", str(bad), "--graph", "https://example.org/g", store=store)
    assert r.returncode == 1 and "nothing was stored" in r.stderr
    assert "VIOLATIONS" in r.stderr
    assert "ckg:Occupation" not in run_cli("stats", store=store).stdout
    forced = run_cli("load", str(bad), "--graph", "https://example.org/g", "--force", store=store)
    assert forced.returncode == 0, forced.stderr
    assert run_cli("validate", store=store).returncode == 1


def test_rdf_file_into_named_graph(tmp_path: Path) -> None:
    store = tmp_path / "store"
    data = tmp_path / "d.nt"
    data.write_text('<http://example.org/s> <http://example.org/p> "o" .\n')
    r = run_cli("load", str(data), "--graph", "http://example.org/named", store=store)
    assert r.returncode == 0, r.stderr
    q = run_cli(
        "query",
        "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
        "--format",
        "csv",
        store=store,
    )
    assert "http://example.org/named" in q.stdout


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    r = run_cli("stats", store=tmp_path / "none")
    assert r.returncode == 2 and "run 'competency-kg load' first" in r.stderr


def test_load_and_validate_report_the_same_counts_and_say_their_context(tmp_path: Path) -> None:
    """The load's per-source counts are the store's (what ``validate`` prints), and the load's
    first check names its own context. Checked by breaking it: with the load printing its
    first check's counts again (the overview alone, without the glossary's definition), this
    failed."""
    store = tmp_path / "store"
    glossary = tmp_path / "glossary.ttl"  # defines a competency the overview only names
    glossary.write_text(
        "@prefix ckg: <https://w3id.org/competency-kg/ontology#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "<https://w3id.org/competency-kg/competency/administrative-support> a ckg:Competency ;\n"
        '  skos:prefLabel "Administrative Support"@en ;\n'
        '  skos:definition "Keeping an office running: records, schedules, supplies."@en .\n'
    )
    r = run_cli(
        "load", str(FRAMEWORK_SEED), str(OVERVIEW_SEED), str(glossary), "--corrections",
        str(SEEDS / "curation"), store=store,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    loaded = {}
    for line in r.stdout.splitlines():
        cells = line.split("\t")
        if len(cells) == 7 and cells[5].startswith("<"):
            loaded[cells[5][1:-1]] = (int(cells[3].split()[0]), int(cells[4].split()[0]))
    assert len(loaded) == 3
    assert "in the document alone (corrections applied)" in r.stderr
    assert "in the store, with the other sources and links as context" in r.stderr
    v = run_cli("validate", "--format", "json", store=store)
    doc = json.loads(v.stdout)
    assert "corrections applied" in doc["context"]
    counts = {s["graph"]: (s["violations"], s["warnings"]) for s in doc["sources"]}
    for graph, found in loaded.items():
        assert counts[graph] == found, graph
    text = run_cli("validate", store=store).stdout
    assert text.splitlines()[1].startswith("Context: each source with its curators' corrections")


def test_validate_text_lists_resolved_and_stale_corrections(tmp_path: Path) -> None:
    from support import FIXTURES, OVERVIEW_SEED

    folder = tmp_path / "sources"
    (folder / "curation").mkdir(parents=True)
    shutil.copy(OVERVIEW_SEED, folder)
    shutil.copy(FIXTURES / "curation" / "break-point.trig", folder / "curation")
    store = tmp_path / "store"
    assert run_cli("load", str(folder), store=store).returncode == 0

    r = run_cli("validate", store=store)
    assert r.returncode == 0, r.stderr
    resolved = r.stdout.split("RESOLVED BY CORRECTIONS (1)\n", 1)[1].split("STALE", 1)[0]
    assert "curation/test#break-point-rank-2> (break-point.trig, by test curator, 2026-11-26)" in (
        resolved
    )
    assert "why: Test: the empty rank 20 is taken off the list." in resolved
    assert "Warning: Other Relevant Occupation-Specific Competencies" in resolved
    assert "prints rank 20 with no competency" in resolved
    stale = r.stdout.split("STALE CORRECTIONS (1)\n", 1)[1]
    assert "curation/test#stale> (by test curator)" in stale and "matches no source" in stale
    # the resolved warning is gone from the report itself
    assert "prints rank 2 with no competency" not in r.stdout.split("RESOLVED BY", 1)[0]

    js = run_cli("validate", "--source", "004_151618e0f121074d", "--format", "json", store=store)
    assert js.returncode == 0, js.stderr
    doc = json.loads(js.stdout)
    assert [c["iri"].rsplit("#")[-1] for c in doc["stale"]] == ["stale"]
    assert doc["resolved"][0]["corrections"][0].endswith("#break-point-rank-2")
    csv = run_cli("validate", "--format", "csv", store=store)
    assert csv.returncode == 0 and csv.stdout.startswith("severity,shape,source_shape,")
    ttl = run_cli("validate", "--format", "turtle", store=store)
    assert ttl.returncode == 0 and "sh:ValidationReport" in ttl.stdout


def test_load_takes_corrections_from_a_given_folder(tmp_path: Path) -> None:
    from support import FIXTURES, OVERVIEW_SEED

    store = tmp_path / "store"
    r = run_cli(
        "load", str(OVERVIEW_SEED), "--corrections", str(FIXTURES / "curation"), store=store
    )
    assert r.returncode == 0, r.stderr
    assert "correction(s) from" in r.stderr and "stale correction" in r.stderr
    q = run_cli(
        "query",
        "ASK { GRAPH ?g { ?c a <https://w3id.org/competency-kg/ontology#Correction> } }",
        store=store,
    )
    assert q.stdout.strip() == "true"


# --------------------------------------------------------------------------- global options
def _kg_without_settings(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``competency-kg ARGS`` with no ``COMPETENCY_KG_*`` variable: only the options count."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPETENCY_KG_")}
    exe = Path(sys.executable).with_name("competency-kg")
    return subprocess.run(
        [str(exe), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_global_options_are_taken_after_the_command_too(tmp_path: Path) -> None:
    """``competency-kg load --store DIR`` (what a newcomer types first) works like
    ``competency-kg --store DIR load``; ``--base-iri`` likewise; given twice, the later wins.

    Checked to fail: with the global options on the main parser only, ``load --store`` exits 2
    with "unrecognized arguments: --store"; with them on the commands without ``SUPPRESS``, the
    command's unset default hid ``--store`` given before it and the store was ``var/store``.
    """
    base = "https://example.org/kg/"
    r = _kg_without_settings(
        "load", str(FRAMEWORK_SEED), "--store", "after", "--base-iri", base, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "after").is_dir() and not (tmp_path / "var").exists()
    ask = (
        "ASK { ?o a <https://w3id.org/competency-kg/ontology#Occupation>"
        f" FILTER STRSTARTS(STR(?o), '{base}') }}"
    )
    for args in (
        ("--store", "after", "query", ask),  # before the command
        ("query", ask, "--store", "after"),  # after it
        ("--store", "elsewhere", "query", "--store", "after", ask),  # the later one wins
    ):
        q = _kg_without_settings(*args, cwd=tmp_path)
        assert q.returncode == 0, (args, q.stderr)
        assert q.stdout.strip() == "true", args
    assert not (tmp_path / "var").exists() and not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("stats",),
        ("query", "ASK {}"),
        ("validate", "--format", "json"),
        ("export", "--format", "ntriples"),
        ("compare", "15-1232.00", "15-1231.00", "--nearest", "0"),
    ],
    ids=lambda a: a[0],
)
def test_each_command_says_which_store_it_used(loaded: Path, args: tuple[str, ...]) -> None:
    """One line on standard error, the store's absolute folder, before anything else; standard
    output (a result, an export) stays clean. Checked to fail with the line printed only by
    ``load``, and with it printed to standard output (the JSON and N-Triples no longer parse)."""
    cwd = loaded.parent / "elsewhere"
    cwd.mkdir(exist_ok=True)
    r = _kg_without_settings(*args, "--store", str(Path("..") / loaded.name), cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines()[0] == f"store: {loaded}"
    assert "store:" not in r.stdout


def test_load_says_which_store_it_filled(tmp_path: Path) -> None:
    """The default store is ``var/store`` under the working directory: ``load`` names it."""
    r = _kg_without_settings("load", str(FRAMEWORK_SEED), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines()[0] == f"store: {tmp_path / 'var' / 'store'}"
