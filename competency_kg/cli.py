"""The ``competency-kg`` command: load, validate, query, export, stats, compare, serve.

The global options (``--store``, ``--base-iri``) are taken before or after the command
(``competency-kg --store DIR load`` and ``competency-kg load --store DIR`` alike: the second is
what people type first), and every command that opens a store says which on standard error in
one line (``store: /abs/path``), so a default ``var/store`` in an unexpected folder is seen.

Each sub-command only parses its arguments and calls a plain function that tests can call
too. Exit codes: 0 success (for ``validate``: conforms), 1 SHACL violations, 2 bad input or
any other error — always with one clear line on standard error, never a traceback.

Labels come from source documents, so what is written for a person (standard error, and the
text/table formats) goes through :func:`~competency_kg.safe_text.for_terminal`: a terminal
escape in a label is shown, not obeyed. Machine formats (JSON, CSV, RDF) are written exactly.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit, urlunsplit

from competency_kg import __version__
from competency_kg.config import Settings, query_copy, settings
from competency_kg.loaders import SourceError
from competency_kg.loading import ValidationFailed, load_paths
from competency_kg.query_sandbox import parse_size
from competency_kg.querying import run_query
from competency_kg.reporting import store_report
from competency_kg.safe_text import for_terminal, install_log_escaping
from competency_kg.sparql.errors import is_damage
from competency_kg.stats import (
    class_counts,
    format_counts,
    graph_counts,
    graph_titles,
    statement_count,
)
from competency_kg.store import GraphStore, StoreError, open_store

EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2

EXPORT_FORMATS = {
    "nquads": "application/n-quads",
    "trig": "application/trig",
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
}


class UsageError(Exception):
    """A command was given arguments it cannot use."""


class Terminal:
    """A text stream for people: what is written goes out through :func:`for_terminal`."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(for_terminal(text))

    def flush(self) -> None:
        self.stream.flush()


def _for_people(stream: TextIO) -> TextIO:
    return stream if isinstance(stream, Terminal) else Terminal(stream)  # type: ignore[return-value]


def store_line(store: str) -> str:
    """The line saying which store a command uses: a folder, or a URL without its password.

    >>> store_line("https://kg:secret@example.org/sparql")
    'store: https://example.org/sparql (a SPARQL server)'
    """
    if store.startswith(("http://", "https://")):
        parts = urlsplit(store)
        shown = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
        return f"store: {shown} (a SPARQL server)"
    return f"store: {store}"


def _store(cfg: Settings, err: TextIO, read_only: bool = False) -> GraphStore:
    print(store_line(cfg.store), file=err, flush=True)
    remote = cfg.store.startswith(("http://", "https://"))
    if read_only and not remote and not Path(cfg.store).exists():
        raise StoreError(f"no store at {cfg.store}: run 'competency-kg load' first")
    return open_store(cfg.store, read_only=read_only)


# --------------------------------------------------------------------------- commands
def cmd_load(args: argparse.Namespace, cfg: Settings, out: TextIO, err: TextIO) -> int:
    paths = args.paths or ["seeds"]
    out = _for_people(out)
    with _store(cfg, err) as store:
        outcomes = load_paths(
            store,
            paths,
            cfg.minter,
            graph_iri=args.graph,
            force=args.force,
            progress=lambda m: print(m, file=err, flush=True),
            corrections=[Path(c) for c in args.corrections] if args.corrections else None,
            in_store=True,
        )
        for o in outcomes:  # the counts in the store: what validate and /validation show
            r = o.stored or o.report
            note = "" if o.stored else " (load-time checks; in the store: validate --source)"
            print(
                f"{o.source.path}\t{o.source.loader}\t{o.triples} triples\t"
                f"{r.violations} violations\t{r.warnings} warnings{note}\t"
                f"<{o.source.graph_iri}>\t{o.source.display_title}",
                file=out,
            )
        print(format_counts(class_counts(store, cfg.minter.base)), file=out, end="")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace, cfg: Settings, out: TextIO, err: TextIO) -> int:
    with _store(cfg, err, read_only=True) as store:
        report, report_graph = store_report(
            store, cfg.minter, source=args.source, limit_per_shape=args.limit_per_shape
        )
    if args.format == "text":
        _for_people(out).write(report.to_text())
    elif args.format == "json":
        out.write(report.to_json() + "\n")
    elif args.format == "csv":
        out.write(report.to_csv())
    else:
        out.write(report_graph.serialize(format="turtle"))
    return EXIT_OK if report.conforms else EXIT_VIOLATIONS


def cmd_query(args: argparse.Namespace, cfg: Settings, out: TextIO, err: TextIO) -> int:
    if args.file:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read query file {args.file}: {exc}") from exc
    elif args.query:
        text = args.query
    else:
        raise UsageError("give a query as an argument or with --file")
    with _store(cfg, err, read_only=True) as store:
        result = run_query(store, text, args.format)
    (_for_people(out) if args.format == "table" else out).write(result)
    return EXIT_OK


