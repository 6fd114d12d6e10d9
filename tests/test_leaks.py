"""Safe on the open web (issue 15, items 10, 12 and a leftover of 13): no answer or published
IRI carries a path of the server or of the operator's machine; a damaged store is said to be
damaged; read-only commands read the last published version after a load was killed; dump
writers leave no temporary file behind.

How each test was checked to fail (the code broken on purpose once, then restored) is noted
in its docstring.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest
from sparql_support import LoadedStore, Reply, Server, fetch, start_server, stop_server

from support import FIXTURES

EXE = Path(sys.executable).with_name("competency-kg")
BASE = "https://w3id.org/competency-kg/"
NURSE = FIXTURES / "framework" / "nurse-framework.json"
CKG = "https://w3id.org/competency-kg/ontology#"
#: A document that names things by relative IRIs, one of them an occupation without a label
#: (a SHACL violation, so the check's report names it).
RELATIVE_TTL = f"""@prefix ckg: <{CKG}> .
@prefix ex: <http://example.org/> .
<#occ> a ckg:Occupation ; ex:seeAlso <other.ttl> .
<#thing> ex:label "relative" .
"""


def run(store: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``competency-kg --store STORE ARGS`` as a user runs it."""
    return subprocess.run(
        [str(EXE), "--store", str(store), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )


def _leaks(text: str, *paths: Path | str) -> list[str]:
    """The places of this machine a text gives away."""
    found = [str(p) for p in paths if str(p) in text]
    found += [m for m in ("file:/", "competency-kg-check-") if m in text]
    return found


# --------------------------------------------------------------------------- item 10: IRIs
def test_load_resolves_relative_iris_against_the_document_iri(tmp_path: Path) -> None:
    """Checked: with ``parse_rdf_file`` given ``p.resolve().as_uri()`` again as its base, the
    export holds ``file:///…/docs/doc.ttl#thing`` and this fails."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "doc.ttl").write_text(RELATIVE_TTL, encoding="utf-8")
    (folder / "ctx.jsonld").write_text(
        json.dumps({"@id": "thing2", "http://example.org/see": {"@id": "#frag"}}),
        encoding="utf-8",
    )
    store = tmp_path / "store"
    for doc in ("doc.ttl", "ctx.jsonld"):
        loaded = run(store, "load", "--force", str(folder / doc))
        assert loaded.returncode in (0, 1), loaded.stderr
    export = run(store, "export", "--format", "nquads")
    assert export.returncode == 0, export.stderr
    assert _leaks(export.stdout, tmp_path) == []
    assert f"<{BASE}source/doc#thing>" in export.stdout
    assert f"<{BASE}source/other.ttl>" in export.stdout
    assert f"<{BASE}source/thing2> <http://example.org/see> <{BASE}source/ctx#frag>" in (
        export.stdout
    )


@pytest.fixture(scope="module")
def nurse_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("leaks") / "store"
    loaded = run(store, "load", str(NURSE))
    assert loaded.returncode == 0, loaded.stderr
    return store


@pytest.fixture(scope="module")
def nurse_server(nurse_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Server:
    server = start_server(LoadedStore(nurse_store), tmp_path_factory.mktemp("leaks-serve"))
    yield server  # type: ignore[misc]
    stop_server(server)


@pytest.mark.parametrize("accept", ["application/json", "text/turtle", "text/html", "text/csv"])
def test_upload_check_hides_the_upload_folder(nurse_server: Server, accept: str) -> None:
    """Checked: with the file:// base back in ``parse_rdf_file``, the report names
    ``file:///tmp/competency-kg-check-…/doc.ttl#occ`` and this fails."""
    reply = fetch(
        nurse_server.url,
        "/validation?filename=doc.ttl",
        method="POST",
        headers={"Content-Type": "text/turtle", "Accept": accept},
        body=RELATIVE_TTL,
    )
    assert reply.status == 200, reply.text
    assert _leaks(reply.text, tempfile.gettempdir() + "/", nurse_server.store.path) == []
    assert f"{BASE}source/doc#occ" in urllib.parse.unquote(reply.text)


# --------------------------------------------------------------------------- item 12: damage
def _corrupt(store: Path) -> Path:
    """Overwrite data blocks of every data file of the store's published version, in place
    (a server already serving it reads them from disk when a query first needs them)."""
    version = Path(store.with_name(store.name + ".versions"))
    folder = version / (version / "CURRENT").read_text().strip()
    for sst in folder.glob("*.sst"):
        data = sst.read_bytes()
        if len(data) < 8192:  # a file of a few blocks: its index would go too
            continue
        # data blocks come first; the index and footer at the end stay whole (the store opens)
        with sst.open("r+b") as f:
            for at in range(0, len(data) // 2, 4096):
                f.seek(at)
                f.write(b"\xff" * 64)
    return folder


PAGES = [
    "/",
    "/search?q=nurse",
    "/validation",
    "/class/occupation",
    "/occupation/29-1141.00",
    "/.well-known/void",
    "/dumps/all.nq.gz",
]


def test_damaged_store_is_said_to_be_damaged_without_its_path(tmp_path: Path) -> None:
    """A store whose data blocks fail their checksums: a scan says so at once, an aggregate
    (which pyoxigraph keeps retrying) once the early probe has read the store, long before the
    30 s query timeout; no answer names a path; the dump writer that fails leaves no temporary
    file.

    Checked: with ``execute`` replying ``("error", …)`` for every failure again, the scan's
    answer is "the query failed: Corruption: … in /…/000012.sst" and this fails; without the
    probes in ``QueryPool`` the COUNT answer is "exceeded the 30 s limit" and this fails;
    without the early probe (``EARLY_PROBE_AFTER`` 60 s) the COUNT answer is "cancelled after
    30 s, and the store may be damaged" and this fails; with ``write_dump`` not removing its
    file in ``finally`` a ``.part`` file stays."""
    store = tmp_path / "store"
    loaded = run(store, "load", str(NURSE))
    assert loaded.returncode == 0, loaded.stderr
    # it checks that the store answers
    server = start_server(LoadedStore(store), tmp_path, timeout=30)
    version = _corrupt(store)
    problems: list[str] = []
    try:
        scan = server.get(
            params={"query": "SELECT * WHERE { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
        )
        count = server.get(
            params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
        )
        for what, reply in (("scan", scan), ("count", count)):
            if reply.status != 503 or "the store may be damaged" not in reply.text:
                problems.append(f"{what}: {reply.status} {reply.text!r}")
        if "after 30 s" in count.text:  # cut by the timeout, not by the early probe
            problems.append(f"the COUNT ran to the timeout: {count.text!r}")
        replies: dict[str, Reply] = {"scan": scan, "count": count}
        for path in PAGES:
            replies[path] = fetch(server.url, path, headers={"Accept": "text/html"})
        for what, reply in replies.items():
            body = reply.body.decode("utf-8", "replace")
            if leaks := _leaks(body, tmp_path, store, version, ".sst"):
                problems.append(f"{what} ({reply.status}) gives away {leaks}: {body[:300]!r}")
        if replies["/dumps/all.nq.gz"].status not in (500, 503):
            problems.append(f"the dump of a damaged store: {replies['/dumps/all.nq.gz'].status}")
    finally:
        stop_server(server)
    left = [p.name for p in store.parent.rglob("*.part")]
    assert problems == [] and left == [], "\n".join([*problems, f"left behind: {left}"])
    assert "Corruption" in server.log(), "the log should keep the engine's own words"


# --------------------------------------------------------------------------- item 13: dumps
def test_dump_writer_removes_what_a_killed_writer_left(tmp_path: Path) -> None:
    """A writer killed mid-way leaves ``.all.nq.gz.<pid>.part``; the next one removes it; one
    that fails removes its own.

    Checked: with ``remove_stale_parts`` not called in ``write_dump``, the stale file stays;
    without the ``finally`` that unlinks the temporary file, the failed one stays."""
    store = tmp_path / "store"
    assert run(store, "load", str(NURSE)).returncode == 0
    folder = tmp_path / "dumps"
    folder.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = folder / f".all.nq.gz.{dead.pid}.part"
    stale.write_bytes(b"half a dump")
    args = [str(store), str(folder), "all.ttl.gz", "text/turtle", str(os.getpid())]
    writer = subprocess.run(
        [sys.executable, "-m", "competency_kg.web.dump_writer", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert writer.returncode == 0, writer.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["all.ttl.gz", "all.ttl.gz.sha256"]

    # A writer that fails mid-way (the store's data blocks are damaged) removes its file.
    _corrupt(store)
    failed = tmp_path / "failed"
    args = [str(store), str(failed), "all.nq.gz", "application/n-quads", str(os.getpid())]
    writer = subprocess.run(
        [sys.executable, "-m", "competency_kg.web.dump_writer", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert writer.returncode == 1 and "Corruption" in writer.stderr, writer.stderr
    assert list(failed.iterdir()) == []


# --------------------------------------------------------------------------- item 12: killed load
def test_read_only_commands_read_the_published_version_after_a_killed_bulk_load(
    tmp_path: Path,
) -> None:
    """Each read-only command, as a user runs it, after ``load`` was SIGKILLed in its bulk
    phase: the old data, exit 0, and a note that a load was cut short.

    Checked: with the refusal back in ``EmbeddedStore.__init__`` (``unfinished and not
    previous``), every command exits 2 with "holds an unfinished load" and this fails."""
    from test_faults import Load, make_release, marker

    store = tmp_path / "store"
    old = make_release(tmp_path / "old", 0, 0)
    new = make_release(tmp_path / "new", 356, 60)
    assert run(store, "load", str(old)).returncode == 0
    before = run(store, "export", "--format", "nquads")
    assert before.returncode == 0, before.stderr
    load = Load(store, str(new))
    while not marker(store).exists():
        assert load.proc.poll() is None, f"the load ended before its bulk load:\n{load.log}"
        time.sleep(0.005)
    time.sleep(0.5)
    load.kill()
    assert marker(store).exists(), "the killed load left no journal: killed too late"

    commands = {
        "export": ["export", "--format", "nquads"],
        "stats": ["stats"],
        "query": ["query", "--format", "csv", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"],
        "validate": ["validate", "--format", "json"],
        "compare": ["compare", "15-1232.00", "15-1299.00", "--format", "json"],
    }
    problems = []
    for name, args in commands.items():
        done = run(store, *args)
        if done.returncode not in (0, 1) or "Traceback" in done.stderr:
            problems.append(f"{name}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
        elif "cut short" not in done.stderr:
            problems.append(f"{name}: no word of the load cut short: {done.stderr!r}")
        if name == "export" and done.stdout != before.stdout:
            problems.append("export: not the data of the last published version")
    assert problems == [], "\n".join(problems)
    shutil.rmtree(new)
