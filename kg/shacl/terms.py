"""Moving terms between rdflib and pyoxigraph, and canonical strings for comparing results.

Results leave the engine as rdflib terms (the lead's HTTP layer and pyshacl both speak rdflib),
while evaluation runs on pyoxigraph terms; conversion is cached because the same focus nodes and
shapes recur in thousands of results.
"""

from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from . import xsd
from .vocab import RDF_LANGSTRING, RDF_NS, XSD_STRING

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal
RdfTerm = URIRef | BNode | Literal

_RDF_FIRST = URIRef(RDF_NS + "first")
_RDF_NIL = URIRef(RDF_NS + "nil")


def to_ox(term: Node) -> OxTerm:
    """rdflib → pyoxigraph without canonicalising: the constructor keeps the lexical form."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        try:
            return ox.BlankNode(str(term))
        except ValueError:
            return ox.BlankNode(_safe_bnode_id(str(term)))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None and str(term.datatype) != XSD_STRING:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported RDF term {term!r}")


def _safe_bnode_id(raw: str) -> str:
    return "x" + raw.encode("utf-8").hex()


class ToRdflib:
    """Cached pyoxigraph → rdflib conversion; ``overrides`` restores the caller's own terms.

    validate_graph passes the original rdflib terms as overrides so that reported values keep the
    caller's exact lexical forms, language-tag case and blank-node identifiers.
    """

    def __init__(self, overrides: dict[OxTerm, RdfTerm] | None = None) -> None:
        self._cache: dict[OxTerm, RdfTerm] = dict(overrides) if overrides else {}
        self.cached = self._cache.get  # the converted term if known, else None (no conversion)

    def __call__(self, term: OxTerm) -> RdfTerm:
        hit = self._cache.get(term)
        if hit is not None:
            return hit
        out: RdfTerm
        if isinstance(term, ox.NamedNode):
            # pyoxigraph only holds valid IRIs, so rdflib's own check (and its cost, a third of
            # the conversion) is skipped: this is what URIRef(value) builds for a valid IRI.
            out = str.__new__(URIRef, term.value)
        elif isinstance(term, ox.BlankNode):
            out = BNode(term.value)
        elif isinstance(term, ox.Literal):
            dt = term.datatype.value
            if term.language:
                out = Literal(term.value, lang=term.language)
            elif dt == XSD_STRING:
                out = Literal(term.value)
            elif not xsd.is_well_formed(term.value, dt):
                out = _ill_typed_literal(term.value, URIRef(dt))
            else:
                out = Literal(term.value, datatype=URIRef(dt), normalize=False)
        else:  # pragma: no cover - quoted triples are not SHACL focus nodes
            raise TypeError(f"unsupported term {term!r}")
        self._cache[term] = out
        return out

    convert = __call__


def _ill_typed_literal(lexical: str, datatype: URIRef) -> Literal:
    """An rdflib Literal built without parsing, for values known to be ill-typed.

    rdflib's constructor logs a warning with a traceback for every lexical form it cannot
    parse; reports about ill-typed data would otherwise flood the log.
    """
    lit = str.__new__(Literal, lexical)
    lit._language = None  # type: ignore[attr-defined]
    lit._datatype = datatype  # type: ignore[attr-defined]
    lit._value = None  # type: ignore[attr-defined]
    lit._ill_typed = True  # type: ignore[attr-defined]
    return lit


def term_key(term: Node | None) -> str:
    """A canonical string for a result term: literals normalised the RDF 1.1 way.

    xsd:string and plain literals are the same term in RDF 1.1 and language tags are
    case-insensitive, so both are normalised before comparing our results with pyshacl's.
    """
    if term is None:
        return ""
    if isinstance(term, Literal):
        lex = str(term).replace("\\", "\\\\").replace('"', '\\"')
        if term.language:
            return f'"{lex}"@{term.language.lower()}'
        if term.datatype is None or str(term.datatype) in (XSD_STRING, RDF_LANGSTRING):
            return f'"{lex}"'
        return f'"{lex}"^^<{term.datatype}>'
    if isinstance(term, BNode):
        return f"_:{term}"
    return f"<{term}>"


def node_string(graph: Graph, node: Node, _seen: frozenset[Node] = frozenset()) -> str:
    """Structural string of a node: IRIs and literals as themselves, blank nodes by content.

    Blank-node shapes and paths have no stable identity across graphs (the report graph, the
    shapes graph, a W3C manifest), so they are compared by what they say, recursively.
    """
    if not isinstance(node, BNode):
        return term_key(node)
    if node in _seen:
        return "[cycle]"
    seen = _seen | {node}
    if (node, _RDF_FIRST, None) in graph:
        try:
            items = list(Collection(graph, node))
        except Exception:  # malformed list: fall through to the generic rendering
            items = None
        if items is not None:
            return "(" + " ".join(node_string(graph, i, seen) for i in items) + ")"
    parts = sorted(f"{term_key(p)} {node_string(graph, o, seen)}" for p, o in graph.predicate_objects(node))
    return "[" + "; ".join(parts) + "]"


def make_node_keyer(graph: Graph) -> Callable[[Node], str]:
    """A memoised ``node_string`` for one graph (shape keys are asked for once per shape)."""
    cache: dict[Node, str] = {}

    def keyer(node: Node) -> str:
        hit = cache.get(node)
        if hit is None:
            hit = cache[node] = node_string(graph, node)
        return hit

    return keyer
