"""The Python processes the server starts import the same code as the server.

A ``python -c …`` or ``python -m …`` puts its working directory first on ``sys.path``. The
server starts two: multiprocessing's fork server, which the query workers are forked from
(:func:`competency_kg.query_workers.start_fork_server`), and the dump writer
(``web/void.py``); both inherit the server's working directory. Started inside another
checkout, they imported that checkout's ``competency_kg`` while the server ran its own. So
they start with :func:`import_environment`.
"""

from __future__ import annotations

import os
import sys


def import_environment() -> dict[str, str]:
    """Environment variables that make a Python process import modules from this process's
    ``sys.path``, and not from its own working directory first.

    ``PYTHONSAFEPATH`` (Python 3.11+, `-P`) leaves the working directory out; ``PYTHONPATH``
    puts this process's path first (relative entries, ``''`` among them, made absolute
    against the working directory they mean here). This is the workaround CPython gh-117378
    gives for the fork server, which ignores the ``sys_path`` it is handed on Python 3.11.
    A process run with ``python -E`` ignores both.
    """
    path = [os.path.abspath(entry) for entry in sys.path]
    return {"PYTHONSAFEPATH": "1", "PYTHONPATH": os.pathsep.join(path)}
