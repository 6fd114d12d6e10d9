"""Property-based fuzzing of the loaders: whatever the input, only the loaders' own clean
``SourceError`` escapes, and whatever they accept maps to RDF without a crash.

A few hundred examples per property in the default run; ``--runslow`` (or
``HYPOTHESIS_PROFILE=long``) runs thousands.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from competency_kg.iris import Minter
from competency_kg.loaders.errors import SourceError
from competency_kg.loaders.framework_json import parse_framework
from competency_kg.loaders.mapping import framework_to_graph, overview_to_graph
from competency_kg.loaders.overview import parse_overview
from competency_kg.loaders.rdf_file import parse_rdf_bytes

from support import FRAMEWORK_SEED, OVERVIEW_SEED

settings.register_profile(
    "default",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "long",
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

MINTER = Minter()
SEED_JSON = json.loads(FRAMEWORK_SEED.read_text(encoding="utf-8"))
OVERVIEW_LINES = OVERVIEW_SEED.read_text(encoding="utf-8").splitlines()

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**6),
    st.floats(allow_nan=False),
    st.text(max_size=40),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(node: object, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


SEED_PATHS = _paths(SEED_JSON)[1:]


def _replace(doc: object, path: tuple, value: object) -> object:
    if not path:
        return value
    head, *rest = path
    copy = dict(doc) if isinstance(doc, dict) else list(doc)  # type: ignore[arg-type]
    copy[head] = _replace(copy[head], tuple(rest), value)  # type: ignore[index]
    return copy


def _write(tmp: Path, data: bytes, name: str) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


def _load_framework(path: Path) -> None:
    try:
        doc = parse_framework(path)
    except SourceError as err:
        assert str(path) in str(err)
        return
    framework_to_graph(doc, MINTER, MINTER.source_document("fuzz"))


def _load_overview(path: Path) -> None:
    try:
        doc = parse_overview(path)
    except SourceError as err:
        assert str(path) in str(err)
        return
    overview_to_graph(doc, MINTER, MINTER.source_document("fuzz"))


@given(edits=st.lists(st.tuples(st.sampled_from(SEED_PATHS), json_value), min_size=1, max_size=4))
def test_framework_json_with_any_field_replaced(
    tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[tuple, object]]
) -> None:
    doc: object = SEED_JSON
    for path, value in edits:
        try:
            doc = _replace(doc, path, value)
        except (KeyError, IndexError, TypeError):
            assume(False)
    tmp = tmp_path_factory.mktemp("fw")
    _load_framework(_write(tmp, json.dumps(doc).encode(), "doc.json"))


@given(data=st.binary(max_size=2000))
def test_framework_json_from_arbitrary_bytes(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    _load_framework(_write(tmp_path_factory.mktemp("fw"), data, "doc.json"))


@given(cut=st.integers(0, len(FRAMEWORK_SEED.read_bytes())))
def test_framework_json_truncated_anywhere(
    tmp_path_factory: pytest.TempPathFactory, cut: int
) -> None:
    data = FRAMEWORK_SEED.read_bytes()[:cut]
    _load_framework(_write(tmp_path_factory.mktemp("fw"), data, "doc.json"))


line_edit = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, len(OVERVIEW_LINES) - 1), st.just("")),
    st.tuples(st.just("duplicate"), st.integers(0, len(OVERVIEW_LINES) - 1), st.just("")),
    st.tuples(st.just("replace"), st.integers(0, len(OVERVIEW_LINES) - 1), st.text(max_size=60)),
    st.tuples(
        st.just("insert"),
        st.integers(0, len(OVERVIEW_LINES) - 1),
        st.sampled_from(
            [
                "•",
                "1",
                "25",
                "Scenario: X",
                "List of Competencies",
                "Most Preferred Competencies",
                "• Name: text",
                "",
            ]
        ),
    ),
)


@given(edits=st.lists(line_edit, min_size=1, max_size=12))
def test_overview_with_lines_edited(
    tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[str, int, str]]
) -> None:
    lines = list(OVERVIEW_LINES)
    for op, i, text in edits:
        i = min(i, len(lines) - 1)
        if not lines:
            break
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "replace":
            lines[i] = text
        else:
            lines.insert(i, text)
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    _load_overview(_write(tmp_path_factory.mktemp("ov"), data, "doc.txt"))


@given(data=st.text(max_size=3000))
def test_overview_from_arbitrary_text(tmp_path_factory: pytest.TempPathFactory, data: str) -> None:
    raw = ("Occupation Overview: X\n" + data).encode("utf-8", "surrogatepass")
    _load_overview(_write(tmp_path_factory.mktemp("ov"), raw, "doc.txt"))


RDF_SAMPLE = (
    b"@prefix ex: <http://example.org/> .\n"
    b'ex:a ex:p "x"@en , 3 ; ex:q [ ex:r ex:b ] .\n'
    b"ex:b a ex:C .\n"
)
FORMATS = [
    ox.RdfFormat.TURTLE,
    ox.RdfFormat.N_TRIPLES,
    ox.RdfFormat.N_QUADS,
    ox.RdfFormat.TRIG,
    ox.RdfFormat.RDF_XML,
    ox.RdfFormat.JSON_LD,
]


@given(fmt=st.sampled_from(FORMATS), data=st.binary(max_size=1500))
def test_rdf_upload_path_from_arbitrary_bytes(fmt: ox.RdfFormat, data: bytes) -> None:
    try:
        parse_rdf_bytes(data, fmt, "upload")
    except SourceError as err:
        assert "upload" in str(err)


@given(
    fmt=st.sampled_from(FORMATS), cut=st.integers(0, len(RDF_SAMPLE)), noise=st.binary(max_size=20)
)
def test_rdf_upload_path_truncated_and_noisy(fmt: ox.RdfFormat, cut: int, noise: bytes) -> None:
    try:
        parse_rdf_bytes(RDF_SAMPLE[:cut] + noise, fmt, "upload")
    except SourceError as err:
        assert "upload" in str(err)
