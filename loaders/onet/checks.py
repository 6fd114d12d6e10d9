"""Row checks: cells that must be codes, IDs or numbers stop the load naming file and line;
what a SHACL shape would flag is kept as a :class:`Finding`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from competency_kg.loaders.errors import SourceError
from competency_kg.loaders.onet.files import Table

CODE = re.compile(r"^\d{2}-\d{4}\.\d{2}$")

ELEMENT = re.compile(r"^\d+(?:\.[A-Za-z0-9]+)*$")

DIGITS = re.compile(r"^\d+$")

SCALE = re.compile(r"^[A-Za-z0-9]+$")

DECIMAL = re.compile(r"^-?\d+(?:\.\d+)?$")

MONTH = re.compile(r"^(\d{2})/(\d{4})$")

NA = {"", "n/a", "N/A", "na"}


@dataclass
class Finding:
    """A row check's result: what a SHACL result would say, for a row no shape saw."""

    severity: str  # "Violation" | "Warning"
    check: str  # short name: "rating-out-of-range"
    focus: str  # the resource concerned
    message: str
    location: str


def place_of(where: str) -> str:
    """``"Skills.txt line 12"`` → ``"line 12"``."""
    unit, n = where.rsplit(" ", 2)[-2:]
    return f"{unit} {n}"


def check_cell(
    pattern: re.Pattern[str], value: str, table: Table, where: str, col: str, like: str
) -> None:
    if not pattern.match(value):
        raise SourceError(table.path, place_of(where), f"{col} {value!r} is not {like}")


def decimal_cell(raw: str, table: Table, where: str, col: str) -> Decimal | None:
    d = number_cell(raw, table, where, col)
    return None if d is None else Decimal(d)


def number_cell(raw: str, table: Table, where: str, col: str) -> str | None:
    """A number cell as an xsd:decimal lexical form (``"4.12"``), or None for ``n/a``."""
    if raw in NA:
        return None
    if DECIMAL.match(raw):
        return raw
    try:
        d = Decimal(raw)  # a number written like 1e-05
    except InvalidOperation:
        raise SourceError(table.path, place_of(where), f"{col} {raw!r} is not a number") from None
    if not d.is_finite():
        raise SourceError(table.path, place_of(where), f"{col} {raw!r} is not a number")
    return format(d, "f")
