"""The SHACL shapes, tested as data (the way pySHACL and the W3C SHACL test suite test SHACL).

Each Turtle file in ``tests/shapes_cases/`` holds a small data graph and, in the same file,
the results validating it must give (see ``tests/shapes_cases/README.md`` for the
vocabulary). One parametrized test validates every case; further tests check that every
shape has a passing and a failing case, that every shape is documented for curators, and
that the seed documents give no violations.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SH

from competency_kg.validation import validate_graph, validate_with_pyshacl_only

from support import result_rows

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHAPES_DIR = ROOT / "shapes"
#: The shapes files these cases cover: every ``*.shacl.ttl`` the validation reads
#: (``competency_kg.validation.shapes_graph``) but O*NET's, whose shapes ``tests/test_onet.py``
#: checks on O*NET rows (``test_every_shapes_file_is_covered`` keeps this list whole).
COVERED_ELSEWHERE = {"onet.shacl.ttl"}
SHAPES_FILES = sorted(f for f in SHAPES_DIR.glob("*.shacl.ttl") if f.name not in COVERED_ELSEWHERE)
CASES_DIR = HERE / "shapes_cases"
FRAMEWORK_SEED = ROOT / "seeds" / "000_78da1468efeafd76.txt"
OVERVIEW_SEED = ROOT / "seeds" / "004_151618e0f121074d.txt"

T = Namespace("urn:test#")
CKGSH = Namespace("https://w3id.org/competency-kg/shapes#")

CASE_FILES = sorted(CASES_DIR.glob("*.ttl"))


@dataclass(frozen=True, order=True)
class Key:
    """What a validation result is compared by: which shape, how severe, on which node."""

    shape: str
    severity: str
    focus: str

    def __str__(self) -> str:
        return f"{_short(self.shape)} {_short(self.severity)} {_short(self.focus)}"


def _short(iri: str) -> str:
    for prefix, ns in (("ckgsh:", str(CKGSH)), ("sh:", str(SH)), ("ex:", "https://example.org/")):
        if iri.startswith(ns):
            return prefix + iri[len(ns) :]
    return iri


@dataclass
class Case:
    data: Graph
    conforms: bool
    expected: set[Key]
    messages: list[tuple[Key, str]]  # (result, text its message must contain)


@dataclass
class Outcome:
    conforms: bool
    results: dict[Key, list[str]]  # key → the messages of each result with that key


@cache
def shapes_graph() -> Graph:
    g = Graph()
    for f in SHAPES_FILES:
        g.parse(f, format="turtle")
    return g


def test_every_shapes_file_is_covered() -> None:
    """The links' shapes (``shapes/links.shacl.ttl``) are read here beside the documents'; a
    new shapes file must be too, or be named as covered elsewhere. (Checked by reading only
    ``competency-kg.shacl.ttl`` again: the links' cases then expected unknown shapes.)"""
    names = {f.name for f in SHAPES_DIR.glob("*.shacl.ttl")}
    assert {"competency-kg.shacl.ttl", "links.shacl.ttl"} <= {f.name for f in SHAPES_FILES}
    assert names >= COVERED_ELSEWHERE


def outcome_of(report: Graph) -> Outcome:
    results: dict[Key, list[str]] = defaultdict(list)
    for r in report.subjects(RDF.type, SH.ValidationResult):
        key = Key(
            str(report.value(r, SH.sourceShape)),
            str(report.value(r, SH.resultSeverity)),
            str(report.value(r, SH.focusNode)),
        )
        messages = [str(m) for m in report.objects(r, SH.resultMessage)]
        results[key].append(" | ".join(messages))
    conforms = not any(k.severity == str(SH.Violation) for k in results)
    return Outcome(conforms, dict(results))


def run(data: Graph) -> Outcome:
    """Validate exactly as the project does (``competency_kg.validation``): no inference, no
    ontology, SHACL-AF on, SPARQL constraints on Oxigraph, warnings do not break conformance."""
    return outcome_of(validate_graph(data)[1])


def load_case(path: Path) -> Case:
    g = Graph().parse(path, format="turtle")
    cases = list(g.subjects(RDF.type, T.Case))
    assert len(cases) == 1, f"{path.name}: exactly one t:Case expected, found {len(cases)}"
    case = cases[0]
    conforms = g.value(case, T.conforms)
    assert isinstance(conforms, Literal) and isinstance(conforms.value, bool), (
        f"{path.name}: t:conforms must be a boolean"
    )
    expected: set[Key] = set()
    messages: list[tuple[Key, str]] = []
    for e in list(g.objects(case, T.expect)):
        values = {p: g.value(e, p) for p in (T.shape, T.severity, T.focus)}
        assert all(isinstance(v, URIRef) for v in values.values()), (
            f"{path.name}: each t:expect needs t:shape, t:severity and t:focus IRIs"
        )
        key = Key(*(str(values[p]) for p in (T.shape, T.severity, T.focus)))
        expected.add(key)
        messages.extend((key, str(text)) for text in g.objects(e, T.messageContains))
        g.remove((e, None, None))
    g.remove((case, None, None))
    leftover = {str(term) for triple in g for term in triple if str(term).startswith(str(T))}
    assert not leftover, f"{path.name}: test vocabulary left in the data graph: {leftover}"
    has_violation = any(k.severity == str(SH.Violation) for k in expected)
    assert conforms.value is not has_violation, (
        f"{path.name}: t:conforms must be false exactly when a sh:Violation is expected"
    )
    return Case(g, conforms.value, expected, messages)


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case(path: Path) -> None:
    case = load_case(path)
    outcome = run(case.data)
    got = set(outcome.results)
    missing = sorted(str(k) for k in case.expected - got)
    unexpected = sorted(f"{k}: {outcome.results[k]}" for k in got - case.expected)
    assert not missing and not unexpected, f"missing: {missing}\nunexpected: {unexpected}"
    assert outcome.conforms is case.conforms
    for key, text in case.messages:
        assert any(text in m for m in outcome.results[key]), (
            f"no {key} result message contains {text!r}: {outcome.results[key]}"
        )
    for key, messages in outcome.results.items():
        for m in messages:
            assert m.strip(), f"{key} has no message"
            assert "{?" not in m and "{$" not in m, f"{key}: unsubstituted variable in {m!r}"


# --------------------------------------------------------------------------- the shapes file
def _shape_iris(sg: Graph) -> set[URIRef]:
    shapes = set(sg.subjects(RDF.type, SH.NodeShape)) | set(sg.subjects(RDF.type, SH.PropertyShape))
    return {s for s in shapes if isinstance(s, URIRef)}


def constraining_shapes(sg: Graph) -> dict[URIRef, set[URIRef]]:
    """Every shape that raises results itself → the classes whose instances it validates.

    Property shapes, and node shapes with constraints of their own (beyond sh:property).
    """
    descriptive = (
        SH.targetClass,
        SH.targetSubjectsOf,
        SH.property,
        RDF.type,
        RDFS.label,
        RDFS.comment,
        SH.name,
        SH.description,
        SH.message,
        SH.severity,
    )
    out: dict[URIRef, set[URIRef]] = {}
    for s in _shape_iris(sg):
        if (s, RDF.type, SH.PropertyShape) in sg:
            owners = set(sg.subjects(SH.property, s))
            out[s] = {c for o in owners for c in sg.objects(o, SH.targetClass)}  # type: ignore[misc]
        elif any(p not in descriptive for p in sg.predicates(s, None)):
            out[s] = set(sg.objects(s, SH.targetClass))  # type: ignore[arg-type]
    return out


def test_every_shape_has_a_passing_and_a_failing_case() -> None:
    """A shape is failed by a case that expects a result from it, and passed by a case whose
    data has instances of the class the shape validates but that expects no result from it."""
    sg = shapes_graph()
    shapes = constraining_shapes(sg)
    failed: set[str] = set()
    passed: set[str] = set()
    for path in CASE_FILES:
        case = load_case(path)
        hit = {k.shape for k in case.expected}
        failed |= hit
        present = set(case.data.objects(None, RDF.type))
        passed |= {str(s) for s, classes in shapes.items() if classes & present} - hit
    names = {str(s) for s in shapes}
    assert not names - failed, f"shapes no case fails: {sorted(map(_short, names - failed))}"
    assert not names - passed, f"shapes no case passes: {sorted(map(_short, names - passed))}"
    assert not failed - names, f"cases expect unknown shapes: {sorted(failed - names)}"


def test_every_shape_is_documented() -> None:
    """Named IRIs under ckgsh:, a name, a severity, and a message for curators on every rule."""
    sg = shapes_graph()
    for s in _shape_iris(sg):
        label = _short(str(s))
        assert str(s).startswith(str(CKGSH)), f"{s} is not under ckgsh:"
        assert sg.value(s, SH.name) is not None, f"{label} has no sh:name"
        if (s, RDF.type, SH.NodeShape) in sg:
            assert sg.value(s, RDFS.label) is not None, f"{label} has no rdfs:label"
            assert sg.value(s, SH.targetClass) is not None, f"{label} has no sh:targetClass"
        constraints = list(sg.objects(s, SH.sparql))
        if constraints:
            for c in constraints:
                assert sg.value(c, SH.message) is not None, f"{label}: SPARQL rule has no message"
                assert sg.value(c, RDFS.label) is not None, f"{label}: SPARQL rule has no label"
        else:
            assert sg.value(s, SH.message) is not None, f"{label} has no sh:message"
    for s in constraining_shapes(sg):
        assert sg.value(s, SH.severity) in (SH.Violation, SH.Warning, SH.Info), (
            f"{_short(str(s))} must state its severity"
        )
    nodes = set(sg.subjects(RDF.type, SH.NodeShape))
    for p in sg.subjects(RDF.type, SH.PropertyShape):
        owners = set(sg.subjects(SH.property, p)) & nodes
        assert owners, f"{_short(str(p))} belongs to no node shape"


# --------------------------------------------------------------------------- the seeds
def _violations(outcome: Outcome) -> list[str]:
    return sorted(
        f"{k}: {m}"
        for k, ms in outcome.results.items()
        if k.severity == str(SH.Violation)
        for m in ms
    )


def test_framework_seed_has_no_violations() -> None:
    from competency_kg.iris import Minter
    from competency_kg.loaders.framework_json import parse_framework
    from competency_kg.loaders.mapping import framework_to_graph

    m = Minter()
    graph = framework_to_graph(parse_framework(FRAMEWORK_SEED), m, m.source_document("seed"))
    outcome = run(graph)
    assert outcome.conforms, _violations(outcome)
    assert not _violations(outcome)


def test_overview_seed_has_no_violations() -> None:
    from competency_kg.iris import Minter
    from competency_kg.loaders.mapping import overview_to_graph
    from competency_kg.loaders.overview import parse_overview

    m = Minter()
    graph = overview_to_graph(parse_overview(OVERVIEW_SEED), m, m.source_document("seed"))
    outcome = run(graph)
    assert outcome.conforms, _violations(outcome)
    assert not _violations(outcome)
    # The overview's two-column layout leaves gaps a curator must close: these are Warnings.
    assert outcome.results, "the overview seed is expected to raise curator Warnings"


# --------------------------------------------------------------------------- the fast path
@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_fast_report_is_identical_to_plain_pyshacl(path: Path) -> None:
    """The SPARQL constraints run on Oxigraph give exactly pySHACL's results, message and all."""
    data = load_case(path).data
    assert set(result_rows(validate_graph(data)[1])) == set(
        result_rows(validate_with_pyshacl_only(data))
    )


def test_fast_report_of_the_seeds_is_identical_to_plain_pyshacl() -> None:
    from competency_kg.iris import Minter
    from competency_kg.loaders.framework_json import parse_framework
    from competency_kg.loaders.mapping import framework_to_graph, overview_to_graph
    from competency_kg.loaders.overview import parse_overview

    m = Minter()
    data = overview_to_graph(parse_overview(OVERVIEW_SEED), m, m.source_document("o"))
    data += framework_to_graph(parse_framework(FRAMEWORK_SEED), m, m.source_document("f"))
    fast = set(result_rows(validate_graph(data)[1]))
    assert fast == set(result_rows(validate_with_pyshacl_only(data)))
    assert len(fast) > 50
