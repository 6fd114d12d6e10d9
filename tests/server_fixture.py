"""Session fixtures for the SPARQL endpoint tests: a store and the real server over it.

Use with ``pytest_plugins = ["server_fixture"]`` (and import helpers from ``sparql_support``).
``sparql_server`` is one ``competency-kg serve`` (query timeout 2 s, result cap 1 MB, 2 query
workers) over a temporary store holding the W3C protocol suite's data graphs and the seeds
(or, when the seeds do not load, the nurse framework fixture).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sparql_support import LoadedStore, Server, build_store, start_server, stop_server


@pytest.fixture(scope="session")
def sparql_store(tmp_path_factory: pytest.TempPathFactory) -> LoadedStore:
    return build_store(tmp_path_factory.mktemp("sparql-store") / "store")


@pytest.fixture(scope="session")
def sparql_server(
    sparql_store: LoadedStore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    server = start_server(sparql_store, tmp_path_factory.mktemp("sparql-server"))
    yield server
    stop_server(server)
