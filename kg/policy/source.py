"""Where the engine reads RDF from: an AgoraStore (through run_query), or a bare Oxigraph store.

The engine only ever asks SELECT queries and needs a generation number that changes with the
data, so anything offering those two can be evaluated against. AgoraStore is the real thing
(union default graph of the loaded sources, public graph names, literal fidelity); a bare
pyoxigraph.Store serves the conformance tests, which evaluate one policy and one "state of the
world" at a time and would gain nothing from versioned sources.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, Protocol

import pyoxigraph as ox

from .model import Lit, Term
from .terms import DISPLAY_PREFIXES

QUERY_PREFIXES = "".join(f"PREFIX {k}: <{v}>\n" for k, v in DISPLAY_PREFIXES.items())


def to_term(term: object) -> Term | None:
    """A pyoxigraph term as the engine's plain value (IRI str, "_:id", or Lit)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, ox.Literal):
        return Lit(term.value, term.datatype.value, term.language)
    raise TypeError(f"unexpected term {term!r}")


class Source(Protocol):
    """What the engine needs from a store."""

    @property
    def generation(self) -> int: ...

    def select(self, query: str) -> list[list[Term | None]]: ...

    def on_change(self, fn: Callable[[], None]) -> None: ...


class StoreSource:
    """An AgoraStore: queries go through run_query, so they see exactly what SPARQL users see."""

    def __init__(self, store: Any) -> None:
        self._store = weakref.ref(store)  # the engine cache is keyed by the store: no strong reference back

    @property
    def store(self) -> Any:
        store = self._store()
        if store is None:
            raise RuntimeError("the store was closed and released")
        return store

    @property
    def generation(self) -> int:
        return int(self.store.generation)

    def select(self, query: str) -> list[list[Term | None]]:
        from ..query import run_query

        outcome = run_query(self.store, QUERY_PREFIXES + query)
        assert outcome.rows is not None
        return [[to_term(t) for t in row] for row in outcome.rows]

    def on_change(self, fn: Callable[[], None]) -> None:
        self.store.listeners.append(lambda _source: fn())  # fn holds no strong reference to the engine


class MemorySource:
    """A bare pyoxigraph.Store (default graph only); call `touch()` after changing it."""

    def __init__(self, store: ox.Store | None = None) -> None:
        self.ox = store if store is not None else ox.Store()
        self._generation = 0
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    @property
    def generation(self) -> int:
        return self._generation

    def touch(self) -> None:
        with self._lock:
            self._generation += 1
        for fn in list(self._listeners):
            fn()

    def load(self, data: bytes | str, fmt: ox.RdfFormat = ox.RdfFormat.TURTLE, base_iri: str | None = None) -> None:
        self.ox.load(data.encode() if isinstance(data, str) else data, format=fmt, base_iri=base_iri)
        self.touch()

    def select(self, query: str) -> list[list[Term | None]]:
        result = self.ox.query(QUERY_PREFIXES + query)
        assert isinstance(result, ox.QuerySolutions)
        names = [v.value for v in result.variables]
        return [[to_term(sol[n]) for n in names] for sol in result]

    def on_change(self, fn: Callable[[], None]) -> None:
        self._listeners.append(fn)


def as_source(store: Any) -> Source:
    """Wrap whatever the caller has: an AgoraStore, a pyoxigraph.Store, or something already a Source."""
    if isinstance(store, StoreSource | MemorySource):
        return store
    if isinstance(store, ox.Store):
        return MemorySource(store)
    if hasattr(store, "listeners") and hasattr(store, "generation"):
        return StoreSource(store)
    if hasattr(store, "select") and hasattr(store, "generation"):
        return store  # type: ignore[no-any-return]
    raise TypeError(f"cannot evaluate policies over {type(store).__name__}")
