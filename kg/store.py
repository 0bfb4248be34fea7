"""The Agora store: an on-disk Oxigraph store organised as versioned source graphs.

Layout inside Oxigraph:
- `urn:agora:meta`: the registry and PROV-O provenance (see registry.py);
- `urn:agora:g:NAME/N`: version N of source NAME (canonical values, what SPARQL sees);
- `urn:agora:fid:NAME/N`: the original forms of literals Oxigraph rewrote (see fidelity.py);
- `urn:agora:report:NAME/N`: the validation report of that version.
Anything under these prefixes that the registry does not reference is debris from an
interrupted load and is removed when the store opens.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox

from . import registry as reg
from .backends import SparqlStore, is_remote
from .config import Settings
from .errors import BadInput, SourceNotFound, StoreUnavailable, io_failure
from .fidelity import Restorer
from .namespaces import (
    FIDELITY_PREFIX,
    META_GRAPH,
    PHYSICAL_PREFIX,
    PREFIXES,
    QUARANTINE_PREFIX,
    REPORT_PREFIX,
    STAGING_PREFIX,
)
from .rdfio import serialize_triples
from .registry import SourceInfo

INTERNAL_PREFIXES = (PHYSICAL_PREFIX, FIDELITY_PREFIX, REPORT_PREFIX, QUARANTINE_PREFIX, STAGING_PREFIX)
SYSTEM_ONTOLOGY = "agora-ontology"
SYSTEM_VOCABULARIES = "eu-vocabularies"


class AgoraStore:
    """One process owns the on-disk store; everything else goes through it (or its HTTP API)."""

    def __init__(self, settings: Settings, *, install_background: bool = True, snapshot: Path | None = None,
                 version_restorers: dict[tuple[str, str], Restorer] | None = None) -> None:
        self.settings = settings
        path = snapshot or settings.store_path
        self.read_only = snapshot is not None
        self.ox: ox.Store | SparqlStore
        try:
            if settings.store and snapshot is None:
                settings.data_dir.mkdir(parents=True, exist_ok=True)
                # Requests with a deadline (user queries, GraphQL) get what is left of it; Agora's own
                # bulk reads and writes (a whole source) get this.
                self.ox = SparqlStore(settings.store, timeout=max(settings.query_timeout, 900.0))
            elif snapshot is not None:
                self.ox = ox.Store.read_only(str(snapshot))
            else:
                path.mkdir(parents=True, exist_ok=True)
                self.ox = ox.Store(str(path))
        except OSError as exc:
            if "lock" in str(exc).lower():
                raise StoreUnavailable(f"cannot open the store at {path}: {exc} (another process holds it: is "
                                       "`agora serve` running on this data directory?)") from exc
            raise io_failure(exc, f"opening the store at {path}") from exc
        self.write_lock = WriteLock(settings.data_dir / "write.lock" if settings.store else None,
                                    on_acquire=self.refresh)
        """Held around every write. On a remote store several API processes share the store, so
        the lock is also a file lock in the data directory they share."""
        self._stamp_file = settings.data_dir / "registry.stamp"
        self._stamp: tuple[int, int] | None = None
        self._refresh_lock = threading.RLock()
        self._sources: dict[str, SourceInfo] = {}
        self._restorers: dict[tuple[str, ...], Restorer] = {}
        self._version_restorers: dict[tuple[str, str], Restorer] = (
            {} if version_restorers is None else version_restorers)
        """One restorer per committed version, kept across writes (a version's records never change);
        query workers pass one dict to each snapshot they open, so a write costs them only the
        restorer of the version it made."""
        self.generation = 0
        """Bumped on every committed write; caches keyed by it stay coherent."""
        self.listeners: list[Callable[[str], None]] = []
        """Called with a source name after every committed change to it (search index, caches...)."""
        if self.remote:  # the registry read next is at least as new as this stamp
            self._stamp = _stamp_of(self._stamp_file)
        self.reload_registry(announce=False)
        if self.read_only:
            return
        try:
            if self.remote:
                with self.write_lock:  # taking it picks up other processes' writes (see refresh)
                    self.collect_garbage()
                    if install_background:
                        self.ensure_background()
                return
            _remove_bulk_leftovers(path)
            self.collect_garbage()
            if install_background:
                self.ensure_background()
        except OSError as exc:  # a full disk or a read-only directory, met while tidying up at start
            raise io_failure(exc, f"opening the store at {path}") from exc

    @property
    def remote(self) -> bool:
        return is_remote(self.ox)

    # -- registry ---------------------------------------------------------------------------
    def refresh(self) -> bool:
        """On a remote store: pick up writes other API processes committed (returns True if any).

        Each commit rewrites a stamp file in the shared data directory; checking it costs one
        `stat`, so every request can afford it."""
        if not self.remote or _stamp_of(self._stamp_file) == self._stamp:
            return False
        with self._refresh_lock:
            stamp = _stamp_of(self._stamp_file)
            if stamp == self._stamp:
                return False
            before = {s.name: s.current.activity for s in self._ordered}
            self.reload_registry(announce=False)
            self._stamp = stamp
            after = {s.name: s.current.activity for s in self._ordered}
        for name in sorted(set(before) | set(after)):
            if before.get(name) != after.get(name):
                self.notify(name)
        return True

    def refresh_due(self) -> bool:
        """Whether `refresh` would find another process's writes (one `stat`, no store request)."""
        return self.remote and _stamp_of(self._stamp_file) != self._stamp

    def reload_registry(self, *, announce: bool = True) -> None:
        """Re-read the registry and derive, once per change, what every query needs from it.

        After a write (`announce`), a remote store's stamp file changes so the other API processes
        reload too."""
        self._sources = reg.read_registry(self.ox)
        self._ordered = sorted(self._sources.values(), key=lambda s: (not s.system, s.name))
        self._by_iri = {s.graph_iri: s for s in self._ordered}
        self._mapping = {s.graph_iri: s.physical.value for s in self._ordered}
        self._reverse = {phys: pub for pub, phys in self._mapping.items()}
        self._restorers.clear()
        current = {_version_key(s) for s in self._ordered}
        for key in [k for k in self._version_restorers if k not in current]:
            del self._version_restorers[key]
        self.generation += 1
        if announce and self.remote:
            tmp = self._stamp_file.with_suffix(f".{secrets.token_hex(4)}")
            tmp.write_text(secrets.token_hex(8))
            os.replace(tmp, self._stamp_file)
            self._stamp = _stamp_of(self._stamp_file)

    def notify(self, source: str) -> None:
        """Tell every listener that `source` changed (after the change is committed and visible)."""
        for fn in list(self.listeners):
            fn(source)

    def sources(self, *, include_system: bool = True) -> list[SourceInfo]:
        return list(self._ordered) if include_system else [s for s in self._ordered if not s.system]

    def get(self, name_or_iri: str) -> SourceInfo | None:
        """A source by its name or by its public graph IRI (HTTP and CLI accept either)."""
        return self._sources.get(name_or_iri) or self._by_iri.get(name_or_iri)

    def require(self, name_or_iri: str) -> SourceInfo:
        info = self.get(name_or_iri)
        if info is None:
            raise SourceNotFound(f"no source named {name_or_iri!r} (see `agora sources`)")
        return info

    def graph_iri_for(self, name: str) -> str:
        return f"{self.settings.base_url}/graph/{name}"

    def is_empty(self) -> bool:
        """True when no curator source is loaded (background vocabularies do not count)."""
        return not any(not s.system for s in self._sources.values())

    # -- datasets for queries -----------------------------------------------------------------
    def public_physical_graphs(self) -> list[ox.NamedNode]:
        return [s.physical for s in self._ordered]

    def graph_mapping(self) -> dict[str, str]:
        """Public graph IRI -> physical graph IRI, for query rewriting (callers must not modify it)."""
        return self._mapping

    def reverse_mapping(self) -> dict[str, str]:
        return self._reverse

    def restorer(self, sources: list[SourceInfo] | None = None) -> Restorer:
        """The literal restorer of these sources (default: all), combined from per-version restorers.

        Reading a version's records costs seconds at 10^5 datasets; after a write only the new
        version's restorer is built (by its validation, before it becomes current), and the
        combination of the others is a dictionary merge.
        """
        chosen = self.sources() if sources is None else sources
        key = tuple(f"{s.name}/{s.current.number}" for s in chosen)
        r = self._restorers.get(key)
        if r is None:
            r = Restorer.combine([self.version_restorer(s) for s in chosen])
            if len(self._restorers) > 32:
                self._restorers.clear()
            self._restorers[key] = r
        return r

    def version_restorer(self, info: SourceInfo) -> Restorer:
        """The restorer of one version (committed, or a draft about to be: keyed by its activity)."""
        key = _version_key(info)
        r = self._version_restorers.get(key)
        if r is None:
            r = self._version_restorers[key] = Restorer(self.ox, [info.fidelity])
        return r

    # -- reading sources --------------------------------------------------------------------
    def exact_triples(self, info: SourceInfo) -> Iterator[tuple[object, object, object]]:
        """The triples of a source as they were loaded (original literal forms)."""
        restorer = self.restorer([info])
        return restorer.triples(self.ox.quads_for_pattern(None, None, None, info.physical))

    def read_view(self, info: SourceInfo, background: list[ox.NamedNode] | tuple[()] = (),
                  restorer: Restorer | None = None) -> tuple[ox.Store, Restorer | None]:
        """Where to read a version of a source (with these background graphs) many times over, and
        the restorer that goes with it there: the embedded store itself, or, for a remote store, an
        in-memory Oxigraph copy.

        Work that reads a graph thousands of times over (validation, search extraction, record
        digests) would make one request per read on a remote store; it runs on the copy instead
        (one query per graph). The copy is made from the loaded forms of the literals and recorded
        as a load into Oxigraph records them, so the results are the embedded store's: the remote
        store's own canonical forms mean nothing to Oxigraph, which canonicalises again."""
        from .fidelity import CasedLangLiteral, FidelityRecorder

        if not isinstance(self.ox, SparqlStore):
            return self.ox, restorer
        restorer = restorer if restorer is not None else self.version_restorer(info)
        mem = ox.Store()
        recorder = FidelityRecorder()

        def quads() -> Iterator[ox.Quad]:
            for s, p, o in restorer.triples(self.ox.quads_for_pattern(None, None, None, info.physical)):
                original = None
                if isinstance(o, CasedLangLiteral):
                    original, o = o, ox.Literal(o.value, language=o.language.lower())
                if isinstance(o, ox.Literal):
                    recorder.observe(s, p, o, original)  # type: ignore[arg-type]
                yield ox.Quad(s, p, o, info.physical)  # type: ignore[arg-type]

        mem.bulk_extend(quads())
        self.ox.copy_graphs(background, into=mem)
        mem.bulk_extend(recorder.quads(info.fidelity))
        return mem, Restorer(mem, [info.fidelity])

    def export(self, name: str | None, fmt: ox.RdfFormat) -> bytes:
        """One source as a graph, or every curator source as a dataset (TriG/N-Quads) with public names."""
        if name is not None:
            info = self.require(name)
            return serialize_triples(self.exact_triples(info), fmt, prefixes=PREFIXES,
                                     graph=ox.NamedNode(info.graph_iri))
        if fmt not in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
            raise BadInput("exporting all sources needs a dataset format (trig or nquads), or name one with --graph")
        chunks = []
        for info in self.sources(include_system=False):
            chunks.append(serialize_triples(self.exact_triples(info), fmt, graph=ox.NamedNode(info.graph_iri)))
        return b"".join(chunks)

    def triple_count(self, graph: ox.NamedNode) -> int:
        res = self.ox.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph.value}> {{ ?s ?p ?o }} }}")
        return int(next(iter(res))["n"].value)

    # -- maintenance ------------------------------------------------------------------------
    def referenced_graphs(self) -> set[str]:
        keep = {META_GRAPH.value}
        for s in self._sources.values():
            for v in [s.current, *s.history]:
                keep.update(g.value for g in reg.version_graphs(s.name, v.number))
        return keep

    def collect_garbage(self) -> list[str]:
        """Remove graphs left by interrupted loads; they were never visible to anyone."""
        keep = self.referenced_graphs()
        removed = []
        for g in list(self.ox.named_graphs()):
            if not isinstance(g, ox.NamedNode):
                continue
            internal = g.value.startswith(INTERNAL_PREFIXES)
            if internal and g.value not in keep:
                self.ox.remove_graph(g)
                removed.append(g.value)
        return removed

    def drop_version_graphs(self, name: str, number: int) -> None:
        for g in reg.version_graphs(name, number):
            if self.ox.contains_named_graph(g):
                self.ox.remove_graph(g)

    def ensure_background(self) -> None:
        """Install (or refresh) the ontology and shipped vocabularies as system sources."""
        from .loader import load_files
        from .resources import ontology_files, vocabulary_files

        for name, files in ((SYSTEM_ONTOLOGY, ontology_files()), (SYSTEM_VOCABULARIES, vocabulary_files())):
            if not files:
                continue
            digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
            current = self.get(name)
            if current is not None and current.current.checksum == f"sha256:{digest}":
                continue
            load_files(self, files, name=name, replace=current is not None, validate=False,
                       user="agora", system=True, checksum=f"sha256:{digest}")

    def close(self) -> None:
        if isinstance(self.ox, SparqlStore):
            self.ox.close()
        elif not self.read_only:
            with contextlib.suppress(OSError):
                self.ox.flush()
        del self.ox


