"""Batched, keyset-paged reads of the catalog graph, for API layers that fetch per object (GraphQL).

An object API asks "the title of this dataset, the name of that publisher" thousands of times per
request; answering each with its own SPARQL query (N+1) would be slow at catalog scale. So reads
here are batched: `describe` fetches everything about many resources in one query (with VALUES),
`page` fetches one page of a list for many parents in one query (a UNION of LIMITed subqueries),
and `count` counts for many parents in one query. Lists are ordered by IRI and paged with keyset
cursors (`STR(?item) > last IRI`), never OFFSET, so deep pages cost what the first page costs.

Queries run over the union of the current public source graphs (what SPARQL's default graph is
when `default_graph_union` is on), and described literals come back in their loaded form.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from .errors import BadInput
from .namespaces import DCAT, SKOS

Term = Any
"""A pyoxigraph NamedNode/BlankNode/Literal, or fidelity.CasedLangLiteral for restored tags."""

Properties = dict[str, list[Term]]
"""Predicate IRI -> objects, for one subject."""

HIGH_FANOUT = (DCAT + "dataset", DCAT + "catalog", DCAT + "record", DCAT + "service", SKOS + "hasTopConcept")
"""Predicates whose objects can number in the hundreds of thousands (a catalog's datasets): never
fetched by `describe`; callers page through them with `page` instead."""

BLANK_DEPTH = 3
"""How deep `describe` follows blank nodes (policy -> permission -> duty -> constraint)."""


def iri_ref(iri: str) -> str:
    """`<iri>` for SPARQL text, refusing anything that is not an absolute IRI (no injection)."""
    try:
        return str(ox.NamedNode(iri))
    except (ValueError, TypeError) as exc:
        raise BadInput(f"not a valid IRI: {iri!r}") from exc


def string_literal(text: str) -> str:
    """A SPARQL string literal with every special character escaped."""
    return str(ox.Literal(text))


def visible_graphs(store: Any) -> list[ox.NamedNode]:
    """The physical graphs of the current version of every source (curator and system)."""
    return store.public_physical_graphs()


def select(store: Any, text: str) -> list[list[Term | None]]:
    """Run a SELECT over the visible graphs and return its rows.

    Used for queries that return IRIs and counts only, which need none of run_query's literal
    restoration (whose per-query set-up grows with the number of rewritten literals).
    """
    try:
        result = store.ox.query(text, default_graph=visible_graphs(store))
    except SyntaxError as exc:  # a bug in a query builder, never user text
        raise BadInput(f"internal query does not parse: {exc}") from None
    variables = [v.value for v in result.variables]
    return [[sol[v] for v in variables] for sol in result]


# -- describe ------------------------------------------------------------------------------------


def _describe_query(iris: Sequence[str], skip: Sequence[str], depth: int) -> str:
    values = " ".join(iri_ref(i) for i in iris)
    template = "?s ?p ?o . " + " ".join(
        f"{'?o' if level == 1 else f'?o{level - 1}'} ?p{level} ?o{level} ." for level in range(1, depth + 1))
    nested = ""
    for level in range(depth, 0, -1):  # built inside out: level 1 follows ?o, level 2 follows ?o1...
        subject = "?o" if level == 1 else f"?o{level - 1}"
        nested = f"OPTIONAL {{ FILTER(isBlank({subject})) {subject} ?p{level} ?o{level} . {nested} }}"
    skip_filter = f"FILTER(?p NOT IN ({', '.join(iri_ref(p) for p in skip)}))" if skip else ""
    return f"CONSTRUCT {{ {template} }} WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o . {skip_filter} {nested} }}"


def describe(store: Any, iris: Iterable[str], *, skip: Sequence[str] = HIGH_FANOUT,
             depth: int = BLANK_DEPTH) -> dict[Any, Properties]:
    """Everything said about `iris` (and the blank nodes they reach) in one query.

    Returns subject -> predicate IRI -> objects; subjects are IRI strings for named nodes and
    BlankNode objects for blank ones. Resources nothing is said about are absent. Objects are
    deduplicated and in a stable order (by their N-Triples form).
    """
    wanted = sorted(set(iris))
    if not wanted:
        return {}
    result = store.ox.query(_describe_query(wanted, skip, depth), default_graph=visible_graphs(store))
    restorer = store.restorer()
    found: dict[Any, dict[str, dict[str, Term]]] = {}
    for t in result:
        s = t.subject
        key = s.value if isinstance(s, ox.NamedNode) else s
        objects = found.setdefault(key, {}).setdefault(t.predicate.value, {})
        for o in restorer.restore(s, t.predicate, t.object):
            objects.setdefault(_sort_key(o), o)
    return {s: {p: [objs[k] for k in sorted(objs)] for p, objs in props.items()} for s, props in found.items()}


def describe_blank(store: Any, node: ox.BlankNode) -> Properties:
    """The triples of one blank node beyond `describe`'s depth (rare: deeply nested ODRL)."""
    visible = set(visible_graphs(store))
    restorer = store.restorer()
    out: dict[str, dict[str, Term]] = {}
    for q in store.ox.quads_for_pattern(node, None, None, None):
        if q.graph_name not in visible:
            continue
        for o in restorer.restore(q.subject, q.predicate, q.object):
            out.setdefault(q.predicate.value, {}).setdefault(_sort_key(o), o)
    return {p: [objs[k] for k in sorted(objs)] for p, objs in out.items()}


def _sort_key(term: Term) -> str:
    if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal):
        return str(term)
    return f'"{term.value}"@{term.language}'  # CasedLangLiteral


