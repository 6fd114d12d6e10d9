"""Files kept per published version beside an embedded store: what a server computes once
per store version and reads back when started again over the same store, instead of
computing it again (the validation report: a minute on the whole O*NET release; the search's
label index: 6-11 s; the hash IRIs of documents: seconds).

One folder, a sibling of the store as its ``.versions`` (:mod:`.versions`):
``<store>.kept/<kind>-<version>-<format>[-<key>].json``. ``<version>`` is the published
version's name (``CURRENT``'s, never reused: a load publishes a new one), so a file is never
read for another version's data; ``<format>`` changes when what a kind keeps changes shape;
``<key>`` tells apart what one version may keep of a kind (the validation report's shapes,
the base IRI of the hash IRIs). What is kept, and how it is encoded and checked, is each
caller's (:class:`Kept` takes an ``encode`` and a ``decode``); the rest is here, once:

- **Only for the version published now, or the one a load is publishing.** A server writes a
  value only when the version it was computed for (read before computing it) is still the
  current one: nothing published meanwhile, so it is that version's data and nothing else. A
  load writes what it computed of its own data (:meth:`Kept.write_new`, through
  :meth:`~competency_kg.store.base.GraphStore.keep`) for the version it is publishing, after
  that version's folder is complete and before ``CURRENT`` names it
  (:func:`~competency_kg.store.versions.publish`): a server started on that version never
  computes it. A remote store, or one with no published version, keeps nothing.
- **Atomic.** Written to a temporary file, then renamed: a reader sees a whole file or none.
  A write removes the kind's files of older versions (a load's keeps the current version's
  too: its servers read them until ``CURRENT`` switches; a server's never removes a newer
  version's, which a load may have written meanwhile), and the temporary files that a process
  stopped while writing left (a running writer's stays).
- **Data only, read strictly.** JSON (no pickle: a file cannot make the server run
  anything), in an envelope naming the kind, format, version and key, each checked, then the
  caller's ``decode`` checks the value (:class:`KeptFileError`). A file that is unreadable,
  not JSON, of another kind, format, version or key, or whose value ``decode`` refuses, is
  never served and never a crash: one log line naming it, None, and the caller computes the
  value again and writes it anew.

Figures (the search's index read back as JSON columns against the pickle it replaces):
docs/browsing.md, "Kept files".
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from competency_kg.store.versions import current_version, state_token

log = logging.getLogger(__name__)

T = TypeVar("T")
#: The envelope's fields, exactly (the value is the caller's).
_FIELDS = frozenset({"kind", "format", "version", "key", "value"})


class KeptFileError(ValueError):
    """A kept file that is not one this code wrote for the kind, version and key asked for
    (the message names where, never the offending value)."""


def kept_dir(path: Path) -> Path:
    """The folder of what is kept for the store at ``path`` (a sibling, as ``.versions``)."""
    return path.with_name(path.name + ".kept")


def location(store: str | Path | None) -> Path | None:
    """The folder of an embedded store (None for a remote store or none)."""
    if store is None or str(store).startswith(("http://", "https://")):
        return None
    return Path(store)


def published(store: str | Path | None) -> str | None:
    """The name of the store's current published version (None: a remote store, or none
    published)."""
    path = location(store)
    found = current_version(path) if path is not None else None
    return found.name if found is not None else None


def published_at(store: str | Path | None, token: str | None) -> str | None:
    """The name of the current version if the store's state is still ``token``
    (:func:`~competency_kg.store.versions.state_token`, what the pages' caches are keyed by):
    the version a value cached under ``token`` is of; None if another was published since."""
    path = location(store)
    if path is None or token is None:
        return None
    name = published(path)
    return name if state_token(path) == token else None


@dataclass(frozen=True)
class Kept:
    """One kind of file kept per published version: ``kind`` names its files, ``what`` it in
    log lines, ``format`` the shape of what it keeps (a change: older files are not read)."""

    kind: str
    what: str
    format: int

    def file(self, path: Path, version: str, key: str = "") -> Path:
        """Where this kind is kept for ``version`` (and ``key``) of the store at ``path``."""
        tail = f"-{key}" if key else ""
        return kept_dir(path) / f"{self.kind}-{version}-{self.format}{tail}.json"

    def read(
        self,
        store: str | Path | None,
        version: str | None,
        decode: Callable[[Any], T],
        key: str = "",
    ) -> T | None:
        """What is kept of this kind for ``version``, as ``decode`` makes it of the file's
        value (it raises :class:`KeptFileError` for a value not of its shape); None when
        nothing is, or the file is not to be used (logged in one line)."""
        path = location(store)
        if path is None or version is None:
            return None
        target = self.file(path, version, key)
        try:
            value = decode(self._open(target.read_bytes(), version, key))
        except FileNotFoundError:
            return None
        except Exception as exc:  # whatever the file holds: never the server's failure
            known = isinstance(exc, OSError | KeptFileError)
            why = str(exc) if known else f"{type(exc).__name__} reading it"
            log.warning("kept %s %s not used (%s): computing it again", self.what, target.name, why)
            return None
        log.info("%s of store version %s read from disk", self.what, version)
        return value

    def write(
        self,
        store: str | Path | None,
        version: str | None,
        value: T,
        encode: Callable[[T], Any] = lambda value: value,
        key: str = "",
    ) -> Path | None:
        """Keep ``value`` (as JSON data: ``encode(value)``) as this kind of ``version``, read
        before computing it: nothing is kept when another version was published meanwhile.
        The file, or None (nothing kept; a failure is logged: the value stays in memory)."""
        path = location(store)
        if path is None or version is None or published(path) != version:
            return None
        return self._write(path, version, value, encode, key, oldest=version)

    def write_new(
        self,
        path: Path,
        version: str,
        value: T,
        encode: Callable[[T], Any] = lambda value: value,
        key: str = "",
    ) -> Path | None:
        """Keep ``value`` as this kind of ``version``, a version being published (its folder
        complete, ``CURRENT`` not yet naming it): what a load computed of the data it wrote.
        The current version's file stays for the servers reading it meanwhile. The file, or
        None (a failure is logged: the servers compute the value)."""
        return self._write(path, version, value, encode, key, oldest=published(path) or version)

    def _write(
        self,
        path: Path,
        version: str,
        value: T,
        encode: Callable[[T], Any],
        key: str,
        oldest: str,
    ) -> Path | None:
        """The atomic write, then the cleanup of the versions older than ``oldest``."""
        target = self.file(path, version, key)
        tmp = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
        try:
            doc = {
                "kind": self.kind,
                "format": self.format,
                "version": version,
                "key": key,
                "value": encode(value),
            }
            data = json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            target.parent.mkdir(exist_ok=True)
            tmp.write_bytes(data.encode("utf-8"))
            os.replace(tmp, target)
            self._clean(target.parent, oldest)
            _remove_legacy(path)
        except (OSError, TypeError, ValueError) as exc:  # a read-only folder; a value JSON
            tmp.unlink(missing_ok=True)  # cannot hold (TypeError, ValueError)
            log.warning("%s not kept on disk: %s", self.what, exc)
            return None
        return target

    def _open(self, data: bytes, version: str, key: str) -> Any:
        """The value of a file's envelope, if it is this kind's, format's, version's and
        key's."""
        try:
            doc = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
        except ValueError as exc:  # not UTF-8, not JSON, a number of over 4300 digits
            raise KeptFileError(f"not JSON ({exc})") from None
        except RecursionError:
            raise KeptFileError("not JSON (nested too deep)") from None
        if not isinstance(doc, dict) or doc.get("kind") != self.kind:
            raise KeptFileError(f"not a kept {self.what}")
        if doc.get("format") != self.format:
            raise KeptFileError(f"format {_shown(doc.get('format'))}, not {self.format}")
        if doc.get("version") != version or doc.get("key") != key:
            raise KeptFileError("written for another store version or key")
        if set(doc) != _FIELDS:
            raise KeptFileError("fields other than the envelope's")
        return doc["value"]

    def _clean(self, folder: Path, oldest: str) -> None:
        """Remove this kind's files of versions older than ``oldest`` (names are zero-padded
        times, :func:`~competency_kg.store.versions.publish`), and the temporary files of
        writers no longer running."""
        mine = re.compile(rf"(\.?){re.escape(self.kind)}-(\d+)-")
        for other in folder.iterdir():
            found = mine.match(other.name)
            if found is None:
                continue
            temporary = bool(found[1])
            old = not temporary and int(found[2]) < int(oldest)
            if old or (temporary and not _being_written(other)):
                other.unlink(missing_ok=True)


#: What the previous release kept beside a store: ``<store>.reports/`` of pickled reports
#: (``<version>-<key>.pickle`` and their temporary files), never read again.
_LEGACY = (".reports", (".pickle", ".tmp"))


def _remove_legacy(path: Path) -> None:
    """Remove the previous release's ``<store>.reports/`` folder, if it holds only its
    files (an upgraded server would otherwise leave it beside the store for good)."""
    suffix, kinds = _LEGACY
    folder = path.with_name(path.name + suffix)
    try:
        entries = list(folder.iterdir())
        if all(e.is_file() and e.name.endswith(kinds) for e in entries):
            for e in entries:
                e.unlink(missing_ok=True)
            folder.rmdir()
            log.info("removed %s (the previous release's pickled reports)", folder.name)
    except OSError:
        return  # none, or not ours to remove: left as it is


def _no_constant(name: str) -> None:
    raise ValueError(name)  # NaN, Infinity: Python's json reads them, JSON has none


def _shown(value: object) -> str:
    """A value of the file in an error: a number as is, anything else by its type."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 1 << 32:
        return str(value)
    return type(value).__name__


def _being_written(path: Path) -> bool:
    """Whether ``path``, a temporary file ``.<name>.<pid>-<thread>.tmp``, is being written by
    a process still running (one stopped while writing leaves its file to be removed)."""
    parts = path.name.split(".")
    pid = parts[-2].split("-")[0] if len(parts) >= 3 else ""
    if parts[-1] != "tmp" or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, OverflowError):  # no such process, or no such id
        return False
    except OSError:
        return True  # another user's process: running
    return True
