"""Relay connections with keyset cursors.

A cursor is the IRI of the edge's node (base64url-wrapped so clients treat it as opaque), and
lists are ordered by IRI, so "the page after this cursor" is the items after that IRI, found by
bisecting the sorted list: stable while data changes around it and as cheap on page 1,000 as on
page 1. OFFSET is never used.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry

from agora.kg.graph_access import window

T = TypeVar("T")

DEFAULT_PAGE = 20
MAX_PAGE = 100
_PREFIX = "iri:"


class PagingError(ValueError):
    """Bad first/after/last/before arguments; reported as a GraphQL error on the field."""


def encode_cursor(iri: str) -> str:
    return base64.urlsafe_b64encode((_PREFIX + iri).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise PagingError(f"invalid cursor {cursor!r}") from None
    if not raw.startswith(_PREFIX):
        raise PagingError(f"invalid cursor {cursor!r}")
    return raw[len(_PREFIX):]


@dataclass(frozen=True)
class Slice:
    """What the client asked for, validated: `size` items after/before a bound IRI."""

    size: int
    after: str | None = None
    before: str | None = None
    backward: bool = False


def make_slice(first: int | None, after: str | None, last: int | None, before: str | None) -> Slice:
    """Validate Relay arguments. `first` and `last` together are refused (ambiguous)."""
    if first is not None and last is not None:
        raise PagingError("pass either `first` or `last`, not both")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= MAX_PAGE:
            raise PagingError(f"`{name}` must be between 0 and {MAX_PAGE}, not {value}")
    after_iri = decode_cursor(after) if after else None
    before_iri = decode_cursor(before) if before else None
    if last is not None:
        return Slice(last, after_iri, before_iri, backward=True)
    return Slice(DEFAULT_PAGE if first is None else first, after_iri, before_iri)


def page_of(items: Sequence[str], s: Slice) -> tuple[list[str], bool, bool]:
    """The page of a sorted list: (page IRIs, has_next_page, has_previous_page).

    One item more than the page is taken to learn whether there is a next one. Like most Relay
    servers, the flag for the other direction only says whether a bound cursor was given.
    """
    fetched = window(items, s.size + 1, after=s.after, before=s.before, backward=s.backward)
    more = len(fetched) > s.size
    if s.backward:
        return (fetched[len(fetched) - s.size:] if s.size else []), s.before is not None, more
    return fetched[: s.size], more, s.after is not None


def slice_in_memory(iris: Sequence[str], s: Slice) -> tuple[list[str], bool, bool]:
    """The same over a resource's own few links (sorted here)."""
    return page_of(sorted(set(iris)), s)


@strawberry.type(description="Information to aid in pagination.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="When paginating forwards, are there more items?")
    has_previous_page: bool = strawberry.field(
        description="When paginating backwards, are there more items? (Forwards: true when `after` was given.)")
    start_cursor: str | None = strawberry.field(description="The cursor of the first edge.")
    end_cursor: str | None = strawberry.field(description="The cursor of the last edge.")


@strawberry.type(description="An edge in a connection.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque cursor: pass it as `after`/`before`.")
    node: T


@strawberry.type(description="A page of a list ordered by IRI (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    nodes: list[T] = strawberry.field(description="The nodes of the edges, for clients that need no cursors.")
    page_info: PageInfo
    _total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Items in the whole list; computed only when asked for.")
    async def total_count(self) -> int:
        return await self._total()


def build_connection(page: Sequence[str], has_next: bool, has_previous: bool, make: Callable[[str], Any],
                     total: Callable[[], Awaitable[int]]) -> Connection[Any]:
    """A connection from the IRIs of one page; `make` turns an IRI into its node object."""
    nodes = [make(iri) for iri in page]
    edges = [Edge(cursor=encode_cursor(iri), node=n) for iri, n in zip(page, nodes, strict=True)]
    info = PageInfo(has_next_page=has_next, has_previous_page=has_previous,
                    start_cursor=edges[0].cursor if edges else None,
                    end_cursor=edges[-1].cursor if edges else None)
    return Connection(edges=edges, nodes=nodes, page_info=info, _total=total)
