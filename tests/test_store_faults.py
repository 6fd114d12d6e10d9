"""A store on a full disk or a read-only file system: one clear error, exit 2, data kept.

The tests mount a small tmpfs of their own (CI and sessions run as root here), so the disk
really fills and the file system really turns read-only.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import FRAMEWORK_SEED, OVERVIEW_SEED, run_cli


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    assert os.geteuid() == 0, "these tests mount a tmpfs: run them as root (as CI does)"
    mount = tmp_path / "fs"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


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
    filler = tiny_fs / "filler"
    with filler.open("wb") as f:  # fill the disk to the last byte
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError:
            pass
    r = run_cli("load", str(OVERVIEW_SEED), store=store)
    assert r.returncode == 2, r.stderr
    assert "No space left on device" in r.stderr and "Traceback" not in r.stderr
    filler.unlink()
    assert run_cli("export", store=store).stdout == before
    assert run_cli("load", str(OVERVIEW_SEED), store=store).returncode == 0
