"""Compiling an rdflib shapes graph into Shape objects with ready-to-run constraints.

Compilation happens once per Validator so that validation never touches the shapes graph: every
parameter is parsed, converted to pyoxigraph terms and checked here, and every shape reachable
from a targeted shape is built eagerly (which also keeps a compiled Validator read-only and hence
safe to share between threads).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.collection import Collection as RdfList
from rdflib.term import Node

from . import constraints as C
from .paths import Path, ShapesGraphError, parse_path
from .sparql import ComponentDef, SparqlConstraint, SparqlTarget, compile_components, sparql_constraints
from .terms import OxTerm, make_node_keyer, to_ox
from .vocab import NODE_KINDS, OWL_CLASS, SH, VIOLATION


@dataclass(eq=False)
class Targets:
    nodes: list[OxTerm] = field(default_factory=list)
    classes: list[OxTerm] = field(default_factory=list)
    subjects_of: list[ox.NamedNode] = field(default_factory=list)
    objects_of: list[ox.NamedNode] = field(default_factory=list)
    sparql: list[SparqlTarget] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.nodes or self.classes or self.subjects_of or self.objects_of or self.sparql)


@dataclass(eq=False)
class Shape:
    uid: int
    node: Node
    key: str
    ox_node: OxTerm
    label: str
    path: Path | None = None
    path_node: Node | None = None
    path_key: str = ""
    path_label: str = ""
    severity: URIRef = VIOLATION
    messages: tuple[Literal, ...] = ()
    deactivated: bool = False
    targets: Targets = field(default_factory=Targets)
    constraints: list[C.Constraint] = field(default_factory=list)
    # When the only constraints are counts: how many values suffice to decide them.
    count_cap: int | None = None
    # Features only pyshacl implements (SHACL-AF expressions, SHACL-JS, custom target types):
    # such a shape is validated entirely by the fallback.
    foreign: list[str] = field(default_factory=list)
    foreign_targets: bool = False

    @property
    def is_property(self) -> bool:
        return self.path is not None

    def __repr__(self) -> str:
        return f"<Shape {self.label}>"


class ShapesModel:
    """All shapes of a shapes graph that validation can reach, compiled."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._key = make_node_keyer(graph)
        self.shapes: dict[Node, Shape] = {}
        self.unsupported: list[str] = []
        self.components: list[ComponentDef] = compile_components(graph, self.unsupported)
        self._uid = itertools.count()
        self._shape_types = set(_subclasses(graph, SH.NodeShape)) | set(_subclasses(graph, SH.PropertyShape))
        self._class_types = set(_subclasses(graph, RDFS.Class)) | {OWL_CLASS}
        self._parents: dict[Node, list[Node]] = {}
        for parent, child in graph.subject_objects(SH.property):
            self._parents.setdefault(child, []).append(parent)
        for node in self._candidates():
            self.shape(node)
        self.targeted: list[Shape] = [
            s for s in self.shapes.values() if (s.targets or s.foreign_targets) and not s.deactivated
        ]
        self._link_siblings()
        for shape in self.shapes.values():
            if shape.foreign:
                self.unsupported.append(
                    f"{shape.label} uses {', '.join(shape.foreign)}: validated by the pyshacl fallback when targeted;"
                    " where it is nested (sh:node, sh:or...) only its Core/SPARQL constraints are checked"
                )

    # ---------------------------------------------------------------- discovery

    def _candidates(self) -> list[Node]:
        g = self.graph
        found: dict[Node, None] = {}
        for cls in self._shape_types:
            for s in g.subjects(RDF.type, cls):
                found[s] = None
        for p in (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf, SH.target):
            for s in g.subjects(p, None):
                found[s] = None
        return [n for n in found if not isinstance(n, Literal)]

    def shape(self, node: Node) -> Shape:
        hit = self.shapes.get(node)
        if hit is not None:
            return hit
        if isinstance(node, Literal):
            raise ShapesGraphError(f"a literal cannot be a shape: {node!r}")
        g = self.graph
        label = node.n3(g.namespace_manager) if isinstance(node, URIRef) else f"[{self._key(node)[:60]}]"
        shape = Shape(uid=next(self._uid), node=node, key=self._key(node), ox_node=to_ox(node), label=label)
        self.shapes[node] = shape  # before parsing constraints: shapes may be recursive
        path_node = g.value(node, SH.path)
        if path_node is not None:
            shape.path = parse_path(g, path_node)
            shape.path_node = path_node
            shape.path_key = self._key(path_node)
            shape.path_label = (
                path_node.n3(g.namespace_manager) if isinstance(path_node, URIRef) else shape.path.sparql()
            )
        sev = g.value(node, SH.severity)
        shape.severity = sev if isinstance(sev, URIRef) else VIOLATION
        shape.messages = tuple(m for m in g.objects(node, SH.message) if isinstance(m, Literal))
        shape.deactivated = any(_is_true(d) for d in g.objects(node, SH.deactivated))
        shape.targets = self._targets(node)
        shape.constraints = self._constraints(node, shape)
        if shape.constraints and all(isinstance(c, (C.MinCountC, C.MaxCountC)) for c in shape.constraints):
            shape.count_cap = max(c.n if isinstance(c, C.MinCountC) else c.n + 1 for c in shape.constraints)
        return shape

    def _targets(self, node: Node) -> Targets:
        g = self.graph
        t = Targets(
            nodes=[to_ox(n) for n in g.objects(node, SH.targetNode)],
            classes=[to_ox(c) for c in g.objects(node, SH.targetClass) if not isinstance(c, Literal)],
            subjects_of=[ox.NamedNode(str(p)) for p in g.objects(node, SH.targetSubjectsOf) if isinstance(p, URIRef)],
            objects_of=[ox.NamedNode(str(p)) for p in g.objects(node, SH.targetObjectsOf) if isinstance(p, URIRef)],
        )
        types = set(g.objects(node, RDF.type))
        if (
            isinstance(node, URIRef)
            and not types.isdisjoint(self._class_types)
            and not types.isdisjoint(self._shape_types)
        ):
            t.classes.append(to_ox(node))
        for tnode in g.objects(node, SH.target):
            if g.value(tnode, SH.select) is None:
                self.shapes[node].foreign.append(f"custom target {tnode}")
                self.shapes[node].foreign_targets = True
                continue
            st = SparqlTarget.parse(g, tnode, self.unsupported)
            if st is not None:
                t.sparql.append(st)
        return t

    # ---------------------------------------------------------------- constraints

    def _constraints(self, node: Node, shape: Shape) -> list[C.Constraint]:
        g = self.graph
        is_prop = shape.path is not None
        out: list[C.Constraint] = []

        def values(p: URIRef) -> list[Node]:
            return list(g.objects(node, p))

        for v in values(SH["class"]):
            out.append(C.ClassC(to_ox(v)))
        for v in values(SH.datatype):
            if not isinstance(v, URIRef):
                raise ShapesGraphError(f"sh:datatype must be an IRI on {shape.label}")
            out.append(C.DatatypeC(str(v)))
        for v in values(SH.nodeKind):
            if v not in NODE_KINDS:
                raise ShapesGraphError(f"unknown sh:nodeKind {v} on {shape.label}")
            out.append(C.NodeKindC(v, NODE_KINDS[v]))
        if is_prop:
            for v in values(SH.minCount):
                out.append(C.MinCountC(_int(v, "sh:minCount")))
            for v in values(SH.maxCount):
                out.append(C.MaxCountC(_int(v, "sh:maxCount")))
            if any(_is_true(v) for v in values(SH.uniqueLang)):
                out.append(C.UniqueLangC())
            for v in values(SH.lessThan):
                out.append(C.LessThanC(_iri(v, "sh:lessThan"), or_equals=False))
            for v in values(SH.lessThanOrEquals):
                out.append(C.LessThanC(_iri(v, "sh:lessThanOrEquals"), or_equals=True))
        for param in (SH.minExclusive, SH.minInclusive, SH.maxExclusive, SH.maxInclusive):
            for v in values(param):
                if not isinstance(v, Literal):
                    raise ShapesGraphError(f"{param} must be a literal on {shape.label}")
                out.append(C.RangeC(param, v))
        for v in values(SH.minLength):
            out.append(C.LengthC(_int(v, "sh:minLength"), is_min=True))
        for v in values(SH.maxLength):
            out.append(C.LengthC(_int(v, "sh:maxLength"), is_min=False))
        flags = g.value(node, SH.flags)
        for v in values(SH.pattern):
            out.append(C.PatternC(str(v), str(flags) if flags is not None else ""))
        for v in values(SH.languageIn):
            out.append(C.LanguageInC([str(x) for x in self._list(v)]))
        for v in values(SH.equals):
            out.append(C.EqualsC(_iri(v, "sh:equals")))
        for v in values(SH.disjoint):
            out.append(C.DisjointC(_iri(v, "sh:disjoint")))
        for v in values(SH["not"]):
            out.append(C.NotC(self.shape(v)))
        for v in values(SH["and"]):
            out.append(C.AndC([self.shape(x) for x in self._list(v)]))
        for v in values(SH["or"]):
            out.append(C.OrC([self.shape(x) for x in self._list(v)]))
        for v in values(SH.xone):
            out.append(C.XoneC([self.shape(x) for x in self._list(v)]))
        for v in values(SH.node):
            out.append(C.NodeC(self.shape(v)))
        for v in values(SH.property):
            out.append(C.PropertyC(self.shape(v)))
        qmin = [_int(v, "sh:qualifiedMinCount") for v in values(SH.qualifiedMinCount)]
        qmax = [_int(v, "sh:qualifiedMaxCount") for v in values(SH.qualifiedMaxCount)]
        disjoint = any(_is_true(v) for v in values(SH.qualifiedValueShapesDisjoint))
        for v in values(SH.qualifiedValueShape):
            qs = self.shape(v)
            out.extend(C.QualifiedC(qs, n, is_min=True, disjoint=disjoint) for n in qmin)
            out.extend(C.QualifiedC(qs, n, is_min=False, disjoint=disjoint) for n in qmax)
        if any(_is_true(v) for v in values(SH.closed)):
            allowed = {str(p) for ps in values(SH.property) for p in g.objects(ps, SH.path) if isinstance(p, URIRef)}
            for lst in values(SH.ignoredProperties):
                allowed.update(str(x) for x in self._list(lst))
            out.append(C.ClosedC(frozenset(allowed)))
        for v in values(SH.hasValue):
            out.append(C.HasValueC(to_ox(v)))
        for v in values(SH["in"]):
            out.append(C.InC([to_ox(x) for x in self._list(v)]))
        for v in values(SH.sparql):
            sc = sparql_constraints(g, v, shape, self.unsupported)
            if sc is not None:
                out.append(SparqlConstraint(sc))
        for comp in self.components:
            out.extend(comp.instantiate(g, node, shape, self.unsupported))
        for param in FOREIGN_PARAMETERS:
            if (node, param, None) in g:
                shape.foreign.append(f"{param.n3(g.namespace_manager)}")
        return out

    def _list(self, head: Node) -> list[Node]:
        try:
            return list(RdfList(self.graph, head))
        except Exception as e:  # rdflib raises assorted errors on broken lists
            raise ShapesGraphError(f"malformed RDF list at {head}: {e}") from e

    def _link_siblings(self) -> None:
        g = self.graph
        for shape in self.shapes.values():
            for c in shape.constraints:
                if not (isinstance(c, C.QualifiedC) and c.disjoint):
                    continue
                sib_nodes: dict[Node, None] = {}
                for parent in self._parents.get(shape.node, ()):
                    for ps in g.objects(parent, SH.property):
                        for q in g.objects(ps, SH.qualifiedValueShape):
                            sib_nodes[q] = None
                sib_nodes.pop(c.shape.node, None)
                c.siblings = [self.shape(n) for n in sib_nodes]


FOREIGN_PARAMETERS = (SH.expression, SH.js)


def _subclasses(g: Graph, cls: URIRef) -> list[Node]:
    seen = {cls}
    todo: list[Node] = [cls]
    while todo:
        for sub in g.subjects(RDFS.subClassOf, todo.pop()):
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return list(seen)


def _is_true(v: Node) -> bool:
    """Only the literal ``true`` switches a boolean parameter on (SHACL never mentions "1")."""
    return isinstance(v, Literal) and v.datatype == XSD.boolean and str(v) == "true"


def _int(v: Node, name: str) -> int:
    if not isinstance(v, Literal) or not isinstance(v.value, int) or isinstance(v.value, bool) or v.value < 0:
        raise ShapesGraphError(f"{name} must be a non-negative integer, got {v!r}")
    return int(v.value)


def _iri(v: Node, name: str) -> str:
    if not isinstance(v, URIRef):
        raise ShapesGraphError(f"{name} must be an IRI, got {v!r}")
    return str(v)


__all__ = ["Shape", "ShapesModel", "Targets", "ShapesGraphError"]
