"""SHACL Core + SHACL-SPARQL validation over a pyoxigraph Store.

Usage::

    v = Validator(shapes_graph)                 # compile once, share freely
    report = v.validate_store(store, [graph])   # or v.validate_graph(rdflib_graph)
"""

from .engine import Validator
from .paths import ShapesGraphError
from .report import Report, ValidationResult
from .sparql import ValidationFailure

__all__ = ["Validator", "Report", "ValidationResult", "ShapesGraphError", "ValidationFailure"]
