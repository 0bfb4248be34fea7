"""The Validator: compile shapes once, then plan each validation around shared predicate reads.

A naive engine evaluates each of DCAT-AP's ~290 property shapes separately, reading dct:title
once per shape that mentions it and turning every stored term into a Python object; on an on-disk
store that alone is seconds per million triples. Planning avoids both:

1. Focus nodes are computed per targeted shape; the property shapes of targeted node shapes (and
   targeted property shapes) become (shape, focus set) tasks, grouped by their predicate step.
2. Tasks whose constraints are all nodeKind/class/minCount/maxCount are answered by
   violation-only SPARQL queries (``pushdown``), one set per predicate, so only violating
   rows are ever decoded.
3. Every other task of a group shares one read of the predicate (a scan or per-node lookups,
   whichever is cheaper), restored through the caller's hook, and runs through the batched
   ``Evaluator`` — which also handles complex paths, node-level and nested shapes.
4. Shapes using features only pyshacl has (SHACL-AF expressions, SHACL-JS, custom targets) go to
   the ``fallback``.

Steps 2 and 3 implement the same semantics; tests run the W3C suite and DCAT-AP through both.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from . import fallback, pushdown, targets
from .constraints import Constraint, PropertyC
from .data import DataAccess, Restore
from .evaluator import Evaluator
from .paths import step_key
from .rdfinput import BACKGROUND_GRAPH, DATA_GRAPH, load
from .report import Report, ValidationResult
from .shapes import Shape, ShapesModel
from .terms import OxTerm, ToRdflib, term_key
from .valuemap import RawResult, ValueMap

log = logging.getLogger(__name__)

GraphName = ox.NamedNode | ox.BlankNode | ox.DefaultGraph


class Validator:
    """A compiled shapes graph. Reusable and safe to share between threads (no mutable state)."""

    def __init__(self, shapes: Graph, *, pushdown: bool = True) -> None:
        self.shapes_graph = shapes
        self.model = ShapesModel(shapes)
        # Evaluate nodeKind/class/min/maxCount inside pyoxigraph where possible (see pushdown.py);
        # switchable so tests can check both routes give identical results.
        self.use_pushdown = pushdown
        for msg in self.model.unsupported:
            log.warning("SHACL: %s", msg)

    @property
    def unsupported(self) -> list[str]:
        """Shapes-graph features this engine skipped (e.g. $shapesGraph in SPARQL)."""
        return list(self.model.unsupported)

    # ---------------------------------------------------------------- entry points

    def validate_store(
        self,
        store: ox.Store,
        data_graphs: Sequence[GraphName],
        *,
        background_graphs: Sequence[GraphName] = (),
        focus_nodes: Iterable[OxTerm] | None = None,
        restore: Restore | None = None,
    ) -> Report:
        data = DataAccess(store, data_graphs, background_graphs, restore)
        conv = ToRdflib()
        report = self._run(data, None if focus_nodes is None else set(focus_nodes), conv)

        def describe(b: BNode) -> list[tuple[Node, Node]]:
            edges = data.out_edges(ox.BlankNode(str(b)))
            return [(conv(p), conv(o)) for p, o in edges]

        report.describe = describe
        return report

    def validate_graph(
        self,
        data: Graph,
        *,
        background: Graph | None = None,
        focus_nodes: Iterable[Node] | None = None,
    ) -> Report:
        loaded = load(data, background)
        access = DataAccess(
            loaded.store,
            [DATA_GRAPH],
            [BACKGROUND_GRAPH] if background is not None else (),
            loaded.restore,
        )
        focus = None if focus_nodes is None else {loaded.term(n) for n in focus_nodes}
        report = self._run(access, focus, ToRdflib(loaded.overrides))
        report.describe = data.predicate_objects
        return report

    # ---------------------------------------------------------------- planning

    def _run(self, data: DataAccess, restrict: set[OxTerm] | None, conv: ToRdflib) -> Report:
        ev = Evaluator(data)
        raw: list[RawResult] = []
        extra: list[ValidationResult] = []
        tasks: list[pushdown.Task] = []
        for shape in self.model.targeted:
            if shape.foreign:
                extra.extend(self._fallback(ev, shape, restrict, conv))
                continue
            focus = targets.focus_nodes(ev, shape.targets, restrict)
            if not focus:
                continue
            pattern = pushdown.focus_pattern(data, shape.targets) if restrict is None and self.use_pushdown else None
            if shape.is_property:
                tasks.append(pushdown.Task(shape, focus, pattern))
                continue
            node_vm = ValueMap(focus)
            for c in shape.constraints:
                if isinstance(c, PropertyC):
                    if not c.shape.deactivated:
                        tasks.append(pushdown.Task(c.shape, focus, pattern))
                else:
                    raw.extend(c.check(ev, shape, node_vm))
        grouped: dict[tuple[str, bool], list[pushdown.Task]] = {}
        for t in tasks:
            key = step_key(t.shape.path) if t.shape.path is not None else None
            if key is None:
                raw.extend(ev.validate(t.shape, t.focus))
            else:
                grouped.setdefault(key, []).append(t)
        for (iri, forward), group in grouped.items():
            predicate = ox.NamedNode(iri)
            if forward and restrict is None and self.use_pushdown:
                decide = [(t, pushdown.pushable(t, data, predicate)) for t in group]
                pushed = [t for t, ok in decide if ok]
                if pushed:
                    raw.extend(pushdown.run(data, predicate, pushed))
                    group = [t for t, ok in decide if not ok]
            if group:
                raw.extend(self._run_group(ev, predicate, forward, group))
        return Report(LazyResults(raw, conv, extra), self.shapes_graph, self.model.unsupported)

    def _fallback(
        self, ev: Evaluator, shape: Shape, restrict: set[OxTerm] | None, conv: ToRdflib
    ) -> list[ValidationResult]:
        if shape.foreign_targets:
            if restrict is not None:
                log.warning("SHACL: %s has custom targets; incremental runs skip it", shape.label)
                return []
            return fallback.run(self.shapes_graph, shape, ev.data, conv, None)
        focus = targets.focus_nodes(ev, shape.targets, restrict)
        return fallback.run(self.shapes_graph, shape, ev.data, conv, focus) if focus else []

    @staticmethod
    def _run_group(
        ev: Evaluator, predicate: ox.NamedNode, forward: bool, group: list[pushdown.Task]
    ) -> list[RawResult]:
        """One fetch along ``predicate`` for the union of the group's focus sets."""
        distinct = list({id(t.focus): t.focus for t in group}.values())
        union = distinct[0] if len(distinct) == 1 else set().union(*distinct)
        fetch = ev.data.objects if forward else ev.data.subjects
        groups = fetch(predicate, union)
        out: list[RawResult] = []
        for t in group:
            exact = len(t.focus) == len(union)  # focus ⊆ union, so equal size means equal
            out.extend(ev.validate(t.shape, t.focus, ValueMap(t.focus, groups, exact=exact)))
        return out


