"""Per-request GraphQL context: the store, the batching loaders and the caller's languages.

Loaders live here (one set per request) so that batching and caching never leak between
requests: a resource described for one request is not served stale to the next.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import pyoxigraph as ox
from agora.kg import graph_access as ga
from agora.kg.graph_access import Properties, Window
from agora.kg.store import AgoraStore
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

Key = str | ox.BlankNode
PageKey = tuple[str, Window, str | None]
CountKey = tuple[str, str | None]


def accept_languages(header: str | None) -> list[str]:
    """Language tags from an Accept-Language header, best first (`*` and malformed parts ignored)."""
    weighted: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag or tag == "*":
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                continue
        if q > 0:
            weighted.append((-q, i, tag))
    return [t for _, _, t in sorted(weighted)]


class AgoraContext(BaseContext):
    """What every resolver reaches through `info.context`."""

    def __init__(self, store: AgoraStore, languages: Sequence[str] = ()) -> None:
        super().__init__()
        self.store = store
        self.languages = list(languages)
        self.described: dict[Key, Properties] = {}
        """Descriptions fetched so far in this request (IRI or blank node -> properties)."""
        self.describe_loader: DataLoader[str, Properties] = DataLoader(self._describe)
        self.page_loader: DataLoader[PageKey, list[str]] = DataLoader(self._pages)
        self.count_loader: DataLoader[CountKey, int] = DataLoader(self._counts)

    # -- languages ---------------------------------------------------------------------------
    def preferences(self, lang: str | None) -> list[str]:
        """Languages to try for a label, in order: the argument, Accept-Language, then English."""
        prefs = [lang.lower()] if lang else []
        return [*prefs, *self.languages, "en"]

    # -- descriptions ------------------------------------------------------------------------
    def cached(self, key: Key) -> Properties | None:
        return self.described.get(key)

    async def properties(self, key: Key) -> Properties:
        """All properties of a resource or blank node, batched with every other lookup this tick."""
        found = self.described.get(key)
        if found is not None:
            return found
        if isinstance(key, ox.BlankNode):  # deeper than describe follows: fetch it directly
            props = await asyncio.to_thread(ga.describe_blank, self.store, key)
            self.described[key] = props
            return props
        return await self.describe_loader.load(key)

    async def properties_many(self, keys: Sequence[str]) -> list[Properties]:
        return list(await asyncio.gather(*(self.properties(k) for k in keys)))

    async def _describe(self, iris: list[str]) -> list[Properties]:
        found = await asyncio.to_thread(ga.describe, self.store, iris)
        for key, props in found.items():
            self.described.setdefault(key, props)
        empty: Properties = {}
        for iri in iris:
            self.described.setdefault(iri, found.get(iri, empty))
        return [self.described[iri] for iri in iris]

    # -- lists -------------------------------------------------------------------------------
    async def page(self, pattern: str, window: Window, parent: str | None) -> list[str]:
        return await self.page_loader.load((pattern, window, parent))

    async def count(self, pattern: str, parent: str | None) -> int:
        return await self.count_loader.load((pattern, parent))

    async def _pages(self, keys: list[PageKey]) -> list[list[str]]:
        return await _grouped(keys, lambda pattern, window, parents: ga.page(self.store, pattern, parents, window),
                              self.store)

    async def _counts(self, keys: list[CountKey]) -> list[int]:
        padded = [(pattern, None, parent) for pattern, parent in keys]
        return await _grouped(padded, lambda pattern, _w, parents: ga.count(self.store, pattern, parents), self.store)


async def _grouped(keys: list[tuple[str, Any, str | None]], run: Callable[[str, Any, list[str | None]], dict],
                   store: AgoraStore) -> list[Any]:
    """One store query per distinct (pattern, window), covering every parent that asked for it."""
    groups: dict[tuple[str, Any], list[str | None]] = defaultdict(list)
    for pattern, window, parent in keys:
        parents = groups[(pattern, window)]
        if parent not in parents:
            parents.append(parent)

    def work() -> dict[tuple[str, Any], dict]:
        return {g: run(g[0], g[1], parents) for g, parents in groups.items()}

    results = await asyncio.to_thread(work)
    return [results[(pattern, window)][parent] for pattern, window, parent in keys]
