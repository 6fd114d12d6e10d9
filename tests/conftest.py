"""Shared fixtures: a minter and a fresh on-disk store per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from competency_kg.iris import Minter
from competency_kg.store import GraphStore, open_store


@pytest.fixture
def minter() -> Minter:
    return Minter()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[GraphStore]:
    s = open_store(tmp_path / "store")
    yield s
    s.close()
