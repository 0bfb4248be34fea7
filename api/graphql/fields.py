"""Field factories: one line per GraphQL field, declaring the RDF property it reads.

Every RDF-backed field is built here from its property IRI, and records that IRI in the field's
metadata (`path`), so the schema is data: tests compare it with the SHACL shapes (no drift), and
resolvers are uniform (read the described properties, batched per request). Resolvers answer
synchronously when the resource is already described and return an awaitable otherwise, which
keeps the per-field overhead low on large pages.
"""

import importlib
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any

import pyoxigraph as ox
import strawberry

from . import terms
from .filters import DatasetFilter, dataset_constraints
from .paging import Connection, Slice, build_connection, make_slice, page_of, slice_in_memory
from .prefetch import node_selections, prefetch

NODES = "agora.api.graphql.nodes"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

First = Annotated[int | None, strawberry.argument(description="Page size, counting forwards (default 20, max 100).")]
After = Annotated[str | None, strawberry.argument(description="Cursor: start after this edge.")]
Last = Annotated[int | None, strawberry.argument(description="Page size, counting backwards from `before` or the end.")]
Before = Annotated[str | None, strawberry.argument(description="Cursor: end before this edge.")]
Lang = Annotated[str | None, strawberry.argument(
    description="Preferred language (BCP 47); falls back to Accept-Language, then English, then any.")]
LangFilter = Annotated[str | None, strawberry.argument(description="Only values in this language.")]
Filter = Annotated[DatasetFilter | None, strawberry.argument(description="Conditions combined with AND.")]


@strawberry.type(description="A text with its language tag.")
class LangString:
    value: str
    language: str | None


def lazy(type_name: str) -> Any:
    """A forward reference to a node type (types refer to each other in cycles)."""
    return Annotated[type_name, strawberry.lazy(NODES)]


@cache
def node_class(type_name: str) -> Any:
    return getattr(importlib.import_module(NODES), type_name)


def key_of(root: Any) -> Any:
    """The subject a GraphQL object stands for: its IRI, or the blank node of a structure."""
    term = getattr(root, "term", None)
    return term if term is not None else root.iri


def with_properties(root: Any, info: strawberry.Info, paths: tuple[str, ...],
                    fn: Callable[[dict[str, list[Any]]], Any]) -> Any:
    """`fn(properties)` now if `paths` of the subject are fetched already, else an awaitable of it.

    Answering synchronously when possible matters on big pages: an awaitable per field costs
    more than reading a dict.
    """
    ctx = info.context
    key = key_of(root)
    props = ctx.cached(key, paths)
    if props is not None:
        return fn(props)

    async def later() -> Any:
        return fn(await ctx.properties(key, paths))

    return later()


def _field(resolver: Callable[..., Any], returns: Any, description: str, **metadata: Any) -> Any:
    resolver.__annotations__["return"] = returns
    return strawberry.field(resolver=resolver, description=description, metadata=metadata)


# -- literal values ---------------------------------------------------------------------------


def text(path: str, description: str) -> Any:
    """One string in the preferred language (lang -> Accept-Language -> en -> untagged -> any)."""

    def resolve(root: Any, info: strawberry.Info, lang: Lang = None) -> Any:
        prefs = info.context.preferences(lang)
        return with_properties(root, info, (path,),
                               lambda p: terms.lexical(terms.pick_language(p.get(path, []), prefs)))

    return _field(resolve, str | None, description, path=path, kind="data")


def texts(path: str, description: str) -> Any:
    """Every value with its language: for clients that show all translations."""

    def resolve(root: Any, info: strawberry.Info, lang: LangFilter = None) -> Any:
        return with_properties(root, info, (path,), lambda p: [
            LangString(value=v.value, language=terms.language(v)) for v in terms.in_language(p.get(path, []), lang)])

    return _field(resolve, list[LangString], description, path=path, kind="data")


def strings(path: str, description: str) -> Any:
    """Literal values as strings (keywords, identifiers), optionally in one language."""

    def resolve(root: Any, info: strawberry.Info, lang: LangFilter = None) -> Any:
        return with_properties(root, info, (path,),
                               lambda p: [v.value for v in terms.in_language(p.get(path, []), lang)])

    return _field(resolve, list[str], description, path=path, kind="data")


