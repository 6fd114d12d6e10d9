"""The sandbox a query worker runs in: its resource limits, its network guard, its main loop.

A worker is a process of its own (:class:`competency_kg.query_pool.QueryPool` starts, watches
and kills it). Once started it denies itself IPv4/IPv6 sockets (:func:`deny_network`: even a
``SERVICE`` that slipped past :func:`competency_kg.sparql.checks.check_query` cannot reach the
network), opens the store read-only, limits its own stack, core dumps and address space
(:func:`limit_worker`), then answers jobs from its pipe until told to stop (:func:`worker_main`),
each reply and its result in one message (:func:`send_reply`, read by :func:`read_reply`).

Workers come from a ``forkserver`` that preloads this module: it imports neither rdflib nor
the web application, so a replacement worker starts in milliseconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import platform
import re
import resource
import signal
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any

from competency_kg.sparql.class_counts import open_read_only
from competency_kg.sparql.execute import Reply, probe
from competency_kg.store import memory_copy
from competency_kg.store.dataset import answer
from competency_kg.store.live import LiveView
from competency_kg.store.versions import state_token

#: The stack a worker's main thread (where the engine parses and evaluates) may grow to. The
#: query limits of :func:`check_query` were measured with this stack; a worker sets it, so
#: they hold whatever ``ulimit -s`` the server was started with.
WORKER_STACK_BYTES = 8 * 1024 * 1024
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def parse_size(text: str) -> int:
    """A size in bytes from ``"1073741824"``, ``"512M"``, ``"2G"`` or ``"1.5GB"`` (powers of
    1024), for the memory-limit option and its environment variable.

    >>> parse_size("512M"), parse_size("2g"), parse_size("1.5GB"), parse_size("4096")
    (536870912, 2147483648, 1610612736, 4096)
    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)b?\s*", text, re.IGNORECASE)
    if m is None:
        raise ValueError(f"not a size: {text!r} (bytes, or a number with K, M, G or T)")
    scale = 1 << (10 * " kmgt".index(m.group(2).lower() or " "))
    return int(float(m.group(1)) * scale)


_SECCOMP_ARCH = {  # machine -> (AUDIT_ARCH_*, socket syscall numbers, seccomp syscall number)
    "x86_64": (0xC000003E, (41, 0x40000000 | 41), 317),
    "aarch64": (0xC00000B7, (198,), 277),
}


def deny_network() -> bool:
    """Forbid this process (and threads it starts later) to open IPv4/IPv6 sockets.

    Installs a seccomp filter (Linux x86-64 and aarch64) under which ``socket(AF_INET|AF_INET6,
    …)`` fails with EACCES; Unix sockets and pipes keep working. Returns False, changing
    nothing, where seccomp is not available. There is no way back for the process.
    """
    if not sys.platform.startswith("linux"):
        return False
    arch = _SECCOMP_ARCH.get(platform.machine())
    if arch is None:
        return False
    audit_arch, socket_nrs, seccomp_nr = arch

    class SockFilter(ctypes.Structure):
        _fields_ = (
            ("code", ctypes.c_ushort),
            ("jt", ctypes.c_ubyte),
            ("jf", ctypes.c_ubyte),
            ("k", ctypes.c_uint32),
        )

    class SockFprog(ctypes.Structure):
        _fields_ = (
            ("len", ctypes.c_ushort),
            ("filter", ctypes.POINTER(SockFilter)),
        )

    ld, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K
    allow, deny = 0x7FFF0000, 0x00050000 | 13  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO|EACCES
    af_inet, af_inet6 = 2, 10
    k = len(socket_nrs)
    # 0: arch; 1: wrong arch -> allow; 2: nr; 3..3+k-1: socket? -> check family; else allow;
    # then family == AF_INET or AF_INET6 -> deny.
    prog: list[tuple[int, int, int, int]] = [(ld, 0, 0, 4)]
    allow_at = 6 + k
    deny_at = allow_at + 1
    prog.append((jeq, 0, allow_at - 2, audit_arch))
    prog.append((ld, 0, 0, 0))
    for idx, nr in enumerate(socket_nrs):
        here = 3 + idx
        last = idx == k - 1
        family_at = 3 + k
        prog.append((jeq, family_at - here - 1, (allow_at - here - 1) if last else 0, nr))
    prog.append((ld, 0, 0, 16))  # args[0], low 32 bits (little-endian)
    here = len(prog)
    prog.append((jeq, deny_at - here - 1, 0, af_inet))
    here = len(prog)
    prog.append((jeq, deny_at - here - 1, 0, af_inet6))
    prog.append((ret, 0, 0, allow))
    prog.append((ret, 0, 0, deny))
    assert len(prog) == deny_at + 1

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        arr = (SockFilter * len(prog))(*(SockFilter(*p) for p in prog))
        fprog = SockFprog(len(prog), arr)
        if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
            return False
        # seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog)
        return libc.syscall(seccomp_nr, 1, 1, ctypes.byref(fprog)) == 0
    except (OSError, AttributeError):
        return False


