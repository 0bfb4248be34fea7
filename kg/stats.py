"""Counts shown on the landing page and in `agora sources`."""

from __future__ import annotations

from typing import Any

from .query import run_query

_COUNTS = """
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX agora: <https://w3id.org/agora/ns#>
PREFIX odrl: <http://www.w3.org/ns/odrl/2/>
SELECT ?kind (COUNT(DISTINCT ?x) AS ?n) WHERE {
  VALUES (?kind ?class) {
    ("datasets" dcat:Dataset) ("services" dcat:DataService) ("stakeholders" foaf:Organization)
    ("use_cases" agora:UseCase) ("policies" odrl:Policy) ("policies" odrl:Set) ("policies" odrl:Offer)
    ("policies" odrl:Agreement) ("catalogs" dcat:Catalog) ("twins" agora:LocalDigitalTwin)
  }
  ?x a ?class .
} GROUP BY ?kind
"""


def catalog_counts(store: Any) -> dict[str, int]:
    counts = {k: 0 for k in ("datasets", "services", "stakeholders", "use_cases", "policies", "catalogs", "twins")}
    outcome = run_query(store, _COUNTS)
    assert outcome.rows is not None
    for kind, n in outcome.rows:
        counts[kind.value] = int(n.value)  # type: ignore[union-attr]
    return counts
