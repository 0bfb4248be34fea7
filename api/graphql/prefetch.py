"""Look-ahead: fetch what a selection needs, level by level, before strawberry resolves it.

Field resolvers can fetch lazily (batched per tick by the loaders), but a page of 100 datasets
would then create thousands of awaitables, and the event loop, not the store, would dominate the
time. So a connection first walks the client's selection below its nodes: one describe per level
for every node of that level (the datasets, then their publishers, themes and distributions
together, then the distributions' licences...), following the links already fetched. Resolvers
then find everything cached and answer synchronously. Fields whose values have several possible
types, and nested lists answered by their own query, are left to lazy loading.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pyoxigraph as ox
import strawberry
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField
from strawberry.utils.str_converters import to_camel_case

from . import terms
from .paging import PagingError, make_slice, slice_in_memory

MAX_LEVELS = 8


@dataclass(frozen=True)
class FieldPlan:
    kind: str
    """data (reads `paths`), ref/links/structure/structures (follow `paths[0]` to `target`)."""
    paths: tuple[str, ...]
    target: str | None


@cache
def _registry() -> tuple[dict[str, dict[str, FieldPlan]], dict[str, frozenset[str]]]:
    """GraphQL type name -> field name -> plan, and type name -> the names it answers to."""
    from .nodes import NODE_TYPES, STRUCTURE_TYPES

    plans: dict[str, dict[str, FieldPlan]] = {}
    names: dict[str, frozenset[str]] = {}
    for cls in [*NODE_TYPES, *STRUCTURE_TYPES]:
        definition = cls.__strawberry_definition__
        fields: dict[str, FieldPlan] = {}
        for f in definition.fields:
            meta = f.metadata or {}
            kind = meta.get("kind")
            if kind not in ("data", "ref", "links", "structure", "structures"):
                continue
            paths = tuple(meta.get("reads") or ((meta["path"],) if meta.get("path") else ()))
            if paths:
                fields[f.graphql_name or to_camel_case(f.python_name)] = FieldPlan(kind, paths, meta.get("target"))
        plans[definition.name] = fields
        names[definition.name] = frozenset(
            {definition.name} | {b.__strawberry_definition__.name for b in cls.__mro__
                                 if hasattr(b, "__strawberry_definition__")} | {"Node"})
    return plans, names


def _flatten(selections: Iterable[Any], type_names: frozenset[str] | None) -> Iterator[SelectedField]:
    """The fields selected on an object, through fragments that apply to its type."""
    for sel in selections:
        if isinstance(sel, SelectedField):
            yield sel
        elif isinstance(sel, InlineFragment | FragmentSpread) and (
                sel.type_condition is None or type_names is None or sel.type_condition in type_names):
            yield from _flatten(sel.selections, type_names)


def node_selections(info: strawberry.Info) -> list[Any]:
    """The selections on the nodes of the connection being resolved (`edges.node` and `nodes`)."""
    out: list[Any] = []
    for field in _flatten(info.selected_fields, None):
        for sel in _flatten(field.selections, None):
            if sel.name == "nodes":
                out.extend(sel.selections)
            elif sel.name == "edges":
                for inner in _flatten(sel.selections, None):
                    if inner.name == "node":
                        out.extend(inner.selections)
    return out


def object_selections(info: strawberry.Info) -> list[Any]:
    """The selections on the object being resolved (a lookup by IRI)."""
    return [s for field in _flatten(info.selected_fields, None) for s in field.selections]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _children(plan: FieldPlan, sel: SelectedField, props: dict[str, list[Any]]) -> list[Any]:
    values = props.get(plan.paths[0], [])
    if plan.kind == "ref":
        linked = terms.iris(values)
        return linked[:1]
    if plan.kind == "links":
        args = sel.arguments  # literals arrive as their source text ("10"), variables as values
        try:
            s = make_slice(_int(args.get("first")), args.get("after"), _int(args.get("last")), args.get("before"))
        except (PagingError, ValueError, TypeError):
            return []  # the resolver reports bad arguments
        return slice_in_memory(terms.iris(values), s)[0]
    blanks = [v if isinstance(v, ox.BlankNode) else v.value for v in values
              if isinstance(v, ox.BlankNode | ox.NamedNode)]
    return blanks[:1] if plan.kind == "structure" else blanks


def _below(plan: FieldPlan, sel: SelectedField) -> list[Any]:
    if plan.kind != "links":
        return sel.selections
    return [s for inner in _flatten(sel.selections, None) if inner.name in ("nodes", "edges")
            for s in ([x for e in _flatten(inner.selections, None) if e.name == "node" for x in e.selections]
                      if inner.name == "edges" else inner.selections)]


async def prefetch(info: strawberry.Info, type_name: str, keys: Iterable[Any], selections: list[Any]) -> None:
    """Describe `keys` (of GraphQL type `type_name`) and what lies below them in `selections`."""
    plans, names = _registry()
    ctx = info.context
    frontier = [(type_name, list(keys), selections)]
    for _ in range(MAX_LEVELS):
        wanted: dict[str, set[str]] = {}
        steps: list[tuple[str, list[Any], FieldPlan, SelectedField]] = []
        for tname, ks, sels in frontier:
            fields = plans.get(tname)
            if fields is None or not ks:
                continue
            for sel in _flatten(sels, names.get(tname)):
                plan = fields.get(sel.name)
                if plan is None:
                    continue
                for k in ks:
                    if isinstance(k, str):
                        wanted.setdefault(k, set()).update(plan.paths)
                if plan.kind != "data" and plan.target and sel.selections:
                    steps.append((tname, ks, plan, sel))
        if not wanted and not steps:
            return
        await ctx.prefetch(wanted)
        frontier = []
        for _tname, ks, plan, sel in steps:
            child_keys: list[Any] = []
            for k in ks:
                props = ctx.cached(k, plan.paths)
                if props is not None:
                    child_keys.extend(_children(plan, sel, props))
            if child_keys:
                frontier.append((plan.target, list(dict.fromkeys(child_keys)), _below(plan, sel)))
        if not frontier:
            return
