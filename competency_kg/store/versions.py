"""Published versions of the embedded store: what readers in other processes open.

pyoxigraph (RocksDB) says that opening a store read-only "while having an other process
writing the database is undefined behavior", and it is: a query worker that opened the store
while a load was compacting it looped forever in one query (reproduced: 3 runs in 6). So
readers never open the folder a writer uses. When a writer closes after writing, it publishes
a checkpoint of the store (``Store.backup``: hard links, cheap) under ``<store>.versions/``
and then names it in ``<store>.versions/CURRENT`` (an atomic rename). Nobody writes to a
published version, so any number of processes may read it, for as long as they like, while
the next load runs.

Readers notice a new version with one ``stat`` of ``CURRENT`` (:func:`state_token`), which is
also the token under which the web pages cache what they computed.

Plain paths only: the query workers use this module and never import rdflib.
"""

from __future__ import annotations

import functools
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from competency_kg.store.faults import stop_point

#: Versions kept: the current one and the one before it (a reader that read ``CURRENT`` just
#: before a publish opens it a moment later). Removing the folder of a version a reader has open
#: is harmless: RocksDB holds its files open (checked: queries on a read-only handle go on after
#: the folder is deleted). Disk: versions share files with the store by hard links until a
#: compaction rewrites them, so at most about twice the store's size.
KEEP = 2
_POINTER = "CURRENT"


def versions_dir(path: Path) -> Path:
    """The folder of the published versions of the store at ``path``."""
    return path.with_name(path.name + ".versions")


def store_of(folder: Path) -> Path:
    """The store a published version belongs to (``folder`` itself for any other folder):
    what caches key on, since every load opens a new version folder."""
    parent = folder.parent
    if parent.name.endswith(".versions") and folder.name.isdigit():
        return parent.with_name(parent.name.removesuffix(".versions"))
    return folder


def current_version(path: Path) -> Path | None:
    """The folder of the version readers should open, or None if none was ever published
    (a store written before versions existed: readers then open ``path`` itself)."""
    folder = versions_dir(path)
    try:
        name = (folder / _POINTER).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not name or "/" in name or name.startswith("."):
        return None
    version = folder / name
    return version if version.is_dir() else None


def state_token(path: Path) -> str | None:
    """A cheap token that changes when a new version is published (one ``stat``); None when
    the store has no published version."""
    try:
        st = os.stat(_pointer(path))
    except OSError:
        return None
    return f"{st.st_ino}:{st.st_mtime_ns}:{st.st_size}"


@functools.lru_cache(maxsize=64)
def _pointer(path: Path) -> str:
    """``CURRENT`` of the store at ``path``, worked out once: asked on every query."""
    return str(versions_dir(path) / _POINTER)


def publish(store: Any, path: Path, prepare: Callable[[str], None] | None = None) -> Path:
    """Checkpoint the writer's ``store`` (a ``pyoxigraph.Store`` open at ``path``) as the new
    current version, then drop the versions older than the last :data:`KEEP`. ``prepare``
    is called with the new version's name once its folder is complete and before
    ``CURRENT`` names it (what the load keeps for it, :mod:`competency_kg.store.kept`: a
    reader that sees the version sees its kept files too). Raises OSError (disk full,
    read-only folder): readers then keep the previous version."""
    folder = versions_dir(path)
    folder.mkdir(exist_ok=True)
    name = f"{time.time_ns():020d}"
    staging = folder / f".{name}.tmp"
    try:
        store.backup(str(staging))
        os.replace(staging, folder / name)
        stop_point("publish")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if prepare is not None:
        prepare(name)
    pointer = folder / f".{_POINTER}.{name}.tmp"
    pointer.write_text(name + "\n", encoding="utf-8")
    os.replace(pointer, folder / _POINTER)
    _prune(folder, keep=name)
    return folder / name


def _prune(folder: Path, keep: str) -> None:
    """Remove old versions (and staging folders a killed writer left behind)."""
    names = sorted(e.name for e in os.scandir(folder) if e.is_dir() and e.name.isdigit())
    old = [n for n in names[:-KEEP] if n != keep]
    stale = [e.name for e in os.scandir(folder) if e.name.startswith(".")]
    for n in old + stale:
        target = folder / n
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