def cmd_export(args: argparse.Namespace, cfg: Settings, out: TextIO, err: TextIO) -> int:
    mime = EXPORT_FORMATS[args.format]
    with _store(cfg, err, read_only=True) as store:
        if args.output and args.output != "-":
            target = Path(args.output)
            tmp = target.with_name(target.name + ".part")
            with tmp.open("wb") as f:
                store.dump(f, mime)
            tmp.replace(target)
            print(f"wrote {target} ({target.stat().st_size} bytes)", file=err)
        else:
            out.flush()
            store.dump(sys.stdout.buffer, mime)
            sys.stdout.buffer.flush()
    return EXIT_OK


def cmd_stats(args: argparse.Namespace, cfg: Settings, out: TextIO, err: TextIO) -> int:
    out = _for_people(out)
    with _store(cfg, err, read_only=True) as store:
        base = cfg.minter.base
        out.write(format_counts(class_counts(store, base)))
        statements = statement_count(store, base)
        out.write(f"\n{statements:>8}  statements (distinct triples, graphs merged)\n")
        out.write("\nquads per graph:\n")
        titles = graph_titles(store, cfg.minter)
        for name, n in graph_counts(store, base):
            title = f"  {titles[str(name)]}" if str(name) in titles else ""
            out.write(f"{n:>8}  <{name}>{title}\n")
    return EXIT_OK


def cmd_compare(args: argparse.Namespace, cfg: Settings, out: TextIO, err: TextIO) -> int:
    # imported here: each command imports what it runs (the comparison and careers add 0.2 s)
    from competency_kg.compare.comparison import compare
    from competency_kg.compare.formats import to_csv, to_json, to_text
    from competency_kg.compare.queries import StoreRunner
    from competency_kg.compare.resolution import CompareError

    with _store(cfg, err, read_only=True) as store:
        try:
            result = compare(StoreRunner(store), args.a, args.b, cfg.minter, nearest_k=args.nearest)
        except CompareError as exc:
            raise UsageError(str(exc)) from exc
    writers = {"text": to_text, "json": lambda c: to_json(c) + "\n", "csv": to_csv}
    (_for_people(out) if args.format == "text" else out).write(writers[args.format](result))
    return EXIT_OK


def cmd_match(args: argparse.Namespace, cfg: Settings, out: TextIO, err: TextIO) -> int:
    """Occupations ranked by how well the given competencies fit them."""
    # imported here: each command imports what it runs (the comparison and careers add 0.2 s)
    from competency_kg import career
    from competency_kg.compare.queries import StoreRunner
    from competency_kg.compare.resolution import CompareError

    levels = args.level or []
    if levels and len(levels) != len(args.competency or []):
        raise UsageError("give one --level per --competency, in the same order ('-' for none)")
    if not args.competency and not args.from_occupation:
        raise UsageError("give --competency NAME (repeatable) or --from-occupation CODE")
    with _store(cfg, err, read_only=True) as store:
        runner = StoreRunner(store)
        try:
            data = career.career_data(runner, cfg.minter)
            held, _ = career.resolve_names(
                data, list(zip(args.competency or [], levels or [None] * 999, strict=False))
            )
            origin = None
            if args.from_occupation:
                more, origin = career.held_from_occupation(
                    data, runner, cfg.minter, args.from_occupation
                )
                held = list({h.key: h for h in [*more, *held]}.values())
            result = career.match(
                data,
                held,
                limit=args.limit,
                exclude=[origin] if origin is not None else [],
                job_zone=args.job_zone,
                origin=origin,
            )
        except CompareError as exc:
            raise UsageError(str(exc)) from exc
    writers = {
        "text": career.match_text,
        "json": lambda m: career.match_json(m) + "\n",
        "csv": career.match_csv,
    }
    (_for_people(out) if args.format == "text" else out).write(writers[args.format](result))
    return EXIT_OK


def cmd_pathway(args: argparse.Namespace, cfg: Settings, out: TextIO, err: TextIO) -> int:
    """The cheapest paths from A to B, or (without B) where A can go."""
    # imported here: each command imports what it runs (the comparison and careers add 0.2 s)
    from competency_kg import career
    from competency_kg.compare.queries import StoreRunner
    from competency_kg.compare.resolution import CompareError

    with _store(cfg, err, read_only=True) as store:
        runner = StoreRunner(store)
        try:
            graph = career.transition_graph(runner, cfg.minter)
            a = career.resolve_cluster(runner, cfg.minter, graph, args.a)
            if args.b:
                b = career.resolve_cluster(runner, cfg.minter, graph, args.b)
                answer: career.Pathways | career.Destinations = career.find_paths(
                    graph, a, b, args.max_steps, args.paths
                )
            else:
                answer = career.destinations(graph, a, args.job_zone, args.limit)
        except CompareError as exc:
            raise UsageError(str(exc)) from exc
    if args.format == "json":
        out.write(career.to_json(answer) + "\n")
    elif isinstance(answer, career.Pathways):
        text = (
            career.pathways_text(answer) if args.format == "text" else career.pathways_csv(answer)
        )
        (_for_people(out) if args.format == "text" else out).write(text)
    else:
        text = (
            career.destinations_text(answer)
            if args.format == "text"
            else career.destinations_csv(answer)
        )
        (_for_people(out) if args.format == "text" else out).write(text)
    return EXIT_OK


