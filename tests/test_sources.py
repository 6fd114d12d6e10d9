"""Sources are named and credited as the documents themselves say (issue 14), through the CLI.

One store holds the seeds and a second document of each kind (a framework export, an overview,
a CTDL-ASN framework, the shipped ontology and a plain RDF file that describes nothing), so a
title that came from knowing the seed's words, not from the document's structure, shows up.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from support import FIXTURES, ROOT, run_cli

BASE = "https://w3id.org/competency-kg/"
META = f"<{BASE}graph/metadata>"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
OVERVIEW = BASE + "graph/004_151618e0f121074d"
PREFIXES = """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX ckg: <https://w3id.org/competency-kg/ontology#>
PREFIX cc: <http://creativecommons.org/ns#>
"""


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds plus a second document of each seed kind, loaded by ``competency-kg load``."""
    store = tmp_path_factory.mktemp("sources") / "store"
    r = run_cli(
        "load",
        "seeds",
        str(FIXTURES / "framework" / "nurse-framework.json"),
        str(FIXTURES / "overview" / "registered_nurse.txt"),
        str(FIXTURES / "ctdl" / "welding-framework.jsonld"),
        store=store,
    )
    assert r.returncode == 0, r.stderr
    return store


@pytest.fixture(scope="module")
def rdf_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped ontology and a plain RDF file that describes nothing, in a store of their
    own (the ontology's subclass axioms would make the seeds' competencies CTDL ones)."""
    root = tmp_path_factory.mktemp("rdf-sources")
    plain = root / "plain-data.ttl"
    plain.write_text(
        "<https://example.org/x> <http://www.w3.org/2000/01/rdf-schema#label> 'x' .\n",
        encoding="utf-8",
    )
    store = root / "store"
    r = run_cli("load", str(ROOT / "ontology" / "competency-kg.ttl"), str(plain), store=store)
    assert r.returncode == 0, r.stderr
    return store


def select(store: Path, query: str) -> list[dict[str, str]]:
    r = run_cli("query", PREFIXES + query, "--format", "csv", store=store)
    assert r.returncode == 0, r.stderr
    return list(csv.DictReader(io.StringIO(r.stdout)))


def test_each_source_is_titled_as_the_document_titles_itself(loaded: Path, rdf_files: Path) -> None:
    """Graph and document both carry the document's own title; the file name is kept apart.

    Checked by breaking it: with ``describe_source`` writing ``src.path.name`` as the title
    again, every title here but the plain RDF file's failed.
    """
    query = f"""SELECT ?g ?title ?doctitle ?file WHERE {{ GRAPH {META} {{
          ?g a ckg:SourceGraph ; dcterms:title ?title ; dcterms:source ?doc .
          ?doc dcterms:title ?doctitle ; ckg:fileName ?file }} }}"""
    rows = select(loaded, query) + select(rdf_files, query)
    got = {r["file"]: r["title"] for r in rows}
    assert all(r["title"] == r["doctitle"] for r in rows)
    assert got == {
        "000_78da1468efeafd76.txt": "Competency framework 15-1299.00 v.26.05 (LER.me export)",
        "004_151618e0f121074d.txt": "Occupation Overview: Computer User Support Specialists",
        "onet-extract": "O*NET 27.0 Database — August 2022 Release",
        "excel-29.2": "O*NET 29.2 Database — February 2025 Release",
        # the second document of each kind gets its own title, from its own fields
        "nurse-framework.json": "Competency framework 29-1141.00 2026.1",
        "registered_nurse.txt": "Occupation Overview: Registered Nurses",
        "welding-framework.jsonld": "Structural Welding Competencies",
        "competency-kg.ttl": "competency-kg ontology",
        "plain-data.ttl": "plain-data.ttl",  # it says nothing of itself: its file name
    }


def test_licence_is_what_each_document_states_for_itself(loaded: Path, rdf_files: Path) -> None:
    """The framework exports state a licence only for a source they cite: that licence is the
    cited source's, and the export itself has none on record.

    Checked by breaking it: with ``read_source`` giving the export its sources' licences again
    (as before), the framework graphs had CC BY 4.0 and this failed.
    """
    query = f"""SELECT ?file ?lic ?attr WHERE {{ GRAPH {META} {{
          ?g a ckg:SourceGraph ; dcterms:source ?doc . ?doc ckg:fileName ?file .
          OPTIONAL {{ ?g dcterms:license ?lic }} OPTIONAL {{ ?g cc:attributionName ?attr }} }} }}"""
    rows = select(loaded, query) + select(rdf_files, query)
    licences = {r["file"]: r["lic"] for r in rows}
    assert licences == {
        "000_78da1468efeafd76.txt": "",  # CC BY 4.0 is stated for its O*NET source only
        "nurse-framework.json": "",  # likewise for its ESCO source
        "004_151618e0f121074d.txt": "",
        "registered_nurse.txt": "",
        "onet-extract": CC_BY,  # the Read Me licenses the release itself
        "excel-29.2": CC_BY,
        "welding-framework.jsonld": "https://creativecommons.org/licenses/by-sa/4.0/",
        "competency-kg.ttl": CC_BY,  # the ontology's own dcterms:license
        "plain-data.ttl": "",
    }
    attribution = {r["file"]: r["attr"] for r in rows}
    assert attribution["000_78da1468efeafd76.txt"] == "© EBSCOed"
    assert attribution["004_151618e0f121074d.txt"] == ""

    cited = select(
        loaded,
        f"""SELECT ?file ?title ?lic WHERE {{ GRAPH {META} {{
          ?doc ckg:fileName ?file ; dcterms:source ?c . ?c dcterms:title ?title .
          OPTIONAL {{ ?c dcterms:license ?lic }} }} }} ORDER BY ?file ?title""",
    )
    assert [(r["file"], r["title"], r["lic"]) for r in cited] == [
        ("000_78da1468efeafd76.txt", "crosswalk", ""),
        ("000_78da1468efeafd76.txt", "onet v30.2", CC_BY),
        ("nurse-framework.json", "esco v1.2", CC_BY),
        ("nurse-framework.json", "handbook", ""),
    ]


def _results(store: Path, name: str) -> list[dict[str, str]]:
    r = run_cli("validate", "--source", name, "--format", "json", store=store)
    assert r.returncode == 0, f"--source {name!r}: {r.stderr}"
    return json.loads(r.stdout)["results"]


@pytest.mark.parametrize(
    "name",
    [
        "Occupation Overview: Computer User Support Specialists",  # its title
        "004_151618e0f121074d.txt",  # its file name
        OVERVIEW,  # its graph IRI
        "004_151618e0f121074d",  # the graph's local name
        "occupation overview: computer user support specialists",  # a title typed in lower case
    ],
)
def test_validate_source_accepts_every_name_shown(loaded: Path, name: str) -> None:
    """Every name the pages show picks the same source, and the filter really filters: the
    overview has results (its warnings), all of them its own, fewer than the whole store's.

    Checked by breaking it: with ``resolve_source`` matching only IRIs and local names (as
    before), the title and the file name were refused with exit 2.
    """
    results = _results(loaded, name)
    assert len(results) > 0
    assert all(OVERVIEW in r["graph"].split() for r in results)
    assert len(results) == len(_results(loaded, OVERVIEW))


def test_an_unknown_source_lists_the_names_accepted(loaded: Path) -> None:
    r = run_cli("validate", "--source", "004_151618e0f121074d.pdf", store=loaded)
    assert r.returncode == 2
    assert "no source graph '004_151618e0f121074d.pdf'" in r.stderr
    for accepted in (
        "'Occupation Overview: Computer User Support Specialists'",
        "'004_151618e0f121074d.txt'",
        f"'{OVERVIEW}'",
        "'Competency framework 15-1299.00 v.26.05 (LER.me export)'",
    ):
        assert accepted in r.stderr


def test_cli_output_names_sources_by_title(loaded: Path) -> None:
    """``validate`` and ``stats`` name each source by the title the document gives itself."""
    report = run_cli("validate", "--source", "004_151618e0f121074d.txt", store=loaded)
    assert report.returncode == 0, report.stderr
    assert f"Occupation Overview: Computer User Support Specialists <{OVERVIEW}>" in report.stdout
    assert "[Occupation Overview: Computer User Support Specialists" in report.stdout
    stats = run_cli("stats", store=loaded)
    assert f"<{OVERVIEW}>  Occupation Overview: Computer User Support Specialists" in stats.stdout
