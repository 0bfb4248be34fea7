"""What the home page shows about the whole catalog: sectors, cities on a map, recent changes.

Sector and city counts come from the search index (tantivy terms aggregations over the dataset
documents, milliseconds also at 10^5 datasets), place coordinates from the few places the index
names, and recent changes from the store's registry (in memory). Results are cached until the
store or the index changes, so a busy home page costs almost nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from .search import schema as S
from .search.extract import Extractor
from .search.labels import short_name


@dataclass
class Tile:
    iri: str
    key: str
    """The short filter value (`sector=mobility`)."""
    label: str
    count: int


@dataclass
class CityPoint:
    iri: str
    label: str
    count: int
    lon: float
    lat: float
    country: str


@dataclass
class Change:
    source: str
    graph_iri: str
    version: int
    current: bool
    loaded_at: str
    loaded_by: str
    origin: str
    triples: int
    validation: str


class Overview:
    def __init__(self, service: Any) -> None:
        self.service = service
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()

    def _key(self, what: str, lang: str | None) -> tuple[Any, ...]:
        return (what, lang, self.service.index.generation, self.service.store.generation)

    def _cached(self, what: str, lang: str | None, compute: Any) -> Any:
        key = self._key(what, lang)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = compute()
        with self._lock:
            stale = [k for k in self._cache if k[2:] != key[2:]]
            for k in stale:
                del self._cache[k]
            self._cache[key] = value
        return value

    def _buckets(self, field: str, size: int) -> dict[str, int]:
        svc = self.service
        svc._ensure_fresh([])
        searcher = svc.index.searcher()
        datasets = svc.builder.any_of(S.TYPE, [S.DATASET])
        agg = searcher.aggregate(datasets, {"f": {"terms": {"field": field, "size": size}}})
        return {b["key"]: int(b["doc_count"]) for b in agg["f"]["buckets"]}

    def sectors(self, lang: str | None) -> list[Tile]:
        """Datasets per sector, largest first."""
        def compute() -> list[Tile]:
            tiles = []
            for iri, n in self._buckets(S.SECTOR, 100).items():
                label = self.service._concept_label(iri, lang) or self.service.labels.get([iri], lang)[iri]
                tiles.append(Tile(iri, short_name(iri), label, n))
            return sorted(tiles, key=lambda t: (-t.count, t.label.lower()))
        return list(self._cached("sectors", lang, compute))

    def dataset_count(self) -> int:
        svc = self.service
        return int(self._cached("datasets", None, lambda: svc.index.searcher().search(
            svc.builder.any_of(S.TYPE, [S.DATASET]), limit=1, count=True).count))

    def cities(self, lang: str | None, limit: int = 60) -> list[CityPoint]:
        """Places datasets cover (the city facet), with a point to draw them at, most datasets first."""
        def compute() -> list[CityPoint]:
            counts = dict(sorted(self._buckets(S.CITY, 2000).items(), key=lambda kv: -kv[1])[:limit])
            facts = Extractor(self.service.store).facts(list(counts))
            labels = self.service.labels.get(list(counts), lang)
            points = []
            for iri, n in counts.items():
                f = facts.get(iri)
                if f is None or f.bbox is None:
                    continue
                b = f.bbox
                if (b.max_lon - b.min_lon) > 2.5 or (b.max_lat - b.min_lat) > 1.5:
                    continue  # a country or a large region is not a point on a city map
                country = short_name(f.countries[0]) if f.countries else ""
                points.append(CityPoint(iri, labels[iri], n, (b.min_lon + b.max_lon) / 2, (b.min_lat + b.max_lat) / 2,
                                        country))
            return points
        return list(self._cached("cities", lang, compute))


def class_counts(store: Any) -> dict[str, int]:
    """Resources per class, as kg/stats.catalog_counts counts them, straight from the store.

    catalog_counts goes through run_query, which prepares the restoring of literal forms for every
    source first (at 10^5 datasets: 6 s and 0.7 million objects kept in memory); numbers need none.
    """
    from .stats import _COUNTS

    counts = {k: 0 for k in ("datasets", "services", "stakeholders", "use_cases", "policies", "catalogs", "twins")}
    for kind, n in store.ox.query(_COUNTS, default_graph=store.public_physical_graphs()):
        counts[kind.value] = int(n.value)
    return counts


def recent_changes(store: Any, limit: int = 8) -> list[Change]:
    """The most recent source versions (current and kept ones) from the registry, newest first."""
    out = []
    for info in store.sources(include_system=False):
        for v in [info.current, *info.history]:
            out.append(Change(info.name, info.graph_iri, v.number, v is info.current, v.loaded_at, v.loaded_by,
                              v.origin, v.triples, v.validation))
    out.sort(key=lambda c: (c.loaded_at, c.version), reverse=True)
    return out[:limit]
