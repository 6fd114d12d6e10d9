"""Session fixtures for the browsing tests: a store with the seeds and a tricky RDF file, the
real server over it, and a second server whose data lives under another base IRI.

Use with ``pytest_plugins = ["browse_fixture"]`` (helpers are in ``browse_support``).
``browse_server`` serves the default base (``https://w3id.org/competency-kg/``) from
``http://127.0.0.1:PORT``: the server's address is never the base, so every test also checks
that links stay on the server. ``other_base_server`` serves a store loaded under
``http://kg.example.org/data/`` (a base with a path), started with the same base, as a
deployment must be.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browse_support import OTHER_BASE, TRICKY_GRAPH, TRICKY_TTL
from sparql_support import LoadedStore, Server, cli, start_server, stop_server

from support import OVERVIEW_SEED, ROOT


@pytest.fixture(scope="session")
def browse_store(tmp_path_factory: pytest.TempPathFactory) -> LoadedStore:
    root = tmp_path_factory.mktemp("browse-store")
    path = root / "store"
    code, log = cli("load", str(ROOT / "seeds"), store=path)
    assert code == 0, f"loading the seeds failed:\n{log}"
    tricky = root / "tricky.ttl"
    tricky.write_text(TRICKY_TTL, encoding="utf-8")
    code, log = cli("load", "--force", "--graph", TRICKY_GRAPH, str(tricky), store=path)
    assert code == 0, f"loading {tricky.name} failed:\n{log}"
    return LoadedStore(path, seeds_loaded=True)


@pytest.fixture(scope="session")
def browse_server(
    browse_store: LoadedStore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    server = start_server(browse_store, tmp_path_factory.mktemp("browse-server"), timeout=20)
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def other_base_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("other-base")
    path = root / "store"
    code, log = cli("--base-iri", OTHER_BASE, "load", str(OVERVIEW_SEED), store=path)
    assert code == 0, f"loading under {OTHER_BASE} failed:\n{log}"
    server = start_server(
        LoadedStore(path, seeds_loaded=True),
        root,
        timeout=20,
        env={"COMPETENCY_KG_BASE_IRI": OTHER_BASE},
    )
    yield server
    stop_server(server)
