"""Loading an rdflib graph into a temporary pyoxigraph store for ``validate_graph``.

pyoxigraph canonicalises literals on insert ("012"^^xsd:nonNegativeInteger becomes
"12"^^xsd:integer) and lowercases language tags, which would change what sh:datatype, sh:pattern
or sh:in see. So the originals are remembered: a restore hook maps each stored (subject,
predicate, canonical literal) back to the caller's literal(s), and an override table maps
pyoxigraph terms back to the caller's rdflib terms for the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import BNode, ConjunctiveGraph, Dataset, Graph, Literal, URIRef
from rdflib.term import Node

from .terms import OxTerm, RdfTerm
from .vocab import XSD_STRING

DATA_GRAPH = ox.NamedNode("urn:agora:shacl:data")
BACKGROUND_GRAPH = ox.NamedNode("urn:agora:shacl:background")


@dataclass
class LoadedGraph:
    store: ox.Store
    overrides: dict[OxTerm, RdfTerm] = field(default_factory=dict)
    originals: dict[tuple[OxTerm, ox.NamedNode, OxTerm], list[OxTerm]] = field(default_factory=dict)
    _terms: dict[Node, OxTerm] = field(default_factory=dict)

    def restore(self, predicate: ox.NamedNode, pairs: list[tuple[OxTerm, OxTerm]]) -> list[tuple[OxTerm, OxTerm]]:
        out: list[tuple[OxTerm, OxTerm]] = []
        get = self.originals.get
        for s, o in pairs:
            orig = get((s, predicate, o))
            if orig:
                out.extend((s, x) for x in orig)
            else:
                out.append((s, o))
        return out

    def term(self, t: Node) -> OxTerm:
        hit = self._terms.get(t)
        if hit is not None:
            return hit
        out: OxTerm
        if isinstance(t, URIRef):
            try:
                out = ox.NamedNode(str(t))
            except ValueError:
                out = ox.NamedNode("urn:agora:shacl:iri:" + str(t).encode("utf-8").hex())
                self.overrides[out] = t
        elif isinstance(t, BNode):
            try:
                out = ox.BlankNode(str(t))
            except ValueError:
                out = ox.BlankNode("x" + str(t).encode("utf-8").hex())
                self.overrides[out] = t
        elif isinstance(t, Literal):
            if t.language:
                out = ox.Literal(str(t), language=t.language)
            elif t.datatype is not None and str(t.datatype) != XSD_STRING:
                out = ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype)))
            else:
                out = ox.Literal(str(t))
            self.overrides.setdefault(out, t)
        else:
            raise TypeError(f"unsupported term {t!r}")
        if not isinstance(t, Literal):
            self._terms[t] = out
        return out


def _triples(g: Graph) -> object:
    if isinstance(g, (Dataset, ConjunctiveGraph)):
        return ((s, p, o) for s, p, o, _ in g.quads((None, None, None, None)))
    return g.triples((None, None, None))


def _at_risk(lit: Literal) -> bool:
    if lit.language:
        return lit.language != lit.language.lower()
    return lit.datatype is not None and str(lit.datatype) != XSD_STRING


def load(data: Graph, background: Graph | None = None) -> LoadedGraph:
    store = ox.Store()
    loaded = LoadedGraph(store)
    risky: list[tuple[OxTerm, ox.NamedNode, OxTerm]] = []
    for graph, name in ((data, DATA_GRAPH), (background, BACKGROUND_GRAPH)):
        if graph is None:
            continue
        quads = []
        for s, p, o in _triples(graph):  # type: ignore[attr-defined]
            os_, op, oo = loaded.term(s), loaded.term(p), loaded.term(o)
            quads.append(ox.Quad(os_, op, oo, name))  # type: ignore[arg-type]
            if name is DATA_GRAPH and isinstance(o, Literal) and _at_risk(o):
                risky.append((os_, op, oo))  # type: ignore[arg-type]
        store.extend(quads)
    if risky:
        canonical = _canonical_forms([o for _, _, o in risky])
        for s, p, o in risky:
            loaded.originals.setdefault((s, p, canonical[o]), []).append(o)
    return loaded


def _canonical_forms(literals: list[OxTerm]) -> dict[OxTerm, OxTerm]:
    """What pyoxigraph stores for each literal: insert into a scratch store and read back."""
    distinct = list(dict.fromkeys(literals))
    scratch = ox.Store()
    p = ox.NamedNode("urn:agora:shacl:p")
    scratch.extend(ox.Quad(ox.NamedNode(f"urn:agora:shacl:l{i}"), p, lit) for i, lit in enumerate(distinct))
    out: dict[OxTerm, OxTerm] = {}
    for q in scratch.quads_for_pattern(None, p, None, ox.DefaultGraph()):
        out[distinct[int(q.subject.value[len("urn:agora:shacl:l") :])]] = q.object
    return out
