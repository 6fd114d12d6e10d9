"""The benchmark's data: real sources through the real loaders, topped up with synthetic data.

A tier (:data:`TIERS`) is built once into ``{cache}/{tier}/`` and reused while its inputs are
unchanged (the fingerprint covers the source files, the loaders and the generator):

1. the real sources, each loaded on its own with :func:`competency_kg.loading.load_paths` (read,
   SHACL-check, store, link — what ``competency-kg load`` does), timed one by one: the seeds'
   occupation overviews (with their corrections), the CTDL-ASN frameworks, and the O*NET
   release — whole for the 5 M tier, otherwise a slice of it: every computer occupation
   (SOC 15-xxxx, which the site's example queries ask about) plus occupations taken evenly from
   the rest, every per-occupation file (text and Excel) cut down to those occupations and
   everything else (Content Model, scales, UNSPSC …) kept whole;
2. synthetic frameworks and overviews (:mod:`bench.synthetic`) up to the tier's size, written as
   N-Triples files and bulk-loaded with ``EmbeddedStore.bulk_replace``, timed (triples/s);
3. the store dumped as N-Quads (``data.nq``, timed: the export path) and as N-Triples
   (``data.nt``, one graph, for the load-rate comparisons).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
SEEDS = ROOT / "seeds"
#: Bump when the way data is built changes.
BUILD_VERSION = "1"
SOC = "O*NET-SOC Code"
RELATED_SOC = "Related O*NET-SOC Code"

Say = Callable[[str], None]


@dataclass(frozen=True)
class Tier:
    name: str
    target: int  # triples, about
    #: O*NET occupations kept: None = the whole release, 0 = no real sources at all
    onet_occupations: int | None
    batch_triples: int = 100_000


TIERS: dict[str, Tier] = {
    "smoke": Tier("smoke", 4_000, 0, batch_triples=2_000),
    "quick": Tier("quick", 250_000, 40),
    "1m": Tier("1m", 1_000_000, 180),
    "5m": Tier("5m", 5_000_000, None, batch_triples=250_000),
}


@dataclass
class SourceLoad:
    name: str
    kind: str  # "documents" (load_paths) or "n-triples" (bulk_replace)
    triples: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.triples / self.seconds if self.seconds else 0.0


@dataclass
class Dataset:
    tier: str
    folder: Path
    store: Path
    nquads: Path
    ntriples: Path
    triples: int
    graphs: int
    synthetic_triples: int
    occupations_kept: int | None
    loads: list[SourceLoad] = field(default_factory=list)
    dump_seconds: float = 0.0
    build_seconds: float = 0.0
    cached: bool = False

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        for k in ("folder", "store", "nquads", "ntriples"):
            d[k] = str(d[k])
        return d

    @classmethod
    def from_json(cls, d: dict) -> Dataset:  # type: ignore[type-arg]
        d = dict(d)
        loads = [SourceLoad(**x) for x in d.pop("loads")]
        for k in ("folder", "store", "nquads", "ntriples"):
            d[k] = Path(d[k])
        return cls(**d, loads=loads)


# --------------------------------------------------------------------------- fingerprint
def _fingerprint(tier: Tier) -> str:
    from bench import synthetic

    h = hashlib.sha256()
    h.update(json.dumps([asdict(tier), BUILD_VERSION, synthetic.VERSION]).encode())
    inputs: list[Path] = []
    if tier.onet_occupations != 0:
        for folder in (SHARED / "onet", SHARED / "ctdl", SEEDS):
            inputs += sorted(p for p in folder.rglob("*") if p.is_file())
    inputs += sorted((ROOT / "loaders").glob("*.py"))
    inputs += [ROOT / "competency_kg" / n for n in ("loading.py", "iris.py")]
    inputs += sorted((ROOT / "competency_kg").glob("linking*.py"))  # a module, then a package
    inputs += sorted((ROOT / "competency_kg" / "linking").glob("*.py"))
    inputs += [ROOT / "bench" / "synthetic.py"]
    for p in inputs:
        if p.is_relative_to(ROOT):
            # the project's own files by content, so that another checkout of the same commit
            # (a worktree, a fresh clone: new modification times) finds the same cache
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            h.update(f"{p.relative_to(ROOT)}:{digest}".encode())
        else:  # the shared release files: large and read-only
            st = p.stat()
            h.update(f"{p.relative_to(SHARED)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


# --------------------------------------------------------------------------- O*NET slice
def _read_tsv_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig") as f:
        return f.readline().rstrip("\r\n").split("\t")


def choose_occupations(release: Path, count: int) -> set[str]:
    """Every computer occupation (15-xxxx) and others taken evenly, ``count`` in all."""
    codes: list[str] = []
    with (release / "Occupation Data.txt").open(encoding="utf-8-sig") as f:
        next(f)
        for line in f:
            code = line.split("\t", 1)[0].strip()
            if code:
                codes.append(code)
    keep = {c for c in codes if c.startswith("15-")}
    rest = [c for c in codes if c not in keep]
    wanted = max(0, count - len(keep))
    if wanted and rest:
        step = len(rest) / wanted
        keep.update(rest[int(i * step)] for i in range(min(wanted, len(rest))))
    return keep


def slice_release(release: Path, dest: Path, keep: set[str]) -> None:
    """A copy of an O*NET release with per-occupation rows of ``keep`` only."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for p in sorted(release.iterdir()):
        if p.is_dir():
            slice_release(p, dest / p.name, keep)
        elif p.suffix == ".txt" and p.name != "Read Me.txt":
            _slice_text(p, dest / p.name, keep)
        elif p.suffix == ".xlsx":
            _slice_xlsx(p, dest / p.name, keep)
        else:
            shutil.copy2(p, dest / p.name)


