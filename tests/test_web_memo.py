"""Per-store-version memos: one computation for concurrent callers, a new one per version."""

from __future__ import annotations

import threading
import time

from competency_kg.web.reading import memo


def test_concurrent_callers_share_one_computation() -> None:
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        time.sleep(0.3)
        return "value"

    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(memo("t-flight", "v1", "k", slow)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == ["value"] * 8
    assert len(calls) == 1, f"{len(calls)} computations for one key and version"


def test_a_new_store_version_computes_again() -> None:
    assert memo("t-version", "v1", None, lambda: 1) == 1
    assert memo("t-version", "v1", None, lambda: 2) == 1
    assert memo("t-version", "v2", None, lambda: 3) == 3
    assert memo("t-version", None, None, lambda: 4) == 4  # no version: never remembered