def physical_memory() -> int | None:
    """The memory this machine (or the cgroup the server runs in, if smaller) has, in bytes."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * _PAGE
    except (AttributeError, ValueError, OSError):
        return None
    with contextlib.suppress(OSError, ValueError):
        cap = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if cap.isdigit():
            total = min(total, int(cap))
    return total


def default_memory_limit(workers: int) -> int:
    """Half the machine's memory shared among the workers (at least 256 MB each): with every
    worker at its ceiling, the rest of the machine keeps the other half."""
    total = physical_memory() or 8 << 30
    return max(256 << 20, total // 2 // max(1, workers))


def copy_quads(setting: str, workers: int) -> int:
    """The most quads an in-memory copy of the store may hold under ``setting`` (0: none):
    ``"off"``, a number of quads, or ``"auto"``: what fits, once per worker and once in its
    fork server, in a quarter of the machine's memory at
    :data:`~competency_kg.store.memory_copy.BYTES_PER_QUAD` (the workers' ceilings share
    half of it). Once per worker, not once: Oxigraph's memory store writes to the pages it
    reads (a lock in each quad's node), so the pages a worker's queries read stop being shared
    (docs/benchmarks/plans.md, "Session 4").

    >>> copy_quads("off", 4), copy_quads("1000", 4)
    (0, 1000)
    """
    if setting == "off":
        return 0
    if setting != "auto":
        return int(setting)
    total = physical_memory() or 8 << 30
    return total // 4 // (workers + 1) // memory_copy.BYTES_PER_QUAD


def resident_bytes(pid: int) -> int | None:
    """A process's resident memory (RSS) from ``/proc``; None when it is gone or unknown."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return None


def limit_worker(memory_limit: int | None) -> None:
    """Resource limits a worker sets on itself once its store is open.

    No core dump (a crashing query would write its whole address space to disk, each time);
    the stack :data:`WORKER_STACK_BYTES` the query limits were measured with; and, as a
    backstop to the pool's watch on its resident memory, an address-space limit of what it
    has mapped now plus ``memory_limit``: should the pool be too slow to stop a greedy query
    (a busy machine), an allocation fails instead, which makes the engine (Rust) abort the
    process: the pool reads that SIGABRT as the memory limit reached.
    """
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with contextlib.suppress(ValueError, OSError):
        _, hard = resource.getrlimit(resource.RLIMIT_STACK)
        stack = WORKER_STACK_BYTES
        if hard != resource.RLIM_INFINITY:
            stack = min(stack, hard)
        resource.setrlimit(resource.RLIMIT_STACK, (stack, hard))
    if memory_limit is None:
        return
    with contextlib.suppress(ValueError, OSError):
        mapped = _mapped_bytes()
        if mapped is not None:
            cap = mapped + memory_limit
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            if hard != resource.RLIM_INFINITY:
                cap = min(cap, hard)
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _mapped_bytes() -> int | None:
    """This process's address space (VmSize) in bytes."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[0]) * _PAGE
    except (OSError, IndexError, ValueError):
        return None


#: A reply message: the pickled reply's length, the pickled reply, then the result's bytes.
_HEAD = struct.Struct("!I")
#: ``multiprocessing.connection.Connection``'s own framing of a message: its length as a
#: signed 32-bit integer, or -1 and a 64-bit one from 2 GiB (``Connection._send_bytes``).
_FRAME, _LONG_FRAME = struct.Struct("!i"), struct.Struct("!iQ")


def send_reply(conn: Any, reply: Reply, data: Any = None) -> None:
    """Send ``reply`` and the serialized result ``data`` (bytes-like, or None) as one message
    of ``conn``, written in one ``writev``, for :func:`read_reply`.

    Sent as two messages, a reply woke the web process twice: a niced worker that wakes the
    request thread is preempted at once, so the thread read the reply, then blocked on the
    bytes not written yet, and the worker had to run again to write them (four more context
    switches and two more reads per query, measured under load). One ``writev`` writes the
    frame ``Connection.recv_bytes`` reads without copying the result.
    """
    head = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
    size = _HEAD.size + len(head) + (0 if data is None else len(data))
    frame = _FRAME.pack(size) if size <= 0x7FFFFFFF else _LONG_FRAME.pack(-1, size)
    parts = [memoryview(frame + _HEAD.pack(len(head)) + head)]
    if data is not None and len(data):
        parts.append(memoryview(data))
    fd = conn.fileno()
    while parts:  # a signal may interrupt a blocking write part-way
        sent = os.writev(fd, parts)
        while parts and sent >= len(parts[0]):
            sent -= len(parts.pop(0))
        if sent:
            parts[0] = parts[0][sent:]


def read_reply(conn: Any) -> tuple[Reply, bytes | None]:
    """A reply :func:`send_reply` sent, and its result's bytes (None unless it is ``ok``)."""
    message = conn.recv_bytes()
    (length,) = _HEAD.unpack_from(message)
    end = _HEAD.size + length
    reply = pickle.loads(memoryview(message)[_HEAD.size : end])
    return reply, (message[end:] if reply[0] == "ok" else None)


def _watch_parent() -> None:
    """Exit when the process that started us goes away (even if it was killed)."""
    ppid = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != ppid:
                os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class _CopyView:
    """The handle of a worker forked by a copy's fork server: the copy, for as long as it is
    the store's published version (:func:`~competency_kg.store.versions.state_token`)."""

    def __init__(self, store_path: str, copy: memory_copy.Copy) -> None:
        self._path = Path(store_path)
        self._copy = copy
        self.token: str | None = copy.token

    def current(self) -> Any:
        return self._copy.store

    def stale(self) -> bool:
        """Whether a load published another version since the copy was read."""
        return state_token(self._path) != self._copy.token


def worker_main(
    conn: Any,
    store_path: str,
    max_bytes: int,
    guard_network: bool,
    memory_limit: int | None,
    niceness: int = 0,
) -> None:
    """Body of a worker process: open the store, then answer jobs until told to stop;
    ``niceness`` lowers its CPU priority (the pool's SPARQL lane)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal is the server's business
    if niceness:
        with contextlib.suppress(OSError):  # a priority is a preference, never a reason to fail
            os.nice(niceness)
    guarded = deny_network() if guard_network else False
    _watch_parent()
    copy = memory_copy.held()
    handle: LiveView[Any] | _CopyView
    try:
        if copy is not None:
            handle = _CopyView(store_path, copy)
        elif memory_copy.refused is not None:  # forked by a copy's server that holds none
            raise RuntimeError(f"no in-memory copy: {memory_copy.refused}")
        else:
            handle = LiveView(store_path, open_read_only)
    except (OSError, RuntimeError) as exc:
        with contextlib.suppress(OSError):  # the pool may have given up on us meanwhile
            conn.send(("open-failed", f"cannot open the store at {store_path}: {exc}"))  # logged
        return
    limit_worker(memory_limit)
    try:
        # The copy's pages count in the worker's resident memory from the fork on, shared:
        # the pool's ceiling is on what it allocates beyond them.
        at_start = resident_bytes(os.getpid()) or 0
        conn.send(("ready", os.getpid(), guarded, copy and copy.token, at_start))
    except OSError:  # the pool closed while we started (a shutdown): nothing to report
        return
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        if job == "probe":
            reply, data = probe(handle.current()), None
        elif isinstance(handle, _CopyView) and handle.stale():
            with contextlib.suppress(OSError):  # the pool answers from another worker
                send_reply(conn, ("stale",))
            return
        else:
            reply, data = answer(handle.current(), job, max_bytes)
            if reply[0] == "ok":  # the version it was read from: what the pool keeps it under
                reply = (*reply, handle.token)
        try:
            send_reply(conn, reply, data)
        except OSError:  # the pool is gone
            return
        finally:
            if data is not None:
                data.release()
