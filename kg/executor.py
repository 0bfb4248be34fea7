"""SPARQL queries with a real time limit, in worker processes reading consistent snapshots.

pyoxigraph cannot cancel a query, and opening its on-disk store read-only while another
process writes is undefined. So the process that owns the store writes a cheap checkpoint
(`Store.backup`: hard links to immutable files) after each committed change, and a pool of
worker processes answers queries from the newest checkpoint. A query over its time limit is
stopped by killing its worker (its CPU is free at once) and a fresh worker takes its place;
other requests keep being served by the rest of the pool. Snapshots also give every query a
consistent view: a reader never sees half of a replace.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import queue
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import AgoraError, BadInput, QueryTimeout, StoreUnavailable

log = logging.getLogger("agora.executor")
CHUNK = 64 * 1024


@dataclass
class QueryJob:
    query: str
    default_graph_uris: list[str] = field(default_factory=list)
    named_graph_uris: list[str] = field(default_factory=list)
    select_format: str = "json"
    graph_format: str = "text/turtle"
    max_rows: int = 100_000
    base_iri: str | None = None


class _Worker:
    _ids = itertools.count(1)

    def __init__(self, settings: Settings) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, settings), daemon=True,
                                   name=f"agora-query-{next(self._ids)}")
        self.process.start()
        child.close()

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.join(timeout=5)
        with contextlib.suppress(Exception):
            self.conn.close()


class QueryExecutor:
    def __init__(self, store: Any, *, workers: int | None = None, timeout: float | None = None) -> None:
        self.store = store
        self.settings: Settings = store.settings
        self.timeout = timeout if timeout is not None else self.settings.query_timeout
        self.root = self.settings.data_dir / "snapshots"
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._snapshot: tuple[int, Path] | None = None
        self._in_use: dict[Path, int] = {}
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._closed = False
        n = max(1, workers if workers is not None else
                (self.settings.query_workers or 2 * (os.cpu_count() or 1)))
        for _ in range(n):
            self._spawn()

    def warm_up(self) -> None:
        """Have every worker open the newest snapshot and build its literal tables now, in the
        background, instead of on its first query (about 1.6 s per worker at 10^5 datasets)."""
        job = QueryJob(query="SELECT ?s WHERE { ?s ?p ?o } LIMIT 1")

        def one() -> None:
            try:
                self.run(job)
            except AgoraError as exc:  # a warm-up failing is not an error anyone is waiting for
                log.info("query worker warm-up: %s", exc)

        threads = [threading.Thread(target=one, daemon=True, name="agora-query-warm-up") for _ in self._all]
        for t in threads:
            t.start()

    # -- snapshots ----------------------------------------------------------------------------
    def snapshot(self) -> Path:
        """The checkpoint for the store's current generation (made on first use after a change)."""
        with self._lock:
            gen = self.store.generation
            if self._snapshot is None or self._snapshot[0] != gen:
                # No write lock: a checkpoint is always a committed state, and what a reader sees
                # in it is decided by the registry inside it (a write becomes visible in the one
                # transaction that switches the registry). Waiting for the lock would stall every
                # query behind a long write. A checkpoint that already holds a newer write than
                # `gen` is still consistent; the next query just makes a fresh one.
                path = self.root / f"{gen}-{secrets.token_hex(4)}"
                started = time.monotonic()
                self.store.ox.backup(str(path))
                took = time.monotonic() - started
                if took > 0.5:
                    log.info("query snapshot of generation %d took %.1f s", gen, took)
                old = self._snapshot
                self._snapshot = (gen, path)
                if old is not None:
                    self._release_locked(old[1], 0)
            return self._snapshot[1]

    def _acquire_snapshot(self) -> Path:
        path = self.snapshot()
        with self._lock:
            self._in_use[path] = self._in_use.get(path, 0) + 1
        return path

    def _release_locked(self, path: Path, delta: int) -> None:
        count = self._in_use.get(path, 0) + delta
        current = self._snapshot[1] if self._snapshot else None
        if count <= 0:
            self._in_use.pop(path, None)
            if path != current:
                shutil.rmtree(path, ignore_errors=True)
        else:
            self._in_use[path] = count

    def _release(self, path: Path) -> None:
        with self._lock:
            self._release_locked(path, -1)

    # -- workers ------------------------------------------------------------------------------
    def _spawn(self) -> None:
        w = _Worker(self.settings)
        self._all.add(w)
        self._idle.put(w)

    def _retire(self, w: _Worker) -> None:
        w.kill()
        self._all.discard(w)
        if not self._closed:
            self._spawn()

    def run(self, job: QueryJob) -> tuple[dict[str, Any], bytes | Iterator[bytes]]:
        """Start a query; returns its head (kind, media type) and the body: bytes when the whole answer
        came in one message, else an iterator that streams it.

        Raises QueryTimeout (HTTP 503 + Retry-After) when the limit passes before the answer
        starts, or when no worker frees up within the limit (overload). Errors the query itself
        causes (syntax, evaluation) come back as AgoraErrors with their proper status.
        """
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise QueryTimeout(f"all {len(self._all)} query workers are busy; try again shortly") from None
        deadline, snapshot = self._send(worker, job, self._acquire_snapshot)
        try:
            head = self._receive(worker, deadline)
        except BaseException:
            self._abandon(worker, snapshot)
            raise
        return self._answer(worker, snapshot, head, deadline)

    async def run_async(self, job: QueryJob) -> tuple[dict[str, Any], bytes | Iterator[bytes]]:
        """`run` for an event loop: when a worker is idle and the snapshot is current (the usual
        case), the query is sent and its answer awaited on the loop itself, without the round trip
        through a thread that `run` needs (a third of the server's time on a point lookup).
        Otherwise (waiting for a worker, making a snapshot) it runs `run` in a thread."""
        import asyncio

        from starlette.concurrency import run_in_threadpool

        snapshot = self._current_snapshot()
        worker = self._try_idle() if snapshot is not None else None
        if worker is None:
            return await run_in_threadpool(self.run, job)
        deadline, snapshot = self._send(worker, job, lambda: snapshot)
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        fd = worker.conn.fileno()
        loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
        try:
            try:
                await asyncio.wait_for(ready, max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise QueryTimeout(f"the query ran over the {self.timeout:g} s time limit and was stopped") from None
            finally:
                loop.remove_reader(fd)
                os.set_blocking(fd, True)  # uvloop (libuv) makes a watched descriptor non-blocking
            head = self._receive(worker, deadline)
        except BaseException:
            self._abandon(worker, snapshot)
            raise
        return self._answer(worker, snapshot, head, deadline)

    def _try_idle(self) -> _Worker | None:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return None

    def _current_snapshot(self) -> Path | None:
        """The snapshot, counted as in use, if it is already made for the current generation."""
        with self._lock:
            if self._snapshot is None or self._snapshot[0] != self.store.generation:
                return None
            path = self._snapshot[1]
            self._in_use[path] = self._in_use.get(path, 0) + 1
            return path

    def _send(self, worker: _Worker, job: QueryJob, snapshot_of: Any) -> tuple[float, Path]:
        # The limit counts from when a worker takes the query, not from when it arrived: a query that
        # waited in the queue would otherwise be stopped early, and with it the worker (killing it
        # throws away its warm snapshot, so under load the pool would keep restarting cold workers).
        deadline = time.monotonic() + self.timeout
        snapshot = snapshot_of()
        try:
            worker.conn.send((str(snapshot), job))
        except BaseException:
            self._abandon(worker, snapshot)
            raise
        return deadline, snapshot

    def _abandon(self, worker: _Worker, snapshot: Path) -> None:
        """A query that will not be answered: its worker may still be busy with it, so it goes."""
        self._release(snapshot)
        self._retire(worker)

    def _answer(self, worker: _Worker, snapshot: Path, head: tuple[Any, ...], deadline: float
                ) -> tuple[dict[str, Any], bytes | Iterator[bytes]]:
        if head[0] == "error":
            self._release(snapshot)
            self._idle.put(worker)
            raise _rebuild_error(head)
        if head[0] == "whole":  # a small answer in one message: no streaming needed
            self._release(snapshot)
            self._idle.put(worker)
            return head[1], head[2]
        return head[1], self._body(worker, snapshot, deadline)

    def _receive(self, worker: _Worker, deadline: float) -> tuple[Any, ...]:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not worker.conn.poll(remaining):
            raise QueryTimeout(f"the query ran over the {self.timeout:g} s time limit and was stopped")
        try:
            return worker.conn.recv()
        except (EOFError, OSError) as exc:
            raise StoreUnavailable("the query worker stopped unexpectedly") from exc

    def _body(self, worker: _Worker, snapshot: Path, deadline: float) -> Iterator[bytes]:
        done = False
        try:
            while True:
                msg = self._receive(worker, deadline)
                if msg[0] == "chunk":
                    yield msg[1]
                elif msg[0] == "end":
                    done = True
                    return
                else:  # an error after the response started: the stream just ends
                    done = True
                    log.warning("query failed while streaming: %s", msg)
                    return
        except QueryTimeout:
            log.warning("query stopped at its time limit while streaming its results")
        finally:
            self._release(snapshot)
            if done:
                self._idle.put(worker)
            else:
                self._retire(worker)

    def close(self) -> None:
        self._closed = True
        for w in list(self._all):
            with contextlib.suppress(Exception):
                w.conn.send(None)
            w.kill()
        self._all.clear()
        shutil.rmtree(self.root, ignore_errors=True)


class RemoteQueryExecutor:
    """Queries on a remote store: the store evaluates them, this process only rewrites and restores.

    No snapshots or worker processes: the remote store gives each request a consistent view of
    committed data (a replace becomes visible in the one update that switches the registry), and
    the time limit is the HTTP request's timeout. A bounded number of queries run at once, so a
    burst of slow queries cannot take every thread of the API process."""

    def __init__(self, store: Any, *, workers: int | None = None, timeout: float | None = None) -> None:
        self.store = store
        self.settings: Settings = store.settings
        self.timeout = timeout if timeout is not None else self.settings.query_timeout
        n = workers if workers is not None else (self.settings.query_workers or 4 * (os.cpu_count() or 1))
        self._slots = threading.BoundedSemaphore(max(1, n))
        self._n = max(1, n)

    def warm_up(self) -> None:
        """Nothing to start: the remote store is already running."""

    def run(self, job: QueryJob) -> tuple[dict[str, Any], bytes | Iterator[bytes]]:
        from . import deadline

        if not self._slots.acquire(timeout=self.timeout):
            raise QueryTimeout(f"all {self._n} query slots are busy; try again shortly")
        try:
            deadline.start(self.timeout)
            messages = list(answer_messages(self.store, job))
        except QueryTimeout:
            raise QueryTimeout(f"the query ran over the {self.timeout:g} s time limit and was stopped") from None
        except AgoraError:
            raise
        except Exception as exc:  # an evaluation failure the store reported in its own words
            raise BadInput(f"query evaluation failed: {exc}") from None
        finally:
            self._slots.release()
        if messages[0][0] == "whole":
            return messages[0][1], messages[0][2]
        return messages[0][1], b"".join(m[1] for m in messages if m[0] == "chunk")

    async def run_async(self, job: QueryJob) -> tuple[dict[str, Any], bytes | Iterator[bytes]]:
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(self.run, job)

    def close(self) -> None:
        """Nothing to stop."""


def make_executor(store: Any) -> QueryExecutor | RemoteQueryExecutor:
    """The executor that fits the store: worker processes on snapshots, or the remote store itself."""
    if getattr(store, "remote", False):
        return RemoteQueryExecutor(store)
    return QueryExecutor(store)


def _rebuild_error(msg: tuple[Any, ...]) -> AgoraError:
    _tag, name, message, details, status = msg
    cls = {"BadInput": BadInput, "QueryTimeout": QueryTimeout}.get(name, AgoraError)
    err = cls(message, **(details or {}))
    err.http_status = status
    if isinstance(err, BadInput):
        err.exit_code = 2
    return err


def _worker_main(conn: Connection, settings: Settings) -> None:
    """Answer jobs from the pipe until told to stop; each job names the snapshot to read."""
    from .store import AgoraStore

    store: AgoraStore | None = None
    opened: str | None = None
    restorers: dict[tuple[str, str], Any] = {}  # per version, shared by the snapshots this worker opens
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        snapshot, job = item
        try:
            if opened != snapshot:
                if store is not None:
                    store.close()
                store = AgoraStore(settings, snapshot=Path(snapshot), version_restorers=restorers)
                opened = snapshot
            for message in answer_messages(store, job):
                conn.send(message)
        except AgoraError as exc:
            conn.send(("error", type(exc).__name__, exc.message, exc.details, exc.http_status))
        except Exception as exc:  # anything else is an evaluation failure of this query
            conn.send(("error", "BadInput", f"query evaluation failed: {exc}", {}, 400))


def answer_messages(store: Any, job: QueryJob) -> Iterator[tuple[Any, ...]]:
    """The answer to a job as the messages a worker sends: ("whole", head, bytes) for a small one,
    else ("head", head), ("chunk", bytes)..., ("end", None). Errors propagate as AgoraErrors."""
    from .query import run_query
    from .rdfio import parse_format, serialize_triples
    from .results import SELECT_MEDIA_TYPES, SELECT_WRITERS, ask_text

    outcome = run_query(store, job.query, default_graph_uris=job.default_graph_uris or None,
                        named_graph_uris=job.named_graph_uris or None, base_iri=job.base_iri)
    if outcome.kind == "graph":
        fmt = parse_format(job.graph_format)
        triples = itertools.islice(outcome.triples, job.max_rows)
        data = serialize_triples(triples, fmt)
        head = {"kind": "graph", "media_type": fmt.media_type}
        if len(data) <= CHUNK:
            yield ("whole", head, data)
            return
        yield ("head", head)
        for i in range(0, len(data), CHUNK):
            yield ("chunk", data[i:i + CHUNK])
    elif outcome.kind == "ask":
        yield ("whole", {"kind": "ask", "media_type": SELECT_MEDIA_TYPES[job.select_format]},
               ask_text(bool(outcome.boolean), job.select_format))
        return
    else:
        rows = itertools.islice(outcome.rows, job.max_rows)
        writer = SELECT_WRITERS[job.select_format](outcome.variables, rows)
        first = next(writer)
        buffer = [first]
        size = len(first)
        sent_head = False
        head = {"kind": "select", "media_type": SELECT_MEDIA_TYPES[job.select_format]}
        for piece in writer:
            buffer.append(piece)
            size += len(piece)
            if size >= CHUNK:
                if not sent_head:
                    yield ("head", head)
                    sent_head = True
                yield ("chunk", b"".join(buffer))
                buffer, size = [], 0
        if not sent_head:
            yield ("whole", head, b"".join(buffer))
            return
        yield ("chunk", b"".join(buffer))
    yield ("end", None)
