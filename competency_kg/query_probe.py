"""The query pool's damage probe: a query that keeps running on a store that cannot be read
(a damaged block) is cancelled early, and a killed or crashed query says when the store is the
cause. The probe runs in an idle worker, at most once per store version
(:func:`~competency_kg.sparql.execute.probe`)."""

from __future__ import annotations

import contextlib
import queue
import threading
from pathlib import Path

from competency_kg.query_sandbox import read_reply
from competency_kg.query_workers import PAGES, WRITTEN, Worker, WorkerLifecycle
from competency_kg.sparql.errors import damage
from competency_kg.sparql.execute import PROBE_SECONDS
from competency_kg.store.versions import state_token

#: Seconds a query runs before the pool checks (once per store version, in an idle worker) that
#: the store can be read: an aggregate over a damaged block would otherwise run to the timeout.
EARLY_PROBE_AFTER = 2.0


class DamageProbe(WorkerLifecycle):
    """Whether the store can be read, asked of an idle worker."""

    #: The early probe's finding for one store version: (token, None) sound, (token,
    #: detail) damaged; ``_probing`` while one runs.
    _probed: tuple[str | None, str | None] | None
    _probing: bool

    def _known_damage(self) -> str | None:
        """The engine's words if the store's current version is known to be damaged; starts
        the one early probe of that version (in the background, in an idle worker) when none
        has run, so a query that keeps going is checked once, not every store read."""
        token = state_token(Path(self.store_path))
        with self._lock:
            probed = self._probed
            if probed is not None and probed[0] == token:
                return probed[1]
            if self._probing:
                return None
            self._probing = True

        def check() -> None:
            finding: tuple[str | None, str | None] | None = None
            w = None
            for q in (self._idle[WRITTEN], self._idle[PAGES]):  # pages' worker last
                with contextlib.suppress(queue.Empty):
                    w = w or q.get_nowait()
            # No idle worker: every worker busy; the next long query tries again.
            if w is not None:
                reply = self._probe_in(self._on_disk(w))
                if reply is not None:
                    finding = (token, reply[1] if reply[0] == "damaged" else None)
            with self._lock:
                self._probing = False
                if finding is not None:
                    self._probed = finding

        threading.Thread(target=check, name="query-store-probe", daemon=True).start()
        return None

    def _on_disk(self, w: Worker) -> Worker | None:
        """``w`` if it reads the disk store; else (it answers from the in-memory copy, which
        says nothing of the disk) ``w`` is given back and a worker of the disk store is
        started for the probe alone (None if it cannot start)."""
        if w.copy is None:
            return w
        self._idle[w.lane].put(w)
        return self._start_worker(w.lane, disk=True)[0]

    def _probe_in(self, w: Worker | None) -> tuple[str, ...] | None:
        """Probe the store in idle worker ``w`` and give it back (or stop it, one started for
        the probe: not live); None if ``w`` failed (or is None)."""
        if w is None:
            return None
        live = w in self._live
        try:
            w.conn.send("probe")
            if not w.conn.poll(PROBE_SECONDS + 5.0):
                if live:
                    self._retire(w, kill=True)
                else:
                    w.process.kill()
                return None
            reply, _ = read_reply(w.conn)
        except (EOFError, OSError):
            if live:
                self._retire(w, kill=True)
            return None
        if live:
            self._idle[w.lane].put(w)
        else:
            self._stop(w)
        return reply

    def _raise_if_damaged(self, after: str) -> None:
        """Probe the store in an idle worker (:func:`probe`, at most :data:`PROBE_SECONDS`)
        and raise :class:`StoreDamaged` if it cannot be read; no idle worker: no probe."""
        try:
            w = self._take_idle(PAGES, 0.0)
        except queue.Empty:
            return
        reply = self._probe_in(self._on_disk(w))
        if reply is not None and reply[0] == "damaged":
            raise damage(reply[1], after)
