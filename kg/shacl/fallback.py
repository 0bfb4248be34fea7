"""pyshacl as a fallback for shapes using features this engine does not implement natively.

SHACL Core and SHACL-SPARQL run natively. Shapes that also use SHACL-AF node expressions
(sh:expression), SHACL-JS, JavaScript-based components or custom target types are handed to
pyshacl instead, so the report stays complete: their focus nodes are computed natively (or, for
custom targets, by pyshacl itself), the neighbourhood of those nodes is copied out of the store
into a small rdflib graph (outgoing edges to ``MAX_DEPTH`` hops, incoming edges of the focus
nodes, rdf:type of every node reached and the rdfs:subClassOf hierarchy), and pyshacl validates
exactly those nodes against exactly that shape, in chunks of ``CHUNK`` nodes. This is exact for
constraints that look no further than ``MAX_DEPTH`` hops from the focus node, which covers
expressions and scripts in practice; deeper SPARQL-style reach is a documented limitation.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable

import pyoxigraph as ox
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .data import DataAccess
from .report import ValidationResult
from .shapes import Shape
from .terms import OxTerm, ToRdflib, make_node_keyer, term_key
from .vocab import OWL_CLASS, OX_RDF_TYPE, OX_SUBCLASS_OF, SH, TARGET_PREDICATES

log = logging.getLogger(__name__)

MAX_DEPTH = 3
CHUNK = 500
MAX_TRIPLES = 2_000_000  # a custom-target shape validates the whole data graph, up to this size


def run(
    shapes_graph: Graph, shape: Shape, data: DataAccess, conv: ToRdflib, focus: set[OxTerm] | None
) -> list[ValidationResult]:
    """Validate ``focus`` (or, if None, the shape's own targets) against ``shape`` with pyshacl."""
    if focus is None:
        return _whole_graph(shapes_graph, shape, data, conv)
    out: list[ValidationResult] = []
    nodes = list(focus)
    for i in range(0, len(nodes), CHUNK):
        chunk = nodes[i : i + CHUNK]
        sub = _neighbourhood(data, chunk, conv)
        out.extend(_pyshacl(_retarget(shapes_graph, shape, [conv(n) for n in chunk]), sub, shapes_graph))
    return out


def _whole_graph(shapes_graph: Graph, shape: Shape, data: DataAccess, conv: ToRdflib) -> list[ValidationResult]:
    g = Graph()
    for graphs in (data.graphs, [x for x in data.type_graphs if x not in data.graphs]):
        for gname in graphs:
            for q in data.store.quads_for_pattern(None, None, None, gname):
                if graphs is not data.graphs and q.predicate not in (OX_RDF_TYPE, OX_SUBCLASS_OF):
                    continue
                g.add((conv(q.subject), conv(q.predicate), conv(q.object)))  # type: ignore[arg-type]
                if len(g) > MAX_TRIPLES:
                    raise RuntimeError(f"shape {shape.label} needs pyshacl on more than {MAX_TRIPLES} triples")
    only = Graph()
    for t in shapes_graph:
        only.add(t)
    for other in set(only.subjects()) - {shape.node}:
        for p in TARGET_PREDICATES:
            only.remove((other, p, None))
    return _pyshacl(only, g, shapes_graph)


def _retarget(shapes_graph: Graph, shape: Shape, focus: Iterable[Node]) -> Graph:
    """A copy of the shapes graph where ``shape`` targets exactly ``focus`` and nothing else does."""
    g = Graph()
    for t in shapes_graph:
        g.add(t)
    for p in TARGET_PREDICATES:
        g.remove((None, p, None))
    for cls in (RDFS.Class, OWL_CLASS):
        for s in list(g.subjects(RDF.type, cls)):
            g.remove((s, RDF.type, cls))
    for f in focus:
        g.add((shape.node, SH.targetNode, f))  # type: ignore[arg-type]
    return g


def _neighbourhood(data: DataAccess, focus: Collection[OxTerm], conv: ToRdflib) -> Graph:
    g = Graph()
    seen: set[OxTerm] = set()
    frontier = [n for n in focus if isinstance(n, (ox.NamedNode, ox.BlankNode))]
    for depth in range(MAX_DEPTH + 1):
        nxt: list[OxTerm] = []
        for n in frontier:
            if n in seen:
                continue
            seen.add(n)
            for t in data.types(n):
                g.add((conv(n), RDF.type, conv(t)))  # type: ignore[arg-type]
            if depth == MAX_DEPTH:
                continue
            for p, o in data.out_edges(n):
                g.add((conv(n), conv(p), conv(o)))  # type: ignore[arg-type]
                if isinstance(o, (ox.NamedNode, ox.BlankNode)):
                    nxt.append(o)
        frontier = nxt
    for n in focus:
        for gname in data.graphs:
            for q in data.store.quads_for_pattern(None, None, n, gname):
                g.add((conv(q.subject), conv(q.predicate), conv(n)))  # type: ignore[arg-type]
    for gname in data.type_graphs:
        for q in data.store.quads_for_pattern(None, OX_SUBCLASS_OF, None, gname):
            g.add((conv(q.subject), RDFS.subClassOf, conv(q.object)))  # type: ignore[arg-type]
    return g


def _pyshacl(shapes: Graph, data: Graph, original_shapes: Graph) -> list[ValidationResult]:
    import pyshacl

    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True)
    key = make_node_keyer(original_shapes)
    out = []
    for r in report.objects(None, SH.result):  # type: ignore[union-attr]

        def one(p: URIRef, r: Node = r) -> Node | None:
            return report.value(r, p)  # type: ignore[union-attr]

        shape_node, path = one(SH.sourceShape), one(SH.resultPath)
        out.append(
            ValidationResult(
                focus_node=one(SH.focusNode),  # type: ignore[arg-type]
                result_path=path,
                value=one(SH.value),
                source_shape=shape_node,  # type: ignore[arg-type]
                source_constraint_component=one(SH.sourceConstraintComponent),  # type: ignore[arg-type]
                severity=one(SH.resultSeverity),  # type: ignore[arg-type]
                messages=tuple(m for m in report.objects(r, SH.resultMessage) if isinstance(m, Literal)),  # type: ignore[union-attr]
                source_constraint=one(SH.sourceConstraint),
                shape_key=key(shape_node) if isinstance(shape_node, BNode) else term_key(shape_node),
                path_key=(key(path) if isinstance(path, BNode) else term_key(path)) if path is not None else "",
            )
        )
    return out
