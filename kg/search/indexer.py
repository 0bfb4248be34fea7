"""The on-disk search index and how it follows the store.

Consistency model:
- The index is derived data: the store is the truth, and `rebuild()` recreates the index from it.
- Each source is indexed as a unit: its documents are deleted and re-added, together with a
  manifest document naming the store version (registry activity) they came from, in one tantivy
  commit. A reader therefore sees a source's old documents or its new ones, never a mix.
- `apply(names)` runs after the store has committed a change (the store's listener); when it
  fails, the previous index stays as it was and the source is remembered as dirty, to be
  repaired on the next write or search.
- Facts a document borrows from other sources (publisher names, place geometry and country) are
  fingerprinted; when a change alters them, every source whose documents use them is re-indexed
  in the same commit.
- `SearchIndex.open()` compares the manifests with the store's registry and repairs missing,
  stale and extra sources (the store may have been changed while no index was listening).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tantivy

from ..shacl.engine import gc_paused
from . import schema as S
from .extract import AGORA_SECTOR_SCHEME, EU_COUNTRY, EU_THEME, EU_THEME_SCHEME, Extractor, Facts, IndexDoc
from .parallel import ParallelReader, Prepared, SliceMismatch, wants_parallel, worker_count

log = logging.getLogger("agora.search")
FORMAT_FILE = "agora-search.json"
MANIFEST_PREFIX = "urn:agora:search:source:"
FACTS_IRI = "urn:agora:search:facts"
BACKGROUND_SCHEMES = {AGORA_SECTOR_SCHEME, EU_THEME_SCHEME}
"""Concepts of system sources that become search results; other code lists are only facet values."""
SECTOR_PREFIX = "https://w3id.org/agora/sector/"
DISPLAY_CHARS = 600
"""Descriptions are stored (for snippets) up to this length per language; indexing uses all of it."""


@dataclass
class Manifest:
    source: str
    version: int
    activity: str
    described: list[str] = field(default_factory=list)


@dataclass
class IndexStats:
    documents: int = 0
    sources: list[str] = field(default_factory=list)
    seconds: float = 0.0


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_PLAIN = json.JSONEncoder(ensure_ascii=False)
"""Encoders made once: `json.dumps` with any option builds a new encoder on every call, which was a
measurable share of `to_json` at 100k documents."""


def _b64(data: dict[str, Any]) -> str:
    return base64.b64encode(_COMPACT.encode(data).encode()).decode()


def _unb64(value: Any) -> dict[str, Any]:
    raw = value if isinstance(value, bytes | bytearray) else base64.b64decode(value)
    return json.loads(bytes(raw).decode())


_MIN_DATE = datetime(1678, 1, 1, tzinfo=UTC)
_MAX_DATE = datetime(2262, 1, 1, tzinfo=UTC)
"""tantivy stores dates as nanoseconds in an i64: open-ended periods ("9999-12-31") are clamped."""


def _rfc3339(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = min(max(value, _MIN_DATE), _MAX_DATE)
    # What strftime("%Y-%m-%dT%H:%M:%SZ") gives for the clamped range (years 1678-2262), without its cost.
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
            f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}Z")


_TEXT_FIELDS: dict[tuple[str, str | None], str | None] = {
    (group, lang): S.text_field(group, lang) for group in S.TEXT_GROUPS for lang in S.LANGUAGES}
_NEUTRAL_FIELDS = {group: S.text_field(group, S.NEUTRAL) for group in S.TEXT_GROUPS}
_MAX_END = _rfc3339(_MAX_DATE)
_MIN_START = _rfc3339(_MIN_DATE)


def to_json(doc: IndexDoc) -> str:
    """The tantivy document for one resource (add_json is several times faster than Document).

    Empty lists and missing values are left out. This runs once per document of a rebuild, so it
    avoids work for empty values (most facets of most resources are empty or single-valued) and
    reuses one JSON encoder; the output is the same, key for key and byte for byte, as building the
    full dictionary and dropping the empty entries."""
    iri = doc.iri
    out: dict[str, Any] = {S.IRI: iri, S.TYPE: doc.type, S.SOURCE: doc.source}
    themes = sorted(doc.themes) if doc.themes else []
    sectors = doc.sectors
    if themes:
        eu = [t for t in themes if t.startswith(EU_THEME)]
        if eu:
            out[S.THEME] = eu
        other = [t for t in themes if not t.startswith((EU_THEME, SECTOR_PREFIX))]
        if other:
            out[S.CONCEPT_FACET] = other
        sector_themes = {t for t in themes if t.startswith(SECTOR_PREFIX)}
        if sectors or sector_themes:
            out[S.SECTOR] = sorted(sectors | sector_themes)
    elif sectors:
        out[S.SECTOR] = sorted(sectors)
    is_concept = doc.type == S.CONCEPT
    if themes or sectors or is_concept:
        out[S.ALL_CONCEPTS] = sorted(doc.themes | sectors | ({iri} if is_concept else set()))
    if doc.publishers:
        out[S.PUBLISHER] = sorted(doc.publishers)
    cities = sorted(s for s in doc.spatial if not s.startswith(EU_COUNTRY)) if doc.spatial else []
    if cities:
        out[S.CITY] = cities
    for name, values in ((S.COUNTRY, doc.countries), (S.FORMAT, doc.formats), (S.LICENCE, doc.licences)):
        if values:
            out[name] = sorted(values)
    refs = doc.publishers | set(cities)
    if refs:
        out[S.REFS] = sorted(refs)
    if doc.uses:
        out[S.USES] = sorted(doc.uses)
    fields = _TEXT_FIELDS
    for group, values in (("title", doc.titles), ("kw", doc.keywords), ("body", doc.bodies)):
        if not values:
            continue
        neutral: list[str] = []
        for text, lang in values:
            neutral.append(text)
            name = fields.get((group, lang))
            if name is not None:
                field_values = out.get(name)
                if field_values is None:
                    out[name] = [text]
                else:
                    field_values.append(text)
        out[_NEUTRAL_FIELDS[group]] = neutral
    if doc.context:
        out[S.CONTEXT] = doc.context
    modified = doc.modified or doc.issued
    if modified is not None:
        out[S.MODIFIED] = _rfc3339(modified)
    t_start, t_end = doc.t_start, doc.t_end
    if t_start is not None:
        out[S.T_START] = _rfc3339(t_start)
    if t_end is not None:
        out[S.T_END] = _rfc3339(t_end)
    elif t_start is not None:
        out[S.T_END] = _MAX_END  # open-ended coverage overlaps every later period
    if t_end is not None and t_start is None:
        out[S.T_START] = _MIN_START
    if doc.bbox is not None:
        out[S.MIN_LON], out[S.MIN_LAT], out[S.MAX_LON], out[S.MAX_LAT] = doc.bbox.to_list()
    out[S.DISPLAY] = _b64(display_record(doc))
    return _PLAIN.encode(out)


def _prepared(extractor: Extractor, name: str, info: Any, concept_filter: set[str] | None,
              data: Any) -> Iterator[Prepared]:
    for doc in extractor.documents(name, info.physical, concept_filter=concept_filter, data=data):
        yield to_json(doc), doc.iri, doc.replaces, tuple(doc.refs)


def _add(writer: tantivy.IndexWriter, docs: Iterable[Prepared], refs: set[str]) -> int:
    """Add documents (one replacing a partial one deletes it first); returns how many remain."""
    count = 0
    for json_doc, iri, replaces, doc_refs in docs:
        if replaces:
            writer.delete_documents_by_term(S.IRI, iri)
            count -= 1
        writer.add_json(json_doc)
        refs.update(doc_refs)
        count += 1
    return count


def display_record(doc: IndexDoc) -> dict[str, Any]:
    """What results show: one title and description per language, keywords, source."""
    titles: dict[str, str] = {}
    for text, lang in doc.titles:
        titles.setdefault(lang or "", text)
    descriptions: dict[str, str] = {}
    for text, lang in doc.bodies:
        descriptions.setdefault(lang or "", text[:DISPLAY_CHARS])
    return {"t": titles, "d": descriptions, "k": [[t, lang or ""] for t, lang in doc.keywords[:30]],
            "s": doc.source}


def _current_activity(store: Any, name: str) -> str | None:
    info = store.get(name)
    return info.current.activity if info is not None else None


def _shared_writer(store: Any) -> Any:
    """API processes sharing a remote store share the index directory too, and tantivy allows one
    writer: they take turns under the store's (cross-process) write lock."""
    return store.write_lock if getattr(store, "remote", False) else nullcontext()


