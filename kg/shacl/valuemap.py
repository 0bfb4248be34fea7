"""Value nodes per focus node, and the raw result record constraints emit.

Constraints receive one ValueMap per (shape, focus set) instead of one call per focus node, so
their loops run over plain dicts. A ValueMap can be a filtered view over groups fetched for a
larger focus set: the engine scans a predicate once for every shape that uses it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

from rdflib import Literal
from rdflib.term import Node

from .data import Groups
from .terms import OxTerm

if TYPE_CHECKING:
    from .constraints import Constraint
    from .shapes import Shape

_EMPTY: tuple[OxTerm, ...] = ()


class RawResult(NamedTuple):
    """A validation result before conversion to rdflib terms (cheap to create in bulk)."""

    focus: OxTerm
    value: OxTerm | None
    shape: Shape
    constraint: Constraint
    path: Node | None = None  # overrides the shape's path (sh:closed, SPARQL ?path)
    source_constraint: Node | None = None
    messages: tuple[Literal, ...] | None = None  # overrides the shape's messages
    details: tuple[RawResult, ...] = ()


class ValueMap:
    """Focus nodes and their value nodes; ``groups is None`` means value node = focus node."""

    __slots__ = ("focus", "fset", "groups")

    def __init__(self, focus: Collection[OxTerm], groups: Groups | None = None, *, exact: bool = True) -> None:
        self.focus = focus
        self.groups = groups
        # When groups were fetched for a larger focus set, items() must filter by membership.
        self.fset: Collection[OxTerm] | None = None
        if not exact:
            self.fset = focus if isinstance(focus, (set, frozenset, dict)) else set(focus)

    def get(self, f: OxTerm) -> Sequence[OxTerm]:
        if self.groups is None:
            return (f,)
        return self.groups.get(f, _EMPTY)

    def items(self) -> Iterator[tuple[OxTerm, Sequence[OxTerm]]]:
        """(focus, values) for focus nodes that have at least one value."""
        groups = self.groups
        if groups is None:
            for f in self.focus:
                yield f, (f,)
            return
        fset = self.fset
        if fset is None:
            yield from groups.items()
        elif len(fset) < len(groups):
            get = groups.get
            for f in fset:
                vals = get(f)
                if vals:
                    yield f, vals
        else:
            for f, vals in groups.items():
                if f in fset:
                    yield f, vals

    def distinct_values(self) -> set[OxTerm]:
        if self.groups is None:
            return set(self.focus)
        if self.fset is None:
            return {v for vals in self.groups.values() for v in vals}
        return {v for _, vals in self.items() for v in vals}

    def restrict(self, focus: Collection[OxTerm]) -> ValueMap:
        if self.groups is None:
            return ValueMap(focus)
        return ValueMap(focus, self.groups, exact=False)
