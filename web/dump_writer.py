"""Writes one dump file, in a process of its own (``python -m competency_kg.web.dump_writer``).

A dump of a big store takes tens of seconds of pyoxigraph serialization and gzip, which
hold the interpreter lock most of the time: written by a thread of the server, it slowed
every request thread of the server (the first dump after an O*NET load held them 26 s). A
separate process leaves the server's threads alone; the server serves the file once it exists
(:mod:`competency_kg.web.void`).

The file is written under a temporary name holding the writer's process id
(``.{name}.{pid}.part``) and renamed when complete. It is removed when the writing fails, when
the writer is stopped (SIGTERM, SIGINT) and when the server that started it goes away; one a
killed writer left behind is removed by the next writer (:func:`remove_stale_parts`).

Plain modules only (no Flask): the process starts in a fraction of a second.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import BinaryIO

from competency_kg.store import open_store

log = logging.getLogger(__name__)

_PART = ".part"


def part_name(name: str, pid: int) -> str:
    """The temporary name a writer with process id ``pid`` writes ``name`` under."""
    return f".{name}.{pid}{_PART}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_parts(folder: Path) -> list[Path]:
    """Remove the temporary files of writers that are no longer running; what was removed."""
    removed = []
    for entry in folder.glob(f".*{_PART}"):
        pid_text = entry.name.removesuffix(_PART).rpartition(".")[2]
        if pid_text.isdigit() and int(pid_text) != os.getpid() and _alive(int(pid_text)):
            continue
        entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


class _HashingWriter:
    """A binary file that also feeds what is written to a hash."""

    def __init__(self, raw: BinaryIO, digest: hashlib._Hash) -> None:
        self.raw = raw
        self.digest = digest

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


def write_dump(store: str, folder: Path, name: str, mime: str) -> Path:
    """Stream the store (a folder, read-only, or a SPARQL server's URL) as ``mime`` into the
    gzip file ``folder/name`` and its ``.sha256``; nothing is left under a temporary name
    if this fails or is interrupted."""
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(folder)
    target = folder / name
    tmp = folder / part_name(name, os.getpid())
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as raw:
            hashing = _HashingWriter(raw, digest)
            with (
                gzip.GzipFile(filename="", mode="wb", fileobj=hashing, mtime=0) as gz,
                open_store(store, read_only=True) as source,
            ):
                source.dump(gz, mime)  # type: ignore[arg-type]
        tmp.replace(target)
        target.with_name(name + ".sha256").write_text(f"{digest.hexdigest()}  {name}\n")
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _stop_with_parent(parent: int) -> None:
    """Stop (through SIGTERM, so the temporary file is removed) when the server is gone."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _interrupted(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """``dump_writer STORE FOLDER NAME MIME PARENT_PID``: exit 0 when the dump is written."""
    store, folder, name, mime, parent = argv or sys.argv[1:]
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGINT, _interrupted)
    _stop_with_parent(int(parent))
    logging.basicConfig(level=logging.WARNING, format="dump writer: %(message)s")
    try:
        write_dump(store, Path(folder), name, mime)
    except Exception:
        log.exception("writing the dump %s failed", name)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
