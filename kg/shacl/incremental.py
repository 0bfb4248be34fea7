"""Which focus nodes a change to the data can affect, for incremental re-validation.

Validating a focus node f against a shape is a deterministic sequence of reads of the data graph:
which types f has (targets, sh:class), the values of a predicate at f or at nodes reached from f
(paths, sh:equals...), all edges of a node (sh:closed). If none of those reads sees a changed
triple, f's results are the same before and after the change; if one does, the first such read
is made identically in both runs, at a node reached from f by the same navigation. So f can be
affected only if, in the graph *before* the change, f reaches the subject (or, for an inverse
step, the object) of a changed triple through the navigation that leads to a read of that
triple's predicate. This module derives those navigations from the compiled shapes once
(``ReadPlan``), and ``ReadPlan.affected`` walks them backwards from the changed triples:

* a path step ``p`` read at nodes ``nav(f)`` is affected by (s, p, o) when s ∈ nav(f), so the
  candidates are ``inverse(nav)(s)``; an inverse step ``^p`` is read at the object o;
* ``sh:class`` and ``sh:targetClass`` read rdf:type of the value (or focus) node;
* nested shapes (sh:node, sh:property, sh:and/or/not/xone, qualified value shapes and their
  disjoint siblings) read at the values of their parent, so their navigations are prefixed;
* sequence, alternative and zero-or-more paths compose (``p*`` reads at every node of ``nav/p*``).

What cannot be bounded this way returns None and the caller validates everything: SPARQL
constraints and targets (they may read anything), shapes for the pyshacl fallback, recursive
shapes (evaluation order decides their results), and changes to rdfs:subClassOf (the class
hierarchy is read globally). The engine's own results for a focus set are exactly its results
for those nodes in a full run, so merging "before" and "after" results for the affected nodes
into the previous totals gives the totals of a full re-validation; the tests check this with
randomised updates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import constraints as C
from . import paths
from .data import DataAccess
from .paths import Alt, Inv, Path, Pred, Repeat, Seq
from .shapes import Shape, ShapesModel
from .sparql import SparqlConstraint
from .terms import OxTerm
from .vocab import OX_RDF_TYPE, OX_SUBCLASS_OF

# Constraints that look at nothing but the value nodes (or their count) themselves.
_VALUE_ONLY = (C.DatatypeC, C.NodeKindC, C.RangeC, C.LengthC, C.PatternC, C.LanguageInC, C.InC,
               C.HasValueC, C.MinCountC, C.MaxCountC, C.UniqueLangC)


class Unbounded(Exception):
    """The shapes read data no static navigation describes."""


@dataclass(frozen=True)
class Read:
    """A read made at every node ``nav`` reaches from a focus node (None: at the focus node).

    ``kind`` is "out" (values of ``predicate``), "in" (subjects pointing at the node through
    ``predicate``), "type" (rdf:type) or "edges" (every outgoing edge, sh:closed).
    """

    nav: Path | None
    kind: str
    predicate: str | None = None


def _flat(p: Path) -> tuple[Path, ...]:
    return p.parts if isinstance(p, Seq) else (p,)


def concat(nav: Path | None, step: Path) -> Path:
    if nav is None:
        return step
    return Seq(_flat(nav) + _flat(step))


class ReadPlan:
    """The reads validation against a shapes model makes, relative to each focus node."""

    def __init__(self, model: ShapesModel) -> None:
        self.reads: set[Read] = set()
        self.unbounded: str | None = None
        try:
            for shape in model.targeted:
                self._targets(shape)
                self._shape(shape, None, ())
        except Unbounded as exc:
            self.unbounded = str(exc)
            self.reads = set()
        self._out: dict[str, list[Path | None]] = {}
        self._in: dict[str, list[Path | None]] = {}
        self._types: list[Path | None] = []
        self._edges: list[Path | None] = []
        for r in self.reads:
            if r.kind == "out":
                self._out.setdefault(r.predicate or "", []).append(r.nav)
            elif r.kind == "in":
                self._in.setdefault(r.predicate or "", []).append(r.nav)
            elif r.kind == "type":
                self._types.append(r.nav)
            else:
                self._edges.append(r.nav)

    # ------------------------------------------------------------------ deriving the reads

    def _targets(self, shape: Shape) -> None:
        t = shape.targets
        if t.sparql or shape.foreign_targets:
            raise Unbounded(f"{shape.label} has SPARQL or custom targets")
        if t.classes:
            self.reads.add(Read(None, "type"))
        for p in t.subjects_of:
            self.reads.add(Read(None, "out", p.value))
        for p in t.objects_of:
            self.reads.add(Read(None, "in", p.value))

    def _shape(self, shape: Shape, nav: Path | None, stack: tuple[int, ...]) -> None:
        if shape.deactivated:
            return  # conforms without reading anything (sh:not of it fails without reading either)
        if shape.uid in stack:
            raise Unbounded(f"{shape.label} is recursive")
        if shape.foreign:
            raise Unbounded(f"{shape.label} needs the pyshacl fallback")
        stack = (*stack, shape.uid)
        vnav = nav
        if shape.path is not None:
            self._path(shape.path, nav)
            vnav = concat(nav, shape.path)
        for c in shape.constraints:
            if isinstance(c, _VALUE_ONLY):
                continue
            if isinstance(c, C.ClassC):
                self.reads.add(Read(vnav, "type"))
            elif isinstance(c, (C.NodeC, C.NotC, C.PropertyC)):
                self._shape(c.shape, vnav, stack)
            elif isinstance(c, (C.AndC, C.OrC, C.XoneC)):
                for s in c.shapes:
                    self._shape(s, vnav, stack)
            elif isinstance(c, C.QualifiedC):
                for s in (c.shape, *c.siblings):
                    self._shape(s, vnav, stack)
            elif isinstance(c, (C.EqualsC, C.DisjointC, C.LessThanC)):
                self.reads.add(Read(nav, "out", c.predicate.value))
            elif isinstance(c, C.ClosedC):
                self.reads.add(Read(vnav, "edges"))
            elif isinstance(c, SparqlConstraint):
                raise Unbounded(f"{shape.label} has a SPARQL constraint")
            else:
                raise Unbounded(f"{shape.label}: {type(c).__name__} is not analysed")

    def _path(self, p: Path, nav: Path | None) -> None:
        if isinstance(p, Pred):
            self.reads.add(Read(nav, "out", p.iri))
        elif isinstance(p, Inv):
            self.reads.add(Read(nav, "in", p.iri))
        elif isinstance(p, Seq):
            prefix = nav
            for part in p.parts:
                self._path(part, prefix)
                prefix = concat(prefix, part)
        elif isinstance(p, Alt):
            for part in p.parts:
                self._path(part, nav)
        elif isinstance(p, Repeat):
            self._path(p.path, nav if p.mod == "?" else concat(nav, Repeat(p.path, "*")))
        else:  # pragma: no cover - every path class is handled above
            raise Unbounded(f"path {p!r} is not analysed")

    # ------------------------------------------------------------------ using them

    def affected(self, data: DataAccess, changes: Iterable[tuple[OxTerm, OxTerm, OxTerm]],
                 limit: int | None = None) -> set[OxTerm] | None:
        """Focus nodes whose results may differ after ``changes`` (triples added or removed).

        ``data`` must read the graph as it was before the changes. None when the change
        cannot be bounded, or when more than ``limit`` nodes would need re-validating.
        """
        if self.unbounded is not None:
            return None
        touched: dict[Path | None, set[OxTerm]] = {}
        for s, p, o in changes:
            if p == OX_SUBCLASS_OF:
                return None
            pv = p.value  # type: ignore[union-attr]
            for nav in self._out.get(pv, ()):
                touched.setdefault(nav, set()).add(s)
            for nav in self._in.get(pv, ()):
                touched.setdefault(nav, set()).add(o)
            if p == OX_RDF_TYPE:
                for nav in self._types:
                    touched.setdefault(nav, set()).add(s)
            for nav in self._edges:
                touched.setdefault(nav, set()).add(s)
        out: set[OxTerm] = set(touched.pop(None, ()))
        for nav, nodes in touched.items():
            assert nav is not None
            for reached in paths.evaluate(data, paths.invert(nav), nodes).values():
                out.update(reached)
            if limit is not None and len(out) > limit:
                return None
        return out


__all__ = ["ReadPlan", "Read", "concat"]
