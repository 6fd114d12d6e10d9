"""A hook for the fault tests: stop a writer at a named point of a load, deterministically.

``COMPETENCY_KG_TEST_STOP_AT=links-stored`` (several names: comma-separated) makes the process
stop itself with SIGSTOP when it reaches that point; the test then SIGKILLs it there (a crash
at exactly that moment) or does something to the world (fills the disk) and lets it continue
with SIGCONT. Timing a kill from outside by the load's output lands anywhere within the next
few milliseconds of work; this lands between two writes. Nothing sets the variable but tests.

The points, in the order a ``competency-kg load`` passes them (:mod:`competency_kg.loading`,
:mod:`competency_kg.store.embedded`, :mod:`competency_kg.store.versions`):
``replace-graphs`` (a transaction about to be written: the checkpoint is taken),
``bulk-loading`` (inside a big source's bulk load: its graph streamed in, its part of the
merge not yet), ``stored-N`` (the N-th big source streamed in), ``sources-stored`` (every
source graph and the metadata written), ``links-stored`` (the cross-source links written),
``publish`` (the new version's folder exists, ``CURRENT`` not yet switched), ``published``
(``CURRENT`` switched, the load's journal not yet ended).

Plain ``os`` only: the query workers import the store package and never import rdflib.
"""

from __future__ import annotations

import os
import signal

ENV = "COMPETENCY_KG_TEST_STOP_AT"


_passed: set[str] = set()


def stop_point(name: str) -> None:
    """Stop this process (SIGSTOP) if the fault tests asked for a stop at ``name``; once per
    point, so that a test can let it go on (SIGCONT) past a point it passes again."""
    wanted = os.environ.get(ENV)
    if wanted and name in wanted.split(",") and name not in _passed:
        _passed.add(name)
        os.kill(os.getpid(), signal.SIGSTOP)
