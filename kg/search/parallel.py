"""Reading a large source's search documents in several processes, each from a checkpoint.

Why processes: a rebuild is bound by reading values back out of Oxigraph (a dictionary lookup per
term returned, about 2 µs; serialising the rows in Rust costs nearly as much as iterating them in
Python), and pyoxigraph holds the GIL while it iterates, so threads do not overlap (measured: three
extraction queries in three threads 11.4 s, one after another 12.9 s). Separate processes do. The
on-disk store is locked by the process that owns it, so each worker opens a checkpoint
(`Store.backup`: hard links to immutable files, a committed state) read-only, reads its slice of
every type's subjects (`Extractor.documents(part=...)`), builds the tantivy JSON and sends it back
in batches. The owner adds the documents to its single index writer, so the commit (and with it
"all or nothing" for the source) stays where it was.

The slices are OFFSET/LIMIT windows over one subquery, which the same checkpoint answers in the
same order in every process; the reader checks that no IRI arrives twice (which would also mean
one went missing) and raises `SliceMismatch`, and the indexer then reads the source in process.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import AgoraError

log = logging.getLogger("agora.search")
BATCH = 2_000
SNAPSHOT_DIR = "index-snapshots"

_active: set[Path] = set()
_active_lock = threading.Lock()
"""Checkpoints readers of this process are using (two indexes of one store may read at once)."""

Prepared = tuple[str, str, bool, tuple[str, ...]]
"""One document ready for tantivy: its JSON, IRI, whether it replaces an earlier partial document
of the same IRI, and the IRIs whose facts it borrowed (`IndexDoc.refs`)."""


class SliceMismatch(AgoraError):
    """Two workers read the same resource: their slices did not partition the subjects."""


class WorkerFailed(AgoraError):
    """An indexing worker stopped with an error or without finishing."""


def worker_count(settings: Settings) -> int:
    return settings.index_workers if settings.index_workers > 0 else (os.cpu_count() or 1)


def wants_parallel(store: Any, triples: int) -> bool:
    """Workers read checkpoints of the embedded store: not for a remote store (read over HTTP into
    memory once) or a read-only snapshot, nor for sources under `index_workers_min_triples`."""
    return (not store.remote and not store.read_only and triples >= store.settings.index_workers_min_triples
            and worker_count(store.settings) > 1)


class ParallelReader:
    """The documents of one source, read by `workers` processes from a fresh checkpoint.

    Iterate it once, inside `with`: leaving the block (also by an exception) stops the workers and
    removes the checkpoint."""

    def __init__(self, store: Any, source: str, graph: str, concept_filter: set[str] | None,
                 workers: int, *, parts: list[tuple[int, int]] | None = None) -> None:
        self.store = store
        self.source = source
        self.graph = graph
        self.concept_filter = sorted(concept_filter) if concept_filter is not None else None
        self.parts = parts or [(i, workers) for i in range(workers)]
        """The slice each worker reads (tests pass overlapping ones to see them caught)."""
        self.path: Path | None = None
        self._processes: list[Any] = []
        self._conns: list[Connection] = []

    def __enter__(self) -> ParallelReader:
        root = self.store.settings.data_dir / SNAPSHOT_DIR
        root.mkdir(parents=True, exist_ok=True)
        with _active_lock:
            # The process owning the store is the only one making checkpoints here: any not in use
            # by one of its readers is a leftover of a crash.
            for leftover in root.iterdir():
                if leftover not in _active:
                    shutil.rmtree(leftover, ignore_errors=True)
            self.path = root / secrets.token_hex(6)
            _active.add(self.path)
        started = time.perf_counter()
        self.store.ox.backup(str(self.path))
        log.debug("index checkpoint in %.2f s", time.perf_counter() - started)
        ctx = multiprocessing.get_context("spawn")
        for i, part in enumerate(self.parts):
            receive, send = ctx.Pipe(duplex=False)
            process = ctx.Process(target=_worker_main, daemon=True, name=f"agora-index-{i}",
                                  args=(send, self.store.settings, str(self.path), self.source, self.graph,
                                        self.concept_filter, part))
            process.start()
            send.close()
            self._processes.append(process)
            self._conns.append(receive)
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self._processes:
            if process.is_alive():
                process.kill()
            process.join()
        for conn in self._conns:
            conn.close()
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            with _active_lock:
                _active.discard(self.path)

    def __iter__(self) -> Iterator[Prepared]:
        pending = list(self._conns)
        seen: set[str] = set()
        while pending:
            for conn in wait(pending):
                try:
                    message = conn.recv()
                except EOFError:
                    raise WorkerFailed("a search indexing worker exited without finishing") from None
                if message is None:
                    pending.remove(conn)  # type: ignore[arg-type]
                    continue
                if isinstance(message, str):
                    raise WorkerFailed(f"a search indexing worker failed: {message}")
                for item in message:
                    if not item[2]:
                        if item[1] in seen:
                            raise SliceMismatch(f"{item[1]} was read by two indexing workers")
                        seen.add(item[1])
                    yield item


def _worker_main(conn: Connection, settings: Settings, snapshot: str, source: str, graph: str,
                 concept_filter: list[str] | None, part: tuple[int, int]) -> None:
    """Read one slice of the source from the checkpoint and send its documents, then None (or the
    error as a string)."""
    import pyoxigraph as ox

    from ..shacl.engine import gc_paused
    from ..store import AgoraStore
    from .extract import Extractor
    from .indexer import to_json

    try:
        store = AgoraStore(settings, snapshot=Path(snapshot))
        extractor = Extractor(store)
        batch: list[Prepared] = []
        with gc_paused():
            for doc in extractor.documents(source, ox.NamedNode(graph), part=part,
                                           concept_filter=set(concept_filter) if concept_filter is not None else None):
                batch.append((to_json(doc), doc.iri, doc.replaces, tuple(doc.refs)))
                if len(batch) >= BATCH:
                    conn.send(batch)
                    batch = []
        if batch:
            conn.send(batch)
        store.close()
        conn.send(None)
    except BaseException as exc:  # noqa: BLE001 - reported to the owner, which raises it
        with contextlib.suppress(OSError):
            conn.send(f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()
