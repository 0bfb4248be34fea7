"""Validation results and reports in rdflib terms, plus the standard sh:ValidationReport graph.

``ValidationResult.key()`` is the identity used to compare two validators: blank-node shapes and
paths are keyed by their structure (they have no stable identifier across graphs), literals are
normalised the RDF 1.1 way. ``Report.to_graph()`` copies blank-node shapes, paths and SPARQL
constraints from the shapes graph into the report so the report is self-contained, as SHACL
requires for sh:resultPath.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .terms import term_key
from .vocab import INFO, SH, VIOLATION, WARNING


@dataclass(frozen=True)
class ValidationResult:
    focus_node: Node
    result_path: Node | None
    value: Node | None
    source_shape: Node
    source_constraint_component: URIRef
    severity: URIRef = VIOLATION
    messages: tuple[Literal, ...] = ()
    source_constraint: Node | None = None
    details: tuple[ValidationResult, ...] = ()
    shape_key: str = field(default="", compare=False, repr=False)
    path_key: str = field(default="", compare=False, repr=False)

    def key(self) -> tuple[str, str, str, str, str, str]:
        """(focus, path, value, component, source shape, severity) as canonical strings."""
        return (
            term_key(self.focus_node),
            self.path_key or term_key(self.result_path),
            term_key(self.value),
            str(self.source_constraint_component),
            self.shape_key or term_key(self.source_shape),
            str(self.severity),
        )


Describe = Callable[[BNode], Iterable[tuple[Node, Node]]]


@runtime_checkable
class LazySource(Protocol):
    """Results not yet converted to rdflib terms (see engine.LazyResults)."""

    def __len__(self) -> int: ...

    def counts(self) -> Counter[tuple[Node, URIRef]]: ...

    def materialize(self) -> list[ValidationResult]: ...


class Report:
    """Results of one validation; ``describe`` reads data blank nodes for ``to_graph``.

    Like pyshacl, the report graph carries the description of blank-node focus nodes and values
    (otherwise a reader could not tell which blank node a result is about); ``describe`` fetches
    it from wherever the data lives, only when a graph is actually requested.
    """

    def __init__(
        self,
        results: Iterable[ValidationResult] | LazySource = (),
        shapes_graph: Graph | None = None,
        unsupported: Iterable[str] = (),
        describe: Describe | None = None,
    ) -> None:
        self._lazy: LazySource | None = None
        self._results: list[ValidationResult] | None = None
        if isinstance(results, LazySource):
            self._lazy = results
        else:
            self._results = list(results)
        self.shapes_graph = shapes_graph
        self.unsupported: list[str] = list(unsupported)
        self.describe = describe

    @property
    def results(self) -> list[ValidationResult]:
        if self._results is None:
            assert self._lazy is not None
            self._results = self._lazy.materialize()
            self._lazy = None
        return self._results

    @property
    def conforms(self) -> bool:
        """SHACL: a data graph conforms iff validation produced no results, of any severity."""
        return len(self) == 0

    def _by(self, severity: URIRef) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == severity]

    @property
    def violations(self) -> list[ValidationResult]:
        return self._by(VIOLATION)

    @property
    def warnings(self) -> list[ValidationResult]:
        return self._by(WARNING)

    @property
    def infos(self) -> list[ValidationResult]:
        return self._by(INFO)

    def counts(self) -> Counter[tuple[Node, URIRef]]:
        """Result counts per (source shape, severity); cheap, needs no result conversion."""
        if self._lazy is not None:
            return self._lazy.counts()
        return Counter((r.source_shape, r.severity) for r in self.results)

    def keys(self) -> Counter[tuple[str, str, str, str, str, str]]:
        return Counter(r.key() for r in self.results)

    def merge(self, other: Report) -> Report:
        return Report(
            [*self.results, *other.results],
            self.shapes_graph if self.shapes_graph is not None else other.shapes_graph,
            dict.fromkeys([*self.unsupported, *other.unsupported]),
            self.describe or other.describe,
        )

    def __len__(self) -> int:
        return len(self._lazy) if self._lazy is not None else len(self.results)

    def __repr__(self) -> str:
        return f"<Report conforms={self.conforms} results={len(self.results)}>"

    def to_graph(self) -> Graph:
        g = Graph()
        g.bind("sh", SH)
        if self.shapes_graph is not None:
            for prefix, ns in self.shapes_graph.namespace_manager.namespaces():
                g.bind(prefix, ns, override=False)
        report = BNode()
        g.add((report, RDF.type, SH.ValidationReport))
        g.add((report, SH.conforms, Literal(self.conforms, datatype=XSD.boolean)))
        copied: set[Node] = set()
        for r in self.results:
            g.add((report, SH.result, self._add_result(g, r, copied)))
        return g

    def _add_result(self, g: Graph, r: ValidationResult, copied: set[Node]) -> BNode:
        node = BNode()
        g.add((node, RDF.type, SH.ValidationResult))
        g.add((node, SH.focusNode, r.focus_node))
        g.add((node, SH.sourceShape, r.source_shape))
        g.add((node, SH.sourceConstraintComponent, r.source_constraint_component))
        g.add((node, SH.resultSeverity, r.severity))
        if r.result_path is not None:
            g.add((node, SH.resultPath, r.result_path))
        if r.value is not None:
            g.add((node, SH.value, r.value))
        if r.source_constraint is not None:
            g.add((node, SH.sourceConstraint, r.source_constraint))
        for m in r.messages:
            g.add((node, SH.resultMessage, m))
        for d in r.details:
            g.add((node, SH.detail, self._add_result(g, d, copied)))
        if self.shapes_graph is not None:
            for t in (r.source_shape, r.result_path, r.source_constraint):
                if isinstance(t, BNode):
                    self._copy(g, t, copied, self.shapes_graph.predicate_objects)
        if self.describe is not None:
            for t in (r.focus_node, r.value):
                if isinstance(t, BNode):
                    self._copy(g, t, copied, self.describe)
        return node

    @staticmethod
    def _copy(g: Graph, node: BNode, copied: set[Node], describe: Describe) -> None:
        """Copy a blank node's description, recursively through blank nodes."""
        todo = [node]
        while todo:
            n = todo.pop()
            if n in copied:
                continue
            copied.add(n)
            for p, o in describe(n):
                g.add((n, p, o))
                if isinstance(o, BNode):
                    todo.append(o)
