"""A store on a full disk or a read-only file system: one clear error, exit 2, data kept.

The tests mount a small tmpfs of their own (CI and sessions run as root here), so the disk
really fills and the file system really turns read-only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from competency_kg.store import faults

from support import (
    FIXTURES,
    FRAMEWORK_SEED,
    OVERVIEW_SEED,
    SEEDS,
    recomputed_at_load,
    run_cli,
)


@contextlib.contextmanager
def _tmpfs(tmp_path: Path, size: str) -> Iterator[Path]:
    assert os.geteuid() == 0, "these tests mount a tmpfs: run them as root (as CI does)"
    mount = tmp_path / "fs"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """16 MB: the two seed documents, their merge, a checkpoint and a published version fit
    (4 MB no longer did once the store kept the merge: the second load ran out of space)."""
    with _tmpfs(tmp_path, "16m") as mount:
        yield mount


@pytest.fixture
def roomy_fs(tmp_path: Path) -> Iterator[Path]:
    """Room for a framework and the O*NET extract (two bulk sources) and one more load."""
    with _tmpfs(tmp_path, "160m") as mount:
        yield mount


def _remount(mount: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(mount)], check=True)


def test_read_only_location_is_a_clear_error(tiny_fs: Path) -> None:
    store = tiny_fs / "store"
    assert run_cli("load", str(FRAMEWORK_SEED), store=store).returncode == 0
    _remount(tiny_fs, "ro")
    for target in (store, tiny_fs / "new-store"):
        r = run_cli("load", str(OVERVIEW_SEED), store=target)
        assert r.returncode == 2, r.stderr
        assert "cannot be written" in r.stderr and "Read-only file system" in r.stderr
        assert "Traceback" not in r.stderr
    _remount(tiny_fs, "rw")
    stats = run_cli("stats", store=store)
    assert "000_78da1468efeafd76" in stats.stdout and "004_" not in stats.stdout


def test_full_disk_is_a_clear_error_and_keeps_the_data(tiny_fs: Path) -> None:
    store = tiny_fs / "store"
    assert run_cli("load", str(FRAMEWORK_SEED), store=store).returncode == 0
    before = run_cli("export", store=store).stdout
    filler = _fill(tiny_fs)
    r = run_cli("load", str(OVERVIEW_SEED), store=store)
    assert r.returncode == 2, r.stderr
    assert "No space left on device" in r.stderr and "Traceback" not in r.stderr
    filler.unlink()
    assert run_cli("export", store=store).stdout == before
    assert run_cli("load", str(OVERVIEW_SEED), store=store).returncode == 0


def _fill(mount: Path) -> Path:
    """Fill the disk to the last byte. Unbuffered, then byte by byte at the end: a buffered
    file would keep the bytes that did not fit and fail again when closed (ENOSPC from
    ``close``, which broke this helper whenever the free space was not a multiple of the
    buffer: it depended on how big the store had grown)."""
    filler = mount / "filler"
    with filler.open("wb", buffering=0) as f:
        for chunk in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while f.write(b"\0" * chunk):
                    pass
    return filler


def _sorted_export(store: Path, fmt: str) -> list[str]:
    r = run_cli("export", "--format", fmt, store=store)
    assert r.returncode == 0, r.stderr
    return sorted(r.stdout.splitlines())


def test_disk_full_between_two_sources_keeps_the_old_data(roomy_fs: Path) -> None:
    """An O*NET release is two bulk sources (text files, ``excel-29.2/``). The disk fills
    after the first is in (the load stops itself there, test hook ``stored-1``; the disk is
    filled; it goes on): exit 2, and a reader and the next writer see exactly the old data,
    every quad and the merge (default graph), not the new text source beside the old ratings.

    Checked: with the journal ended after each ``bulk_replace`` again (one per source, the old
    way), this failed after the next writer ("nquads: 5 of the 27379 old lines lost": the
    text source's new description; readers were fine until then, reading the old version)."""
    store = roomy_fs / "store"
    nurse = FIXTURES / "framework" / "nurse-framework.json"
    for path in (nurse, SEEDS / "onet-extract"):
        assert run_cli("load", str(path), store=store).returncode == 0
    before = {fmt: _sorted_export(store, fmt) for fmt in ("nquads", "ntriples")}
    new = shutil.copytree(SEEDS / "onet-extract", roomy_fs / "new-release")
    with (new / "Occupation Data.txt").open("a", encoding="utf-8") as f:  # one more occupation
        f.write("15-1231.10\tGenerated Occupation\tDoes generated work.\n")
    exe = Path(sys.executable).with_name("competency-kg")
    proc = subprocess.Popen(
        [str(exe), "--store", str(store), "load", str(new)],
        env={**os.environ, faults.ENV: "stored-1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    stat = Path(f"/proc/{proc.pid}/stat")
    while stat.read_text().rsplit(")", 1)[1].split()[0] != "T":
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.01)
    filler = _fill(roomy_fs)
    proc.send_signal(signal.SIGCONT)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 2, err
    assert "No space left on device" in err and "Traceback" not in err
    filler.unlink()
    assert {fmt: _sorted_export(store, fmt) for fmt in before} == before, "a reader sees new data"

    unrelated = roomy_fs / "unrelated.nt"
    unrelated.write_text('<https://example.org/unrelated/s> <https://example.org/p> "x" .\n')
    graph = "https://example.org/graph/unrelated"
    r = run_cli("load", "--graph", graph, str(unrelated), store=store)
    assert r.returncode == 0, r.stderr
    for fmt, lines in before.items():
        after = _sorted_export(store, fmt)
        # what every load recomputes (support.RECOMPUTED_AT_LOAD) aside
        quads = fmt == "nquads"
        lost = sorted(x for x in set(lines) - set(after) if not recomputed_at_load(x, nquads=quads))
        extra = [
            x
            for x in set(after) - set(lines)
            if "unrelated" not in x and not recomputed_at_load(x, nquads=quads)
        ]
        assert not lost and not extra, (
            f"{fmt}: {len(lost)} of the {len(lines)} old lines lost ({lost[:2]}), "
            f"{len(extra)} foreign ({extra[:2]}) after the next writer"
        )
