"""Session fixtures for the SPARQL endpoint tests: a store and the real server over it.

Use with ``pytest_plugins = ["server_fixture"]`` (and import helpers from ``sparql_support``).
``sparql_server`` is one ``competency-kg serve`` (query timeout 2 s, result cap 1 MB, 2 query
workers) over a temporary store holding the W3C protocol suite's data graphs and the seeds
(or, when the seeds do not load, the nurse framework fixture), started in a folder holding a
decoy ``competency_kg`` package (``sparql_support.plant_decoy``) that it must not import.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sparql_support import (
    LoadedStore,
    Server,
    build_store,
    plant_decoy,
    start_server,
    stop_server,
)


@pytest.fixture(scope="session")
def sparql_store(tmp_path_factory: pytest.TempPathFactory) -> LoadedStore:
    return build_store(tmp_path_factory.mktemp("sparql-store") / "store")


@pytest.fixture(scope="session")
def sparql_server(
    sparql_store: LoadedStore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("sparql-server")
    plant_decoy(workdir)  # test_sparql_endpoint.py: the workers run the installed code
    server = start_server(sparql_store, workdir)
    yield server
    stop_server(server)
