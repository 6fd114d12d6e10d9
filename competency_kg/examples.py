"""Worked example queries: the ``queries/*.rq`` files, read with their header lines.

Each file is one SPARQL query that starts with comment lines naming it::

    # title: Competencies by proficiency level
    # description: Every competency framework's statements, level by level …
    # order: 10
    # (any further comment lines are notes for the reader and stay in the query text)
    PREFIX ckg: <https://w3id.org/competency-kg/ontology#>
    SELECT …

``title`` and ``description`` are required; ``order`` (an integer, default 1000) sets the place
in menus, then the title. The query editor (``/sparql``), ``/sparql/examples`` and any other
page or command take them from :func:`load_examples`.

>>> ex = parse_example("# title: T\\n# description: D\\n# a note\\nASK {}\\n", "t")
>>> (ex.id, ex.title, ex.description, ex.order, ex.query)
('t', 'T', 'D', 1000, '# a note\\nASK {}\\n')
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

#: Where the project keeps its example queries: the package ``competency_kg.queries`` (the
#: project's ``queries/`` folder), found as package data in a checkout and an installed wheel.
QUERIES_DIR = Path(str(files("competency_kg.queries")))

DEFAULT_ORDER = 1000
_HEADER = re.compile(r"^#\s*(title|description|order)\s*:\s*(.*?)\s*$")


class ExampleError(ValueError):
    """An example file without the header lines it needs."""


@dataclass(frozen=True)
class Example:
    """One worked example query."""

    id: str  #: the file name without ``.rq``
    title: str
    description: str
    text: str  #: the whole file: a query that runs as it is (the header lines are comments)
    order: int = DEFAULT_ORDER

    @property
    def query(self) -> str:
        """The text without the title/description/order lines (notes and query remain)."""
        return "".join(
            line for line in self.text.splitlines(keepends=True) if not _HEADER.match(line)
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_example(text: str, example_id: str) -> Example:
    """Read the header of one example (its leading comment lines)."""
    fields: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break  # the header is the comment block at the top
        m = _HEADER.match(stripped)
        if m:
            key, value = m.groups()
            if key in fields:
                raise ExampleError(f"{example_id}: line {lineno}: a second '# {key}:' line")
            fields[key] = value
    missing = [k for k in ("title", "description") if not fields.get(k)]
    if missing:
        raise ExampleError(
            f"{example_id}: no {' or '.join(f'# {k}:' for k in missing)} line in its header"
        )
    try:
        order = int(fields.get("order", DEFAULT_ORDER))
    except ValueError as exc:
        raise ExampleError(f"{example_id}: '# order:' must be an integer") from exc
    return Example(example_id, fields["title"], fields["description"], text, order)


def load_examples(folder: Path | str | None = None) -> list[Example]:
    """Every ``*.rq`` file of ``folder`` (default: the project's ``queries/``), in menu order.

    A missing folder gives no examples; a file without its header raises :class:`ExampleError`.
    """
    root = Path(folder) if folder is not None else QUERIES_DIR
    if not root.is_dir():
        return []
    examples = []
    for path in sorted(root.glob("*.rq")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ExampleError(f"{path.name}: cannot read it: {exc}") from exc
        examples.append(parse_example(text, path.stem))
    return sorted(examples, key=lambda e: (e.order, e.title.casefold()))
