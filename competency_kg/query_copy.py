"""A fork server holding an in-memory copy of one published store version, and the worker
processes started from it (:mod:`competency_kg.store.memory_copy` builds the copy).

multiprocessing's ``forkserver`` start method talks to one fork server per process; a copy
needs one fork server per version, so :class:`CopyServer` starts its own (the same
``forkserver.main``, run by :func:`~competency_kg.store.memory_copy.serve` after building the
copy) and :class:`CopyProcess` asks it, not the default one, for a process. Everything else is
multiprocessing's: the worker's pid, its exit status (the fork server reaps it and writes the
status to the caller's sentinel, so a SIGABRT at the memory backstop still reads as one),
``kill``/``join``/``is_alive``, the pipes handed to the worker.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import sys
import threading
from multiprocessing import (
    connection,
    forkserver,
    popen_forkserver,
    reduction,
    resource_tracker,
    spawn,
    util,
)
from multiprocessing.context import ForkServerProcess, set_spawning_popen
from typing import Any

from competency_kg.child_python import import_environment


class CopyServer:
    """A fork server whose workers share the copy of the version at ``version`` (read when the
    store's token was ``token``), at most ``max_quads`` quads (None: no bound)."""

    def __init__(self, version: str, token: str, max_quads: int | None, preload: list[str]) -> None:
        self.version = version
        self.token = token
        self._lock = threading.Lock()
        data = spawn.get_preparation_data("ignore")
        data = {k: v for k, v in data.items() if k in ("main_path", "sys_path")}
        with socket.socket(socket.AF_UNIX) as listener:
            self.address = connection.arbitrary_address("AF_UNIX")
            listener.bind(self.address)
            os.chmod(self.address, 0o600)
            listener.listen()
            alive_r, self._alive_w = os.pipe()
            try:
                cmd = (  # a fork server by its command line too, as multiprocessing's is
                    "import multiprocessing.forkserver; "
                    "from competency_kg.store.memory_copy import serve; "
                    f"serve({listener.fileno()}, {alive_r}, {version!r}, {token!r}, "
                    f"{max_quads!r}, {preload!r}, **{data!r})"
                )
                self._process = subprocess.Popen(
                    [sys.executable, *util._args_from_interpreter_flags(), "-c", cmd],
                    pass_fds=(listener.fileno(), alive_r),
                    env={**os.environ, **import_environment()},
                    stdin=subprocess.DEVNULL,
                )
            except BaseException:
                os.close(self._alive_w)
                raise
            finally:
                os.close(alive_r)

    @property
    def pid(self) -> int:
        return self._process.pid

    def connect_to_new_process(self, fds: list[int]) -> tuple[int, int]:
        """``forkserver.ForkServer.connect_to_new_process``, for this server: blocks while
        the copy is being built (the server accepts once it is)."""
        with self._lock:
            if self._alive_w < 0:
                raise OSError("the copy's fork server was stopped")
            alive = self._alive_w
        resource_tracker.ensure_running()
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(self.address)
            parent_r, child_w = os.pipe()
            child_r, parent_w = os.pipe()
            try:
                reduction.sendfds(client, [child_r, child_w, alive, resource_tracker.getfd(), *fds])
                return parent_r, parent_w
            except BaseException:
                os.close(parent_r)
                os.close(parent_w)
                raise
            finally:
                os.close(child_r)
                os.close(child_w)

    def process(self, **kwargs: Any) -> CopyProcess:
        """A worker process (``multiprocessing.Process`` arguments) to be forked here."""
        proc = CopyProcess(**kwargs)
        proc._copy_server = self  # type: ignore[attr-defined]  # taken out before pickling
        return proc

    def stop(self) -> None:
        """Ask the server to stop: it exits once the last worker forked from it has (each
        holds the other end of its "alive" pipe), and the copy's memory goes with them."""
        with self._lock:
            if self._alive_w < 0:
                return
            os.close(self._alive_w)
            self._alive_w = -1

        def reap() -> None:
            self._process.wait()
            with contextlib.suppress(OSError):
                os.unlink(self.address)

        threading.Thread(target=reap, name="query-copy-reap", daemon=True).start()


class _CopyPopen(popen_forkserver.Popen):
    """``popen_forkserver.Popen`` asking a :class:`CopyServer` for the process."""

    def __init__(self, process_obj: Any) -> None:
        self._server: CopyServer = process_obj.__dict__.pop("_copy_server")
        super().__init__(process_obj)

    def _launch(self, process_obj: Any) -> None:  # popen_forkserver.Popen._launch, one change
        prep_data = spawn.get_preparation_data(process_obj._name)
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = self._server.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class CopyProcess(ForkServerProcess):
    """A worker process forked by a :class:`CopyServer` (made by :meth:`CopyServer.process`)."""

    @staticmethod
    def _Popen(process_obj: Any) -> _CopyPopen:  # multiprocessing's name
        return _CopyPopen(process_obj)
