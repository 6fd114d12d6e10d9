"""The framework JSON export loader: every field, every level and statement, in order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from competency_kg.loaders.errors import SourceError
from competency_kg.loaders.framework_json import parse_framework, split_statement

from support import FIXTURES, FRAMEWORK_SEED


def test_seed_parses_every_field() -> None:
    doc = parse_framework(FRAMEWORK_SEED)
    assert doc.schema_version == "1.0"
    assert doc.exported_at == "2026-05-15T12:51:50.817Z"
    assert (doc.soc_code, doc.title) == ("15-1299.00", "Computer Occupations, All Other")
    assert (doc.group, doc.sector, doc.job_zone, doc.job_zone_inferred) == (
        "Computer & Mathematical",
        "54",
        4,
        True,
    )
    assert doc.framework_version == "v.26.05"
    assert doc.framework_description is None  # "" in the file: nothing to say
    assert doc.context_covered and doc.context_covered.startswith("This framework covers")
    assert [(lv.key, lv.label, lv.position) for lv in doc.levels] == [
        ("emerging", "Emerging", 1),
        ("developing", "Developing", 2),
        ("proficient", "Proficient", 3),
        ("advanced", "Advanced", 4),
    ]
    assert [len(lv.statements) for lv in doc.levels] == [10, 10, 10, 10]
    first = doc.levels[0].statements[0]
    assert first.topic == "Computer program malfunctions"
    assert first.action.startswith("identify and escalate")
    assert first.text == f"{first.topic} — {first.action}"
    assert first.where == "$.framework.levels.emerging.statements[0]"
    raw = json.loads(FRAMEWORK_SEED.read_text())
    for lv in doc.levels:  # order and text kept exactly
        assert [s.text for s in lv.statements] == raw["framework"]["levels"][lv.key]["statements"]
    assert [(s.key, s.value) for s in doc.sources] == [
        ("onet", "v30.2 (CC BY 4.0)"),
        ("crosswalk", "https://skillscrosswalk.com"),
        ("generator", "LER.me"),
    ]
    assert doc.attribution == "© EBSCOed"


def test_variant_with_other_levels_and_counts() -> None:
    doc = parse_framework(FIXTURES / "framework" / "nurse-framework.json")
    assert doc.title == "Registered Nurses" and doc.soc_code == "29-1141.00"
    assert [lv.key for lv in doc.levels] == ["novice", "competent", "expert"]
    assert [len(lv.statements) for lv in doc.levels] == [2, 3, 2]
    assert doc.levels[0].statements[0].topic == "Patient vital signs"  # en dash
    no_dash = doc.levels[2].statements[1]
    assert (no_dash.topic, no_dash.action) == (None, None)
    assert no_dash.text == "A statement written without any dash at all."


def test_minimal_variant_without_optional_fields() -> None:
    doc = parse_framework(FIXTURES / "framework" / "welder-framework.json")
    assert doc.soc_code is None and doc.sources == [] and doc.attribution is None
    assert [len(lv.statements) for lv in doc.levels] == [1]


def test_split_statement_only_at_spaced_dashes() -> None:
    assert split_statement("Mid-size systems — run well-known checks") == (
        "Mid-size systems",
        "run well-known checks",
    )
    assert split_statement("Self-study - only") == ("Self-study", "only")
    assert split_statement("non-dash text") == (None, None)


def _write(tmp_path: Path, content: str | bytes, name: str = "doc.json") -> Path:
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return p


def _seed() -> dict:
    return json.loads(FRAMEWORK_SEED.read_text())


@pytest.mark.parametrize(
    ("mutate", "where", "words"),
    [
        (lambda d: d.pop("occupation"), "$.occupation", "missing"),
        (lambda d: d["occupation"].pop("title"), "$.occupation.title", "missing"),
        (lambda d: d["occupation"].update(jobZone="4"), "$.occupation.jobZone", "integer"),
        (lambda d: d["occupation"].update(jobZone=9), "$.occupation.jobZone", "outside"),
        (lambda d: d["occupation"].update(soc="151299"), "$.occupation.soc", "NN-NNNN.NN"),
        (lambda d: d["framework"].update(levels=[]), "$.framework.levels", "object"),
        (lambda d: d["framework"].update(levels={}), "$.framework.levels", "no levels"),
        (
            lambda d: d["framework"]["levels"]["emerging"].update(statements="x"),
            "$.framework.levels.emerging.statements",
            "array",
        ),
        (
            lambda d: d["framework"]["levels"]["developing"]["statements"].__setitem__(3, 42),
            "$.framework.levels.developing.statements[3]",
            "string",
        ),
        (lambda d: d.update(schemaVersion="2.0"), "$.schemaVersion", "unsupported"),
        (lambda d: d["sources"].update(onet=1), "$.sources.onet", "string"),
    ],
)
def test_wrong_fields_name_the_json_path(tmp_path: Path, mutate, where: str, words: str) -> None:
    data = _seed()
    mutate(data)
    p = _write(tmp_path, json.dumps(data))
    with pytest.raises(SourceError) as err:
        parse_framework(p)
    assert err.value.where == where
    assert words in err.value.message
    assert str(p) in str(err.value)


@pytest.mark.parametrize(
    ("content", "where", "words"),
    [
        (b"", None, "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", None, "binary"),
        (
            '{"schemaVersion": "1.0", "title": "caf\xe9"}'.encode("latin-1"),
            "line 1, byte 38",
            "UTF-8",
        ),
        (FRAMEWORK_SEED.read_bytes()[:500], "line 1, column 290", "not valid JSON"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes, where: str | None, words: str) -> None:
    p = _write(tmp_path, content)
    with pytest.raises(SourceError) as err:
        parse_framework(p)
    assert err.value.where == where
    assert words in err.value.message
