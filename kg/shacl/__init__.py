"""SHACL Core + SHACL-SPARQL validation over a pyoxigraph Store.

Usage::

    v = Validator(shapes_graph)                 # compile once, share freely
    report = v.validate_store(store, [graph])   # or v.validate_graph(rdflib_graph)

Coverage: all SHACL Core targets, paths and constraint components (98/98 W3C Core tests);
SHACL-SPARQL sh:sparql constraints, SPARQL-based constraint components (ASK and SELECT
validators) and SPARQL targets, run on pyoxigraph per focus node. Shapes using SHACL-AF node
expressions, SHACL-JS or custom target types are validated by pyshacl on an extracted
neighbourhood (``fallback``). Not supported: ``$shapesGraph`` in SPARQL (the shapes graph is not
in the store); such constraints are listed in ``Validator.unsupported`` and ``Report.unsupported``.

Module map: ``shapes`` compiles the shapes graph (``paths``, ``constraints``, ``sparql``),
``engine`` plans a validation, ``pushdown`` answers common constraints inside pyoxigraph,
``evaluator`` runs everything else in batches over ``data`` (store access, restore hook),
``targets`` finds focus nodes, ``report`` holds results, ``rdfinput`` loads rdflib graphs,
``xsd`` knows lexical spaces and value order, ``fallback`` wraps pyshacl.
"""

from .engine import Validator
from .paths import ShapesGraphError
from .report import Report, ValidationResult
from .sparql import ValidationFailure

__all__ = ["Validator", "Report", "ValidationResult", "ShapesGraphError", "ValidationFailure"]