def value(path: str, description: str) -> Any:
    """One value as a string: a literal's loaded lexical form or an IRI."""

    def resolve(root: Any, info: strawberry.Info) -> Any:
        def first(p: dict[str, list[Any]]) -> str | None:
            found = [terms.lexical(v) for v in p.get(path, [])]
            found = [v for v in found if v is not None]
            return found[0] if found else None

        return with_properties(root, info, (path,), first)

    return _field(resolve, str | None, description, path=path, kind="data")


def values(path: str, description: str) -> Any:
    """All values as strings (IRIs or lexical forms), in a stable order."""

    def resolve(root: Any, info: strawberry.Info) -> Any:
        return with_properties(root, info, (path,), lambda p: [
            v for v in (terms.lexical(t) for t in p.get(path, [])) if v is not None])

    return _field(resolve, list[str], description, path=path, kind="data")


# -- links to other resources -----------------------------------------------------------------


def ref(path: str, type_name: str, description: str) -> Any:
    """The (first) linked resource, as a node of `type_name`."""

    def resolve(root: Any, info: strawberry.Info) -> Any:
        def first(p: dict[str, list[Any]]) -> Any:
            linked = terms.iris(p.get(path, []))
            return node_class(type_name)(iri=linked[0]) if linked else None

        return with_properties(root, info, (path,), first)

    return _field(resolve, lazy(type_name) | None, description, path=path, kind="ref", target=type_name)


def ref_any(path: str, description: str) -> Any:
    """The (first) linked resource, typed by its rdf:type (a party may be an agent or a collection)."""

    async def resolve(root: Any, info: strawberry.Info) -> Any:
        props = await info.context.properties(key_of(root), (path,))
        linked = terms.iris(props.get(path, []))
        if not linked:
            return None
        return (await typed_nodes(info, linked[:1]))[0]

    return _field(resolve, lazy("Resource") | None, description, path=path, kind="mixed")


def links(path: str, type_name: str, description: str) -> Any:
    """The linked resources as a connection, paged in memory (a resource has few own links)."""

    def resolve(root: Any, info: strawberry.Info, first: First = None, after: After = None,
                last: Last = None, before: Before = None) -> Any:
        s = make_slice(first, after, last, before)
        cls = node_class(type_name)
        return with_properties(root, info, (path,), lambda p: inline_connection(terms.iris(p.get(path, [])), s, cls))

    return _field(resolve, Connection[lazy(type_name)], description, path=path, kind="links", target=type_name)


def links_any(path: str, description: str) -> Any:
    """Linked resources of mixed kinds (datasets or services, agents or twins), typed by rdf:type."""

    async def resolve(root: Any, info: strawberry.Info, first: First = None, after: After = None,
                      last: Last = None, before: Before = None) -> Any:
        s = make_slice(first, after, last, before)
        props = await info.context.properties(key_of(root), (path,))
        page, has_next, has_prev = slice_in_memory(terms.iris(props.get(path, [])), s)
        return await typed_connection(info, page, has_next, has_prev, len(set(terms.iris(props.get(path, [])))))

    return _field(resolve, Connection[lazy("Resource")], description, path=path, kind="mixed")


def structures(path: str, type_name: str, description: str) -> Any:
    """Structured values without an IRI of their own (participations, data flows, ODRL rules)."""

    def resolve(root: Any, info: strawberry.Info) -> Any:
        cls = node_class(type_name)
        return with_properties(root, info, (path,), lambda p: [cls(term=t) for t in p.get(path, [])
                                                      if isinstance(t, ox.BlankNode | ox.NamedNode)])

    return _field(resolve, list[lazy(type_name)], description, path=path, kind="structures", target=type_name)


def structure(path: str, type_name: str, description: str) -> Any:
    def resolve(root: Any, info: strawberry.Info) -> Any:
        cls = node_class(type_name)

        def first(p: dict[str, list[Any]]) -> Any:
            found = [t for t in p.get(path, []) if isinstance(t, ox.BlankNode | ox.NamedNode)]
            return cls(term=found[0]) if found else None

        return with_properties(root, info, (path,), first)

    return _field(resolve, lazy(type_name) | None, description, path=path, kind="structure", target=type_name)


