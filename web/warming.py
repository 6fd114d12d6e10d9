"""The warmer: after each load, a server's worker does ahead, in the background, what would
otherwise make the first visitor wait (the figures pages show are counted by the load itself:
:mod:`competency_kg.stats`).

It runs :data:`STEPS` in order, once per published store version. A step is a name, a switch
(an environment variable read when the server starts: ``0`` turns the step off) and what it
does; another module adds one with :func:`add_step` before the application is
built. A step that fails is logged and the next one still runs: a warmer never takes anything
down. Only an application ``competency-kg serve`` runs warms (``app.config[SERVED]``, set by
:func:`~competency_kg.web.app.create_app` before this blueprint is registered), never a
test's own application, and only over the query pool (a remote store keeps its own caches).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Flask
from flask.blueprints import BlueprintSetupState
from jinja2 import FileSystemBytecodeCache

from competency_kg import versioned_cache
from competency_kg.compare.index import occupation_index
from competency_kg.compare.queries import ExecutorRunner
from competency_kg.namespaces import CKG
from competency_kg.query_pool import QueryPool
from competency_kg.reporting import kept
from competency_kg.web.home import warm_listings
from competency_kg.web.pages.site import Site
from competency_kg.web.reading import Reader
from competency_kg.web.resources import HTML, answer, page_basics
from competency_kg.web.search import build_label_index, read_kept_index
from competency_kg.web.state import SERVED, state
from competency_kg.web.terms import iri_value
from competency_kg.web.void import DUMPS, current_state, ensure_dump, existing_dump

log = logging.getLogger(__name__)

#: No routes: registering it starts the warmer (see :func:`_start_warmer`).
bp = Blueprint("warming", __name__)

#: After each load, a server renders the pages of this many occupations (HTML and Turtle)
#: ahead, in the background: they are the biggest descriptions, and the first visitor should
#: not wait for them. ``COMPETENCY_KG_WARM_PAGES`` changes the number (0: no warming).
WARM_PAGES = 24
#: How often the warmer looks for a new load, and how long it lets a fresh server settle first.
WARM_CHECK_SECONDS = 10.0
WARM_DELAY_SECONDS = 5.0
#: Before each step the warmer waits for a quiet moment: no visitor's page being answered and
#: none answered within ``QUIET_SECONDS``, for at most ``QUIET_WAIT_SECONDS`` (then it goes on:
#: a busy site is still warmed). A step runs for seconds in this process and in a query worker,
#: on the cores the visitors' pages need (on a fresh server of the whole O*NET release the first
#: pages took 1-15 s at load 10 while the warmer's first steps ran).
QUIET_SECONDS = 0.5
QUIET_WAIT_SECONDS = 15.0
#: How long the warmer waits for one dump being written (then goes on; the writer goes on too).
DUMP_WARM_WAIT = 1800.0
#: How often the warmer looks whether the dump it waits for is written.
DUMP_WATCH_SECONDS = 0.5


@dataclass(frozen=True)
class WarmStep:
    """One thing done after each load: ``run(app)`` unless ``$switch`` is ``0``."""

    name: str
    switch: str
    run: Callable[[Flask], object]
    #: Whether the step is on, from its switch's value (``None`` when unset).
    enabled: Callable[[str | None], bool] = lambda value: value != "0"

    def is_on(self) -> bool:
        return self.enabled(os.environ.get(self.switch))


def warm_pages_count() -> int:
    """``$COMPETENCY_KG_WARM_PAGES``, or :data:`WARM_PAGES` when unset or not a number."""
    try:
        return int(os.environ.get("COMPETENCY_KG_WARM_PAGES", WARM_PAGES))
    except ValueError:
        return WARM_PAGES


def _start_warmer(setup: BlueprintSetupState) -> None:
    """Only in an application a server runs (its mark, ``app.config[SERVED]``: the one the
    report page reads too), never in tests' own applications, even in a process that
    imported gunicorn."""
    app = setup.app
    if not app.config.get(SERVED):
        return
    compile_templates(app)
    read_kept(app)
    steps = [step for step in STEPS if step.is_on()]
    if steps and isinstance(state(app).executor, QueryPool):
        threading.Thread(target=_warmer, args=(app, steps), name="page-warmer", daemon=True).start()


bp.record_once(_start_warmer)


def compile_templates(app: Flask) -> int:
    """Compile every template before the worker serves, through Jinja's bytecode cache on
    disk (``FileSystemBytecodeCache``: a folder of the user's own in the temporary
    directory, keyed by each template's name and source), so no first visitor of a kind of
    page waits for its templates: compiling them took 610 ms on an idle machine (34-92 ms a
    template), paid by the first page of each kind on a fresh server; read back from the
    cache, a few milliseconds. How many were compiled (a failure is logged, never raised)."""
    env = app.jinja_env
    if env.bytecode_cache is None:
        try:
            env.bytecode_cache = FileSystemBytecodeCache()
        except OSError as exc:  # no usable temporary folder: compiled from source
            log.info("templates compiled without a bytecode cache: %s", exc)
    done = 0
    for name in env.list_templates(filter_func=lambda n: n.endswith(".html")):
        try:
            env.get_template(name)
            done += 1
        except Exception as exc:  # a broken template fails its own page, not the server
            log.warning("template %s not compiled: %s", name, exc)
    return done


def read_kept(app: Flask) -> None:
    """Before the worker serves, read into memory what is kept on disk for the store's
    version and the first visitors need (the search's index: kept by the load, read back in
    0.6 s on the whole O*NET release, which the first search paid); nothing is computed
    here (the warmer's steps do that, in the background)."""
    store = state(app).settings.store
    try:
        read_kept_index(versioned_cache.store_version(store), store)
    except Exception as exc:  # never the server's failure: the first search reads it
        log.info("kept search index not read at start: %s", exc)


def _warmer(app: Flask, steps: list[WarmStep]) -> None:
    executor = state(app).executor
    if not executor.wait_ready(120):
        return
    time.sleep(WARM_DELAY_SECONDS)  # a server stopped at once (tests) never warms
    last: str | None = None
    while not _closing(executor):
        version = versioned_cache.store_version(state(app).settings.store)
        if version is not None and version != last:
            last = version
            for step in steps:
                quiet(executor)
                if _closing(executor):
                    break
                try:
                    step.run(app)
                except Exception as exc:  # a warmer never takes anything down
                    log.info("warming (%s) stopped: %s", step.name, exc)
        time.sleep(WARM_CHECK_SECONDS)


class _Visitors:
    """The visitors' requests this process is answering, and when the last one ended."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.last_end = 0.0

    def enter(self) -> None:
        with self.lock:
            self.in_flight += 1

    def leave(self, *_exc: object) -> None:
        with self.lock:
            self.in_flight = max(0, self.in_flight - 1)
            self.last_end = time.monotonic()

    def busy(self, quiet: float) -> bool:
        with self.lock:
            return self.in_flight > 0 or time.monotonic() - self.last_end < quiet


VISITORS = _Visitors()
bp.before_app_request(VISITORS.enter)
bp.teardown_app_request(VISITORS.leave)


def quiet(
    executor: object, seconds: float = QUIET_SECONDS, limit: float = QUIET_WAIT_SECONDS
) -> None:
    """Wait until no visitor's request is in flight nor ended within ``seconds``, for at most
    ``limit`` seconds (or until the query pool closes)."""
    deadline = time.monotonic() + limit
    while VISITORS.busy(seconds) and time.monotonic() < deadline and not _closing(executor):
        time.sleep(0.05)


def warm_report(app: Flask) -> None:
    """Compute the store's validation report into the report cache (one per process), so a
    curator's first visit of ``/validation`` after a load does not wait for pySHACL (about
    25 s for the seeds' two O*NET sources on a busy 2-core machine, 62 s for a whole
    release): the one computation per store version that a visit meanwhile is shown the
    progress of, kept on disk for the next start (:mod:`competency_kg.reporting.kept`, which
    logs it; a restarted server over an unchanged store reads it back)."""
    started = time.monotonic()
    with app.app_context():
        report = kept.whole_report(state(app).get_store(), state(app).settings.minter, None)
    assert not isinstance(report, kept.Progress)  # waited until done
    log.info(
        "validation report precomputed: %d result(s) in %.1f s",
        len(report.report.results), time.monotonic() - started,
    )  # fmt: skip


def warm(app: Flask, n: int) -> int:
    """Render the pages of up to ``n`` occupations into the cache; how many were rendered."""
    with app.app_context():
        rows = Reader().select(f"SELECT DISTINCT ?s WHERE {{ ?s a <{CKG.Occupation}> }}")
    base = state(app).settings.minter.base
    done = 0
    for row in rows[:n]:
        if _closing(state(app).executor):
            break
        iri = iri_value(row["s"])
        path = Site(base, "").path_for(iri)
        if path is None or "#" in path or path == "/":
            continue
        for accept in (HTML, "text/turtle"):
            with app.test_request_context(path, headers={"Accept": accept}):
                answer(iri, path)
            done += 1
            time.sleep(0.02)  # let visitors' requests through first
    return done


def _closing(executor: object) -> bool:
    """Whether the query pool is shutting down (then nothing more is sent to it)."""
    return bool(getattr(executor, "_closed", False))


def warm_dumps(app: Flask) -> None:
    """Write the store's dumps, one after the other (each by a process of its own, which this
    step waits for), so that VoID names their size and checksum and a download starts at
    once: on the whole O*NET release a dump takes minutes to write on a busy 2-core machine,
    and two at once slowed every page the warmer had not reached yet.

    It watches for the dump rather than take the one wait :func:`ensure_dump` lets a request
    thread have: VoID on a small store waits for the dumps, and got none of their checksums
    when the warmer held that wait (seen once the warmer's earlier steps read their results
    back from disk and reached the dumps as the first visitors came)."""
    with app.app_context():
        key = current_state()
        for name in DUMPS:
            if _closing(state(app).executor):
                break
            found = ensure_dump(name, key)  # starts its writer
            deadline = time.monotonic() + DUMP_WARM_WAIT
            while found is None and time.monotonic() < deadline:
                if _closing(state(app).executor):
                    return
                time.sleep(DUMP_WATCH_SECONDS)
                found = existing_dump(name, key)


def _reader(app: Flask) -> tuple[Reader, str, str | None]:
    """A reader of the store's current version, the base, the version."""
    version = versioned_cache.store_version(state(app).settings.store)
    return Reader(version=version), state(app).settings.minter.base, version


