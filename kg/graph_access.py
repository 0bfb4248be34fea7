"""Batched, keyset-paged reads of the catalog graph, for API layers that fetch per object (GraphQL).

An object API asks "the title of this dataset, the name of that publisher" thousands of times per
request; answering each with its own SPARQL query (N+1) would be slow at catalog scale. So reads
here are batched: `describe` fetches the asked-for properties of many resources in one query
(VALUES), and `members` fetches a list for many parents in one query. Lists are ordered by IRI
and paged with keyset cursors (`window`: the items after the last IRI seen), never OFFSET, so
deep pages cost what the first page costs.

Queries run over the union of the current public source graphs (what SPARQL's default graph is
when `default_graph_union` is on), and described literals come back in their loaded form.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any
from weakref import WeakKeyDictionary

import pyoxigraph as ox

from .deadline import check as check_deadline
from .errors import BadInput
from .namespaces import DCAT, SKOS

Term = Any
"""A pyoxigraph NamedNode/BlankNode/Literal, or fidelity.CasedLangLiteral for restored tags."""

Properties = dict[str, list[Term]]
"""Predicate IRI -> objects, for one subject."""

HIGH_FANOUT = (DCAT + "dataset", DCAT + "catalog", DCAT + "record", DCAT + "service", SKOS + "hasTopConcept")
"""Predicates whose objects can number in the hundreds of thousands (a catalog's datasets): not
fetched when `describe` is asked for every predicate; callers page through them with `members`."""

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
        check_deadline()
        result = store.ox.query(text, default_graph=visible_graphs(store))
    except SyntaxError as exc:  # a bug in a query builder, never user text
        raise BadInput(f"internal query does not parse: {exc}") from None
    variables = [v.value for v in result.variables]
    return [[sol[v] for v in variables] for sol in result]


# -- describe ------------------------------------------------------------------------------------


def _describe_query(anchor: str, first_hop: str, depth: int, *, first_level: bool = True) -> str:
    """CONSTRUCT the first-hop triples (`anchor` binds ?s, `first_hop` names the predicate ?P)
    and the triples of the blank nodes they reach, `depth` levels deep.

    One UNION branch per level, each anchored on the VALUES and joined along blank nodes only.
    (Nested OPTIONALs would be shorter, but Oxigraph evaluates their right-hand side unbound,
    which scans the whole store.) Deeper branches name the first predicate ?q0, not ?p, so they
    do not emit the first-level triple again.
    """
    template = ["?s ?p ?o ."]
    branches = [f"{{ {anchor} {first_hop.replace('?P', '?p')} }}"] if first_level else []
    for level in range(1, depth + 1):
        subject = "?o" if level == 1 else f"?o{level - 1}"
        template.append(f"{subject} ?p{level} ?o{level} .")
        chain = [anchor, first_hop.replace("?P", "?q0"), "FILTER(isBlank(?o))"]
        for k in range(1, level):
            prev = "?o" if k == 1 else f"?o{k - 1}"
            chain.append(f"{prev} ?q{k} ?o{k} . FILTER(isBlank(?o{k}))")
        chain.append(f"{subject} ?p{level} ?o{level} .")
        branches.append(f"{{ {' '.join(chain)} }}")
    return f"CONSTRUCT {{ {' '.join(template)} }} WHERE {{ {' UNION '.join(branches)} }}"


def describe(store: Any, iris: Iterable[str], predicates: Iterable[str] | None = None, *,
             skip: Sequence[str] = HIGH_FANOUT, depth: int = BLANK_DEPTH) -> dict[Any, Properties]:
    """What is said about `iris` along `predicates` (default: all but `skip`), in one query, and
    one more when blank nodes are reached.

    Blank nodes reached are described completely, `depth` levels deep (a use case's
    participations, a policy's rules and their constraints). Asking only for what a client
    selected matters: turning a result row into Python objects costs more than finding it.

    Returns subject -> predicate IRI -> objects; subjects are IRI strings for named nodes and
    BlankNode objects for blank ones. Resources nothing is said about are absent. Objects are
    deduplicated and in a stable order (by their N-Triples form).
    """
    wanted = sorted(set(iris))
    preds = sorted(set(predicates)) if predicates is not None else None
    if not wanted or preds == []:
        return {}
    found: dict[Any, dict[str, dict[str, Term]]] = {}
    remote = bool(getattr(store, "remote", False))
    _collect(store, _describe_query(_anchor(wanted), _hop(preds, skip, union=remote), 0), found)
    # Blank nodes are followed in a second query, only from the subjects and predicates that have
    # them: expansion branches cost a lookup per subject even when they find nothing.
    with_blanks = sorted(s for s, props in found.items() if isinstance(s, str)
                         and any(isinstance(o, ox.BlankNode) for objs in props.values() for o in objs.values()))
    if with_blanks and depth > 0:
        blank_preds = sorted({p for s in with_blanks for p, objs in found[s].items()
                              if any(isinstance(o, ox.BlankNode) for o in objs.values())})
        _collect(store, _describe_query(_anchor(with_blanks), _hop(blank_preds, skip, union=remote), depth,
                                        first_level=False), found)
    return {s: {p: [objs[k] for k in sorted(objs)] for p, objs in props.items()} for s, props in found.items()}


def _anchor(iris: Sequence[str]) -> str:
    return f"VALUES ?s {{ {' '.join(iri_ref(i) for i in iris)} }}"


def _hop(preds: Sequence[str] | None, skip: Sequence[str], *, union: bool = False) -> str:
    # FILTER IN, not a second VALUES: with two VALUES Oxigraph starts from the predicate and
    # scans every triple that has it. Virtuoso scans by predicate for either form (0.5 s for 200
    # subjects at 10^5 datasets) and answers a UNION of one pattern per predicate in 48 ms: remote
    # stores get that (`union`).
    if preds is not None and union:
        return " UNION ".join(f"{{ ?s {iri_ref(p)} ?o BIND({iri_ref(p)} AS ?P) }}" for p in preds)
    if preds is not None:
        return f"?s ?P ?o . FILTER(?P IN ({', '.join(iri_ref(p) for p in preds)}))"
    return "?s ?P ?o ." + (f" FILTER(?P NOT IN ({', '.join(iri_ref(p) for p in skip)}))" if skip else "")


def _collect(store: Any, query: str, found: dict[Any, dict[str, dict[str, Term]]]) -> None:
    restorer = store.restorer()
    check_deadline()
    for t in store.ox.query(query, default_graph=visible_graphs(store)):
        s = t.subject
        key = s.value if isinstance(s, ox.NamedNode) else s
        objects = found.setdefault(key, {}).setdefault(t.predicate.value, {})
        for o in restorer.restore(s, t.predicate, t.object):
            objects.setdefault(_sort_key(o), o)


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


# -- lists ---------------------------------------------------------------------------------------
#
# Lists are sorted by IRI in Python, not with ORDER BY: Oxigraph compares IRIs by decoding them
# on every comparison, which takes ~10 s for 100,000 datasets, while fetching them unordered and
# sorting here takes under a second. The sorted lists are cached until the next write (the
# store's generation changes on every committed load or delete), so paging through them, and
# their totalCount, cost nothing after the first page.


class _ListCache:
    """Sorted member lists for one store, valid for one generation, bounded in total size."""

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items
        self.generation: int | None = None
        self.lists: OrderedDict[tuple[str, tuple[str, ...], str | None], list[str]] = OrderedDict()
        self.sets: dict[tuple[str, ...], frozenset[str]] = {}
        self.size = 0
        self.lock = threading.Lock()

    def check(self, generation: int) -> None:
        if generation != self.generation:
            self.lists.clear()
            self.sets.clear()
            self.size = 0
            self.generation = generation

    def get(self, key: tuple[str, tuple[str, ...], str | None]) -> list[str] | None:
        found = self.lists.get(key)
        if found is not None:
            self.lists.move_to_end(key)
        return found

    def put(self, key: tuple[str, tuple[str, ...], str | None], items: list[str]) -> None:
        if key in self.lists:
            return
        self.lists[key] = items
        self.size += len(items)
        while self.size > self.max_items and len(self.lists) > 1:
            _, dropped = self.lists.popitem(last=False)
            self.size -= len(dropped)


MAX_CACHED_ITEMS = 1_000_000
_caches: WeakKeyDictionary[Any, _ListCache] = WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache(store: Any) -> _ListCache:
    with _caches_lock:
        cache = _caches.get(store)
        if cache is None:
            cache = _caches[store] = _ListCache(MAX_CACHED_ITEMS)
    return cache


def class_members(store: Any, classes: Sequence[str]) -> frozenset[str]:
    """IRIs typed with any of `classes` (cached per generation): for type checks done here,
    because a type-check join inside a per-parent query makes Oxigraph scan the whole class."""
    key = tuple(sorted(classes))
    cache = _cache(store)
    with cache.lock:
        cache.check(store.generation)
        found = cache.sets.get(key)
    if found is not None:
        return found
    members_ = frozenset(members(store, type_pattern(key), [None])[None])
    with cache.lock:
        cache.check(store.generation)
        cache.sets[key] = members_
    return members_


def type_pattern(classes: Sequence[str]) -> str:
    """`?item a C` for one class, a VALUES over the classes for several."""
    if len(classes) == 1:
        return f"?item a {iri_ref(classes[0])} ."
    return f"VALUES ?f_class {{ {' '.join(iri_ref(c) for c in classes)} }} ?item a ?f_class ."


def members(store: Any, pattern: str, parents: Sequence[str | None],
            classes: Sequence[str] = ()) -> dict[str | None, list[str]]:
    """The distinct IRIs matching `pattern` (which binds ?item, and uses ?parent unless the only
    parent is None), sorted, for each parent, in at most one query; restricted to `classes`.

    Results are cached per store generation, so a list is queried once between two writes.
    """
    cache = _cache(store)
    classes_key = tuple(sorted(classes))
    out: dict[str | None, list[str]] = {}
    with cache.lock:
        cache.check(store.generation)
        generation = cache.generation
        for p in parents:
            found = cache.get((pattern, classes_key, p))
            if found is not None:
                out[p] = found
    missing = [p for p in dict.fromkeys(parents) if p not in out]
    if not missing:
        return out
    fetched: dict[str | None, list[str]]
    if missing == [None]:
        rows = select(store, f"SELECT DISTINCT ?item WHERE {{ {pattern} FILTER(isIRI(?item)) }}")
        fetched = {None: [r[0].value for r in rows if r[0] is not None]}
    else:
        if None in missing:
            raise ValueError("a list pattern is either per parent or global, not both")
        values = " ".join(iri_ref(p) for p in missing if p is not None)
        rows = select(store, f"SELECT DISTINCT ?parent ?item WHERE {{ VALUES ?parent {{ {values} }} {pattern} "
                             f"FILTER(isIRI(?item)) }}")
        fetched = {p: [] for p in missing}
        for parent, item in rows:
            if parent is not None and item is not None:
                fetched[parent.value].append(item.value)
    if classes_key:
        allowed = class_members(store, classes_key)
        fetched = {p: [i for i in items if i in allowed] for p, items in fetched.items()}
    with cache.lock:
        for p, items in fetched.items():
            items = sorted(set(items))
            out[p] = items
            if cache.generation == generation:
                cache.put((pattern, classes_key, p), items)
    return out


def window(items: Sequence[str], limit: int, *, after: str | None = None, before: str | None = None,
           backward: bool = False) -> list[str]:
    """Up to `limit` items of a sorted list strictly between the bounds, from the start (or, if
    `backward`, from the end) of that range: a keyset page, found by bisection."""
    lo = bisect.bisect_right(items, after) if after is not None else 0
    hi = bisect.bisect_left(items, before) if before is not None else len(items)
    if hi <= lo:
        return []
    if backward:
        return list(items[max(lo, hi - limit):hi])
    return list(items[lo:min(hi, lo + limit)])
