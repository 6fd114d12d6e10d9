"""Damaging edits a curator might make by accident are caught by the upload check (and so by
the load, which runs the same checks): a level deleted or emptied, an overview cut short, a
level word the scale does not know. Every document here is made by the test (a kiln
operators' framework, the project's own welder overview), so nothing passes by recognising
the seeds."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from competency_kg.config import settings
from competency_kg.iris import Minter
from competency_kg.loading import load_paths
from competency_kg.store import open_store
from competency_kg.web.app import create_app

from support import FIXTURES

BASE = "https://w3id.org/competency-kg/"
WELDER = FIXTURES / "overview" / "welder.txt"

KILN = {
    "schemaVersion": "1.0",
    "occupation": {"soc": "51-9051.00", "title": "Kiln Operators", "jobZone": 2},
    "framework": {
        "version": "1",
        "levels": {
            key: {
                "label": key.title(),
                "statements": [
                    f"Kiln loading — stack ware at the {key} level, step {n}." for n in (1, 2)
                ],
            }
            for key in ("emerging", "developing", "proficient", "advanced")
        },
    },
    "sources": {"onet": "v30.2 (CC BY 4.0)", "generator": "LER.me"},
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    """A store holding the welder overview: the context of every check here."""
    path = tmp_path_factory.mktemp("damaging") / "store"
    with open_store(path) as store:
        load_paths(store, [WELDER], Minter(), corrections=[])
    return create_app(settings(store=str(path), base_iri=BASE)).test_client()


def check(client: FlaskClient, name: str, data: bytes) -> dict:
    r = client.post(
        "/validation",
        data={"file": (io.BytesIO(data), name)},
        headers={"Accept": "application/json"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200, r.data
    return r.get_json()


def rules(report: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in report["results"]:
        out.setdefault(r["source_shape"].rsplit("#", 1)[-1], []).append(r)
    return out


def kiln(edit: dict | None = None) -> bytes:
    doc = copy.deepcopy(KILN)
    for key, value in (edit or {}).items():
        if value is None:
            del doc["framework"]["levels"][key]
        else:
            doc["framework"]["levels"][key]["statements"] = value
    return json.dumps(doc).encode()


def test_the_whole_framework_passes(client: FlaskClient) -> None:
    report = check(client, "kiln.json", kiln())
    assert report["violations"] == 0
    assert not {"ProficiencyScale-positionsContiguous", "ProficiencyLevel-statements"} & set(
        rules(report)
    )


def test_a_deleted_level_is_a_violation_at_the_scale(client: FlaskClient) -> None:
    """The other levels are not renumbered: 'developing' missing leaves position 2 empty.
    Checked by breaking it: numbering levels in document order (the old loader) gave 0
    violations."""
    report = check(client, "kiln.json", kiln({"developing": None}))
    [gap] = rules(report)["ProficiencyScale-positionsContiguous"]
    assert gap["severity"] == "Violation" and "position 2" in gap["message"]
    assert gap["location"] == "$.framework.levels"
    assert report["conforms"] is False  # a load would refuse it


def test_an_emptied_level_is_a_warning_at_its_place(client: FlaskClient) -> None:
    """The JSON parser refuses no statement list, so the shape must see it (checked by
    breaking it: with ckgsh:ProficiencyLevel-statements deactivated, this failed)."""
    report = check(client, "kiln.json", kiln({"proficient": []}))
    [empty] = rules(report)["ProficiencyLevel-statements"]
    assert empty["severity"] == "Warning" and "'Proficient'" in empty["message"]
    assert empty["location"] == "$.framework.levels.proficient"


def test_half_an_overview_warns_of_the_sections_it_lost(client: FlaskClient) -> None:
    """The first half of the welder overview misses sections every overview has (checked by
    breaking it: without ckgsh:Occupation-overviewSections, it had no such warning)."""
    text = WELDER.read_text()
    lines = text.splitlines(keepends=True)
    whole = check(client, "welder.txt", text.encode())
    assert "Occupation-overviewSections" not in rules(whole)
    first = check(client, "welder.txt", "".join(lines[: len(lines) // 2]).encode())
    missing = {r["value"] for r in rules(first)["Occupation-overviewSections"]}
    assert {"Prioritized Occupation-Specific Competencies", "Work Scenarios"} <= missing
    assert all(r["location"] == "line 1" for r in rules(first)["Occupation-overviewSections"])


def test_an_unknown_level_word_is_a_warning_at_the_entry(client: FlaskClient) -> None:
    """'Expert Arc Welding' would become a competency of its own: the entry says so at its
    own line (checked by breaking it: with the rule deactivated, no warning)."""
    text = WELDER.read_text().replace(
        "Intermediate Arc Welding: Producing", "Expert Arc Welding: Producing"
    )
    line = 1 + text.splitlines().index(
        next(x for x in text.splitlines() if x.startswith("Expert Arc Welding"))
    )
    report = check(client, "welder.txt", text.encode())
    [word] = rules(report)["ListEntry-levelWordUnknown"]
    assert "'Expert Arc Welding' starts with 'Expert'" in word["message"]
    assert word["location"] == f"line {line}"


def test_the_framework_loader_keeps_a_known_sequence(tmp_path: Path) -> None:
    """At load too: the load refuses the framework that lost a level."""
    from support import run_cli

    doc = tmp_path / "kiln.json"
    doc.write_bytes(kiln({"emerging": None}))
    r = run_cli("load", str(doc), store=tmp_path / "store")
    assert r.returncode == 1 and "No level of this scale has position 1" in r.stderr


# --------------------------------------------------------------------------- conflicts
KILN_ELSEWHERE = """@prefix ckg: <https://w3id.org/competency-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/competency-kg/occupation/51-9051.00> a ckg:Occupation ;
    skos:prefLabel "Kiln Operators"@en ; skos:notation "51-9051.00" ;
    ckg:jobZone "3"^^xsd:integer ;
    ckg:sourceLocation "line 4" .
