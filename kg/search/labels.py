"""Display labels for IRIs that appear as facet values (publishers, places, formats, licences...).

Labels live in whichever source describes the IRI (a city file, stakeholders, the shipped EU
vocabularies), so they are read from the union of all sources when first needed and cached until
the store changes (store.generation).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from ..namespaces import DCT, FOAF, RDFS, SKOS
from .expansion import best_label
from .schema import base_language

_PREDICATES = (SKOS + "prefLabel", FOAF + "name", DCT + "title", RDFS + "label")


class Labels:
    def __init__(self, store: Any) -> None:
        self.store = store
        self._generation = -1
        self._labels: dict[str, list[tuple[str, str | None]]] = {}
        self._lock = threading.Lock()

    def get(self, iris: Iterable[str], lang: str | None = None) -> dict[str, str]:
        """Best label per IRI (in `lang`, else English, else any); IRIs without one get their last segment."""
        iris = list(dict.fromkeys(iris))
        with self._lock:
            if self._generation != self.store.generation:
                self._labels.clear()
                self._generation = self.store.generation
            missing = [i for i in iris if i not in self._labels and i.startswith(("http://", "https://", "urn:"))]
            if missing:
                self._read(missing)
            out = {}
            for iri in iris:
                out[iri] = best_label(self._labels.get(iri, []), lang) or short_name(iri)
            return out

    def _read(self, iris: list[str]) -> None:
        branches = " UNION ".join(f"{{ ?x <{p}> ?l }}" for p in _PREDICATES)
        graphs = self.store.public_physical_graphs()
        for start in range(0, len(iris), 300):
            batch = iris[start:start + 300]
            for iri in batch:
                self._labels[iri] = []
            values = " ".join(f"<{i}>" for i in batch)
            query = f"SELECT ?x ?l WHERE {{ VALUES ?x {{ {values} }} {branches} FILTER(isLiteral(?l)) }}"
            for x, label in self.store.ox.query(query, default_graph=graphs):
                self._labels[x.value].append((label.value, base_language(label.language)))


def short_name(iri: str) -> str:
    """The last path segment or fragment: a readable fallback, and what filters accept as a short value."""
    tail = iri.rstrip("/#")
    for sep in ("#", "/", ":"):
        if sep in tail:
            tail = tail.rsplit(sep, 1)[1]
            break
    return tail or iri


def all_labels(labels: Labels, iris: Iterable[str]) -> dict[str, list[str]]:
    """Every label of each IRI, in any language (filters accept a value by any of its names)."""
    iris = list(iris)
    labels.get(iris)
    with labels._lock:
        return {iri: [text for text, _lang in labels._labels.get(iri, [])] for iri in iris}
