"""The storage operations Agora uses, as a protocol both backends satisfy.

It is the subset of `pyoxigraph.Store` that `kg` calls, with pyoxigraph's own term classes and
result types, so code written against the embedded store runs unchanged on a remote one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import pyoxigraph as ox

GraphName = ox.NamedNode | ox.BlankNode | ox.DefaultGraph


class TripleStore(Protocol):
    def query(self, query: str, *, base_iri: str | None = None, prefixes: dict[str, str] | None = None,
              use_default_graph_as_union: bool = False, default_graph: Any = None,
              named_graphs: Any = None) -> Any: ...

    def update(self, update: str, *, base_iri: str | None = None) -> None: ...

    def quads_for_pattern(self, subject: Any, predicate: Any, object: Any,  # noqa: A002 - pyoxigraph's name
                          graph_name: Any = None) -> Iterator[ox.Quad]: ...

    def bulk_extend(self, quads: Iterable[ox.Quad]) -> None: ...

    def bulk_load(self, input: Any = None, format: Any = None, *, path: Any = None,  # noqa: A002
                  base_iri: str | None = None, to_graph: Any = None, lenient: bool = False) -> None: ...

    def add(self, quad: ox.Quad) -> None: ...

    def remove(self, quad: ox.Quad) -> None: ...

    def named_graphs(self) -> Iterator[ox.NamedNode | ox.BlankNode]: ...

    def contains_named_graph(self, graph_name: Any) -> bool: ...

    def add_graph(self, graph_name: Any) -> None: ...

    def clear_graph(self, graph_name: GraphName) -> None: ...

    def remove_graph(self, graph_name: Any) -> None: ...

    def flush(self) -> None: ...


def is_remote(store: object) -> bool:
    """True for a store reached over HTTP (no on-disk snapshots, no process-local lock)."""
    return bool(getattr(store, "remote", False))