# -- paging --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Which slice of an IRI-ordered list to fetch: after/before are exclusive IRI bounds."""

    limit: int
    after: str | None = None
    before: str | None = None
    backward: bool = False
    """Fetch the `limit` items just before `before` (Relay's last/before) instead of after `after`."""


def _bounds(window: Window) -> str:
    parts = ["FILTER(isIRI(?item))"]
    if window.after is not None:
        parts.append(f"FILTER(STR(?item) > {string_literal(window.after)})")
    if window.before is not None:
        parts.append(f"FILTER(STR(?item) < {string_literal(window.before)})")
    return " ".join(parts)


def _subquery(pattern: str, parent: str | None, window: Window) -> str:
    bind = f"VALUES ?parent {{ {iri_ref(parent)} }} " if parent is not None else ""
    order = "DESC(STR(?item))" if window.backward else "STR(?item)"
    return (f"SELECT DISTINCT ?item WHERE {{ {bind}{pattern} {_bounds(window)} }} "
            f"ORDER BY {order} LIMIT {int(window.limit)}")


def page(store: Any, pattern: str, parents: Sequence[str | None], window: Window) -> dict[str | None, list[str]]:
    """One window of the items matching `pattern`, for each parent, in one query.

    `pattern` is a SPARQL group body binding ?item (and using ?parent for nested lists). Items
    come back in IRI order (ascending, even for backward windows).
    """
    if not parents:
        return {}
    if parents == [None]:
        rows = select(store, _subquery(pattern, None, window))
        items = [r[0].value for r in rows if r[0] is not None]
        return {None: sorted(items)}
    branches = []
    for p in parents:
        branches.append(f"{{ {{ {_subquery(pattern, p, window)} }} BIND({iri_ref(p)} AS ?parent) }}")
    rows = select(store, f"SELECT ?parent ?item WHERE {{ {' UNION '.join(branches)} }}")
    out: dict[str | None, list[str]] = {p: [] for p in parents}
    for parent, item in rows:
        if parent is not None and item is not None:
            out[parent.value].append(item.value)
    return {p: sorted(items) for p, items in out.items()}


def count(store: Any, pattern: str, parents: Sequence[str | None]) -> dict[str | None, int]:
    """How many distinct items match `pattern`, for each parent, in one query."""
    if not parents:
        return {}
    if parents == [None]:
        rows = select(store, f"SELECT (COUNT(DISTINCT ?item) AS ?n) WHERE {{ {pattern} FILTER(isIRI(?item)) }}")
        return {None: int(rows[0][0].value) if rows and rows[0][0] is not None else 0}
    branches = []
    for p in parents:
        inner = (f"SELECT (COUNT(DISTINCT ?item) AS ?n) WHERE {{ VALUES ?parent {{ {iri_ref(p)} }} "
                 f"{pattern} FILTER(isIRI(?item)) }}")
        branches.append(f"{{ {{ {inner} }} BIND({iri_ref(p)} AS ?parent) }}")
    rows = select(store, f"SELECT ?parent ?n WHERE {{ {' UNION '.join(branches)} }}")
    out: dict[str | None, int] = dict.fromkeys(parents, 0)
    for parent, n in rows:
        if parent is not None and n is not None:
            out[parent.value] = int(n.value)
    return out


def exists(store: Any, iris: Iterable[str], classes: Sequence[str]) -> set[str]:
    """Which of `iris` are typed with one of `classes` (to check a node before serving it)."""
    wanted = sorted(set(iris))
    if not wanted:
        return set()
    values = " ".join(iri_ref(i) for i in wanted)
    types = " ".join(iri_ref(c) for c in classes)
    rows = select(store, f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {values} }} VALUES ?c {{ {types} }} ?s a ?c }}")
    return {r[0].value for r in rows if r[0] is not None}