class LazyResults:
    """Raw results plus what it takes to turn them into ValidationResults, on first use.

    Converting 10^5-10^6 results to rdflib terms costs seconds; callers that only look at
    ``conforms`` or ``counts()`` should not pay for it.
    """

    def __init__(self, raw: list[RawResult], conv: ToRdflib, extra: list[ValidationResult] | None = None) -> None:
        self.raw = raw
        self.conv = conv
        self.extra = extra or []  # already converted (from the pyshacl fallback)

    def __len__(self) -> int:
        return len(self.raw) + len(self.extra)

    def counts(self) -> Counter[tuple[Node, URIRef]]:
        c = Counter((r.shape.node, r.shape.severity) for r in self.raw)
        c.update((r.source_shape, r.severity) for r in self.extra)
        return c

    def materialize(self) -> list[ValidationResult]:
        conv = self.conv
        messages: dict[tuple[int, int], tuple[Literal, ...]] = {}
        new = ValidationResult.__new__
        setattr_ = object.__setattr__

        def default_messages(shape: Shape, c: Constraint) -> tuple[Literal, ...]:
            k = (shape.uid, id(c))
            hit = messages.get(k)
            if hit is None:
                hit = messages[k] = shape.messages or (Literal(c.message(shape)),)
            return hit

        def one(r: RawResult) -> ValidationResult:
            shape = r.shape
            if r.path is not None:
                path, path_key = r.path, term_key(r.path)
            else:
                path, path_key = shape.path_node, shape.path_key
            vr = new(ValidationResult)
            for name, value in (
                ("focus_node", conv(r.focus)),
                ("result_path", path),
                ("value", conv(r.value) if r.value is not None else None),
                ("source_shape", shape.node),
                ("source_constraint_component", r.constraint.component),
                ("severity", shape.severity),
                ("messages", r.messages if r.messages is not None else default_messages(shape, r.constraint)),
                ("source_constraint", r.source_constraint),
                ("details", tuple(one(d) for d in r.details) if r.details else ()),
                ("shape_key", shape.key),
                ("path_key", path_key),
            ):
                setattr_(vr, name, value)
            return vr

        return [one(r) for r in self.raw] + self.extra


__all__ = ["Validator", "Report", "ValidationResult"]