def _slice_text(src: Path, dest: Path, keep: set[str]) -> None:
    header = _read_tsv_header(src)
    if SOC not in header:
        shutil.copy2(src, dest)
        return
    cols = [header.index(c) for c in (SOC, RELATED_SOC) if c in header]
    with src.open(encoding="utf-8-sig") as f, dest.open("w", encoding="utf-8") as out:
        out.write(f.readline())
        for line in f:
            fields = line.rstrip("\r\n").split("\t")
            if all(i < len(fields) and fields[i].strip() in keep for i in cols):
                out.write(line)


def _slice_xlsx(src: Path, dest: Path, keep: set[str]) -> None:
    import openpyxl

    from competency_kg.loaders.onet_excel import iter_xlsx_rows

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    cols: list[int] | None = None
    for _, cells in iter_xlsx_rows(src):
        if cols is None:
            cols = [cells.index(c) for c in (SOC, RELATED_SOC) if c in cells]
            ws.append(cells)
        elif all(cells[i] in keep for i in cols):
            ws.append(cells)
    wb.save(dest)


# --------------------------------------------------------------------------- building
def _named_quads(store: object) -> int:
    """Quads in the named graphs: the store's default graph holds their merge as well
    (competency_kg.store.merge), which ``len(store)`` would count a second time."""
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")  # type: ignore[attr-defined]
    return int(next(iter(rows))["n"].value)


def _count_quads(store_path: Path) -> tuple[int, int]:
    import pyoxigraph as ox

    s = ox.Store.read_only(str(store_path))
    n = _named_quads(s)
    graphs = sum(1 for _ in s.named_graphs())
    del s
    return n, graphs


def _synthetic_description(minter, batch) -> object:  # type: ignore[no-untyped-def]
    from rdflib import Graph, Literal
    from rdflib.namespace import DCTERMS, RDF, VOID, XSD

    from competency_kg.namespaces import CKG
    from competency_kg.store import DescriptionReplacement

    g = Graph()
    doc = minter.source_document(batch.path.stem)
    g.add((batch.graph, RDF.type, CKG.SourceGraph))
    g.add((batch.graph, RDF.type, VOID.Dataset))
    g.add((batch.graph, DCTERMS.source, doc))
    g.add((batch.graph, CKG.loader, Literal("synthetic")))
    g.add((batch.graph, VOID.triples, Literal(batch.triples, datatype=XSD.integer)))
    g.add((doc, RDF.type, CKG.SourceDocument))
    g.add((doc, DCTERMS.title, Literal(batch.path.name)))
    return DescriptionReplacement(minter.metadata_graph(), (batch.graph, doc), g)


