"""Running SPARQL queries over the Agora dataset.

The default graph is the union of the current versions of the sources; named graphs are the
sources under their public IRIs. Query text is rewritten to the physical graphs, and results
are rewritten back: physical graph names to public ones, and canonicalised literals to the
forms that were loaded (see fidelity.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from .errors import BadInput
from .fidelity import VALUE_TYPES, Original
from .sparql_text import HIDDEN_VAR_PREFIX, rewrite_iris


@dataclass
class QueryOutcome:
    kind: str
    """'select', 'ask' or 'graph'."""
    variables: list[str] = field(default_factory=list)
    rows: Iterator[list[object | None]] | None = None
    boolean: bool | None = None
    triples: Iterator[tuple[object, object, object]] | None = None


class ValueRestorer:
    """Gives SELECT bindings their loaded form back where that is unambiguous.

    A binding carries no subject or predicate, so a canonical value is restored only when every
    stored occurrence of it in the visible graphs came from one and the same original form.
    """

    def __init__(self, store: Any, graphs: list[ox.NamedNode], restorer: Any) -> None:
        self._store = store
        self._graphs = graphs
        self._by_value: dict[ox.Literal, dict[Original, int]] = {}
        for (_s, _p), by_value in restorer._map.items():
            for canon, originals in by_value.items():
                counts = self._by_value.setdefault(canon, {})
                for o in originals:
                    counts[o] = counts.get(o, 0) + 1
        self._cache: dict[ox.Literal, object] = {}

    def __call__(self, term: object) -> object:
        if not self._by_value or not isinstance(term, ox.Literal):
            return term
        if not term.language and term.datatype.value not in VALUE_TYPES:
            return term
        cached = self._cache.get(term)
        if cached is not None:
            return cached
        result: object = term
        originals = self._by_value.get(term)
        if originals and len(originals) == 1:
            (original, n), = originals.items()
            stored = self._count_stored(term)
            if stored == n and original != term:
                result = original
        self._cache[term] = result
        return result

    def _count_stored(self, term: ox.Literal) -> int:
        res = self._store.ox.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p {term} }}", default_graph=self._graphs)
        return int(next(iter(res))["n"].value)


def _value_restorer(store: Any, graphs: list[ox.NamedNode], restorer: Any) -> ValueRestorer:
    """One ValueRestorer per store generation and dataset: building it walks every fidelity record."""
    cache = store.__dict__.setdefault("_value_restorers", {})
    key = (store.generation, tuple(g.value if isinstance(g, ox.NamedNode) else str(g) for g in graphs))
    vr = cache.get(key)
    if vr is None:
        cache.clear()
        vr = cache[key] = ValueRestorer(store, graphs, restorer)
    return vr


def run_query(store: Any, text: str, *, default_graph_uris: list[str] | None = None,
              named_graph_uris: list[str] | None = None, base_iri: str | None = None) -> QueryOutcome:
    """Evaluate a query; raises BadInput with the parser's message for syntax errors."""
    from .deadline import check

    check()
    mapping = store.graph_mapping()
    reverse = store.reverse_mapping()

    def physical(iris: list[str]) -> list[ox.NamedNode]:
        out = []
        for iri in iris:
            info = store.get(iri)
            out.append(info.physical if info else ox.NamedNode(iri))
        return out

    visible = store.public_physical_graphs()
    # The protocol's dataset parameters replace Agora's default dataset as a whole.
    default = physical(default_graph_uris) if default_graph_uris else ([] if named_graph_uris else visible)
    named = physical(named_graph_uris) if named_graph_uris else ([] if default_graph_uris else visible)
    if not default_graph_uris and not store.settings.default_graph_union:
        default = [ox.DefaultGraph()]
    # Only the graphs of this query's dataset go into the GRAPH ?g table (a graph outside it must not match).
    rewritten = rewrite_iris(text, mapping, base_iri=base_iri,
                             graph_values=[(g.value, reverse.get(g.value, g.value)) for g in named])
    try:
        result = store.ox.query(rewritten, base_iri=base_iri, default_graph=default, named_graphs=named,
                                prefixes=None)
    except SyntaxError as exc:
        raise BadInput(f"SPARQL syntax error: {exc}", line=getattr(exc, "lineno", None),
                       column=getattr(exc, "offset", None)) from None
    except ValueError as exc:
        raise BadInput(f"query cannot be evaluated: {exc}") from None

    sources = [s for s in store.sources() if s.physical in set(default) | set(named)]
    restorer = store.restorer(sources)

    def public(term: object) -> object:
        if isinstance(term, ox.NamedNode) and term.value in reverse:
            return ox.NamedNode(reverse[term.value])
        return term

    if isinstance(result, ox.QueryBoolean):
        return QueryOutcome("ask", boolean=bool(result))
    if hasattr(result, "variables"):  # ox.QuerySolutions, or a remote store's paged solutions
        variables = [v.value for v in result.variables if not v.value.startswith(HIDDEN_VAR_PREFIX)]
        values = _value_restorer(store, default, restorer) if restorer else None

        def rows() -> Iterator[list[object | None]]:
            for sol in result:
                row = []
                for v in variables:
                    t = sol[v]
                    if t is not None:
                        t = public(t)
                        if values is not None:
                            t = values(t)
                    row.append(t)
                yield row

        return QueryOutcome("select", variables=variables, rows=rows())

    def triples() -> Iterator[tuple[object, object, object]]:
        for t in result:
            for o in restorer.restore(t.subject, t.predicate, t.object):
                yield public(t.subject), t.predicate, public(o)

    return QueryOutcome("graph", triples=triples())

