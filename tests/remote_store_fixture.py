"""Fixtures of the remote-store tests: the embedded reference store and each remote backend
(Virtuoso, the Oxigraph server) loaded with the seeds by the real ``competency-kg`` command,
and stores to write to, on every backend.

Use with ``pytest_plugins = ["remote_store_fixture"]`` (and import helpers from
``remote_store_support``). A plugin module is imported once per test process: the test files
that run in one process share its Virtuoso and its Oxigraph server (the session fixtures of
``remote_servers``, registered here).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_servers import Server, oxigraph_server, virtuoso
from remote_store_support import BACKENDS, SOURCES, T1, T2, TMETA, Backend

from competency_kg.store import GraphReplacement, GraphStore, open_store
from competency_kg.store.remote import RemoteStore

from support import run_cli

__all__ = ["oxigraph_server", "virtuoso"]  # session fixtures, used by name


def _load(url: str) -> None:
    started = time.monotonic()
    done = run_cli("load", *SOURCES, store=url)  # type: ignore[arg-type]
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    print(f"load into {url.split('@')[-1]}: {time.monotonic() - started:.1f} s")


@pytest.fixture(scope="module")
def reference_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("reference") / "store")
    _load(path)
    return path


@pytest.fixture(scope="module")
def reference(reference_path: str) -> Iterator[GraphStore]:
    store = open_store(reference_path)
    yield store
    store.close()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """Each remote backend, loaded by the CLI like the reference."""
    server: Server = request.getfixturevalue(
        "virtuoso" if request.param == "virtuoso" else "oxigraph_server"
    )
    _load(server.url)
    store = open_store(server.url)
    yield Backend(request.param, server.url, store)
    store.close()


@pytest.fixture(params=["embedded", *BACKENDS])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """A new embedded store or a remote one: for what is checked without a reference
    (writes, errors), on every backend."""
    if request.param == "embedded":
        store = open_store(tmp_path / "store")
    else:
        server: Server = request.getfixturevalue(
            "virtuoso" if request.param == "virtuoso" else "oxigraph_server"
        )
        store = open_store(server.url)
    yield store
    store.close()


@pytest.fixture(params=["virtuoso", "oxigraph"])
def remote_url(request: pytest.FixtureRequest) -> str:
    server: Server = request.getfixturevalue(
        "virtuoso" if request.param == "virtuoso" else "oxigraph_server"
    )
    return server.url


@pytest.fixture
def remote(remote_url: str) -> Iterator[RemoteStore]:
    store = RemoteStore(remote_url)
    yield store
    store.replace_graphs([GraphReplacement(g, None) for g in (T1, T2, TMETA)])
    store.close()
