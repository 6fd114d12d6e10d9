"""What the pages compute once per store version, kept on disk beside an embedded store: a
server started again over the same store reads it back instead of computing it again (the
search's label index: 6-11 s on the whole O*NET release; the hash IRIs of documents every
resource page needs: a scan of the small graphs, seconds there).

Files: ``<store>.kept/<kind>-<version>-<format>.pickle``, a sibling of the store as its
``.versions`` and ``.reports`` (the validation report's own keeping,
:mod:`competency_kg.reporting.kept`). ``<version>`` is the published version's name, never
reused (a load publishes a new one), so a file is never read for another version's data;
``<format>`` changes when what a kind keeps changes shape. Written to a temporary file, then
renamed (a reader sees a whole file or none); a save removes the kind's files of other
versions, and what a process stopped while writing left. A remote store, or one with no
published version, keeps nothing. The files are written by the server from its own
computation into a folder as trusted as the store beside it.
"""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path
from typing import Any

from competency_kg import versioned_cache
from competency_kg.store.versions import current_version

log = logging.getLogger(__name__)


def kept_file(store: str | None, kind: str, fmt: int) -> tuple[Path, str] | None:
    """Where ``kind`` is kept for the store's current published version, and that version's
    name; None for a remote store or one with no published version."""
    if store is None or store.startswith(("http://", "https://")):
        return None
    path = Path(store)
    found = current_version(path)
    if found is None:
        return None
    folder = path.with_name(path.name + ".kept")
    return folder / f"{kind}-{found.name}-{fmt}.pickle", found.name


def load(store: str | None, kind: str, fmt: int, version: str) -> Any:
    """What is kept of ``kind`` for the store's current version, if the store's state is still
    ``version`` (:func:`~competency_kg.versioned_cache.store_version`; a load meanwhile, no
    file, or a damaged one: None)."""
    where = kept_file(store, kind, fmt)
    if where is None:
        return None
    target, name = where
    try:
        with target.open("rb") as f:
            kept = pickle.load(f)  # written by this server, beside its store
    except FileNotFoundError:
        return None
    except Exception as exc:  # a damaged file: computed again, and written anew
        log.warning("kept %s unreadable (%s): computing it again", target.name, exc)
        return None
    if not isinstance(kept, dict) or kept.get("version") != name:
        return None
    if versioned_cache.store_version(store) != version:
        return None  # published meanwhile: the file may be of the version before
    log.info("%s of store version %s read from disk", kind, name)
    return kept["value"]


def save(store: str | None, kind: str, fmt: int, name: str | None, value: Any) -> None:
    """Keep ``value`` as ``kind`` of version ``name`` (the version read before computing it:
    nothing is kept when another was published meanwhile); remove the kind's other files. A
    read-only folder keeps nothing (logged)."""
    where = kept_file(store, kind, fmt)
    if where is None or name is None or where[1] != name:
        return
    target = where[0]
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(exist_ok=True)
        with tmp.open("wb") as f:
            pickle.dump({"version": name, "value": value}, f, pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
        for other in target.parent.iterdir():
            mine = other.name.lstrip(".").startswith(f"{kind}-")
            if mine and other != target and not _being_written(other):
                other.unlink(missing_ok=True)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        log.warning("%s not kept on disk: %s", kind, exc)


def version_name(store: str | None, kind: str, fmt: int) -> str | None:
    """The name of the version a value computed now would be kept for (read before
    computing it, compared by :func:`save`)."""
    where = kept_file(store, kind, fmt)
    return where[1] if where is not None else None


def _being_written(path: Path) -> bool:
    """Whether ``path`` is the temporary file of a process still running (one stopped while
    writing, as a server stopped during a save, leaves its file to be removed)."""
    parts = path.name.split(".")
    if not path.name.startswith(".") or len(parts) < 3 or not parts[-2].isdigit():
        return False
    try:
        os.kill(int(parts[-2]), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: running
    return True
