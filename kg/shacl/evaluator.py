"""Shape evaluation over sets of focus nodes, with memoised conformance for nested shapes.

Two modes share the constraint code: ``validate`` produces results (targets and sh:property),
``nonconforming`` answers "which of these nodes do not conform?" for sh:node, sh:and/or/not/xone
and qualified shapes, where results are discarded. Conformance is memoised per (shape, node), so
a nested shape shared by 290 property shapes, or a vocabulary term referenced by 100k datasets,
is evaluated once. A node re-entering a shape it is already being checked against is assumed to
conform, which makes recursive shapes terminate (SHACL leaves recursion undefined).
"""

from __future__ import annotations

from collections.abc import Collection

import pyoxigraph as ox

from . import paths
from .data import DataAccess
from .shapes import Shape
from .terms import OxTerm
from .valuemap import RawResult, ValueMap


class Evaluator:
    def __init__(self, data: DataAccess) -> None:
        self.data = data
        self._memo: dict[int, dict[OxTerm, bool]] = {}
        self._active: dict[int, set[OxTerm]] = {}

    def values(self, shape: Shape, focus: Collection[OxTerm]) -> ValueMap:
        if shape.path is None:
            return ValueMap(focus)
        if shape.count_cap is not None and isinstance(shape.path, paths.Pred):
            # Only sh:minCount/sh:maxCount: enough values to decide, not all of them.
            groups = self.data.objects(ox.NamedNode(shape.path.iri), focus, cap=shape.count_cap)
            return ValueMap(focus, groups)
        return ValueMap(focus, paths.evaluate(self.data, shape.path, focus))

    def validate(self, shape: Shape, focus: Collection[OxTerm], vm: ValueMap | None = None) -> list[RawResult]:
        if shape.deactivated or not focus:
            return []
        if vm is None:
            vm = self.values(shape, focus)
        out: list[RawResult] = []
        for c in shape.constraints:
            out.extend(c.check(self, shape, vm))
        return out

    def nonconforming(self, shape: Shape, nodes: Collection[OxTerm]) -> set[OxTerm]:
        if shape.deactivated or not nodes:
            return set()
        memo = self._memo.setdefault(shape.uid, {})
        active = self._active.setdefault(shape.uid, set())
        todo = [n for n in nodes if n not in memo and n not in active]
        if todo:
            active.update(todo)
            try:
                bad = self._failing(shape, todo)
            finally:
                active.difference_update(todo)
            for n in todo:
                memo[n] = n in bad
        return {n for n in nodes if memo.get(n, False)}

    def _failing(self, shape: Shape, todo: list[OxTerm]) -> set[OxTerm]:
        vm = self.values(shape, todo)
        bad: set[OxTerm] = set()
        for c in shape.constraints:
            if bad:
                if len(bad) == len(todo):
                    break
                vm = vm.restrict([n for n in todo if n not in bad])
            bad |= c.failing_focus(self, shape, vm)
        return bad