"""


@pytest.fixture(scope="module")
def other_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("conflict") / "kiln-register.ttl"
    path.write_text(KILN_ELSEWHERE)
    return path


def test_a_job_zone_two_sources_disagree_on_is_one_conflict(
    tmp_path: Path, other_source: Path
) -> None:
    """Framework: job zone 2; another source: 3. The upload check reports one conflict naming
    both values with their sources and places, not the count rule's "must be one whole number"
    (checked by breaking it: without the conflict check, that count violation came back)."""
    path = tmp_path / "store"
    with open_store(path) as store:
        load_paths(store, [other_source], Minter(), corrections=[])
    client = create_app(settings(store=str(path), base_iri=BASE)).test_client()
    report = check(client, "kiln.json", kiln())
    found = rules(report)
    [conflict] = found["Occupation-jobZoneConflict"]
    assert conflict["severity"] == "Violation" and report["conforms"] is False
    assert "'2' in this document ($.occupation.jobZone)" in conflict["message"]
    assert "'3' in kiln-register.ttl (line 4)" in conflict["message"]
    assert "Occupation-jobZone" not in found  # the misleading count rule is explained away


def test_a_conflict_stops_the_load_unless_the_job_zone_was_inferred(
    tmp_path: Path, other_source: Path
) -> None:
    """At load, in the store: a stated job zone against another source's stops the load and
    rolls it back; one the document marks as inferred is a warning."""
    from support import run_cli

    store = tmp_path / "store"
    assert run_cli("load", str(other_source), store=store).returncode == 0
    doc = tmp_path / "kiln.json"
    doc.write_bytes(kiln())
    r = run_cli("load", str(doc), store=store)
    assert r.returncode == 1, r.stderr
    assert "Sources disagree on this occupation's job zone" in r.stderr
    assert "in the store, with the other sources" in r.stderr
    assert "CompetencyStatement" not in run_cli("stats", store=store).stdout  # rolled back
    inferred = json.loads(kiln())
    inferred["occupation"]["jobZoneInferred"] = True
    doc.write_text(json.dumps(inferred))
    r = run_cli("load", str(doc), store=store)
    assert r.returncode == 0, r.stderr
    v = json.loads(run_cli("validate", "--format", "json", store=store).stdout)
    [conflict] = [x for x in v["results"] if x["source_shape"].endswith("jobZoneConflict")]
    assert conflict["severity"] == "Warning"


def test_a_new_version_that_drops_a_level_or_statements_warns(tmp_path: Path) -> None:
    """The loaded kiln framework has four levels of two statements; the new version of the
    same file drops the top level (no gap: only the comparison sees it) and a statement.
    Checked by breaking it: without version_drops, neither warning appeared."""
    doc = tmp_path / "kiln.json"
    doc.write_bytes(kiln())
    path = tmp_path / "store"
    with open_store(path) as store:
        load_paths(store, [doc], Minter(), corrections=[])
    client = create_app(settings(store=str(path), base_iri=BASE)).test_client()
    edited = kiln({"advanced": None, "emerging": [KILN_STATEMENT]})
    found = rules(check(client, "kiln.json", edited)).get("CompetencyFramework-keepsLoadedLevels")
    assert found is not None
    messages = {r["value"]: r["message"] for r in found}
    assert "no level 'advanced'" in messages["advanced"] and "version loaded now" in (
        messages["advanced"]
    )
    assert "The level 'emerging' has 1 statement(s)" in messages["emerging"]
    assert {r["location"] for r in found} == {"$.framework.levels", "$.framework.levels.emerging"}
    assert "CompetencyFramework-keepsLoadedLevels" not in rules(check(client, "kiln.json", kiln()))


KILN_STATEMENT = "Kiln loading — stack ware at the emerging level, step 1."


def test_the_load_warns_of_what_the_version_it_replaces_had(tmp_path: Path) -> None:
    """Reloading the same file, edited: the load's first check compares it with the version it
    replaces (checked by breaking it: without the comparison at load, no such warning)."""
    from support import run_cli

    doc, store = tmp_path / "kiln.json", tmp_path / "store"
    doc.write_bytes(kiln())
    assert run_cli("load", str(doc), store=store).returncode == 0
    doc.write_bytes(kiln({"advanced": None}))
    r = run_cli("load", str(doc), store=store)
    assert r.returncode == 0, r.stderr
    first = next(x for x in r.stderr.splitlines() if "in the document alone" in x)
    assert "1 warning(s)" in first