# -- lists answered by a query (inverse links, or forward links with huge fan-out) -------------


def related(pattern: str, type_name: str, description: str, *, classes: tuple[str, ...] = (),
            path: str | None = None, filterable: bool = False) -> Any:
    """A connection over the items of a SPARQL `pattern` (?item linked to ?parent) that are of one
    of `classes` (checked against a cached class index, not in the query), keyset-paged.

    Batched: the same list under 100 parents costs one query (see graph_access.members).
    """
    meta = {"path": path} if path else {"inverse": pattern}
    meta["kind"] = "list"

    if filterable:
        async def resolve(root: Any, info: strawberry.Info, first: First = None, after: After = None,
                          last: Last = None, before: Before = None, filter: Filter = None) -> Any:
            s = make_slice(first, after, last, before)
            c = await dataset_constraints(info.context, filter)
            return await queried_connection(info, f"{pattern} {c.sparql}", root.iri, s, node_class(type_name), classes,
                                            c.allowed)

        return _field(resolve, Connection[lazy(type_name)], description, **meta)

    async def resolve_plain(root: Any, info: strawberry.Info, first: First = None, after: After = None,
                            last: Last = None, before: Before = None) -> Any:
        s = make_slice(first, after, last, before)
        return await queried_connection(info, pattern, root.iri, s, node_class(type_name), classes)

    return _field(resolve_plain, Connection[lazy(type_name)], description, **meta)


def related_any(pattern: str, description: str, *, path: str | None = None) -> Any:
    """Like `related`, for items of mixed kinds (typed by rdf:type)."""
    meta = {"path": path} if path else {"inverse": pattern}
    meta["kind"] = "list"

    async def resolve(root: Any, info: strawberry.Info, first: First = None, after: After = None,
                      last: Last = None, before: Before = None) -> Any:
        s = make_slice(first, after, last, before)
        items = await info.context.members(pattern, root.iri)
        page, has_next, has_prev = page_of(items, s)
        return await typed_connection(info, page, has_next, has_prev, len(items))

    return _field(resolve, Connection[lazy("Resource")], description, **meta)


# -- connection builders ------------------------------------------------------------------------


def inline_connection(linked: list[str], s: Slice, cls: Any) -> Connection[Any]:
    page, has_next, has_prev = slice_in_memory(linked, s)
    total = len(set(linked))

    async def count() -> int:
        return total

    return build_connection(page, has_next, has_prev, lambda i: cls(iri=i), count)


async def queried_connection(info: strawberry.Info, pattern: str, parent: str | None, s: Slice, cls: Any,
                             classes: tuple[str, ...] = (), allowed: frozenset[str] | None = None) -> Connection[Any]:
    """A page of a list found by `pattern` (with `classes` checked, and restricted to `allowed` if
    given), as a connection of `cls`."""
    items = await info.context.members(pattern, parent, classes)
    if allowed is not None:
        items = [i for i in items if i in allowed]
    page, has_next, has_prev = page_of(items, s)
    total = len(items)
    await prefetch(info, cls.__strawberry_definition__.name, page, node_selections(info))

    async def count() -> int:
        return total

    return build_connection(page, has_next, has_prev, lambda i: cls(iri=i), count)


async def typed_nodes(info: strawberry.Info, iris: list[str]) -> list[Any]:
    """Node objects for IRIs of unknown kind: describe them (batched), then pick the type."""
    classify = node_class("classify")
    props = await info.context.properties_many(iris, (RDF_TYPE,))
    return [classify(i, p) for i, p in zip(iris, props, strict=True)]


async def typed_connection(info: strawberry.Info, page: list[str], has_next: bool, has_prev: bool,
                           total: int) -> Connection[Any]:
    nodes = dict(zip(page, await typed_nodes(info, page), strict=True))

    async def count() -> int:
        return total

    return build_connection(page, has_next, has_prev, nodes.__getitem__, count)
