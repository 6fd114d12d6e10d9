"""The one error every loader raises for bad input.

It names the file and the place in it, so the CLI can print one clear line and exit non-zero.
Parsers quote the bytes they stop at, so the message's control characters (a NUL, a terminal
escape) are shown as escapes: the line stays one line, and prints as it reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from competency_kg.safe_text import escape_controls


class SourceError(Exception):
    """A source document could not be read as its format says it should be."""

    def __init__(self, path: str | Path, where: str | None, message: str) -> None:
        self.path = str(path)
        self.where = where
        self.message = escape_controls(message)
        super().__init__(str(self))

    def __str__(self) -> str:
        place = f" ({self.where})" if self.where else ""
        return escape_controls(f"{self.path}{place}: {self.message}")


def read_text(path: str | Path) -> str:
    """Read a source as UTF-8 text, refusing empty, binary and non-UTF-8 files clearly."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise SourceError(p, None, f"cannot read file: {exc.strerror or exc}") from exc
    if not data.strip():
        raise SourceError(p, None, "file is empty")
    if b"\x00" in data[:8192]:
        raise SourceError(p, None, "file is binary (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            p, f"line {line}, byte {exc.start}", "file is not valid UTF-8 text"
        ) from exc
    return text


def parse_json(path: str | Path, text: str, what: str) -> Any:
    """``text`` as JSON, or a :class:`SourceError` naming the line and column, or saying that
    it nests too deeply to be ``what`` (a framework, a framework export): the JSON loaders'
    one way of refusing a document that is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(
            path, f"line {exc.lineno}, column {exc.colno}", f"not valid JSON: {exc.msg}"
        ) from exc
    except RecursionError as exc:
        raise SourceError(path, None, f"JSON nested too deeply to be {what}") from exc
