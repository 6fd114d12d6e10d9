"""What can go wrong with a query, in words meant for the person who sent it.

One family (:class:`QueryError`) for every path that answers a query (the worker pool, the
in-thread executor, a remote store), so the web layer maps each kind to one HTTP status.
"""

from __future__ import annotations


class QueryError(Exception):
    """A query could not be answered; the message is meant for the person who sent it."""


class QueryRefused(QueryError):
    """The query asks for something this service does not do (SERVICE, an update)."""


class QuerySyntaxError(QueryError):
    """The engine could not parse the query; the message is the parser's."""


class BadRequest(QueryError):
    """The request around the query is wrong (for example a graph name that is not an IRI)."""


class QueryTimeout(QueryError):
    """The query ran out of time and its worker was killed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the query exceeded the {seconds:g} s limit and was cancelled; "
            "narrow it (LIMIT, more specific patterns) and try again"
        )
        self.seconds = seconds


class PoolBusy(QueryError):
    """Every worker stayed busy for as long as the caller was willing to wait."""


class ClientBusy(QueryError):
    """One client already has its share of the workers for written queries busy (429)."""


class StoreUnavailable(QueryError):
    """The store cannot be read just now: no worker can open it, or a remote store's server
    cannot be reached. Its message is fit for the public (no host names); the cause, with
    the details, is chained for the log."""


class StoreDamaged(StoreUnavailable):
    """Reading the store failed a RocksDB check (a block's checksum, a missing file). The
    message is public and names no path; the engine's own words, path and all, are chained
    for the log (:func:`damage`)."""


#: The engine's words for a store it cannot read (RocksDB's ``Status`` prefixes).
_DAMAGE_PREFIXES = ("Corruption:", "IO error:")
#: What a client is told when the store could not be opened (the path goes to the log).
CANNOT_OPEN = "the store cannot be opened just now (see the server log); try again shortly"


def is_damage(message: str) -> bool:
    """True for the engine's report of a store it cannot read (checksum, missing file)."""
    return message.lstrip().startswith(_DAMAGE_PREFIXES)


def damage(detail: str, after: str = "") -> StoreDamaged:
    """The public error for a damaged store; ``detail`` (the engine's, with paths) is its
    cause, which the log shows and the answer does not."""
    exc = StoreDamaged(
        f"{after}the store may be damaged: reading it failed ({detail.split(':')[0]}); "
        "the operator has been told (server log) and should load the data again"
    )
    exc.__cause__ = RuntimeError(detail)
    return exc


#: What a client is told when a remote store's SPARQL server is down or silent.
UNREACHABLE = "the store's SPARQL server cannot be reached just now; try again shortly"


class ResultTooLarge(QueryError):
    """The serialized result would exceed the size cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the result is larger than this endpoint's {human_bytes(limit)} cap; "
            "ask for less (LIMIT/OFFSET, fewer variables) or use 'competency-kg export'"
        )
        self.limit = limit


class NotAcceptable(QueryError):
    """The result kind (``select``, ``ask``, ``graph``) has no format the caller accepts."""

    def __init__(self, kind: str) -> None:
        what = "an RDF graph" if kind == "graph" else f"{kind.upper()} results"
        super().__init__(f"the query produces {what}, and none of its formats was acceptable")
        self.kind = kind


class QueryMemoryExceeded(QueryError):
    """The query's worker reached its memory ceiling and was stopped (503, like a timeout)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the query reached the {human_bytes(limit)} memory limit of a query worker and was "
            "cancelled; narrow it (LIMIT, fewer variables to sort, more specific patterns) "
            "and try again"
        )
        self.limit = limit


class QueryFailed(QueryError):
    """The engine failed while evaluating the query, or its worker died."""


class UpstreamError(QueryError):
    """A remote store (a SPARQL server behind this one) refused or failed the query."""


def human_bytes(n: int) -> str:
    """
    >>> human_bytes(50 * 1024 * 1024), human_bytes(1536), human_bytes(10)
    ('50 MB', '1.5 KB', '10 bytes')
    """
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"
