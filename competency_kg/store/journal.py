"""The journal of a load into the embedded store: a checkpoint and a marker file.

A load is one unit however many writes it makes (several big sources streamed in one by one,
the other sources and the metadata, the cross-source links, then publication), and most of
those writes are too big for one transaction. So the first write of a writer session takes a
checkpoint of the store (hard links, cheap) at ``<store>.checkpoint``, then writes the marker
``<store>.loading`` naming the version published at that moment; the session ends the journal
after it has published its own version (:mod:`competency_kg.store.versions`): marker first,
then checkpoint.

The commit point is the switch of ``<store>.versions/CURRENT``. A writer that opens the store
and finds a marker (:func:`recover`) compares: ``CURRENT`` still the version the marker names,
so the load died before it was published, and the checkpoint is restored (readers never saw
that load); ``CURRENT`` moved on, so it died after, and the checkpoint is dropped (readers
already see that load, and the store folder holds exactly what was published). Either way the
next writer starts from what readers see. A store without a published version is read from the
checkpoint while the marker exists (:func:`readable_path`).

Plain paths only: the query workers use this module and never import rdflib.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from competency_kg.store.versions import current_version

log = logging.getLogger(__name__)

#: How the marker names the version published when the journal began.
_PUBLISHED = "published before the load: "
_NONE = "-"


def journal_dir(path: Path) -> Path:
    """The checkpoint of the store at ``path`` taken before a load's first write."""
    return path.with_name(path.name + ".checkpoint")


def journal_marker(path: Path) -> Path:
    """The file whose presence says a load into ``path`` is running or died."""
    return path.with_name(path.name + ".loading")


def readable_path(path: Path) -> Path:
    """Where a reader finds the last complete state of the store at ``path``: its published
    version (:mod:`competency_kg.store.versions`); for a store without one, the checkpoint of
    a load that is running or died, else the store itself."""
    version = current_version(path)
    if version is not None:
        return version
    checkpoint = journal_dir(path)
    if journal_marker(path).exists() and checkpoint.is_dir():
        return checkpoint
    return path


def begin_journal(path: Path, backup: Callable[[Path], None]) -> Path:
    """Checkpoint the store (``backup(folder)``, the writer's ``Store.backup``), then write the
    marker naming the current published version. Returns the checkpoint. Raises what
    ``backup`` raises (OSError), leaving no journal behind."""
    checkpoint = journal_dir(path)
    shutil.rmtree(checkpoint, ignore_errors=True)
    try:
        backup(checkpoint)
        version = current_version(path)
        marker = journal_marker(path)
        staging = marker.with_name(marker.name + ".tmp")
        staging.write_text(
            f"{_PUBLISHED}{version.name if version else _NONE}\n", encoding="utf-8"
        )
        os.replace(staging, marker)  # a marker is whole or absent
    except BaseException:
        shutil.rmtree(checkpoint, ignore_errors=True)
        raise
    return checkpoint


def end_journal(path: Path, checkpoint: Path) -> None:
    """The load is published: the marker goes first, then the checkpoint it pointed to."""
    journal_marker(path).unlink(missing_ok=True)
    shutil.rmtree(checkpoint, ignore_errors=True)


def _published_before(marker: Path) -> str | None:
    """The version the marker says was current when the load began (``-`` for none); None
    for a marker that says nothing (written before markers named it): treated as unpublished."""
    try:
        text = marker.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text.removeprefix(_PUBLISHED) if text.startswith(_PUBLISHED) else None


def recover(path: Path) -> None:
    """Finish the journal of a load that died (writers call this on open, and when a write
    fails): restore the checkpoint unless the load was already published."""
    marker, checkpoint = journal_marker(path), journal_dir(path)
    marker.with_name(marker.name + ".tmp").unlink(missing_ok=True)
    if not marker.exists():
        if checkpoint.exists():  # a finished load whose clean-up was cut short
            shutil.rmtree(checkpoint, ignore_errors=True)
        return
    before, version = _published_before(marker), current_version(path)
    now = version.name if version is not None else _NONE
    if before is not None and now != before:
        log.info("store %s: the last load died after it was published; it stays", path)
        shutil.rmtree(checkpoint, ignore_errors=True)
    elif checkpoint.exists():
        log.warning("store %s: an unfinished load is rolled back to its checkpoint", path)
        if path.exists():
            shutil.rmtree(path)
        checkpoint.rename(path)
    marker.unlink()