def warm_basics(app: Flask) -> None:
    """What every resource page reads once per store version (the sources, the hash IRIs of
    documents: kept by the load, else seconds of scanning on the whole O*NET release), so no
    first visitor of a page waits for it."""
    with app.app_context():
        page_basics(*_reader(app), hubs=False)


def warm_hubs(app: Flask) -> None:
    """The hubs' summaries, which pages use once read (they never wait for them): seconds
    on the whole O*NET release, so after what visitors wait for (the search's index, the
    class listings)."""
    with app.app_context():
        page_basics(*_reader(app))


def warm_classes(app: Flask) -> None:
    """The members of the classes listed in label order, and the occupations' twin groups
    (:func:`~competency_kg.web.home.warm_listings`)."""
    with app.app_context():
        started = time.monotonic()
        n = warm_listings(*_reader(app))
        log.info("class listings read ahead: %d in %.1f s", n, time.monotonic() - started)


def warm_search(app: Flask) -> None:
    """Build the search's label index, or read it back from disk when kept for this store
    version (a search meanwhile scans the store, bounded: :func:`~competency_kg.web.search.
    search_page`)."""
    with app.app_context():
        store = state(app).settings.store
        build_label_index(versioned_cache.store_version(store), store)


def warm_comparison(app: Flask) -> None:
    """Read every occupation's profile (the comparison's nearest occupations need them all)."""
    with app.app_context():
        settings = state(app).settings
        runner = ExecutorRunner(state(app).executor, identity=settings.store)
        occupation_index(runner, settings.minter, parallel=False)