class SearchIndex:
    """A tantivy index in `<data_dir>/search` that mirrors the searchable part of the store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.schema = S.build_schema()
        self._prepare_directory()
        self.index = tantivy.Index(self.schema, path=str(path), reuse=True)
        self.analyzers = S.register_analyzers(self.index)
        self._lock = threading.RLock()
        self.dirty: set[str] = set()
        """Sources whose last indexing failed: the index still shows their previous state."""
        self.generation = 0
        """Bumped after every commit: caches keyed by it (facet values, labels) stay coherent."""

    # -- opening ---------------------------------------------------------------------------------
    def _prepare_directory(self) -> None:
        """Start from an empty directory when the index on disk has another format (or is unreadable)."""
        marker = self.path / FORMAT_FILE
        current = {"schema": S.SCHEMA_VERSION, "tantivy": getattr(tantivy, "__version__", "")}
        try:
            recorded = json.loads(marker.read_text())
        except (OSError, ValueError):
            recorded = None
        if recorded != current or not tantivy.Index.exists(str(self.path)):
            if self.path.exists():
                shutil.rmtree(self.path)
            self.path.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps(current))

    @classmethod
    def open(cls, store: Any, path: Path | None = None, *, repair: bool = True) -> SearchIndex:
        """Open (or create) the index of `store` and bring it in line with the store's registry."""
        index = cls(path or Path(store.settings.data_dir) / "search")
        if repair and not getattr(store, "read_only", False):
            index.repair(store)
        return index

    # -- reading ---------------------------------------------------------------------------------
    def searcher(self) -> tantivy.Searcher:
        return self.index.searcher()

    def manifests(self) -> dict[str, Manifest]:
        searcher = self.searcher()
        query = tantivy.Query.term_query(self.schema, S.TYPE, S.MANIFEST)
        out: dict[str, Manifest] = {}
        for _score, address in searcher.search(query, limit=100_000).hits:
            doc = searcher.doc(address)
            data = _unb64(doc.get_first(S.DISPLAY))
            out[data["source"]] = Manifest(data["source"], int(data["version"]), data["activity"],
                                           data.get("described", []))
        return out

    def recorded_facts(self) -> dict[str, str]:
        searcher = self.searcher()
        hits = searcher.search(tantivy.Query.term_query(self.schema, S.IRI, FACTS_IRI), limit=1).hits
        if not hits:
            return {}
        return dict(_unb64(searcher.doc(hits[0][1]).get_first(S.DISPLAY)).get("fp", {}))

    def disagreement(self, store: Any) -> dict[str, list[str]]:
        """Sources the index lacks, holds in another version, or holds although the store does not."""
        manifests = self.manifests()
        current = {s.name: s.current.activity for s in store.sources()}
        return {
            "missing": sorted(n for n in current if n not in manifests),
            "stale": sorted(n for n, m in manifests.items() if n in current and m.activity != current[n]),
            "extra": sorted(n for n in manifests if n not in current),
        }

    def sources_referencing(self, iris: Iterable[str]) -> set[str]:
        iris = sorted(set(iris))
        if not iris:
            return set()
        query = tantivy.Query.term_set_query(self.schema, S.REFS, iris)
        result = self.searcher().aggregate(query, {"s": {"terms": {"field": S.SOURCE, "size": 100_000}}})
        return {b["key"] for b in result["s"]["buckets"]}

    # -- writing ---------------------------------------------------------------------------------
    def repair(self, store: Any) -> list[str]:
        """Re-index whatever disagrees with the store (and dirty sources); returns the sources touched."""
        with _shared_writer(store), self._lock:
            gaps = self.disagreement(store)
            names = set(gaps["missing"]) | set(gaps["stale"]) | set(gaps["extra"]) | self.dirty
            if names:
                log.info("search index: repairing %s", ", ".join(f"{k}={v}" for k, v in gaps.items() if v))
                self.apply(store, names)
            return sorted(names)

    def apply(self, store: Any, names: Iterable[str], *, changed: bool = False) -> IndexStats:
        """Make the index show the store's current state of these sources (and of their dependants).

        `changed`: the sources just changed in the store. Those the index already shows in their
        current version are skipped: API processes sharing a remote store share this index, and
        the one that wrote the change has indexed it (checked under the shared writer lock, after
        reloading, so two processes never index one change twice)."""
        with _shared_writer(store), self._lock:
            names = set(names)
            if changed:
                self.index.reload()
                shown = {name: m.activity for name, m in self.manifests().items()}
                names = {n for n in names if n in self.dirty or shown.get(n) != _current_activity(store, n)}
                if not names:
                    self.generation += 1  # another process's commit became visible here
                    return IndexStats()
            try:
                stats = self._apply(store, names)
            except BaseException:
                self.dirty |= names
                raise
            self.dirty -= set(stats.sources)
            return stats

    def _apply(self, store: Any, names: set[str]) -> IndexStats:
        started = time.perf_counter()
        stats = IndexStats()
        manifests = self.manifests()
        recorded = self.recorded_facts()
        extractor = Extractor(store)
        triples = sum(info.current.triples for name in names if (info := store.get(name)) is not None)
        big = triples > 500_000  # a large source: index with the memory and threads of a rebuild
        with gc_paused() if big else nullcontext(), self._commit(big) as writer:  # see rebuild()
            work = deque(sorted(names))
            done: set[str] = set()
            while work:
                name = work.popleft()
                if name in done:
                    continue
                done.add(name)
                writer.delete_documents_by_term(S.SOURCE, name)
                old = manifests.get(name)
                changed_facts, n = self._index_source(store, extractor, writer, name,
                                                      old.described if old else [], recorded)
                stats.documents += n
                for dependant in sorted(self.sources_referencing(changed_facts) - done):
                    work.append(dependant)
            writer.delete_documents_by_term(S.IRI, FACTS_IRI)
            self._record_facts(writer, recorded)
        stats.sources = sorted(done)
        stats.seconds = time.perf_counter() - started
        return stats

    @contextmanager
    def _commit(self, big: bool) -> Iterator[tantivy.IndexWriter]:
        """One tantivy commit: everything written inside becomes visible together, or nothing does."""
        writer = self.index.writer(heap_size=512_000_000 if big else 64_000_000,
                                   num_threads=min(4, os.cpu_count() or 1) if big else 1)
        try:
            yield writer
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()
        self.index.reload()
        self.generation += 1

    @staticmethod
    def _record_facts(writer: tantivy.IndexWriter, recorded: dict[str, str]) -> None:
        writer.add_json(json.dumps({S.IRI: FACTS_IRI, S.TYPE: S.FACTS, S.SOURCE: S.FACTS,
                                    S.DISPLAY: _b64({"fp": recorded})}))

    def _index_source(self, store: Any, extractor: Extractor, writer: tantivy.IndexWriter, name: str,
                      old_described: list[str], recorded: dict[str, str]) -> tuple[set[str], int]:
        """Add the source's documents and manifest; update `recorded` and return the IRIs whose
        borrowed facts changed (their referencing sources must be re-indexed too)."""
        info = store.get(name)
        # A remote source is read once into memory, not once per resource type and nested value.
        data = store.read_view(info)[0] if info is not None else None
        described = extractor.described(info.physical, data) if info is not None else set()
        # Compare before this source's own references overwrite the record: a source often both
        # describes and references a place, and its dependants elsewhere must still be refreshed.
        candidates = described | set(old_described)
        now: dict[str, Facts] = extractor.facts(candidates)
        changed = {iri for iri in candidates if recorded.get(iri) != now[iri].fingerprint()}
        for iri in changed:
            recorded[iri] = now[iri].fingerprint()
        count = 0
        if info is not None:
            concept_filter = BACKGROUND_SCHEMES if info.system else None
            refs: set[str] = set()
            if wants_parallel(store, info.current.triples):
                try:
                    with ParallelReader(store, name, info.physical.value, concept_filter,
                                        worker_count(store.settings)) as reader:
                        count = _add(writer, reader, refs)
                except SliceMismatch as exc:  # never seen; correctness does not rest on slice order
                    log.warning("search index: %s; reading source %r in process", exc, name)
                    writer.delete_documents_by_term(S.SOURCE, name)
                    refs.clear()
                    count = _add(writer, _prepared(extractor, name, info, concept_filter, data), refs)
            else:
                count = _add(writer, _prepared(extractor, name, info, concept_filter, data), refs)
            for iri, facts in extractor.facts(refs).items():
                recorded[iri] = facts.fingerprint()
            writer.add_json(json.dumps({
                S.IRI: MANIFEST_PREFIX + name, S.TYPE: S.MANIFEST, S.SOURCE: name,
                S.DISPLAY: _b64({"source": name, "version": info.current.number,
                                 "activity": info.current.activity, "described": sorted(described)})}))
        return changed, count

    def rebuild(self, store: Any) -> IndexStats:
        """Drop everything and index every source of the store (the `agora reindex` command)."""
        with _shared_writer(store), self._lock:
            started = time.perf_counter()
            stats = IndexStats()
            extractor = Extractor(store)
            recorded: dict[str, str] = {}
            # Building 10^5 documents allocates millions of short-lived tuples, lists and sets, none
            # cyclic; generational collections meanwhile walk every live object (the per-source side
            # tables and the documents being built): about a tenth of the rebuild's CPU time at 100k
            # datasets. Reference counting still frees everything.
            with gc_paused(), self._commit(big=True) as writer:
                writer.delete_all_documents()
                for info in store.sources():
                    _changed, n = self._index_source(store, extractor, writer, info.name, [], recorded)
                    stats.documents += n
                    stats.sources.append(info.name)
                self._record_facts(writer, recorded)
            self.dirty.clear()
            stats.seconds = time.perf_counter() - started
            return stats

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())
