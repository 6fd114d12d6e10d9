"""Bulk-load one N-Triples file with every core: cut it into line-aligned parts, load them at once.

Oxigraph's bulk loader parses a file on one thread, and parsing is most of its work; the
Python binding releases the GIL while it loads, so loading parts of the file from several
threads into the same store uses the other cores (measured on the benchmark's 249 k-triple
file, 2 cores: 133 k triples/s in one piece, 250 k/s in two).

Splitting is only sound without blank nodes: a parser gives ``_:b1`` a fresh node per
document, so two parts would make two nodes of one. Files that contain any are loaded whole.
The parts are copied by the kernel (``os.copy_file_range``), not read into Python.
"""

from __future__ import annotations

import itertools
import mmap
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

#: Files smaller than this are loaded whole: threads would not pay for themselves.
MIN_SPLIT_BYTES = 8 * 1024 * 1024


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def has_blank_nodes(path: Path) -> bool:
    """Whether an N-Triples file names a blank node (``_:`` starting a term)."""
    with path.open("rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return False
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return m[:2] == b"_:" or m.find(b" _:") >= 0 or m.find(b"\n_:") >= 0


def split_points(path: Path, parts: int) -> list[int]:
    """Byte offsets that cut the file into ``parts`` ranges, each at a line start."""
    size = path.stat().st_size
    points = [0]
    with path.open("rb") as f:
        for i in range(1, parts):
            f.seek(max(size * i // parts, points[-1]))
            f.readline()  # to the start of the next line
            points.append(min(f.tell(), size))
    points.append(size)
    return sorted(set(points))


def split(path: Path, parts: int, folder: Path) -> list[Path]:
    """The file cut into up to ``parts`` files in ``folder`` (the file itself if one part)."""
    points = split_points(path, parts)
    if len(points) <= 2:
        return [path]
    out: list[Path] = []
    with path.open("rb") as src:
        for n, (start, end) in enumerate(itertools.pairwise(points)):
            part = folder / f"part-{n}.nt"
            with part.open("wb") as dst:
                offset, left = start, end - start
                while left > 0:
                    copied = os.copy_file_range(src.fileno(), dst.fileno(), left, offset)
                    if copied == 0:
                        break
                    offset += copied
                    left -= copied
            out.append(part)
    return out


def load_in_parallel(path: Path, load: Callable[[Path], None], parts: int | None = None) -> int:
    """Call ``load(file)`` on parts of ``path`` from as many threads as cores (whole if small
    or with blank nodes); re-raises the first error. Returns the number of parts."""
    parts = parts or cores()
    if parts < 2 or path.stat().st_size < MIN_SPLIT_BYTES or has_blank_nodes(path):
        load(path)
        return 1
    with tempfile.TemporaryDirectory(prefix="parts-", dir=path.parent) as tmp:
        files = split(path, parts, Path(tmp))
        errors: list[BaseException] = []

        def run(f: Path) -> None:
            try:
                load(f)
            except BaseException as exc:  # re-raised in the caller's thread
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(f,), name="bulk-load") for f in files]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return len(files)
