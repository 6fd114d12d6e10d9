"""Shared fixtures: a minter and a fresh on-disk store per test."""

from __future__ import annotations

import os
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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--runslow",
        action="store_true",
        default=False,
        help="also run the long variants (full O*NET release, long fuzzing, long load tests)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """--runslow also runs the property tests with thousands of examples (see test_fuzz_*)."""
    if config.getoption("--runslow"):
        os.environ.setdefault("HYPOTHESIS_PROFILE", "long")


def pytest_report_header(config: pytest.Config) -> str:
    """Said once at the top (with pytest-xdist the deselected count is not in the summary)."""
    if config.getoption("--runslow"):
        return "long variants (marked slow) included: --runslow"
    return "long variants (marked slow) are deselected; --runslow runs them too"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (not skip) tests marked slow unless --runslow: the summary counts them apart."""
    if config.getoption("--runslow"):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]
