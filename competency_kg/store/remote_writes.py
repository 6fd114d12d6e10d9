"""A remote store's writes: replacing graphs in one SPARQL Update request when it fits, staged
through temporary graphs when it does not (see "Writing, and how atomic it is" in
:mod:`competency_kg.store.remote`), with the merge graph kept in step in the same request."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef

from competency_kg.store.base import DescriptionReplacement, GraphReplacement, StoreError
from competency_kg.store.merge import MERGED_GRAPH, STATE_GRAPH, after_ops, before_ops, rebuild_ops
from competency_kg.store.remote_dataset import STAGING_PREFIX, STAMP, RemoteDataset


class RemoteWrites(RemoteDataset):
    """Replacing graphs and descriptions on the endpoint."""

    max_request_bytes: int
    block_triples: int

    def _update(self, text: str) -> None:
        self._graphs = None
        if self.server() == "virtuoso":
            text = "DEFINE sql:big-data-const 1\n" + text
        self._send(text, update=True)

    # ------------------------------------------------------------------ writing
    def replace_graphs(
        self,
        replacements: list[GraphReplacement],
        descriptions: list[DescriptionReplacement] | None = None,
    ) -> None:
        targets = [
            (r.name, _blocks(r.graph, self.block_triples) if r.graph is not None else None)
            for r in replacements
        ]
        self._write(targets, descriptions or [])

    def bulk_replace(
        self,
        name: URIRef,
        ntriples: Path,
        descriptions: list[DescriptionReplacement] | None = None,
    ) -> None:
        """Replace one graph by a big N-Triples file, staged (see the module doc)."""
        blocks = _file_blocks(ntriples, self.block_triples)
        try:
            self._write([(name, blocks)], descriptions or [], force_staging=True)
        except (OSError, SyntaxError, ValueError) as exc:
            raise StoreError(f"bulk load into <{name}> failed, store unchanged: {exc}") from exc

    def _write(
        self,
        targets: list[tuple[URIRef, Iterable[str] | None]],
        descriptions: list[DescriptionReplacement],
        force_staging: bool = False,
    ) -> None:
        """Replace ``targets`` (``None``: drop the graph) and ``descriptions``: in one request
        when it fits in ``max_request_bytes``, else staged and switched in one small request."""
        plan = _plan(targets, descriptions, self.block_triples)
        self._ensure_merge()
        staged = self._send_triples(plan, force_staging)
        if staged is not None:
            self._switch(plan, *staged)

    def _send_triples(
        self, plan: _WritePlan, force_staging: bool
    ) -> tuple[list[str], set[int]] | None:
        """Send the new triples: in the one request, with the whole write, when they fit (then
        ``None``); else into staging graphs, ``max_request_bytes`` at a time (then their names
        and the indexes of the slots that got triples). A failure drops the staging graphs."""
        staging: list[str] | None = None
        pending: list[tuple[int, str]] = []
        size = sum(len(op) + 3 for op in plan.head)  # what the one request would weigh so far
        filled: set[int] = set()

        def flush() -> None:
            assert staging is not None
            if pending:
                self._update(" ;\n".join(_insert_ops((staging[i], b) for i, b in pending)))
                pending.clear()

        try:
            for index, (_, blocks) in enumerate(plan.slots):
                for block in blocks:
                    weight = len(block.encode("utf-8")) + 20
                    if staging is None and (
                        force_staging or size + weight > self.max_request_bytes
                    ):
                        staging = self._begin_staging(len(plan.slots))
                        size = sum(len(b.encode("utf-8")) + 20 for _, b in pending)
                    if staging is not None and pending and size + weight > self.max_request_bytes:
                        flush()
                        size = 0
                    pending.append((index, block))
                    filled.add(index)
                    size += weight
            if staging is None:
                names = [str(n) for n, _ in plan.slots]
                ops = [*plan.head]
                if pending:
                    ops += _insert_ops((names[i], b) for i, b in pending)
                self._update(" ;\n".join([*ops, *plan.after]))
                return None
            flush()
        except BaseException:
            if staging is not None:
                self._drop_staging(staging)
            raise
        return staging, filled

    def _switch(self, plan: _WritePlan, staging: list[str], filled: set[int]) -> None:
        """The switch: one small request moves the staging graphs in (and brings the merge up
        to date in it); the staging graphs are dropped whatever happens."""
        ops = [*plan.before]
        target_slots = [name for name, blocks in plan.targets if blocks is not None]
        k = 0
        for name, blocks in plan.targets:
            if blocks is not None and k in filled:
                ops.append(f"MOVE SILENT GRAPH <{staging[k]}> TO GRAPH <{name}>")
            else:
                ops.append(f"DROP SILENT GRAPH <{name}>")
            if blocks is not None:
                k += 1
        for d in plan.descriptions:
            ops += [f"DELETE WHERE {{ GRAPH <{d.name}> {{ <{s}> ?p ?o }} }}" for s in d.subjects]
        for j, d in enumerate(plan.descriptions, start=len(target_slots)):
            if j in filled:
                ops.append(f"ADD SILENT GRAPH <{staging[j]}> TO GRAPH <{d.name}>")
        ops += plan.after
        try:
            self._update(" ;\n".join(ops))
        finally:
            self._drop_staging(staging)

    def _ensure_merge(self) -> None:
        """Compute the merge graph of a store written before it existed (once)."""
        graphs, merged = self._source_graphs()
        if graphs and not merged:
            self._update(" ;\n".join([*rebuild_ops(MERGED_GRAPH), *_stamp_ops()]))

    def _begin_staging(self, count: int) -> list[str]:
        self._drop_leftover_staging()
        token = uuid.uuid4().hex
        return [f"{STAGING_PREFIX}{token}:{i}" for i in range(count)]

    def _drop_staging(self, names: list[str]) -> None:
        with contextlib.suppress(StoreError):  # if not, the next write drops what is left
            self._update(" ;\n".join(f"DROP SILENT GRAPH <{n}>" for n in names))

    def _drop_leftover_staging(self) -> None:
        left = [g for g in self._all_graphs() if g.startswith(STAGING_PREFIX)]
        if left:
            self._update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in left))


@dataclass(frozen=True)
class _WritePlan:
    """One write: what is replaced, and the update operations around the new triples."""

    targets: list[tuple[URIRef, Iterable[str] | None]]
    descriptions: list[DescriptionReplacement]
    #: Every graph that gets triples: a replaced graph, then each description graph.
    slots: list[tuple[URIRef, Iterable[str]]]
    #: Before the inserts: the merge's bookkeeping, the drops and the descriptions' deletes.
    before: list[str]
    head: list[str]
    #: After them: the merge brought up to date and a new write stamp.
    after: list[str]


def _plan(
    targets: list[tuple[URIRef, Iterable[str] | None]],
    descriptions: list[DescriptionReplacement],
    block_triples: int,
) -> _WritePlan:
    slots: list[tuple[URIRef, Iterable[str]]] = [
        (name, blocks) for name, blocks in targets if blocks is not None
    ]
    slots += [(d.name, _blocks(d.graph, block_triples)) for d in descriptions]
    subjects = [(str(d.name), str(s)) for d in descriptions for s in d.subjects]
    before = before_ops([str(name) for name, _ in targets], subjects)
    written = {str(n) for n, b in targets if b is not None}
    after = after_ops(sorted(written | {str(d.name) for d in descriptions}), MERGED_GRAPH)
    after += _stamp_ops()
    head = [*before, *(f"DROP SILENT GRAPH <{name}>" for name, _ in targets)]
    for d in descriptions:
        head += [f"DELETE WHERE {{ GRAPH <{d.name}> {{ <{s}> ?p ?o }} }}" for s in d.subjects]
    return _WritePlan(targets, descriptions, slots, before, head, after)


def _stamp_ops() -> list[str]:
    """A new write stamp: readers list the graphs again (:meth:`RemoteStore._source_graphs`)."""
    stamp = f'<{STATE_GRAPH}> <{STAMP}> "{uuid.uuid4().hex}"'
    return [
        f"DROP SILENT GRAPH <{STATE_GRAPH}>",
        f"INSERT DATA {{ GRAPH <{STATE_GRAPH}> {{ {stamp} }} }}",
    ]


def _nt_lines(graph: Graph) -> Iterator[str]:
    try:
        text = graph.serialize(format="nt", encoding="utf-8").decode("utf-8")
    except Exception as exc:  # rdflib raises a bare Exception for unserializable IRIs
        raise StoreError(f"cannot write the graph: {exc}") from exc
    for line in text.splitlines():
        if line.strip():
            yield line


def _blocks(graph: Graph, size: int) -> Iterator[str]:
    """The graph as N-Triples blocks of about ``size`` triples; triples joined by blank nodes
    stay in one block (a blank node label means one node only within one request)."""
    yield from _pack(_nt_lines(graph), size)


_BNODE = re.compile(r"(?:^|\s)(_:[A-Za-z0-9_\-.]*[A-Za-z0-9_\-])")


def _pack(lines: Iterable[str], size: int) -> Iterator[str]:
    """Group N-Triples lines into blocks; lines with blank nodes are grouped by component."""
    plain: list[str] = []
    parent: dict[str, str] = {}
    linked: list[tuple[str, str]] = []

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for line in lines:
        labels = _BNODE.findall(line.split('"', 1)[0] + " " + line.rsplit('"', 1)[-1])
        if not labels:
            plain.append(line)
            if len(plain) >= size:
                yield "\n".join(plain)
                plain = []
            continue
        root = find(labels[0])
        for other in labels[1:]:
            parent[find(other)] = root
        linked.append((labels[0], line))
    if plain:
        yield "\n".join(plain)
    groups: dict[str, list[str]] = {}
    for label, line in linked:
        groups.setdefault(find(label), []).append(line)
    block: list[str] = []
    for group in groups.values():
        if block and len(block) + len(group) > size:
            yield _LinkedBlock("\n".join(block))
            block = []
        block += group
    if block:
        yield _LinkedBlock("\n".join(block))


def _file_blocks(path: Path, size: int) -> Iterator[str]:
    """An N-Triples file as checked blocks (parsed by Oxigraph, so bad input fails early)."""

    def lines() -> Iterator[str]:
        for triple in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES):
            yield f"{triple.subject} {triple.predicate} {triple.object} ."

    return _pack(lines(), size)


class _LinkedBlock(str):
    """A block of triples joined by blank nodes."""

    __slots__ = ()


def _insert_ops(blocks: Iterable[tuple[str, str]]) -> list[str]:
    """Update operations inserting N-Triples blocks into graphs.

    Blocks with blank nodes go in ``INSERT {…} WHERE {}``, one operation each: Virtuoso refuses
    blank nodes in ``INSERT DATA`` ("not allowed in a constant clause").
    """
    plain: list[str] = []
    ops: list[str] = []
    for name, block in blocks:
        text = f"GRAPH <{name}> {{\n{block}\n}}"
        if isinstance(block, _LinkedBlock):
            ops.append(f"INSERT {{ {text} }} WHERE {{}}")
        else:
            plain.append(text)
    if plain:
        ops.insert(0, "INSERT DATA {\n" + "\n".join(plain) + "\n}")
    return ops
