"""Per-request GraphQL context: the store, the batching loaders and the caller's languages.

Loaders live here (one set per request) so that batching and descriptions never leak between
requests: a resource described for one request is not served stale to the next. (Sorted lists
are cached store-wide, but only until the next write: see graph_access.members.)
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pyoxigraph as ox
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from agora.kg import graph_access as ga
from agora.kg.graph_access import Properties
from agora.kg.store import AgoraStore

Key = str | ox.BlankNode
ListKey = tuple[str, tuple[str, ...], str | None]
"""(pattern, classes, parent): one list, for one parent (None for a top-level list)."""


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
        self.fetched: dict[str, set[str]] = {}
        """Which predicates of each IRI were fetched (absent from `described` then means: none)."""
        self.describe_loader: DataLoader[tuple[str, str], list[Any]] = DataLoader(self._describe)
        self.list_loader: DataLoader[ListKey, list[str]] = DataLoader(self._lists)

    # -- languages ---------------------------------------------------------------------------
    def preferences(self, lang: str | None) -> list[str]:
        """Languages to try for a label, in order: the argument, Accept-Language, then English."""
        out: list[str] = []
        for tag in [*([lang.lower()] if lang else []), *self.languages, "en"]:
            for candidate in (tag, tag.split("-")[0]):  # nl-BE, then nl
                if candidate and candidate not in out:
                    out.append(candidate)
        return out

    # -- descriptions ------------------------------------------------------------------------
    def cached(self, key: Key, paths: Sequence[str]) -> Properties | None:
        """The properties of `key` if `paths` were all fetched already (blank nodes: if described)."""
        props = self.described.get(key)
        if props is None or isinstance(key, ox.BlankNode):
            return props
        done = self.fetched.get(key)
        if done is None or any(p not in done for p in paths):
            return None
        return props

    async def properties(self, key: Key, paths: Sequence[str]) -> Properties:
        """The properties of a resource along `paths`, batched with every other lookup this tick.

        Blank nodes are described whole when their parent is fetched; one deeper than that is
        fetched on its own.
        """
        found = self.cached(key, paths)
        if found is not None:
            return found
        if isinstance(key, ox.BlankNode):
            props = await asyncio.to_thread(ga.describe_blank, self.store, key)
            self.described[key] = props
            return props
        done = self.fetched.get(key, set())
        await asyncio.gather(*(self.describe_loader.load((key, p)) for p in paths if p not in done))
        return self.described.get(key, {})

    async def prefetch(self, wanted: dict[str, set[str]]) -> None:
        """Fetch these predicates of these IRIs (one batch with every other lookup this tick)."""
        keys = [(iri, p) for iri, paths in wanted.items() for p in paths if p not in self.fetched.get(iri, ())]
        if keys:
            await self.describe_loader.load_many(keys)

    async def properties_many(self, keys: Sequence[str], paths: Sequence[str]) -> list[Properties]:
        return list(await asyncio.gather(*(self.properties(k, paths) for k in keys)))

    async def _describe(self, keys: list[tuple[str, str]]) -> list[list[Any]]:
        iris = sorted({k for k, _ in keys})
        paths = sorted({p for _, p in keys})
        # On the event loop, not in a thread: a describe is bounded by the page size (milliseconds),
        # and a worker thread would fight the busy loop for the GIL on every result row.
        found = ga.describe(self.store, iris, paths)
        for key, props in found.items():
            if isinstance(key, ox.BlankNode):
                self.described.setdefault(key, props)
            else:
                self.described.setdefault(key, {}).update(props)
        for iri in iris:
            self.described.setdefault(iri, {})
            self.fetched.setdefault(iri, set()).update(paths)
        return [self.described[iri].get(path, []) for iri, path in keys]

    # -- lists -------------------------------------------------------------------------------
    async def members(self, pattern: str, parent: str | None, classes: Sequence[str] = ()) -> list[str]:
        """The sorted IRIs of a list (one query for every parent asking for it this tick)."""
        return await self.list_loader.load((pattern, tuple(sorted(classes)), parent))

    async def _lists(self, keys: list[ListKey]) -> list[list[str]]:
        groups: dict[tuple[str, tuple[str, ...]], list[str | None]] = defaultdict(list)
        for pattern, classes, parent in keys:
            groups[(pattern, classes)].append(parent)

        def work() -> dict[tuple[str, tuple[str, ...]], dict[str | None, list[str]]]:
            return {g: ga.members(self.store, g[0], list(dict.fromkeys(parents)), g[1])
                    for g, parents in groups.items()}

        results = await asyncio.to_thread(work)
        return [results[(pattern, classes)][parent] for pattern, classes, parent in keys]
