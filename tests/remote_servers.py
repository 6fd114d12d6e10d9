"""Real SPARQL servers for the remote-store tests: Virtuoso 7.2 and the Oxigraph server.

Each runs as an ordinary child process on 127.0.0.1, on free ports, with its data in a
temporary folder, and is stopped (by its pid) when the test session ends. A server that cannot
start makes the tests that need it fail with the server's log: nothing is skipped.

* Virtuoso (Debian's ``virtuoso-opensource``): a copy of the packaged ``virtuoso.ini`` whose
  database files point into the temporary folder, whose two ``ServerPort``s are free ports,
  and whose ``ResultSetMaxRows`` is lowered to ``VIRTUOSO_MAX_ROWS`` so that the tests reach
  Virtuoso's result cap with small data. A fresh database has the user ``dba`` with the
  password ``dba``: the tests use it, over the digest-authenticated ``/sparql-auth``. These
  credentials exist only in that throw-away database, listening on loopback.
* Oxigraph server (PyPI ``oxigraph``): ``oxigraph serve --location DIR --bind 127.0.0.1:PORT``
  (the remote store sends every query with its dataset: no ``--union-default-graph``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.servers import (
    VIRTUOSO_INI,
    ServerFailed,
    executable,
    free_port,
    virtuoso_ini,
    wait_until_answers,
)

VIRTUOSO_MAX_ROWS = 10000
VIRTUOSO_USER, VIRTUOSO_PASSWORD = "dba", "dba"  # a fresh database's own; test-only
START_TIMEOUT = 90.0


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    folder: Path
    log: Path
    #: The ``--store`` URL that reads and writes (with credentials where needed).
    url: str
    #: The same endpoint without credentials.
    public_url: str

    def log_text(self) -> str:
        parts = []
        for f in sorted(self.folder.glob("*.log")):
            parts.append(f"--- {f.name}\n{f.read_text(errors='replace')[-6000:]}")
        return "\n".join(parts)


def _wait_until_up(server: Server, probe: str, deadline: float) -> None:
    """Poll ``probe`` until it answers 200; fail the test with the log if it never does."""
    problem = wait_until_answers(server.process, probe, max(0.0, deadline - time.monotonic()))
    if problem is not None:
        stop(server)
        pytest.fail(f"{server.name} {problem}\n" + server.log_text(), pytrace=False)


def stop(server: Server) -> None:
    """Stop the server by its pid: SIGTERM, then SIGKILL if it does not exit."""
    if server.process.poll() is not None:
        return
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)


def _virtuoso_ini(folder: Path, sql_port: int, http_port: int) -> str:
    return virtuoso_ini(
        folder, sql_port, http_port, {"SPARQL/ResultSetMaxRows": str(VIRTUOSO_MAX_ROWS)}
    )


def start_virtuoso(folder: Path) -> Server:
    exe = shutil.which("virtuoso-t")
    if exe is None or not VIRTUOSO_INI.exists():
        pytest.fail(
            "Virtuoso is not installed (Debian package virtuoso-opensource; scripts/setup --test "
            "installs it from scripts/debian-packages-test.txt)",
            pytrace=False,
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vsp").mkdir(exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(_virtuoso_ini(folder, sql_port, http_port))
    log = folder / "stdout.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [exe, "-f", "-c", str(ini)],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{http_port}"
    server = Server(
        "Virtuoso",
        process,
        folder,
        log,
        url=f"http://{VIRTUOSO_USER}:{VIRTUOSO_PASSWORD}@127.0.0.1:{http_port}/sparql-auth",
        public_url=f"{base}/sparql",
    )
    _wait_until_up(server, f"{base}/sparql?query=ASK%7B%7D", time.monotonic() + START_TIMEOUT)
    return server


def start_oxigraph(folder: Path) -> Server:
    try:
        exe = executable("oxigraph")
    except ServerFailed as exc:
        pytest.fail(str(exc), pytrace=False)
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = folder / "stdout.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                exe,
                "serve",
                "--location",
                str(folder / "data"),
                "--bind",
                f"127.0.0.1:{port}",
            ],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(os.environ, RUST_LOG="warn"),
        )
    base = f"http://127.0.0.1:{port}"
    server = Server("Oxigraph server", process, folder, log, url=base, public_url=base)
    _wait_until_up(server, f"{base}/query?query=ASK%7B%7D", time.monotonic() + START_TIMEOUT)
    return server


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield server
    stop(server)


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_oxigraph(tmp_path_factory.mktemp("oxigraph"))
    yield server
    stop(server)
