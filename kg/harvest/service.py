"""Harvesting as a service of a running Agora: runs in the background, the schedule, the feed kept current.

The CLI without a server uses `harvest()` directly; the server uses this class so that a
curator's "harvest now" returns at once with a run id to follow, at most one harvest of a
source runs at a time, scheduled harvests run, and the change feed catches up right after
every committed write (loads and updates too, not only harvests).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..changes import ChangeFeed
from ..errors import BadInput
from .run import harvest
from .schedule import Scheduler
from .sources import HarvestRegistry, HarvestRun

log = logging.getLogger("agora.harvest")


class HarvestService:
    def __init__(self, store: Any, ops: Any) -> None:
        self.store = store
        self.registry = HarvestRegistry(ops)
        self.feed = ChangeFeed(store, ops)
        self._running: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._scheduler: Scheduler | None = None
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._feed_thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, *, scheduler_interval: float = 30.0) -> None:
        """Start following the store (feed) and the schedule; marks runs a dead process left as failed."""
        self.registry.abandon_running()
        self._catch_up()  # before serving: what changed while no server ran (CLI loads) is in the feed
        self.store.listeners.append(self._on_change)
        self._feed_thread = threading.Thread(target=self._feed_loop, name="agora-change-feed", daemon=True)
        self._feed_thread.start()
        self._scheduler = Scheduler(self.registry.claim_due, lambda name: self.run(name, user="scheduler",
                                                                                  trigger="schedule"),
                                    interval=scheduler_interval)
        self._scheduler.start()

    def stop(self) -> None:
        self._stop.set()
        self._dirty.set()
        if self._on_change in self.store.listeners:
            self.store.listeners.remove(self._on_change)
        if self._scheduler is not None:
            self._scheduler.stop()
        if self._feed_thread is not None:
            self._feed_thread.join(timeout=10)
        for t in list(self._running.values()):
            t.join(timeout=1)

    def _on_change(self, _source: str) -> None:
        self._dirty.set()

    def _feed_loop(self) -> None:
        while not self._stop.is_set():
            self._dirty.wait()
            if self._stop.is_set():
                return
            self._dirty.clear()
            try:
                self._catch_up()
            except Exception:  # pragma: no cover - the next change or read retries
                log.exception("change feed catch-up")

    def _catch_up(self) -> None:
        """Bring the feed and the duplicate links up to the store's current versions."""
        from ..duplicates import relink

        with self.store.write_lock:  # the versions cannot move while they are digested
            if self.feed.catch_up():
                relink(self.store, harvested={h.name for h in self.registry.all()})

    def changes(self, since: str | None, *, limit: int, source: str | None) -> Any:
        with self.store.write_lock:
            self.feed.catch_up()
        return self.feed.since(since, limit=limit, source=source)

    # -- runs --------------------------------------------------------------------------------
    def run(self, name: str, *, user: str, trigger: str = "manual") -> HarvestRun:
        """Harvest now in this thread (one run per source at a time)."""
        with self._lock:
            if name in self._running and self._running[name] is not threading.current_thread():
                raise BadInput(f"a harvest of {name!r} is already running", status=409)
            self._running[name] = threading.current_thread()
        try:
            return harvest(self.store, self.registry, self.feed, name, user=user, trigger=trigger)
        finally:
            with self._lock:
                self._running.pop(name, None)

    def start_run(self, name: str, *, user: str) -> HarvestRun:
        """Start a harvest in the background; returns its run record (status `running`) at once."""
        self.registry.require(name)
        with self._lock:
            if name in self._running:
                raise BadInput(f"a harvest of {name!r} is already running", status=409)
            run = self.registry.start_run(name, "manual")
            thread = threading.Thread(target=self._background, args=(name, user, run),
                                      name=f"agora-harvest-{name}", daemon=True)
            self._running[name] = thread
        thread.start()
        return run

    def _background(self, name: str, user: str, run: HarvestRun) -> None:
        try:
            harvest(self.store, self.registry, self.feed, name, user=user, trigger="manual", run=run)
        except Exception:  # recorded in the run by harvest()
            log.exception("harvest of %s", name)
        finally:
            with self._lock:
                self._running.pop(name, None)

    def wait(self, name: str, timeout: float | None = None) -> None:
        thread = self._running.get(name)
        if thread is not None:
            thread.join(timeout)

    def quarantine(self, name: str) -> list[dict[str, Any]]:
        """The records the current version's harvest rejected, with their results and description."""
        import json

        import pyoxigraph as ox

        from ..namespaces import AGORA
        from ..rdfio import serialize_triples
        from ..registry import quarantine_graph

        info = self.store.require(name)
        g = quarantine_graph(name, info.current.number)
        out = []
        rows = self.store.ox.query(f"""SELECT ?e ?rec ?n ?report WHERE {{ GRAPH <{g.value}> {{
            ?e a <{AGORA}QuarantinedRecord> ; <{AGORA}record> ?rec ; <{AGORA}violationCount> ?n ;
               <{AGORA}report> ?report }} }} ORDER BY ?rec""")
        for row in rows:
            rec = row["rec"]
            triples = [q for q in self.store.ox.quads_for_pattern(rec, None, None, g)]
            for q in list(triples):
                if isinstance(q.object, ox.BlankNode | ox.NamedNode):
                    triples.extend(self.store.ox.quads_for_pattern(q.object, None, None, g))
            body = serialize_triples(((q.subject, q.predicate, q.object) for q in dict.fromkeys(triples)),
                                     ox.RdfFormat.TURTLE)
            out.append({"record": rec.value, "violations": int(row["n"].value),
                        "results": json.loads(row["report"].value), "turtle": body.decode()})
        return out
