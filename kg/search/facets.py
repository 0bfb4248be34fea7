"""Facets: which fields they count, how their values are named, and how filter values are read.

A filter value may be the full IRI, its last segment ("mobility", "TRAN", "CSV", "DNK") or any of
its labels in any language ("Mobilità", "Copenhagen"), because people type names, not IRIs. Facet
counts are tantivy terms aggregations over the same query as the results ("drill-down" facets:
each count is what you get by adding that value to the filters).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import tantivy

from . import schema as S
from .extract import EU_AUTHORITY
from .labels import Labels, all_labels, short_name

FACETS: dict[str, str] = {
    "type": S.TYPE, "sector": S.SECTOR, "theme": S.THEME, "concept": S.CONCEPT_FACET, "publisher": S.PUBLISHER,
    "city": S.CITY, "country": S.COUNTRY, "format": S.FORMAT, "licence": S.LICENCE, "source": S.SOURCE,
}
ALIASES = {"license": "licence", "place": "city", "spatial": "city", "types": "type", "themes": "theme",
           "sectors": "sector"}
DEFAULT_FACETS = ("type", "sector", "theme", "concept", "publisher", "city", "country", "format", "licence")
_NAMESPACES = {
    "sector": ("https://w3id.org/agora/sector/", str.lower),
    "theme": (EU_AUTHORITY + "data-theme/", str.upper),
    "format": (EU_AUTHORITY + "file-type/", str.upper),
    "licence": (EU_AUTHORITY + "licence/", str.upper),
    "country": (EU_AUTHORITY + "country/", str.upper),
}


@dataclass
class FacetValue:
    value: str
    label: str
    count: int


def facet_name(name: str) -> str:
    """Canonical facet name (accepting a few aliases); raises KeyError for unknown names."""
    name = name.strip().lower()
    name = ALIASES.get(name, name)
    if name not in FACETS:
        raise KeyError(name)
    return name


class Facets:
    def __init__(self, schema: tantivy.Schema, labels: Labels,
                 concept_label: Callable[[str, str | None], str | None]) -> None:
        self.schema = schema
        self.labels = labels
        self.concept_label = concept_label
        self._terms: dict[str, list[str]] = {}
        self._terms_key: object = None
        self._lock = threading.Lock()

    def known_values(self, searcher: tantivy.Searcher, facet: str, key: object) -> list[str]:
        """Every value the facet has in the index (cached until the index or store changes)."""
        with self._lock:
            if self._terms_key != key:
                self._terms.clear()
                self._terms_key = key
            if facet not in self._terms:
                self._terms[facet] = [t for t, _n in searcher.terms_with_prefix(FACETS[facet], "", limit=1_000_000)]
            return self._terms[facet]

    def resolve(self, searcher: tantivy.Searcher, facet: str, value: str, key: object) -> tuple[list[str], str | None]:
        """The index values a filter value stands for, and a warning when it names nothing known."""
        value = value.strip()
        if facet == "type":
            return [value.lower()], None if value.lower() in S.RESULT_TYPES else f"unknown type {value!r}"
        known = self.known_values(searcher, facet, key)
        known_set = set(known)
        if value in known_set:
            return [value], None
        low = value.lower()
        if "://" in value or value.startswith("urn:"):
            return [value], None  # a valid IRI that no document uses (yet): matches nothing
        by_name = [t for t in known if short_name(t).lower() == low]
        if by_name:
            return by_name, None
        names = all_labels(self.labels, known) if facet not in ("sector", "theme", "concept") else {
            t: [x for x in [self.concept_label(t, None)] if x] + list(all_labels(self.labels, [t])[t]) for t in known}
        by_label = [t for t, labels in names.items() if any(label.lower() == low for label in labels)]
        if by_label:
            return by_label, None
        if facet in _NAMESPACES:
            prefix, case = _NAMESPACES[facet]
            return [prefix + case(value)], None
        return [value], f"no {facet} named {value!r}"

    def count(self, searcher: tantivy.Searcher, query: tantivy.Query, facets: Iterable[str], size: int,
              lang: str | None) -> dict[str, list[FacetValue]]:
        names = list(dict.fromkeys(facets))
        if not names:
            return {}
        aggs = {name: {"terms": {"field": FACETS[name], "size": size}} for name in names}
        result: dict[str, Any] = searcher.aggregate(query, aggs)
        out: dict[str, list[FacetValue]] = {}
        plain: set[str] = set()
        for name in names:
            if name not in ("type", "source", "sector", "theme", "concept"):
                plain.update(b["key"] for b in result[name]["buckets"])
        labels = self.labels.get(plain, lang) if plain else {}
        for name in names:
            values = []
            for bucket in result[name]["buckets"]:
                key = bucket["key"]
                if name in ("type", "source"):
                    label = key
                elif name in ("sector", "theme", "concept"):
                    label = self.concept_label(key, lang) or self.labels.get([key], lang)[key]
                else:
                    label = labels[key]
                values.append(FacetValue(key, label, int(bucket["doc_count"])))
            out[name] = values
        return out