class WriteLock:
    """A re-entrant lock for writers; with a path, also an exclusive file lock across processes."""

    def __init__(self, path: Path | None, on_acquire: Callable[[], object] | None = None) -> None:
        self._lock = threading.RLock()
        self._path = path
        self._on_acquire = on_acquire
        self._depth = 0
        self._fd: int | None = None

    def acquire(self) -> None:
        self._lock.acquire()
        if self._path is not None and self._depth == 0:
            try:
                fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                self._lock.release()
                raise
            self._fd = fd
        self._depth += 1
        if self._depth == 1 and self._fd is not None and self._on_acquire is not None:
            try:
                self._on_acquire()  # write on top of what other processes committed
            except BaseException:
                self.release()
                raise

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        self._lock.release()

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _stamp_of(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def _remove_bulk_leftovers(path: Path) -> None:
    """Delete the temporary SST files of a bulk load that failed (disk full) or was killed.

    RocksDB never references them and never deletes them, so each failure would keep its share of
    a full disk. Only the process holding the store's lock writes them, and that is this one now.
    """
    for leftover in path.glob("bulk-*.sst"):
        with contextlib.suppress(OSError):
            leftover.unlink()


def _version_key(info: SourceInfo) -> tuple[str, str]:
    """Version numbers are reused after a delete or a failed attempt; the activity is not."""
    return (info.fidelity.value, info.current.activity)
