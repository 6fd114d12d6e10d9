"""O*NET releases: the extract in seeds/ loads with the counts its files give, by header names;
bad files stop the load naming file and line; the full release loads (slow, --runslow)."""

from __future__ import annotations

import csv
import resource
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from competency_kg.iris import Minter
from competency_kg.loaders import SourceError, read_source
from competency_kg.loaders.onet.files import looks_like_onet_release
from competency_kg.loaders.onet.release import read_onet_release
from competency_kg.loading import ValidationFailed, expand_paths, load_paths
from competency_kg.names import slugify
from competency_kg.namespaces import sparql_prefixes
from competency_kg.store import GraphStore, open_store

from support import ROOT, SEEDS, run_cli

EXTRACT = SEEDS / "onet-extract"
EXCEL = EXTRACT / "excel-29.2"
FULL = ROOT.parent / "shared" / "data"
BASE = "https://w3id.org/competency-kg/"
TEXT_GRAPH = URIRef(BASE + "graph/onet-27.0")
EXCEL_GRAPH = URIRef(BASE + "graph/onet-29.2-excel")


def tsv(name: str, folder: Path = EXTRACT) -> list[dict[str, str]]:
    """A release file read independently of the loader: the csv module, by header."""
    with (folder / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def xlsx(name: str) -> list[dict[str, object]]:
    import openpyxl

    wb = openpyxl.load_workbook(EXCEL / name, read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def count(store: GraphStore, where: str, graph: URIRef | None = None) -> int:
    body = f"GRAPH <{graph}> {{ {where} }}" if graph else where
    rows = store.select(sparql_prefixes() + f"SELECT (COUNT(*) AS ?n) WHERE {{ {body} }}")
    return int(rows[0]["n"])


@pytest.fixture(scope="module")
def kg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    store = open_store(tmp_path_factory.mktemp("onet") / "store")
    load_paths(store, [EXTRACT], Minter())
    yield store
    store.close()


def test_a_release_folder_is_one_source_and_its_excel_folder_another() -> None:
    assert looks_like_onet_release(EXTRACT) and looks_like_onet_release(EXCEL)
    assert not looks_like_onet_release(SEEDS)
    assert expand_paths([EXTRACT]) == [EXTRACT, EXCEL]
    assert [p for p in expand_paths([SEEDS]) if p.is_dir()] == [EXTRACT, EXCEL]


def test_counts_match_the_files(kg: GraphStore) -> None:
    occupations = tsv("Occupation Data.txt")
    tasks = tsv("Task Statements.txt")
    tech = tsv("Technology Skills.txt")
    tools = tsv("Tools Used.txt")
    alternates = tsv("Alternate Titles.txt")
    g = TEXT_GRAPH
    assert count(kg, "?o a ckg:Occupation", g) == len(occupations) == 5
    assert count(kg, "?o a ckg:Occupation ; skos:prefLabel ?t ; dcterms:description ?d", g) == 5
    assert count(kg, "?t a ckg:Task", g) == len(tasks)
    for kind, term in (("Core", "CoreTask"), ("Supplemental", "SupplementalTask")):
        expected = sum(1 for r in tasks if r["Task Type"] == kind)
        assert count(kg, f"?t ckg:taskType ckg:{term}", g) == expected
    # a technology is one resource per name, spelling variants ("Two-way", "Two way") merged
    m = Minter()
    assert count(kg, "?o ckg:usesTechnology ?t", g) == len(
        {(r["O*NET-SOC Code"], m.technology(r["Example"])) for r in tech}
    )
    assert count(kg, "?o ckg:hotTechnology ?t", g) == len(
        {
            (r["O*NET-SOC Code"], m.technology(r["Example"]))
            for r in tech
            if r["Hot Technology"] == "Y"
        }
    )
    assert count(kg, "?t a ckg:Technology", g) == len({m.technology(r["Example"]) for r in tech})
    assert count(kg, "?o ckg:usesEquipment ?t", g) == len(
        {(r["O*NET-SOC Code"], m.onet_tool(r["Example"])) for r in tools}
    )
    assert count(kg, "?o ckg:alternateTitle ?t", g) == len(
        {(r["O*NET-SOC Code"], slugify(r["Alternate Title"])) for r in alternates}
    )
    assert count(kg, "?o a ckg:Occupation ; ckg:relatedOccupation ?x", g) == len(
        tsv("Related Occupations.txt")
    )
    assert count(kg, "?o ckg:jobZone ?z", g) == len(tsv("Job Zones.txt"))
    assert count(kg, "?t ckg:workActivity ?d", g) == len(tsv("Tasks to DWAs.txt"))
    ete = tsv("Education, Training, and Experience.txt")
    assert count(kg, "?m a ckg:Measurement", g) == len(ete)
    assert count(kg, "?e a ckg:ContentModelElement", g) == (
        len(tsv("Content Model Reference.txt"))
        + len(tsv("IWA Reference.txt"))
        + len(tsv("DWA Reference.txt"))
    )
    commodities = {r["Commodity Code"] for r in tsv("UNSPSC Reference.txt")}
    assert count(kg, "?c ckg:classificationLevel 'commodity'", g) == len(commodities)


def test_ratings_match_the_excel_files(kg: GraphStore) -> None:
    skills, knowledge = xlsx("Skills.xlsx"), xlsx("Knowledge.xlsx")
    rows = skills + knowledge
    g = EXCEL_GRAPH
    assert count(kg, "?m a ckg:Measurement", g) == len(rows)
    pairs = {(r["O*NET-SOC Code"], r["Element ID"]) for r in rows}
    assert count(kg, "?r a ckg:ElementRating", g) == len(pairs)
    # one value checked against the file: Active Listening for Computer User Support Specialists
    (row,) = [
        r
        for r in skills
        if r["O*NET-SOC Code"] == "15-1232.00"
        and r["Element ID"] == "2.A.1.b"
        and r["Scale ID"] == "IM"
    ]
    got = kg.select(
        sparql_prefixes()
        + """SELECT ?imp ?n ?se WHERE { GRAPH ?g {
        <https://w3id.org/competency-kg/occupation/15-1232.00/rating/2.A.1.b> ckg:importance ?imp ;
          ckg:measurement ?m . ?m ckg:ratingScale/skos:notation "IM" ; ckg:sampleSize ?n ;
          ckg:standardError ?se } }"""
    )
    assert [(float(r["imp"]), int(r["n"]), float(r["se"])) for r in got] == [
        (row["Data Value"], row["N"], row["Standard Error"])
    ]


def test_soc_hierarchy_from_the_codes(kg: GraphStore) -> None:
    chain = kg.select(
        sparql_prefixes()
        + """SELECT ?code ?level ?label WHERE {
        <https://w3id.org/competency-kg/occupation/15-1299.08> skos:broader+ ?g .
        ?g skos:notation ?code ; ckg:classificationLevel ?level ; skos:prefLabel ?label }"""
    )
    got = {str(r["code"]): (str(r["level"]), str(r["label"])) for r in chain}
    assert got == {
        "15-1299": ("detailed occupation", "Computer Occupations, All Other"),
        "15-1290": ("broad occupation", "SOC broad occupation 15-1290"),
        "15-1200": ("minor group", "SOC minor group 15-1200"),
        "15-0000": ("major group", "Computer and Mathematical Occupations"),
    }


def test_release_licence_and_attribution_recorded(kg: GraphStore) -> None:
    rows = kg.select(
        sparql_prefixes()
        + """SELECT ?g ?version ?lic ?attr ?checked WHERE { GRAPH ?meta {
        ?g a ckg:SourceGraph ; schema:version ?version ; dcterms:license ?lic ;
           cc:attributionName ?attr ; dcterms:description ?checked } }"""
    )
    by_graph = {r["g"]: r for r in rows}
    assert set(by_graph) == {TEXT_GRAPH, EXCEL_GRAPH}
    assert str(by_graph[TEXT_GRAPH]["version"]) == "27.0"
    assert str(by_graph[EXCEL_GRAPH]["version"]) == "29.2"
    for r in rows:
        assert str(r["lic"]) == "https://creativecommons.org/licenses/by/4.0/"
        assert f"O*NET {r['version']} Database" in str(r["attr"])
        assert "USDOL/ETA" in str(r["attr"]) and "CC BY 4.0" in str(r["attr"])
        assert str(r["checked"]).startswith("Validated by row checks over all")


def _copy_extract(tmp: Path) -> Path:
    dst = tmp / "release"
    shutil.copytree(EXTRACT, dst, ignore=shutil.ignore_patterns("excel-29.2", "*.py", "*.md"))
    return dst


def _rewrite(path: Path, change) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = [ln.split("\t") for ln in lines]
    path.write_text("\n".join("\t".join(r) for r in change(rows)) + "\n", encoding="utf-8")


def _ntriples(folder: Path) -> set[str]:
    src = read_onet_release(folder, Minter())
    assert src.bulk is not None
    lines = set(src.bulk.ntriples.read_text(encoding="utf-8").splitlines())
    src.bulk.close()
    return lines


def test_columns_are_read_by_header_name(tmp_path: Path) -> None:
    release = _copy_extract(tmp_path)
    before = _ntriples(release)

    def reorder(rows: list[list[str]]) -> list[list[str]]:
        order = list(reversed(range(len(rows[0]))))
        return [[r[i] for i in order] + ["extra"] for r in rows]

    for name in ("Task Statements.txt", "Technology Skills.txt", "Occupation Data.txt"):
        _rewrite(release / name, reorder)
    assert _ntriples(release) == before


def test_missing_column_names_the_file_and_column(tmp_path: Path) -> None:
    release = _copy_extract(tmp_path)
    _rewrite(release / "Task Statements.txt", lambda rows: [r[:2] + r[3:] for r in rows])
    with pytest.raises(SourceError) as err:
        read_source(release, Minter())
    assert "Task Statements.txt" in str(err.value) and "missing column(s) 'Task'" in str(err.value)


@pytest.mark.parametrize(
    ("name", "line", "change", "words"),
    [
        ("Tools Used.txt", 5, lambda r: r[:-1], "expected 4 tab-separated fields"),
        ("Alternate Titles.txt", 3, lambda r: ["15-123", *r[1:]], "not an O*NET-SOC code"),
        ("Task Statements.txt", 7, lambda r: [*r[:5], "July 2014", *r[6:]], "not MM/YYYY"),
        (
            "Education, Training, and Experience.txt",
            4,
            lambda r: [*r[:5], "lots", *r[6:]],
            "Data Value 'lots' is not a number",
        ),
    ],
)
def test_malformed_row_names_file_and_line(
    tmp_path: Path,
    name: str,
    line: int,
    change,
    words: str,
) -> None:
    release = _copy_extract(tmp_path)
    _rewrite(
        release / name, lambda rows: [change(r) if n == line - 1 else r for n, r in enumerate(rows)]
    )
    with pytest.raises(SourceError) as err:
        read_source(release, Minter())
    assert f"{name} (line {line})" in str(err.value) and words in str(err.value)


def test_out_of_range_rating_stops_the_load_and_leaves_the_store(
    tmp_path: Path, store: GraphStore
) -> None:
    release = _copy_extract(tmp_path)
    shutil.copyfile(EXTRACT / "Read Me.txt", release / "Read Me.txt")
    header, first, *rest = tsv("Education, Training, and Experience.txt")[:3]
    del header, first, rest

    def inflate(rows: list[list[str]]) -> list[list[str]]:
        value = rows[0].index("Data Value")
        rows[1][value] = "250.00"  # a share of respondents above 100 %
        return rows

    _rewrite(release / "Education, Training, and Experience.txt", inflate)
    with pytest.raises(ValidationFailed) as err:
        load_paths(store, [release], Minter())
    results = [r for r in err.value.report.results if r.severity == "Violation"]
    assert [r.shape.rsplit("#", 1)[1] for r in results] == ["OnetRowCheck-rating-out-of-range"]
    assert results[0].location == "Education, Training, and Experience.txt line 2"
    assert store.graph_names() == []


def test_unknown_occupation_is_a_warning_and_the_row_is_left_out(tmp_path: Path) -> None:
    release = _copy_extract(tmp_path)
    _rewrite(
        release / "Tools Used.txt",
        lambda rows: [*rows, ["99-9999.00", "Anvil", "27112002", "Anvils"]],
    )
    src = read_onet_release(release, Minter())
    assert src.bulk is not None
    report = src.bulk.validate()
    warnings = [r for r in report.results if r.shape.endswith("unknown-occupation")]
    assert len(warnings) == 1 and "99-9999.00" in warnings[0].message
    assert "Anvil" not in src.bulk.ntriples.read_text(encoding="utf-8")
    src.bulk.close()


def test_the_example_queries_answer(kg: GraphStore) -> None:
    answers = {}
    for q in sorted((ROOT / "queries").glob("*.rq")):
        text = q.read_text(encoding="utf-8")
        assert text.startswith("# title: ")
        answers[q.stem] = kg.select(text)
    top = answers["top-skills-of-an-occupation"]
    assert [str(r["skill"]) for r in top[:3]] == [
        "Active Listening",
        "Reading Comprehension",
        "Speaking",
    ]
    hot = answers["hot-technologies-in-computer-occupations"]
    assert hot and int(hot[0]["occupations"]) >= 2
    shared = answers["job-zone-occupations-sharing-tools"]
    in_zone_4 = {r["O*NET-SOC Code"] for r in tsv("Job Zones.txt") if r["Job Zone"] == "4"}
    assert {str(r["code"]) for r in shared} == in_zone_4 - {"15-1232.00"}
    assert shared and all(int(r["shared"]) > 0 for r in shared)


def test_seeds_load_with_the_extract(tmp_path: Path) -> None:
    r = run_cli("load", store=tmp_path / "store")
    assert r.returncode == 0, r.stderr
    assert "onet-text" in r.stdout and "onet-excel" in r.stdout
    assert "links: occupations 2/2 matched" in r.stderr


# --------------------------------------------------------------------------- the full release
@pytest.mark.slow
def test_full_release_loads_validates_and_answers_in_time(tmp_path: Path) -> None:
    onet, ctdl = FULL / "onet", FULL / "ctdl"
    if not (onet / "Occupation Data.txt").is_file() or not ctdl.is_dir():
        pytest.fail(
            f"the full O*NET release is not at {onet} (and CTDL-ASN files at {ctdl}): this "
            "test loads the real release; put it there (see seeds/onet-extract/README.md)"
        )
    store = tmp_path / "store"
    seeds = run_cli("load", store=store)  # the seeds (and the extract the release replaces)
    assert seeds.returncode == 0, seeds.stderr
    started = time.monotonic()
    # no --force: the release and its CTDL-ASN frameworks conform (a violation refuses the load)
    r = run_cli("load", str(onet), str(ctdl), store=store)
    elapsed = time.monotonic() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"full load: {elapsed:.1f} s, peak memory {peak_kb / 1024:.0f} MB")
    assert r.returncode == 0, r.stderr[-3000:]
    for line in r.stdout.splitlines():
        if "\tonet-" in line:
            assert "\t0 violations\t" in line, line
    assert peak_kb < 4 * 1024 * 1024  # its time is printed: speed is the benchmark's
    s = open_store(store, read_only=True)
    try:
        assert count(s, "?o a ckg:Occupation ; skos:prefLabel ?t", TEXT_GRAPH) == 1016
        assert count(s, "?t a ckg:Task", TEXT_GRAPH) == 19265
        assert count(s, "?o ckg:usesTechnology ?t", TEXT_GRAPH) > 29000
        assert count(s, "?o ckg:usesEquipment ?t", TEXT_GRAPH) > 40000
        assert count(s, "?m a ckg:Measurement", EXCEL_GRAPH) == 61530 + 58014
        for q in sorted((ROOT / "queries").glob("*.rq")):
            assert s.select(q.read_text(encoding="utf-8")), q.name
        assert s.ask(
            sparql_prefixes()
            + "ASK { <https://w3id.org/competency-kg/competency/active-listening> "
            "skos:exactMatch <https://w3id.org/competency-kg/onet/element/2.A.1.b> }"
        )
        assert Literal("Computer User Support Specialists", lang="en") in {
            r["t"]
            for r in s.select(
                sparql_prefixes()
                + "SELECT ?t WHERE { <https://w3id.org/competency-kg/occupation/15-1232.00> "
                "skos:prefLabel ?t }"
            )
        }
    finally:
        s.close()