#: What the warmer does after each load, in order: what visitors wait for first (what every
#: resource page reads, the search's index, the class listings, the hubs' summaries, the
#: comparison's profiles, the occupations' pages), the validation report, then the dumps
#: (minutes of a core each on a big store). Append a step here to warm something more.
STEPS: list[WarmStep] = [
    WarmStep("basics", "COMPETENCY_KG_WARM_BASICS", warm_basics),
    WarmStep("search", "COMPETENCY_KG_WARM_SEARCH", warm_search),
    WarmStep("classes", "COMPETENCY_KG_WARM_CLASSES", warm_classes),
    WarmStep("hubs", "COMPETENCY_KG_WARM_HUBS", warm_hubs),
    WarmStep("comparison", "COMPETENCY_KG_WARM_COMPARISON", warm_comparison),
    WarmStep(
        "pages",
        "COMPETENCY_KG_WARM_PAGES",
        lambda app: warm(app, warm_pages_count()),
        enabled=lambda value: warm_pages_count() > 0,
    ),
    WarmStep("report", "COMPETENCY_KG_WARM_REPORT", warm_report),
    WarmStep("dumps", "COMPETENCY_KG_WARM_DUMPS", warm_dumps),
]


def add_step(step: WarmStep, before: str | None = None) -> None:
    """Add a step another module owns, before the step named ``before`` (else last): the
    dumps stay last, as they take minutes of a core on a big store."""
    names = [s.name for s in STEPS]
    STEPS.insert(names.index(before) if before in names else len(STEPS), step)
