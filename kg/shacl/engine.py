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

import gc
import logging
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from . import fallback, pushdown, targets
from .constraints import PropertyC
from .data import DataAccess, Restore
from .evaluator import Evaluator
from .incremental import ReadPlan
from .paths import step_key
from .rdfinput import BACKGROUND_GRAPH, DATA_GRAPH, load
from .report import Report, ValidationResult
from .shapes import Shape, ShapesModel
from .terms import OxTerm, ToRdflib, term_key
from .valuemap import RawResult, ValueMap

log = logging.getLogger(__name__)

GraphName = ox.NamedNode | ox.BlankNode | ox.DefaultGraph

_gc_lock = threading.Lock()
_gc_holders = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a validation allocates its results.

    A 10^5-dataset catalogue yields 10^5-10^6 result records, none of them cyclic, yet each
    allocation burst triggers generational collections that traverse every record made so far:
    measured at 100k datasets that was a quarter of the CPU time. Reference counting still frees
    everything; the collector resumes (if it was on) when the last concurrent validation ends.
    """
    global _gc_holders, _gc_was_enabled
    with _gc_lock:
        if _gc_holders == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_holders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_was_enabled:
                gc.enable()


class Validator:
    """A compiled shapes graph. Reusable and safe to share between threads (no mutable state)."""

    def __init__(self, shapes: Graph, *, pushdown: bool = True) -> None:
        self.shapes_graph = shapes
        self.model = ShapesModel(shapes)
        # Evaluate nodeKind/class/min/maxCount inside pyoxigraph where possible (see pushdown.py);
        # switchable so tests can check both routes give identical results.
        self.use_pushdown = pushdown
        # What validation reads relative to each focus node, for incremental re-validation.
        self.reads = ReadPlan(self.model)
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
        restore_predicates: Iterable[str] | None = None,
    ) -> Report:
        """Validate named graphs of ``store``; ``restore`` maps stored literals back to their original form.

        ``restore_predicates`` (optional) names the predicates whose literals ``restore`` can
        change; with it, constraints on the other predicates can be decided per distinct value.
        """
        data = DataAccess(store, data_graphs, background_graphs, restore,
                          None if restore_predicates is None else list(restore_predicates))
        conv = ToRdflib()
        with gc_paused():
            report = self._run(data, None if focus_nodes is None else set(focus_nodes), conv)
            _materialize_if_large(report)

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
            {p.value for _s, p, _o in loaded.originals},
        )
        focus = None if focus_nodes is None else {loaded.term(n) for n in focus_nodes}
        with gc_paused():
            report = self._run(access, focus, ToRdflib(loaded.overrides))
            _materialize_if_large(report)
        report.describe = data.predicate_objects
        return report

    def affected_focus(
        self,
        store: ox.Store,
        data_graphs: Sequence[GraphName],
        changes: Iterable[tuple[OxTerm, OxTerm, OxTerm]],
        *,
        background_graphs: Sequence[GraphName] = (),
        restore: Restore | None = None,
        limit: int | None = None,
    ) -> set[OxTerm] | None:
        """The focus nodes whose results ``changes`` (added or removed triples) may alter.

        ``data_graphs`` must hold the data as it was *before* the changes. Validating exactly
        these nodes before and after, and replacing the first results by the second, gives the
        results of a full re-validation. None: the change cannot be bounded (SPARQL constraints,
        recursive shapes, a class hierarchy change...) or more than ``limit`` nodes are affected;
        validate everything then. See ``incremental``.
        """
        data = DataAccess(store, data_graphs, background_graphs, restore)
        return self.reads.affected(data, changes, limit)

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
            pattern = pushdown.focus_pattern(data, shape.targets) if restrict is None and self.use_pushdown else None
            focus: set[OxTerm] | pushdown.LazyFocus
            if pattern is not None and not shape.targets.nodes:
                # Decoded only if something needs the nodes themselves (results to attribute, shapes
                # the evaluator runs): 10^5 periods of time whose dates all conform are never read.
                focus = pushdown.LazyFocus(lambda s=shape: targets.focus_nodes(ev, s.targets, None),
                                           lambda p=pattern: pushdown.count_pattern(data, p))
            else:
                focus = targets.focus_nodes(ev, shape.targets, restrict)
            if not focus:
                continue
            if shape.is_property:
                tasks.append(pushdown.Task(shape, focus, pattern))
                continue
            node_vm: ValueMap | None = None
            for c in shape.constraints:
                if isinstance(c, PropertyC):
                    if not c.shape.deactivated:
                        tasks.append(pushdown.Task(c.shape, focus, pattern))
                else:
                    if node_vm is None:
                        node_vm = ValueMap(pushdown.members(focus))
                    raw.extend(c.check(ev, shape, node_vm))
        grouped: dict[tuple[str, bool], list[pushdown.Task]] = {}
        for t in tasks:
            key = step_key(t.shape.path) if t.shape.path is not None else None
            if key is None:
                raw.extend(ev.validate(t.shape, pushdown.members(t.focus)))
            else:
                grouped.setdefault(key, []).append(t)
        for (iri, forward), group in grouped.items():
            predicate = ox.NamedNode(iri)
            if forward and restrict is None and self.use_pushdown:
                decide = [(t, pushdown.pushable(t, data, predicate)) for t in group]
                pushed = [t for t, ok in decide if ok]
                if pushed:
                    raw.extend(pushdown.run(ev, predicate, pushed))
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
        distinct = list({id(t.focus): pushdown.members(t.focus) for t in group}.values())
        union = distinct[0] if len(distinct) == 1 else set().union(*distinct)
        fetch = ev.data.objects if forward else ev.data.subjects
        groups = fetch(predicate, union)
        out: list[RawResult] = []
        for t in group:
            focus = pushdown.members(t.focus)
            exact = len(focus) == len(union)  # focus ⊆ union, so equal size means equal
            out.extend(ev.validate(t.shape, focus, ValueMap(focus, groups, exact=exact)))
        return out


EAGER_RESULTS = 50_000
"""From this many results on, they are converted while the collector is still paused."""


def _materialize_if_large(report: Report) -> None:
    """Convert a large report's results now, in the same collector pause as the validation.

    Between two pauses the collector would traverse every raw result once just to find nothing
    to free (0.4 s at 10^5 datasets), and every caller in Agora reads the results anyway.
    """
    if len(report) >= EAGER_RESULTS:
        report.results  # noqa: B018 - materialises (and caches) the results


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
        with gc_paused():
            return self._materialize()

    def _materialize(self) -> list[ValidationResult]:
        """Build the ValidationResults; results of one (shape, constraint, value, path) share a template.

        Most results of a large validation differ only in their focus node (every dataset with
        the same untyped theme IRI), so the constant fields are prepared once per template and
        each result is a dict copy plus its focus node, assigned as the instance __dict__ in one
        step (ValidationResult is a frozen dataclass without slots, so this is what its own
        __init__ amounts to, minus eleven frozen-attribute setters).
        """
        conv = self.conv.convert
        templates: dict[tuple[object, ...], dict[str, object]] = {}
        new = ValidationResult.__new__
        set_dict = object.__setattr__
        cls = ValidationResult

        def template(r: RawResult) -> dict[str, object]:
            shape = r.shape
            if r.path is not None:
                path, path_key = r.path, term_key(r.path)
            else:
                path, path_key = shape.path_node, shape.path_key
            messages = r.messages
            if messages is None:
                messages = shape.messages or (Literal(r.constraint.message(shape)),)
            return {
                "focus_node": None,
                "result_path": path,
                "value": conv(r.value) if r.value is not None else None,
                "source_shape": shape.node,
                "source_constraint_component": r.constraint.component,
                "severity": shape.severity,
                "messages": messages,
                "source_constraint": r.source_constraint,
                "details": (),
                "shape_key": shape.key,
                "path_key": path_key,
            }

        def one(r: RawResult) -> ValidationResult:
            key = r[1:]  # everything but the focus node (shapes and constraints hash by identity)
            t = templates.get(key)
            if t is None:
                t = templates[key] = template(r)
            d = t.copy()
            d["focus_node"] = conv(r.focus)
            if r.details:
                d["details"] = tuple(one(x) for x in r.details)
            vr = new(cls)
            set_dict(vr, "__dict__", d)
            return vr

        # The loop of one() inlined for the common case (10^5-10^6 iterations): no details.
        out: list[ValidationResult] = []
        append = out.append
        get_template = templates.get
        cached = self.conv.cached
        for r in self.raw:
            if r[7]:
                append(one(r))
                continue
            key = r[1:]
            t = get_template(key)
            if t is None:
                t = templates[key] = template(r)
            d = t.copy()
            f = r[0]
            term = cached(f)
            d["focus_node"] = term if term is not None else conv(f)
            vr = new(cls)
            set_dict(vr, "__dict__", d)
            append(vr)
        out.extend(self.extra)
        self.raw = []  # freed here, while the collector is paused, not traversed after it resumes
        return out


__all__ = ["Validator", "Report", "ValidationResult"]
