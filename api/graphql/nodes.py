"""Every node type of the schema in one namespace (lazy type references resolve here), and `classify`.

`classify` picks the GraphQL type of a resource from its rdf:type, for fields whose values may be
of several kinds (a twin is fed by datasets and services; a policy's assignee may be an agent or a
party collection).
"""

from typing import Any

from .types_base import Resource, Thing
from .types_catalog import (
    Attribution,
    Catalog,
    CatalogResource,
    Checksum,
    ContactPoint,
    DataService,
    Dataset,
    Distribution,
    PeriodOfTime,
    Relationship,
)
from .types_community import DataFlow, DataSpace, LocalDigitalTwin, Participation, Place, Stakeholder, UseCase
from .types_concepts import Concept, Sector
from .types_policy import Constraint, PartyFunction, Policy, Rule

NODE_TYPES: list[type[Resource]] = [
    Dataset, DataService, Catalog, Distribution, UseCase, LocalDigitalTwin, DataSpace, Policy, Sector, Concept,
    Place, Stakeholder, ContactPoint, Thing,
]
"""Most specific first: a sector is also a skos:Concept, and anything described is at least a Thing."""

STRUCTURE_TYPES = [PeriodOfTime, Relationship, Attribution, Checksum, Participation, DataFlow, Rule, Constraint]

__all__ = [
    "Attribution", "Catalog", "CatalogResource", "Checksum", "Concept", "Constraint", "ContactPoint", "DataFlow",
    "DataService", "DataSpace", "Dataset", "Distribution", "LocalDigitalTwin", "NODE_TYPES", "Participation",
    "PartyFunction", "PeriodOfTime", "Place", "Policy", "Relationship", "Resource", "Rule", "STRUCTURE_TYPES",
    "Sector", "Stakeholder", "Thing", "UseCase", "classify",
]


def classify(iri: str, props: dict[str, list[Any]]) -> Resource:
    """The most specific node type for a described resource (Thing when nothing fits)."""
    for cls in NODE_TYPES:
        node = cls.accept(iri, props)
        if node is not None:
            return node
    return Thing(iri=iri)
