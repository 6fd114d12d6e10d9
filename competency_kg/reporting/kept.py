"""The store's report kept on disk per store version, and computed once per process in the
background: what ``/validation`` shows at once on a restarted server, and while a report is
being computed (see docs/validation.md, "Kept reports").

- **On disk.** As what else is kept per published version beside an embedded store
  (:mod:`competency_kg.store.kept`: the file's place, the version check, the atomic write,
  the cleanup, the error policy): ``<store>.kept/report-<version>-<format>-<key>.json``, the
  per-graph reports of :class:`ReportCache` for that version, ``<key>`` a digest of the
  shapes files, the validation code, this code's version and the schema's format
  (:mod:`competency_kg.reporting.kept_json`: the value's schema, read strictly). A version or
  shapes change names another file: the report is computed again, never served stale; the
  cache still checks each graph's fingerprints before serving it. A file not to be used is
  never served: one log line, and the report is computed again and written anew. A remote
  store (no published version) keeps nothing on disk.
- **In the background.** :func:`whole_report` starts (or joins) the one computation of the
  current version's report per store and process, waits for it at most ``wait`` seconds and
  gives the report, or says how far it got; the warmer's report step runs the same one.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from competency_kg import __version__
from competency_kg.iris import Minter
from competency_kg.reporting.graph_report import CACHE, GraphReport, ReportCache
from competency_kg.reporting.kept_json import FORMAT, decode, encode
from competency_kg.reporting.state import read_state, store_id
from competency_kg.reporting.store_report import StoreReport, assemble
from competency_kg.store import GraphStore
from competency_kg.store.kept import Kept, published
from competency_kg.store.versions import store_of

log = logging.getLogger(__name__)


#: The report's files (the schema's :data:`~competency_kg.reporting.kept_json.FORMAT` is in
#: their key, :func:`shapes_key`).
KEPT = Kept("report", "validation report", FORMAT)


#: The code a report depends on, besides the shapes: a change to it (a checkout between two
#: commits of one version) names another file too.
_CODE = ("competency_kg.shacl_sparql", "competency_kg.reporting", "competency_kg")
_CODE_FILES = {"competency_kg": ("validation.py", "validation_places.py")}


@functools.lru_cache(maxsize=1)  # the files a running process has read do not change for it
def shapes_key() -> str:
    """A digest of every shapes file, of the validation code, this code's version and the
    kept file's format (:data:`~competency_kg.reporting.kept_json.FORMAT`)."""
    h = hashlib.sha256(f"{FORMAT} {__version__}".encode())
    for f in sorted(files("competency_kg.shapes").iterdir(), key=lambda f: f.name):
        if f.name.endswith(".ttl"):
            h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    for package in _CODE:
        only = _CODE_FILES.get(package)
        for f in sorted(files(package).iterdir(), key=lambda f: f.name):
            if f.name.endswith(".py") and (only is None or f.name in only):
                h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def store_path(store: GraphStore) -> Path | None:
    """The folder of an embedded store on disk (None for a remote or in-memory one)."""
    if getattr(store, "path", None) is None:
        return None
    return Path(store_id(store))


def version_of(store: GraphStore) -> str | None:
    """The name of the published version ``store`` reads: the folder a read-only handle
    opened (:class:`~competency_kg.store.live.LiveView`), else the current one (None: none
    published, or a remote store; nothing is kept for it)."""
    folder = getattr(store, "path", None)
    if folder is None:
        return None
    folder = Path(folder)
    if store_of(folder) != folder:
        return folder.name
    return published(folder)


def kept_file(path: Path, version: str) -> Path:
    """The file the report of ``version`` of the store at ``path`` is kept in."""
    return KEPT.file(path, version, shapes_key())


def load(store: GraphStore, version: str) -> dict[str, GraphReport] | None:
    """The reports kept for ``version`` of ``store`` (None: none, or a file not to be used,
    logged in one line: the caller computes the report again, and writes it anew)."""
    return KEPT.read(store_path(store), version, decode, shapes_key())


def save(store: GraphStore, version: str, graphs: dict[str, GraphReport]) -> Path | None:
    """Keep ``graphs`` as the reports of ``version`` (if still the published one); the file,
    or None."""
    return KEPT.write(store_path(store), version, graphs, encode, shapes_key())


@dataclass
class Computation:
    """The computation of one store version's report in this process."""

    version: str
    started: float = field(default_factory=time.time)
    total: int | None = None  # graphs to report, once read
    answered_before: int = 0  # the cache's count of reports given when it started
    done: threading.Event = field(default_factory=threading.Event)
    report: StoreReport | None = None  # once done


@dataclass(frozen=True)
class Progress:
    """How far the computation of a store version's report got."""

    version: str
    started: float  # seconds since the epoch
    graphs_done: int
    graphs_total: int | None


_LOCK = threading.Lock()
_RUNNING: dict[str, Computation] = {}  # store id → the latest computation started
_READY: dict[str, str] = {}  # store id → the version whose report the cache holds


def whole_report(
    store: GraphStore, minter: Minter, wait: float | None, cache: ReportCache | None = None
) -> StoreReport | Progress:
    """The report of the whole store, or how far its computation got after ``wait`` seconds
    (None: wait until it is done).

    One computation per store version and process, started here if none is, in the
    background (a visitor who leaves does not stop it), its per-graph reports kept on disk;
    a report kept for the current version is read back instead. A store with no published
    version (a remote one) is reported here, as before; after a failed computation, so is
    the store: the caller's own attempt raises its error (and the next visit tries again)."""
    cache = cache or CACHE
    version = version_of(store)
    if version is None:
        return assemble(store, minter, cache=cache)
    sid = store_id(store)
    with _LOCK:
        job = _RUNNING.get(sid)
        if _READY.get(sid) == version:
            job = None
        elif job is None or job.version != version:
            found = load(store, version)
            if found is not None:
                cache.restore(store, found)
                _READY[sid] = version
                job = None
            else:
                job = Computation(version, answered_before=cache.answered[sid])
                _RUNNING[sid] = job
                threading.Thread(
                    target=_compute, args=(store, minter, cache, job), name="report", daemon=True
                ).start()
    if job is None:
        return assemble(store, minter, cache=cache)  # from the cache
    if not job.done.wait(wait):
        answered = cache.answered[sid] - job.answered_before
        total = job.total
        return Progress(version, job.started, min(answered, total or answered), total)
    if job.report is not None:
        return job.report  # as computed: each graph says whether it came from the cache
    with _LOCK:
        if _RUNNING.get(sid) is job:
            del _RUNNING[sid]  # failed: the next visit tries again
    return assemble(store, minter, cache=cache)


def _compute(store: GraphStore, minter: Minter, cache: ReportCache, job: Computation) -> None:
    sid = store_id(store)
    try:
        job.total = len(read_state(store, minter).graphs)
        before = sum(cache.computations.values())
        report = job.report = assemble(store, minter, cache=cache)
        computed = sum(cache.computations.values()) - before
        kept = save(store, job.version, cache.entries_of(store))
        with _LOCK:
            _READY[sid] = job.version
        log.info(
            "validation report of store version %s computed: %d result(s), %d graph(s) "
            "validated, in %.1f s%s",
            job.version, len(report.report.results), computed, time.time() - job.started,
            ", kept on disk" if kept else "",
        )  # fmt: skip
    except BaseException as exc:  # the page's next visit computes it again, and says why
        job.report = None
        log.info("validation report of store version %s failed: %s", job.version, exc)
    finally:
        job.done.set()
