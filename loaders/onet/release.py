"""Reading a whole release: the files in order (references first), the sample pySHACL
checks, the N-Triples file and the source's metadata."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from competency_kg.loaders.onet.files import (
    OCCUPATION_DATA,
    RATING_FILES,
    README,
    Table,
    find_file,
    read_release_info,
)
from competency_kg.loaders.onet.occupations import OccupationFiles
from competency_kg.loaders.onet.ratings import RatingFiles
from competency_kg.loaders.onet.sink import REFERENCE_SAMPLE_EVERY, Sink
from competency_kg.loaders.source import BulkGraph, LoadedSource
from competency_kg.namespaces import SCHEMA

if TYPE_CHECKING:
    from competency_kg.iris import Minter
    from competency_kg.validation import Report

Progress = Callable[[str], None]

#: Occupations whose every triple pySHACL checks (chosen evenly over the release).
SAMPLE_OCCUPATIONS = 4


@dataclass
class Counts:
    """What was read and written, by kind (the test suite and the progress lines use it)."""

    rows: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # files this release does not have
    read: list[Path] = field(default_factory=list)


class OnetWriter(OccupationFiles, RatingFiles):
    """Turns O*NET rows into triples on a :class:`Sink`; checks every row while it goes."""


#: (file stem, handler, required columns, optional columns) in reading order: references first.
_PLAN: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Content Model Reference", "content_model", ("Element ID", "Element Name"), ("Description",)),
    ("Scales Reference", "scales_reference", ("Scale ID", "Scale Name"), ("Minimum", "Maximum")),
    (
        "Job Zone Reference",
        "job_zone_reference",
        ("Job Zone", "Name"),
        ("Experience", "Education", "Job Training", "Examples", "SVP Range"),
    ),
    (
        "UNSPSC Reference",
        "unspsc_reference",
        (
            "Commodity Code",
            "Commodity Title",
            "Class Code",
            "Class Title",
            "Family Code",
            "Family Title",
            "Segment Code",
            "Segment Title",
        ),
        (),
    ),
    ("IWA Reference", "iwa_reference", ("Element ID", "IWA ID", "IWA Title"), ()),
    ("DWA Reference", "dwa_reference", ("IWA ID", "DWA ID", "DWA Title"), ()),
    (
        "Education, Training, and Experience Categories",
        "category_reference",
        ("Element ID", "Scale ID", "Category", "Category Description"),
        (),
    ),
    (OCCUPATION_DATA, "occupation_data", ("O*NET-SOC Code", "Title"), ("Description",)),
    ("Job Zones", "job_zones", ("O*NET-SOC Code", "Job Zone"), ("Date", "Domain Source")),
    (
        "Alternate Titles",
        "alternate_titles",
        ("O*NET-SOC Code", "Alternate Title"),
        ("Short Title",),
    ),
    (
        "Sample of Reported Titles",
        "reported_titles",
        ("O*NET-SOC Code", "Reported Job Title"),
        ("Shown in My Next Move",),
    ),
    (
        "Task Statements",
        "task_statements",
        ("O*NET-SOC Code", "Task ID", "Task"),
        ("Task Type", "Incumbents Responding", "Date", "Domain Source"),
    ),
    ("Tasks to DWAs", "tasks_to_dwas", ("O*NET-SOC Code", "Task ID", "DWA ID"), ()),
    (
        "Technology Skills",
        "technology_skills",
        ("O*NET-SOC Code", "Example", "Commodity Code"),
        ("Commodity Title", "Hot Technology"),
    ),
    (
        "Tools Used",
        "tools_used",
        ("O*NET-SOC Code", "Example", "Commodity Code"),
        ("Commodity Title", "Hot Technology"),
    ),
    (
        "Related Occupations",
        "related_occupations",
        ("O*NET-SOC Code", "Related O*NET-SOC Code"),
        ("Relatedness Tier", "Index"),
    ),
    *(
        (
            stem,
            "ratings",
            ("O*NET-SOC Code", "Element ID", "Scale ID", "Data Value"),
            (
                "Title",
                "Element Name",
                "Scale Name",
                "Category",
                "N",
                "Standard Error",
                "Lower CI Bound",
                "Upper CI Bound",
                "Recommend Suppress",
                "Not Relevant",
                "Date",
                "Domain Source",
            ),
        )
        for stem in RATING_FILES
    ),
)


def _handler(w: OnetWriter, name: str) -> Callable[[Table], None]:
    if name == "technology_skills":
        return lambda t: w.examples(t, technology=True)
    if name == "tools_used":
        return lambda t: w.examples(t, technology=False)
    return getattr(w, name)


def release_files(folder: Path) -> list[Path]:
    """The files of the release this loader reads, in reading order."""
    return [p for stem, *_ in _PLAN if (p := find_file(folder, stem)) is not None]


def _occupation_codes(folder: Path) -> list[str]:
    """Every occupation code in ``Occupation Data`` (for choosing the sample), or none."""
    path = find_file(folder, OCCUPATION_DATA)
    if path is None:
        return []
    return sorted({row[0] for _, row in Table(path, ("O*NET-SOC Code",))})


def choose_sample(codes: Sequence[str], k: int = SAMPLE_OCCUPATIONS) -> set[str]:
    """``k`` codes spread evenly over the sorted codes, first and last included.

    >>> sorted(choose_sample(["a", "b", "c", "d", "e", "f", "g"], 3))
    ['a', 'd', 'g']
    """
    if len(codes) <= k:
        return set(codes)
    step = (len(codes) - 1) / (k - 1)
    return {codes[round(i * step)] for i in range(k)}


def read_onet_release(
    folder: Path,
    minter: Minter,
    progress: Progress | None = None,
    sample_size: int = SAMPLE_OCCUPATIONS,
) -> LoadedSource:
    """Read an O*NET release folder into an N-Triples file; see the module doc."""

    say = progress or (lambda _m: None)
    info = read_release_info(folder)
    excel = find_file(folder, OCCUPATION_DATA) is None and any(
        (p := find_file(folder, s)) is not None and p.suffix == ".xlsx" for s in RATING_FILES
    )
    sid = f"onet-{info.version}" + ("-excel" if excel else "")
    doc = minter.source_document(sid)
    codes = _occupation_codes(folder)
    sample = choose_sample(codes, sample_size)
    tmp = Path(tempfile.mkdtemp(prefix="competency-kg-onet-"))
    path = tmp / f"{sid}.nt"
    occupation_base = str(minter.occupation("00-0000.00", ""))[: -len("00-0000.00")]
    sink = Sink(path, occupation_base, sample)
    w = OnetWriter(minter, sink, doc)
    w.scheme_header(info.title)
    counts = Counts()
    try:
        for stem, handler, required, optional in _PLAN:
            p = find_file(folder, stem)
            if p is None:
                counts.skipped.append(stem)
                continue
            table = Table(p, required, optional)
            before = sink.triples
            _handler(w, handler)(table)
            counts.rows[p.name] = table.rows
            counts.read.append(p)
            say(f"  {p.name}: {table.rows:,} rows → {sink.triples - before:,} triples")
    except BaseException:
        sink.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    sink.close()
    # the file goes when the source is stored (close), or when the source is dropped unstored
    cleanup = weakref.finalize(sink, shutil.rmtree, tmp, ignore_errors=True)
    if counts.skipped:
        say(f"  not in this release: {', '.join(counts.skipped)}")

    checksum = _folder_checksum([folder / README, *counts.read])
    meta = Graph()
    gi = minter.source_graph(sid)
    meta.add((gi, SCHEMA.version, Literal(info.version)))
    meta.add(
        (
            gi,
            DCTERMS.publisher,
            Literal("U.S. Department of Labor, Employment and Training Administration (USDOL/ETA)"),
        )
    )
    validate = _validator(sink, w, counts, gi, meta)
    src = LoadedSource(
        folder,
        sid,
        "onet-excel" if excel else "onet-text",
        Graph(),
        gi,
        doc,
        checksum,
        [info.licence] if info.licence else [],
        info.attribution,
        bulk=BulkGraph(path, sink.triples, validate, cleanup),
        metadata=meta,
        title=" — ".join(x for x in (info.title, info.issued) if x),
    )
    src.onet_counts = counts  # type: ignore[attr-defined]
    return src


def _folder_checksum(paths: Sequence[Path]) -> str:
    """SHA-256 over the release's files read: each file's name and SHA-256, in order."""
    h = hashlib.sha256()
    for p in paths:
        f = hashlib.sha256()
        with p.open("rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                f.update(chunk)
        h.update(f"{p.name}\t{f.hexdigest()}\n".encode())
    return h.hexdigest()


def _validator(
    sink: Sink, w: OnetWriter, counts: Counts, gi: URIRef, meta: Graph
) -> Callable[[], Report]:
    def validate() -> Report:
        from competency_kg.validation import Report, Result, validate_graph

        sample, stubs, references = sink.sample_graph()
        report, _ = validate_graph(sample, {})
        results = [r for r in report.results if r.focus not in stubs]
        for r in results:
            r.graph = str(gi)
        for f in w.findings:
            results.append(
                Result(
                    severity=f.severity,
                    shape=f"https://w3id.org/competency-kg/shapes#OnetRowCheck-{f.check}",
                    source_shape=f"https://w3id.org/competency-kg/shapes#OnetRowCheck-{f.check}",
                    constraint="RowCheck",
                    focus=f.focus,
                    focus_label=None,
                    path=None,
                    value=None,
                    message=f.message,
                    graph=str(gi),
                    location=f.location,
                )
            )
        rows = sum(counts.rows.values())
        occupations = len(sink.occupation_types)
        sampled = occupations if sink.sample is None else len(sink.sample)
        scope = (
            f"row checks over all {rows:,} rows of {len(counts.rows)} files; SHACL over "
            f"{len(sample):,} triples: every triple of {sampled:,} of {occupations:,} occupations"
            + (
                ""
                if sink.sample is None
                else f" and of {references:,} reference resources (those they use, and one in "
                f"{REFERENCE_SAMPLE_EVERY} of the others)"
            )
        )
        meta.add((gi, DCTERMS.description, Literal(f"Validated by {scope}.")))
        return Report(conforms=not any(r.severity == "Violation" for r in results), results=results)

    return validate
