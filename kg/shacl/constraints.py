"""SHACL Core constraint components, each evaluated over a whole ValueMap at once.

Two families: value constraints decide per value node, independently of the focus node (class,
datatype, nodeKind, ranges, lengths, pattern, languageIn, in, and the shape-based ones), so they
are computed once per distinct value and then fanned out to the (focus, value) pairs; focus
constraints need a focus node's value set as a whole (counts, uniqueLang, property pairs,
hasValue, qualified counts, closed, nested property shapes).

Every constraint answers two questions: ``check`` (the validation results, for reports) and
``failing_focus`` (which focus nodes have any result, for conformance checks inside sh:node,
sh:or, ... where results are discarded and memoised per node).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import TYPE_CHECKING, Protocol

import pyoxigraph as ox
from rdflib import Literal, URIRef

from . import xsd
from .data import DataAccess
from .terms import OxTerm
from .valuemap import RawResult, ValueMap
from .vocab import SH

if TYPE_CHECKING:
    from .shapes import Shape

_Lit = ox.Literal
_BNode = ox.BlankNode
_IRI = ox.NamedNode


class Context(Protocol):
    """What constraints need from the evaluator (kept abstract to avoid an import cycle)."""

    data: DataAccess

    def nonconforming(self, shape: Shape, nodes: Collection[OxTerm]) -> set[OxTerm]: ...

    def validate(self, shape: Shape, focus: Collection[OxTerm], vm: ValueMap | None = None) -> list[RawResult]: ...


class Constraint:
    component: URIRef = SH.ConstraintComponent
    # Property shapes only (count-style components are meaningless on node shapes).
    property_only = False

    def check(self, ctx: Context, shape: Shape, vm: ValueMap) -> list[RawResult]:
        raise NotImplementedError

    def failing_focus(self, ctx: Context, shape: Shape, vm: ValueMap) -> set[OxTerm]:
        return {r.focus for r in self.check(ctx, shape, vm)}

    def message(self, shape: Shape) -> str:
        return f"{self.component.split('#')[-1]} violated"


# ============================================================================ value constraints


class ValueConstraint(Constraint):
    def failing(self, ctx: Context, values: set[OxTerm]) -> set[OxTerm]:
        raise NotImplementedError

    def check(self, ctx: Context, shape: Shape, vm: ValueMap) -> list[RawResult]:
        bad = self.failing(ctx, vm.distinct_values())
        if not bad:
            return []
        return [RawResult(f, v, shape, self) for f, vals in vm.items() for v in vals if v in bad]

    def failing_focus(self, ctx: Context, shape: Shape, vm: ValueMap) -> set[OxTerm]:
        bad = self.failing(ctx, vm.distinct_values())
        if not bad:
            return set()
        return {f for f, vals in vm.items() if not bad.isdisjoint(vals)}


class ClassC(ValueConstraint):
    component = SH.ClassConstraintComponent

    def __init__(self, cls: OxTerm) -> None:
        self.cls = cls

    def failing(self, ctx: Context, values: set[OxTerm]) -> set[OxTerm]:
        return ctx.data.non_instances(values, self.cls)

    def message(self, shape: Shape) -> str:
        return f"Value does not have class {_n3(self.cls)}"


class DatatypeC(ValueConstraint):
    component = SH.DatatypeConstraintComponent

    def __init__(self, datatype: str) -> None:
        self.datatype = datatype
        self.checked = xsd.has_checker(datatype)

    def failing(self, ctx: Context, values: set[OxTerm]) -> set[OxTerm]:
        dt = self.datatype
        bad = set()
        for v in values:
            if type(v) is not _Lit or v.datatype.value != dt or self.checked and not xsd.is_well_formed(v.value, dt):
                bad.add(v)
        return bad

    def message(self, shape: Shape) -> str:
        return f"Value is not Literal with datatype <{self.datatype}>"


class NodeKindC(ValueConstraint):
    component = SH.NodeKindConstraintComponent

    def __init__(self, kind: URIRef, allowed: frozenset[type]) -> None:
        self.kind = kind
        self.allowed = allowed

    def failing(self, ctx: Context, values: set[OxTerm]) -> set[OxTerm]:
        allowed = self.allowed
        return {v for v in values if type(v) not in allowed}

    def message(self, shape: Shape) -> str:
        return f"Value is not of Node Kind {self.kind.n3()}"


_RANGE = {
    SH.minExclusive: (SH.MinExclusiveConstraintComponent, (1,), "greater than"),
    SH.minInclusive: (SH.MinInclusiveConstraintComponent, (1, 0), "greater than or equal to"),
    SH.maxExclusive: (SH.MaxExclusiveConstraintComponent, (-1,), "less than"),
    SH.maxInclusive: (SH.MaxInclusiveConstraintComponent, (-1, 0), "less than or equal to"),
}


class RangeC(ValueConstraint):
    def __init__(self, param: URIRef, bound: Literal) -> None:
        self.component, self.accept, self.words = _RANGE[param]
        self.bound = bound
        self.bound_key = xsd.sort_key(str(bound), str(bound.datatype or xsd.XSD_STRING), bound.language)

    def failing(self, ctx: Context, values: set[OxTerm]) -> set[OxTerm]:
        bad = set()
        for v in values:
            if type(v) is not _Lit:
                bad.add(v)
                continue
            c = xsd.compare(xsd.sort_key(v.value, v.datatype.value, v.language), self.bound_key)
            if c not in self.accept:
                bad.add(v)
        return bad

    def message(self, shape: Shape) -> str:
        return f"Value is not {self.words} {self.bound.n3()}"


class LengthC(ValueConstraint):
    def __init__(self, n: int, *, is_min: bool) -> None:
        self.n = n
        self.is_min = is_min
        self.component = SH.MinLengthConstraintComponent if is_min else SH.MaxLengthConstraintComponent

    def failing(self, ctx: Context, values: set[OxTerm]) -> set[OxTerm]:
        n = self.n
        bad = set()
        for v in values:
            if type(v) is _BNode:
                bad.add(v)  # SHACL: blank nodes always fail, even against sh:minLength 0
                continue
            ln = len(v.value)
            if (ln < n) if self.is_min else (ln > n):
                bad.add(v)
        return bad

    def message(self, shape: Shape) -> str:
        return f"String length not {'>=' if self.is_min else '<='} {self.n}"


class PatternC(ValueConstraint):
    component = SH.PatternConstraintComponent

    def __init__(self, pattern: str, flags: str) -> None:
        self.pattern = pattern
        f = 0
        for ch in flags:
            f |= {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE, "x": re.VERBOSE}.get(ch, 0)
        self.regex = re.compile(re.escape(pattern) if "q" in flags else _xpath_regex(pattern), f)

    def failing(self, ctx: Context, values: set[OxTerm]) -> set[OxTerm]:
        search = self.regex.search
        return {v for v in values if type(v) is _BNode or search(v.value) is None}

    def message(self, shape: Shape) -> str:
        return f'Value does not match pattern "{self.pattern}"'


def _xpath_regex(p: str) -> str:
    # XPath character-class subtraction and \i \c escapes have no Python equivalent; the rest of
    # the XSD regex dialect used in practice is shared with Python's re.
    return p.replace(r"\i", r"[A-Za-z_:]").replace(r"\c", r"[\w.\-:]")


class LanguageInC(ValueConstraint):
    component = SH.LanguageInConstraintComponent

    def __init__(self, ranges: list[str]) -> None:
        self.ranges = [r.lower() for r in ranges]

    def failing(self, ctx: Context, values: set[OxTerm]) -> set[OxTerm]:
        bad = set()
        for v in values:
            lang = v.language if type(v) is _Lit else None
            if not lang or not any(_lang_matches(lang.lower(), r) for r in self.ranges):
                bad.add(v)
        return bad

    def message(self, shape: Shape) -> str:
        return f"Language does not match any of {', '.join(self.ranges)}"


def _lang_matches(tag: str, rng: str) -> bool:
    """SPARQL langMatches with a basic language range (RFC 4647 basic filtering)."""
    return rng == "*" or tag == rng or tag.startswith(rng + "-")


class InC(ValueConstraint):
    component = SH.InConstraintComponent

    def __init__(self, members: list[OxTerm]) -> None:
        self.members = frozenset(members)
        self.shown = members

    def failing(self, ctx: Context, values: set[OxTerm]) -> set[OxTerm]:
        return values - self.members

    def message(self, shape: Shape) -> str:
        return "Value is not in " + ", ".join(_n3(m) for m in self.shown)


class NodeC(ValueConstraint):
    component = SH.NodeConstraintComponent

    def __init__(self, shape: Shape) -> None:
        self.shape = shape

    def failing(self, ctx: Context, values: set[OxTerm]) -> set[OxTerm]:
        return ctx.nonconforming(self.shape, values)

    def message(self, shape: Shape) -> str:
        return f"Value does not conform to Shape {self.shape.label}"


class NotC(ValueConstraint):
    component = SH.NotConstraintComponent

    def __init__(self, shape: Shape) -> None:
        self.shape = shape

    def failing(self, ctx: Context, values: set[OxTerm]) -> set[OxTerm]:
        if self.shape.deactivated:
            return set(values)
        return values - ctx.nonconforming(self.shape, values)

    def message(self, shape: Shape) -> str:
        return f"Value conforms to Shape {self.shape.label}, but must not"


class AndC(ValueConstraint):
    component = SH.AndConstraintComponent

    def __init__(self, shapes: list[Shape]) -> None:
        self.shapes = shapes

    def failing(self, ctx: Context, values: set[OxTerm]) -> set[OxTerm]:
        bad: set[OxTerm] = set()
        for s in self.shapes:
            todo = values - bad
            if not todo:
                break
            bad |= ctx.nonconforming(s, todo)
        return bad

    def message(self, shape: Shape) -> str:
        return "Value does not conform to every shape in " + ", ".join(s.label for s in self.shapes)


class OrC(ValueConstraint):
    component = SH.OrConstraintComponent

    def __init__(self, shapes: list[Shape]) -> None:
        self.shapes = shapes

    def failing(self, ctx: Context, values: set[OxTerm]) -> set[OxTerm]:
        remaining = set(values)
        for s in self.shapes:
            if not remaining:
                break
            remaining = ctx.nonconforming(s, remaining)
        return remaining

    def message(self, shape: Shape) -> str:
        return "Value does not conform to any shape in " + ", ".join(s.label for s in self.shapes)


class XoneC(ValueConstraint):
    component = SH.XoneConstraintComponent

    def __init__(self, shapes: list[Shape]) -> None:
        self.shapes = shapes

    def failing(self, ctx: Context, values: set[OxTerm]) -> set[OxTerm]:
        counts = dict.fromkeys(values, 0)
        for s in self.shapes:
            bad = ctx.nonconforming(s, values)
            for v in values:
                if v not in bad:
                    counts[v] += 1
        return {v for v, c in counts.items() if c != 1}

    def message(self, shape: Shape) -> str:
        return "Value does not conform to exactly one shape in " + ", ".join(s.label for s in self.shapes)


# ============================================================================ focus constraints


class MinCountC(Constraint):
    component = SH.MinCountConstraintComponent
    property_only = True

    def __init__(self, n: int) -> None:
        self.n = n

    def check(self, ctx: Context, shape: Shape, vm: ValueMap) -> list[RawResult]:
        n = self.n
        if n == 0:
            return []
        get = vm.get
        return [RawResult(f, None, shape, self) for f in vm.focus if len(get(f)) < n]

    def message(self, shape: Shape) -> str:
        return f"Less than {self.n} values on {shape.path_label}"


class MaxCountC(Constraint):
    component = SH.MaxCountConstraintComponent
    property_only = True

    def __init__(self, n: int) -> None:
        self.n = n

    def check(self, ctx: Context, shape: Shape, vm: ValueMap) -> list[RawResult]:
        n = self.n
        return [RawResult(f, None, shape, self) for f, vals in vm.items() if len(vals) > n]

    def message(self, shape: Shape) -> str:
        return f"More than {self.n} values on {shape.path_label}"


class UniqueLangC(Constraint):
    component = SH.UniqueLangConstraintComponent
    property_only = True

    def check(self, ctx: Context, shape: Shape, vm: ValueMap) -> list[RawResult]:
        out = []
        for f, vals in vm.items():
            if len(vals) < 2:
                continue
            seen: set[str] = set()
            dup: dict[str, None] = {}
            for v in vals:
                if type(v) is _Lit and v.language:
                    tag = v.language.lower()
                    if tag in seen:
                        dup[tag] = None
                    seen.add(tag)
            out.extend(RawResult(f, None, shape, self) for _ in dup)
        return out

    def message(self, shape: Shape) -> str:
        return "More than one value shares the same language tag"


class _PairC(Constraint):
    def __init__(self, predicate: str) -> None:
        self.predicate = ox.NamedNode(predicate)

    def others(self, ctx: Context, vm: ValueMap) -> dict[OxTerm, list[OxTerm]]:
        return ctx.data.objects(self.predicate, vm.focus)


class EqualsC(_PairC):
    component = SH.EqualsConstraintComponent

    def check(self, ctx: Context, shape: Shape, vm: ValueMap) -> list[RawResult]:
        others = self.others(ctx, vm)
        out = []
        for f in vm.focus:
            mine = set(vm.get(f))
            theirs = set(others.get(f, ()))
            if mine != theirs:
                out.extend(RawResult(f, v, shape, self) for v in mine ^ theirs)
        return out

    def message(self, shape: Shape) -> str:
        return f"Values are not equal to values of {self.predicate}"


class DisjointC(_PairC):
    component = SH.DisjointConstraintComponent

    def check(self, ctx: Context, shape: Shape, vm: ValueMap) -> list[RawResult]:
        others = self.others(ctx, vm)
        out = []
        for f, vals in vm.items():
            theirs = others.get(f)
            if theirs:
                common = set(vals).intersection(theirs)
                out.extend(RawResult(f, v, shape, self) for v in common)
        return out

    def message(self, shape: Shape) -> str:
        return f"Value node is also a value of {self.predicate}"


class LessThanC(_PairC):
    property_only = True

    def __init__(self, predicate: str, *, or_equals: bool) -> None:
        super().__init__(predicate)
        self.accept = (-1, 0) if or_equals else (-1,)
        self.component = SH.LessThanOrEqualsConstraintComponent if or_equals else SH.LessThanConstraintComponent

    def check(self, ctx: Context, shape: Shape, vm: ValueMap) -> list[RawResult]:
        others = self.others(ctx, vm)
        out = []
        for f, vals in vm.items():
            theirs = others.get(f)
            if not theirs:
                continue
            for v in vals:
                kv = _sort_key(v)
                for w in theirs:
                    if xsd.compare(kv, _sort_key(w)) not in self.accept:
                        out.append(RawResult(f, v, shape, self))
        return out

    def message(self, shape: Shape) -> str:
        op = "<=" if len(self.accept) == 2 else "<"
        return f"Value is not {op} value of {self.predicate}"


def _sort_key(v: OxTerm) -> xsd.SortKey | None:
    if type(v) is not _Lit:
        return None
    return xsd.sort_key(v.value, v.datatype.value, v.language)


class HasValueC(Constraint):
    component = SH.HasValueConstraintComponent

    def __init__(self, value: OxTerm) -> None:
        self.value = value

    def check(self, ctx: Context, shape: Shape, vm: ValueMap) -> list[RawResult]:
        v = self.value
        get = vm.get
        return [RawResult(f, None, shape, self) for f in vm.focus if v not in get(f)]

    def message(self, shape: Shape) -> str:
        return f"Value {_n3(self.value)} not found"


class PropertyC(Constraint):
    """sh:property: the nested property shape's own results, with the value nodes as focus."""

    component = SH.PropertyConstraintComponent

    def __init__(self, shape: Shape) -> None:
        self.shape = shape

    def check(self, ctx: Context, shape: Shape, vm: ValueMap) -> list[RawResult]:
        if self.shape.deactivated:
            return []
        nested = ctx.validate(self.shape, vm.distinct_values())
        if not nested:
            return []
        # SHACL reports the nested results once per (focus, value) pair that reaches them.
        by_value: dict[OxTerm, list[RawResult]] = {}
        for r in nested:
            by_value.setdefault(r.focus, []).append(r)
        return [r for _, vals in vm.items() for v in vals for r in by_value.get(v, ())]

    def failing_focus(self, ctx: Context, shape: Shape, vm: ValueMap) -> set[OxTerm]:
        bad = ctx.nonconforming(self.shape, vm.distinct_values())
        if not bad:
            return set()
        return {f for f, vals in vm.items() if not bad.isdisjoint(vals)}


