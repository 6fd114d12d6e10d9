"""The three systems, each started as a child process on 127.0.0.1 over the same data.

- ``ours``: ``competency-kg serve`` (gunicorn, killable query worker processes) on the store the
  data builder wrote;
- ``oxigraph``: the Oxigraph server (PyPI ``oxigraph``), its own store loaded from the same
  N-Quads with ``oxigraph load`` (timed), ``--union-default-graph`` as ours;
- ``rdflib``: rdflib-endpoint (PyPI) over an rdflib ``Dataset(default_union=True)`` parsed from
  the same N-Quads (:mod:`bench.rdflib_server`, which reports its load time);
- ``virtuoso``: Virtuoso 7.2 (Debian ``virtuoso-opensource``), its own database in a folder of
  the run, bulk-loaded (``ld_dir`` / ``rdf_loader_run``) from the same N-Quads, plus the same
  triples without their graph names into :data:`MERGED_GRAPH`; every query is sent with that
  graph as its default graph and the source graphs as its named graphs (the way
  ``competency_kg/store/remote.py`` talks to Virtuoso), so its default graph is the set merge
  of the named graphs, as ours is, and not Virtuoso's union (a bag that also holds its own
  system graphs). Virtuoso 7.2.5 does not answer a POST of ``application/sparql-query``: every
  system is sent URL-encoded POSTs (SPARQL 1.1 Protocol §2.1.2).

Each is stopped by its own pid (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
ASK = "query=ASK%7B%7D"

LABELS = {
    "ours": "competency-kg",
    "oxigraph": "Oxigraph server",
    "rdflib": "rdflib-endpoint",
    "virtuoso": "Virtuoso",
}
#: The packaged configuration the Virtuoso servers start from (tests and benchmark).
VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
#: The graph the benchmark's Virtuoso holds the set merge of the named graphs in (the name the
#: remote store uses for the same thing, :data:`competency_kg.store.merge.MERGED_GRAPH`).
MERGED_GRAPH = "urn:x-competency-kg:merged"


@dataclass
class Server:
    name: str  # ours | oxigraph | rdflib | virtuoso
    process: subprocess.Popen[bytes]
    base: str  # http://127.0.0.1:PORT
    endpoint: str  # the SPARQL endpoint path
    log: Path
    info: dict[str, float] = field(default_factory=dict)
    #: Protocol parameters sent with every query (the dataset, for Virtuoso).
    dataset: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        return LABELS[self.name]

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""


class ServerFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def executable(name: str) -> str:
    """A program installed with the project (next to this Python), else on PATH."""
    p = BIN / name
    if p.exists():
        return str(p)
    found = shutil.which(name)
    if found is None:
        raise ServerFailed(f"{name} is not installed (pip install -e '.[bench]' or '.[dev]')")
    return found


def wait_until_answers(process: subprocess.Popen[bytes], probe: str, timeout: float) -> str | None:
    """Poll ``probe`` until it answers 200 (None), or say why not: the process exited, or
    ``timeout`` passed. The benchmark and the tests start their servers through this."""
    end = time.monotonic() + timeout
    last = ""
    while time.monotonic() < end:
        if process.poll() is not None:
            return f"exited ({process.returncode}) while starting"
        try:
            with urllib.request.urlopen(probe, timeout=5) as r:
                if r.status == 200:
                    return None
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.2)
    return f"did not answer {probe} within {timeout:g} s ({last})"


def _wait(server: Server, timeout: float) -> None:
    problem = wait_until_answers(server.process, f"{server.base}{server.endpoint}?{ASK}", timeout)
    if problem is not None:
        stop(server)
        raise ServerFailed(f"{server.label} {problem}:\n{server.log_tail()}")


def _popen(
    args: list[str], log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env or dict(os.environ),
            start_new_session=True,  # its own process group: stop() reaches its children too
        )
    _GROUP_LEADERS.add(process.pid)
    return process


def start_ours(
    store: Path,
    logs: Path,
    *,
    timeout: float = 120.0,
    workers: int | None = None,
    threads: int = 16,
) -> Server:
    """``competency-kg serve`` on ``store`` as a user starts it (16 request threads: the
    default; the query workers: the default for the machine)."""
    port = free_port()
    # The concurrent load's clients all come from 127.0.0.1: one client to the per-client share.
    env = dict(os.environ, COMPETENCY_KG_LOG_LEVEL="warning", COMPETENCY_KG_QUERIES_PER_CLIENT="64")
    args = [
        executable("competency-kg"),
        "--store", str(store),
        "serve", "--host", "127.0.0.1", "--port", str(port),
        "--threads", str(threads), "--query-timeout", f"{timeout:g}",
    ]  # fmt: skip
    if workers:
        args += ["--query-workers", str(workers)]
    t = time.perf_counter()
    server = Server(
        "ours", _popen(args, logs / f"ours-{port}.log", env), f"http://127.0.0.1:{port}",
        "/sparql", logs / f"ours-{port}.log",
    )  # fmt: skip
    _wait(server, 120)
    server.info["start_seconds"] = time.perf_counter() - t
    return server


def load_oxigraph(nquads: Path, location: Path) -> float:
    """``oxigraph load`` the N-Quads into a fresh folder; the seconds it took."""
    if location.exists():
        shutil.rmtree(location)
    t = time.perf_counter()
    subprocess.run(
        [executable("oxigraph"), "load", "--location", str(location), "--file", str(nquads)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=dict(os.environ, RUST_LOG="warn"),
    )
    return time.perf_counter() - t


def start_oxigraph(location: Path, logs: Path, *, timeout: float | None = None) -> Server:
    port = free_port()
    args = [
        executable("oxigraph"), "serve-read-only", "--location", str(location),
        "--bind", f"127.0.0.1:{port}", "--union-default-graph",
    ]  # fmt: skip
    if timeout:
        args += ["--timeout-s", str(int(timeout))]
    log = logs / f"oxigraph-{port}.log"
    t = time.perf_counter()
    server = Server(
        "oxigraph",
        _popen(args, log, dict(os.environ, RUST_LOG="warn")),
        f"http://127.0.0.1:{port}",
        "/query",
        log,
    )
    _wait(server, 120)
    server.info["start_seconds"] = time.perf_counter() - t
    return server


def start_rdflib(nquads: Path, logs: Path, *, start_timeout: float = 1800) -> Server:
    port = free_port()
    stats = logs / f"rdflib-{port}.json"
    args = [
        sys.executable, "-m", "bench.rdflib_server", "--data", str(nquads),
        "--port", str(port), "--stats", str(stats),
    ]  # fmt: skip
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    log = logs / f"rdflib-{port}.log"
    server = Server("rdflib", _popen(args, log, env), f"http://127.0.0.1:{port}", "/sparql", log)
    _wait(server, start_timeout)
    if stats.exists():
        server.info.update(json.loads(stats.read_text()))
    return server


def virtuoso_ini(folder: Path, sql_port: int, http_port: int, settings: dict[str, str]) -> str:
    """The packaged ``virtuoso.ini`` with its database files in ``folder``, its two
    ``ServerPort``s these ports, and each ``"Section/Key"`` of ``settings`` set (added to its
    section when the packaged file has no such line). The tests and the benchmark start their
    Virtuoso servers from it."""
    text = VIRTUOSO_INI.read_text()
    text = text.replace("/var/lib/virtuoso-opensource-7/db/", f"{folder}/")
    text = text.replace("/var/lib/virtuoso-opensource-7/vsp", str(folder / "vsp"))
    wanted = {
        "Parameters/ServerPort": str(sql_port),
        "HTTPServer/ServerPort": str(http_port),
        "URIQA/DefaultHost": "localhost:8890",  # keeps the system graphs' usual names
        **settings,
    }
    missing = dict(wanted)
    section = ""
    out: list[str] = []

    def flush() -> None:
        for key in [k for k in missing if k.split("/")[0] == section]:
            out.append(f"{key.split('/')[1]} = {missing.pop(key)}")

    for line in text.splitlines():
        m = re.match(r"\s*\[(.+)\]", line)
        if m:
            flush()
            section = m.group(1)
        m = re.match(r"\s*([A-Za-z_]+)\s*=", line)
        key = f"{section}/{m.group(1)}" if m else ""
        if key in wanted:
            line = f"{m.group(1) if m else ''} = {wanted[key]}"
            missing.pop(key, None)
        out.append(line)
    flush()
    return "\n".join(out) + "\n"


#: The benchmark's Virtuoso settings: buffers for 4 GB (the packaged file's own line for that
#: much free memory; its default of 10,000 buffers is 80 MB), no cap on results or run time
#: (a cut answer would be compared as wrong; a query over the harness's timeout is cut by
#: restarting the server, as for the other peers), HTTP threads for 16 clients, and the data
#: folder readable by the bulk loader.
VIRTUOSO_BENCH_SETTINGS = {
    "Parameters/NumberOfBuffers": "340000",
    "Parameters/MaxDirtyBuffers": "250000",
    "Parameters/MaxClientConnections": "24",
    "HTTPServer/MaxClientConnections": "24",
    "HTTPServer/ServerThreads": "24",
    "HTTPServer/MaxKeepAlives": "24",
    "SPARQL/ResultSetMaxRows": "10000000",
    "SPARQL/MaxQueryExecutionTime": "0",
    "SPARQL/MaxQueryCostEstimationTime": "0",
}


@dataclass
class Virtuoso:
    """A Virtuoso database folder and the ports it listens on."""

    folder: Path
    sql_port: int
    http_port: int


def load_virtuoso(nquads: Path, ntriples: Path, folder: Path, logs: Path) -> tuple[Virtuoso, float]:
    """A fresh Virtuoso database in ``folder`` holding ``nquads`` in their named graphs and
    ``ntriples`` (the same triples, graph names dropped) in :data:`MERGED_GRAPH`, where
    Virtuoso's ``(G, S, P, O)`` key makes them a set. Bulk loader (``ld_dir``,
    ``rdf_loader_run``, ``checkpoint``: https://vos.openlinksw.com/owiki/wiki/VOS/VirtBulkRDFLoader),
    timed from the first ``ld_dir`` to the end of the checkpoint."""
    if shutil.which("virtuoso-t") is None or shutil.which("isql-vt") is None:
        raise ServerFailed("Virtuoso is not installed (Debian package virtuoso-opensource)")
    folder = folder.resolve()  # the server runs in it and reads its paths from the ini
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "vsp").mkdir(parents=True)
    data_dirs = sorted({str(nquads.parent.resolve()), str(ntriples.parent.resolve())})
    settings = dict(VIRTUOSO_BENCH_SETTINGS)
    settings["Parameters/DirsAllowed"] = ", ".join([".", *data_dirs])
    db = Virtuoso(folder, free_port(), free_port())
    (folder / "virtuoso.ini").write_text(virtuoso_ini(folder, db.sql_port, db.http_port, settings))
    server = start_virtuoso(db, logs)
    try:
        script = "".join(
            f"ld_dir('{p.parent.resolve()}', '{p.name}', '{graph}');\n"
            for p, graph in ((nquads, MERGED_GRAPH + "-unused"), (ntriples, MERGED_GRAPH))
        )  # an N-Quads line names its own graph; ld_dir's is for triples only
        script += "rdf_loader_run();\ncheckpoint;\n"
        script += "SELECT ll_file, ll_error FROM DB.DBA.load_list WHERE ll_error IS NOT NULL;\n"
        t = time.perf_counter()
        done = subprocess.run(
            ["isql-vt", str(db.sql_port), "dba", "dba"],
            input=script.encode(),
            capture_output=True,
            check=False,
        )
        seconds = time.perf_counter() - t
        out = done.stdout.decode(errors="replace")
        if done.returncode != 0 or "Error" in out or "0 Rows." not in out:
            raise ServerFailed(f"Virtuoso's bulk load failed:\n{out[-3000:]}")
    finally:
        stop(server)
    return db, seconds


def start_virtuoso(db: Virtuoso, logs: Path, *, source_graphs: list[str] | None = None) -> Server:
    """``virtuoso-t`` on ``db``; with ``source_graphs``, every query is sent the dataset of
    :func:`load_virtuoso`: :data:`MERGED_GRAPH` as the default graph, these as named graphs."""
    log = logs / f"virtuoso-{db.http_port}.log"
    t = time.perf_counter()
    args = [shutil.which("virtuoso-t") or "virtuoso-t", "-f", "-c", str(db.folder / "virtuoso.ini")]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            args, cwd=db.folder, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    dataset: tuple[tuple[str, str], ...] = ()
    if source_graphs is not None:
        dataset = (
            ("default-graph-uri", MERGED_GRAPH),
            *(("named-graph-uri", g) for g in source_graphs),
        )
    server = Server(
        "virtuoso", process, f"http://127.0.0.1:{db.http_port}", "/sparql", log, dataset=dataset
    )
    _wait(server, 180)
    server.info["start_seconds"] = time.perf_counter() - t
    return server


def restart_rdflib(server: Server) -> Server:
    """Replace the rdflib-endpoint server process (busy with a query it cannot cancel)."""
    server.process.send_signal(signal.SIGUSR1)
    time.sleep(0.5)
    _wait(server, 120)
    return server


def stop(server: Server) -> None:
    """Stop the server and every process it started (gunicorn's worker, query workers, a dump
    writer): SIGTERM to its process group, then SIGKILL to the group. Signalling the pid alone
    left a worker running after a killed arbiter, loading the machine for the next run."""
    p = server.process
    if p.poll() is None:
        _signal_group(p, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=20)
    _signal_group(p, signal.SIGKILL)  # whatever of the group is left (nothing, normally)
    if p.poll() is None:
        p.wait(timeout=10)


#: The pids :func:`_popen` started as leaders of their own process group.
_GROUP_LEADERS: set[int] = set()


def _signal_group(p: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """``sig`` to the process group ``p`` leads (:func:`_popen` starts one per server; its
    members outlive a leader that died), or to ``p`` alone (Virtuoso is started in the bench's
    own group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if p.pid in _GROUP_LEADERS:
            os.killpg(p.pid, sig)
        elif p.poll() is None:
            p.send_signal(sig)
