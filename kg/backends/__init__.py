"""Where Agora keeps its triples: the embedded Oxigraph store, or a remote SPARQL 1.1 store.

Every module of `kg` talks to `AgoraStore.ox`, which is one of:
- a `pyoxigraph.Store` on disk (the default; it *is* the reference implementation of the
  interface, so the hot paths pay nothing for the indirection), or
- a `SparqlStore` (remote.py): the same operations over SPARQL 1.1 Query, Update and the Graph
  Store Protocol, for deployments that already run Virtuoso, GraphDB, Fuseki and the like.

`base.TripleStore` spells out the operations both provide.
"""

from __future__ import annotations

from .base import TripleStore, is_remote
from .remote import SparqlStore, parse_store_url

__all__ = ["SparqlStore", "TripleStore", "is_remote", "parse_store_url"]
