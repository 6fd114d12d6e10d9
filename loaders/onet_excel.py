"""O*NET's Excel files (``Skills.xlsx``, ``Knowledge.xlsx`` …) read as rows of text.

O*NET publishes every release in Excel as well as text; the Excel files have the same header
names (plus a ``Title`` column) and store numbers as numeric cells. This module turns the first
worksheet into the same ``(line number, fields)`` rows the text files give, so
:class:`competency_kg.loaders.onet.files.Table` reads both alike: numbers come back in plain decimal
notation (``0.125``, never ``1.25e-01``), empty cells as ``""``. openpyxl's read-only mode
streams the sheet, so memory stays flat however many rows there are.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from competency_kg.loaders.errors import SourceError


def cell_text(value: object) -> str:
    """A cell's value as the text file would print it.

    >>> cell_text(4.12), cell_text(8), cell_text(None), cell_text(1e-05), cell_text(" Y ")
    ('4.12', '8', '', '0.00001', 'Y')
    """
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float):
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text or "E" in text else text
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.month:02d}/{value.year}"
    return str(value).strip()


def iter_xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """``(row number, cells as text)`` for every row of the workbook's first sheet."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise SourceError(path, None, f"not a readable Excel workbook: {exc}") from exc
    try:
        ws = wb.worksheets[0]
        width: int | None = None
        for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [cell_text(v) for v in row]
            if width is None:
                while cells and not cells[-1]:
                    cells.pop()  # trailing empty header cells
                width = len(cells)
            elif len(cells) > width and not any(cells[width:]):
                cells = cells[:width]
            if not any(cells):
                continue
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            yield n, cells
    finally:
        wb.close()