def add_career_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``match`` and ``pathway`` (docs/career.md)."""
    s = sub.add_parser("match", help="occupations ranked by how well given competencies fit them")
    s.add_argument(
        "--competency",
        action="append",
        metavar="NAME",
        help="a competency or tool (name, O*NET element code or IRI); repeatable",
    )
    s.add_argument(
        "--level",
        action="append",
        metavar="LEVEL",
        help="the level held, one per --competency in order: 0-7 (O*NET), p/n, a level name"
        " ('Advanced') or '-'",
    )
    s.add_argument(
        "--from-occupation",
        metavar="CODE",
        help="start from what an occupation requires (code, IRI or exact title)",
    )
    s.add_argument("--limit", type=int, default=20, metavar="N", help="occupations (default 20)")
    s.add_argument("--job-zone", type=int, choices=range(1, 6), help="only this job zone")
    s.add_argument("--format", choices=["text", "json", "csv"], default="text")
    s.set_defaults(func=cmd_match)

    s = sub.add_parser(
        "pathway", help="the cheapest paths from occupation A to B (without B: where A can go)"
    )
    s.add_argument("a", help="where the worker is: O*NET-SOC code, IRI or exact title")
    s.add_argument("b", nargs="?", help="where they want to go (omit: the transitions from A)")
    s.add_argument("--max-steps", type=int, default=3, metavar="N", help="at most N steps (3)")
    s.add_argument("--paths", type=int, default=3, metavar="N", help="how many paths (3)")
    s.add_argument("--job-zone", type=int, choices=range(1, 6), help="without B: only this zone")
    s.add_argument("--limit", type=int, default=10, metavar="N", help="without B: how many (10)")
    s.add_argument("--format", choices=["text", "json", "csv"], default="text")
    s.set_defaults(func=cmd_pathway)


def cmd_serve(args: argparse.Namespace, cfg: Settings, out: TextIO, err: TextIO) -> int:
    # imported here: Flask and gunicorn (1.5 s) only for the command that serves
    from competency_kg.web.server import serve

    print(store_line(cfg.store), file=err, flush=True)
    if args.query_copy is not None:  # read by the query pool (config.query_copy)
        os.environ["COMPETENCY_KG_QUERY_COPY"] = args.query_copy
    return serve(
        cfg,
        host=args.host,
        port=args.port,
        threads=args.threads,
        query_timeout=args.query_timeout,
        query_workers=args.query_workers,
        max_result_bytes=args.max_result_bytes,
        query_memory=args.query_memory,
    )


# --------------------------------------------------------------------------- parser
def _query_copy(text: str) -> str:
    try:
        return query_copy(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _size(text: str) -> int:
    """``--query-memory``: bytes, or a number with K, M, G or T."""
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _positive(text: str) -> int:
    """A whole number above 0 (``validate --limit-per-shape``)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number above 0")
    return int(text)