def build(tier: Tier, cache: Path, say: Say = print, *, rebuild: bool = False) -> Dataset:
    """The tier's data set, built now or taken from the cache."""
    folder = cache / tier.name
    manifest = folder / "manifest.json"
    fp = _fingerprint(tier)
    if manifest.exists() and not rebuild:
        d = json.loads(manifest.read_text())
        if d.get("fingerprint") == fp and Path(d["dataset"]["nquads"]).exists():
            ds = Dataset.from_json(d["dataset"])
            ds.cached = True
            say(f"data: {tier.name} from the cache ({ds.triples:,} triples)")
            return ds
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    started = time.perf_counter()

    from bench.synthetic import write_batches
    from competency_kg.iris import Minter
    from competency_kg.loading import load_paths
    from competency_kg.store.embedded import EmbeddedStore

    minter = Minter()
    store_path = folder / "store"
    store = EmbeddedStore(store_path)
    loads: list[SourceLoad] = []
    kept: int | None = None
    try:
        if tier.onet_occupations != 0:
            release = SHARED / "onet"
            if tier.onet_occupations is not None:
                keep = choose_occupations(release, tier.onet_occupations)
                kept = len(keep)
                say(f"data: slicing the O*NET release to {kept} occupations")
                sliced = folder / "sources" / "onet"
                slice_release(release, sliced, keep)
                release = sliced
            seeds = sorted(p for p in SEEDS.glob("*.txt"))
            steps = [
                ("seeds: occupation overviews", seeds),
                ("CTDL-ASN frameworks", [SHARED / "ctdl"]),
                (f"O*NET release{' (slice)' if kept else ''}", [release]),
            ]
            for name, paths in steps:
                before = _named_quads(store.oxigraph)
                say(f"data: loading {name}")
                t = time.perf_counter()
                load_paths(store, paths, minter, corrections=[SEEDS / "curation"])
                loads.append(
                    SourceLoad(
                        name,
                        "documents",
                        _named_quads(store.oxigraph) - before,
                        time.perf_counter() - t,
                    )
                )
        real = _named_quads(store.oxigraph)
        synthetic = max(0, tier.target - real)
        say(f"data: {real:,} triples from real sources; generating {synthetic:,} synthetic")
        gen_t = load_t = 0.0
        made = 0
        t = time.perf_counter()
        for batch in write_batches(
            folder / "synthetic", synthetic, minter, batch_triples=tier.batch_triples
        ):
            gen_t += time.perf_counter() - t
            t = time.perf_counter()
            store.bulk_replace(batch.graph, batch.path, [_synthetic_description(minter, batch)])
            load_t += time.perf_counter() - t
            made += batch.triples
            batch.path.unlink()
            t = time.perf_counter()
        if made:
            loads.append(
                SourceLoad("synthetic frameworks (bulk_replace)", "n-triples", made, load_t)
            )
            say(
                f"data: {made:,} synthetic triples generated in {gen_t:.1f} s, "
                f"stored in {load_t:.1f} s"
            )
        store.optimize()  # as every 'competency-kg load' ends
    finally:
        store.close()

    nquads, ntriples = folder / "data.nq", folder / "data.nt"
    store = EmbeddedStore(store_path, read_only=True)
    t = time.perf_counter()
    with nquads.open("wb") as out:
        store.dump(out, "application/n-quads")
    dump_s = time.perf_counter() - t
    store.close()
    _nquads_to_ntriples(nquads, ntriples)
    triples, graphs = _count_quads(store_path)
    ds = Dataset(
        tier=tier.name,
        folder=folder,
        store=store_path,
        nquads=nquads,
        ntriples=ntriples,
        triples=triples,
        graphs=graphs,
        synthetic_triples=made,
        occupations_kept=kept,
        loads=loads,
        dump_seconds=dump_s,
        build_seconds=time.perf_counter() - started,
    )
    manifest.write_text(json.dumps({"fingerprint": fp, "dataset": ds.to_json()}, indent=2))
    say(f"data: {tier.name} built: {triples:,} triples in {graphs} graphs")
    return ds


def _nquads_to_ntriples(src: Path, dest: Path) -> None:
    """The quads as triples, graph names dropped (the N-Triples load-rate input)."""
    import pyoxigraph as ox

    with dest.open("wb") as out:
        quads = ox.parse(path=str(src), format=ox.RdfFormat.N_QUADS)
        ox.serialize((q.triple for q in quads), out, ox.RdfFormat.N_TRIPLES)
