"""SHACL, RDF and XSD IRIs in the two term models the engine straddles.

Shapes are parsed with rdflib (the lead hands us an ``rdflib.Graph``) while data is read from
pyoxigraph, so each IRI the engine compares against exists once per model; building them once
here keeps hot loops free of constructor calls.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, Namespace, URIRef

SH = Namespace("http://www.w3.org/ns/shacl#")
OWL_CLASS = URIRef("http://www.w3.org/2002/07/owl#Class")

SH_NS = str(SH)
XSD_NS = str(XSD)
RDF_NS = str(RDF)

OX_RDF_TYPE = ox.NamedNode(RDF_NS + "type")
OX_SUBCLASS_OF = ox.NamedNode(str(RDFS.subClassOf))
XSD_STRING = XSD_NS + "string"
RDF_LANGSTRING = RDF_NS + "langString"

VIOLATION = SH.Violation
WARNING = SH.Warning
INFO = SH.Info

# Node kinds: which Python term classes each sh:nodeKind value admits.
NODE_KINDS: dict[URIRef, frozenset[type]] = {
    SH.IRI: frozenset({ox.NamedNode}),
    SH.BlankNode: frozenset({ox.BlankNode}),
    SH.Literal: frozenset({ox.Literal}),
    SH.BlankNodeOrIRI: frozenset({ox.NamedNode, ox.BlankNode}),
    SH.BlankNodeOrLiteral: frozenset({ox.BlankNode, ox.Literal}),
    SH.IRIOrLiteral: frozenset({ox.NamedNode, ox.Literal}),
}

# Predicates whose presence makes a node a shape (SHACL 2.1: subjects of parameters/targets).
TARGET_PREDICATES = (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf, SH.target)