def _global_options(parser: argparse.ArgumentParser, *, inherit: bool) -> None:
    """The options every command takes, before or after its name.

    On a command (``inherit``) an option left out is not set at all (``SUPPRESS``), so it does
    not hide one given before the command; given in both places, the later one wins.
    """
    default = argparse.SUPPRESS if inherit else None
    parser.add_argument(
        "--store",
        default=default,
        help="store folder or SPARQL server URL (default: $COMPETENCY_KG_STORE or var/store)",
    )
    parser.add_argument(
        "--base-iri",
        default=default,
        help="base of minted data IRIs (default: $COMPETENCY_KG_BASE_IRI"
        " or https://w3id.org/competency-kg/)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The command line: long because it is the one table of every command and option, read
    top to bottom like ``--help``; the commands' work is in the ``cmd_*`` functions."""
    # size: one table of every command and option; each command's work is its cmd_* function
    p = argparse.ArgumentParser(
        prog="competency-kg",
        description="A linked-data knowledge graph of occupations and their competencies.",
        epilog="--store and --base-iri may also follow the command (competency-kg load --store"
        " DIR).",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _global_options(p, inherit=False)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("load", help="load sources (default: seeds/) into the store")
    s.add_argument(
        "paths", nargs="*", help="files or folders (seed formats by content, RDF by extension)"
    )
    s.add_argument("--graph", help="named graph IRI for an RDF file")
    s.add_argument("--force", action="store_true", help="store sources even with SHACL violations")
    s.add_argument(
        "--corrections",
        action="append",
        metavar="DIR",
        help="folder of correction files (*.trig); default: curation/ inside each folder loaded",
    )
    s.set_defaults(func=cmd_load)

    s = sub.add_parser("validate", help="SHACL report of the store, grouped for a curator")
    s.add_argument(
        "--source",
        help="only this source: its title, file name, graph IRI or graph name (as pages show them)",
    )
    s.add_argument("--format", choices=["text", "turtle", "json", "csv"], default="text")
    s.add_argument(
        "--limit-per-shape",
        type=_positive,
        metavar="N",
        help="list at most N results per shape (rule); the counts stay whole",
    )
    s.set_defaults(func=cmd_validate)

    s = sub.add_parser("query", help="run a SPARQL query against the store")
    s.add_argument("query", nargs="?", help="the SPARQL query text")
    s.add_argument("--file", "-f", help="read the query from this file")
    s.add_argument(
        "--format",
        choices=["table", "csv", "tsv", "json", "xml", "turtle", "ntriples"],
        default="table",
    )
    s.set_defaults(func=cmd_query)

    s = sub.add_parser("export", help="stream the whole store")
    s.add_argument("--format", choices=sorted(EXPORT_FORMATS), default="nquads")
    s.add_argument("--output", "-o", help="file to write (default: standard output)")
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("stats", help="instances per class, statements, quads per graph")
    s.set_defaults(func=cmd_stats)

    s = sub.add_parser(
        "compare", help="what two occupations share, and what one needs that the other lacks"
    )
    s.add_argument("a", help="the occupation to start from: O*NET-SOC code, IRI or exact title")
    s.add_argument("b", help="the occupation to compare it with (the target)")
    s.add_argument("--format", choices=["text", "json", "csv"], default="text")
    s.add_argument(
        "--nearest",
        type=int,
        default=5,
        metavar="N",
        help="list each occupation's N most similar occupations (default 5; 0: none)",
    )
    s.set_defaults(func=cmd_compare)

    add_career_commands(sub)

    s = sub.add_parser("serve", help="serve the SPARQL endpoint and the linked-data site")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    s.add_argument("--threads", type=int, default=16, help="request threads (default 16)")
    s.add_argument(
        "--query-timeout",
        type=float,
        default=30.0,
        help="seconds before a SPARQL query is killed (default 30)",
    )
    s.add_argument(
        "--query-workers",
        type=int,
        metavar="N",
        help="query worker processes (default: $COMPETENCY_KG_QUERY_WORKERS or twice the"
        " cores, at least 4)",
    )
    s.add_argument(
        "--max-result-bytes",
        type=int,
        metavar="BYTES",
        help="largest serialized query result; bigger ones get 413"
        " (default: $COMPETENCY_KG_MAX_RESULT_BYTES or 50 MB)",
    )
    s.add_argument(
        "--query-memory",
        type=_size,
        metavar="SIZE",
        help="memory a query worker may use (bytes, or 512M, 2G…); a query that needs more gets"
        " 503 (default: $COMPETENCY_KG_QUERY_MEMORY or half the machine's memory shared among"
        " the workers)",
    )
    s.add_argument(
        "--query-copy",
        type=_query_copy,
        metavar="auto|off|N",
        help="query workers answer from an in-memory copy of the store: auto (when it fits a"
        " quarter of the memory once per worker), off, or at most N quads (default:"
        " $COMPETENCY_KG_QUERY_COPY or off)",
    )
    s.set_defaults(func=cmd_serve)
    for command in sub.choices.values():
        _global_options(command, inherit=True)
    return p


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = _for_people(err or sys.stderr)
    install_log_escaping(logging.lastResort)  # type: ignore[arg-type]  # a library's warning
    args = build_parser().parse_args(argv)
    cfg = settings(store=args.store, base_iri=args.base_iri)
    try:
        return args.func(args, cfg, out, err)
    except ValidationFailed as exc:
        err.write(f"Report {exc.context}:\n" + exc.report.to_text())
        print(f"error: {exc}", file=err)
        return EXIT_VIOLATIONS
    except (SourceError, StoreError, UsageError) as exc:
        print(f"error: {exc}", file=err)
        return EXIT_ERROR
    except SyntaxError as exc:  # SPARQL parse errors from the engine
        print(f"error: SPARQL syntax: {exc}", file=err)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
    except (OSError, RuntimeError) as exc:
        if not is_damage(str(exc)):
            raise
        print(f"error: the store may be damaged; load the data again: {exc}", file=err)
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
