"""The journal of a bulk load into the embedded store: a checkpoint and a marker file.

A bulk load is too big for one transaction. Before it starts, a checkpoint of the store (hard
links, cheap) is written to ``<store>.checkpoint``, then the marker ``<store>.loading``; the
marker is removed when the load is complete, then the checkpoint. So while the marker exists the
checkpoint holds the last complete data: a writer restores it (:func:`recover`), a reader that
must keep answering reads it (:func:`readable_path`).

Plain paths only: the query workers use this module and never import rdflib.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from competency_kg.store.versions import current_version

log = logging.getLogger(__name__)


def journal_dir(path: Path) -> Path:
    """The checkpoint of the store at ``path`` taken before a bulk load."""
    return path.with_name(path.name + ".checkpoint")


def journal_marker(path: Path) -> Path:
    """The file whose presence says a bulk load into ``path`` is running or died."""
    return path.with_name(path.name + ".loading")


def readable_path(path: Path) -> Path:
    """Where a reader finds the last complete state of the store at ``path``: its published
    version (:mod:`competency_kg.store.versions`); for a store without one, the checkpoint of
    a bulk load that is running or died, else the store itself."""
    version = current_version(path)
    if version is not None:
        return version
    checkpoint = journal_dir(path)
    if journal_marker(path).exists() and checkpoint.is_dir():
        return checkpoint
    return path


def end_journal(path: Path, checkpoint: Path) -> None:
    """The load is complete: the marker goes first, then the checkpoint it pointed to."""
    journal_marker(path).unlink(missing_ok=True)
    shutil.rmtree(checkpoint, ignore_errors=True)


def recover(path: Path) -> None:
    """Restore the checkpoint of a bulk load that never finished (writers call this on open)."""
    marker, checkpoint = journal_marker(path), journal_dir(path)
    if not marker.exists():
        if checkpoint.exists():  # a finished load whose clean-up was cut short
            shutil.rmtree(checkpoint, ignore_errors=True)
        return
    if checkpoint.exists():
        log.warning("store %s: an unfinished load is rolled back to its checkpoint", path)
        if path.exists():
            shutil.rmtree(path)
        checkpoint.rename(path)
    marker.unlink()