class QualifiedC(Constraint):
    def __init__(self, shape: Shape, count: int, *, is_min: bool, disjoint: bool) -> None:
        self.shape = shape
        self.count = count
        self.is_min = is_min
        self.disjoint = disjoint
        self.siblings: list[Shape] = []  # filled once all shapes are compiled
        self.component = SH.QualifiedMinCountConstraintComponent if is_min else SH.QualifiedMaxCountConstraintComponent

    def check(self, ctx: Context, shape: Shape, vm: ValueMap) -> list[RawResult]:
        values = vm.distinct_values()
        ok = values - ctx.nonconforming(self.shape, values)
        if self.disjoint and ok:
            for sib in self.siblings:
                ok -= ok - ctx.nonconforming(sib, ok)
        out = []
        n = self.count
        for f in vm.focus:
            c = sum(1 for v in vm.get(f) if v in ok)
            if (c < n) if self.is_min else (c > n):
                out.append(RawResult(f, None, shape, self))
        return out

    def message(self, shape: Shape) -> str:
        word = "Less" if self.is_min else "More"
        return f"{word} than {self.count} values on {shape.path_label} conform to {self.shape.label}"


class ClosedC(Constraint):
    component = SH.ClosedConstraintComponent

    def __init__(self, allowed: frozenset[str]) -> None:
        self.allowed = allowed

    def check(self, ctx: Context, shape: Shape, vm: ValueMap) -> list[RawResult]:
        out = []
        allowed = self.allowed
        for f, vals in vm.items():
            for v in vals:
                for p, o in ctx.data.out_edges(v):
                    if p.value not in allowed:
                        out.append(RawResult(f, o, shape, self, path=URIRef(p.value)))
        return out

    def message(self, shape: Shape) -> str:
        return "Node has a property that the closed shape does not allow"


def _n3(t: OxTerm | object) -> str:
    if isinstance(t, _IRI):
        return f"<{t.value}>"
    return str(t)
