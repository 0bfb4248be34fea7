"""The GraphQL types do not drift from the SHACL shapes.

Every field that reads an RDF property records it (field metadata `path`). For each GraphQL type,
the properties its fields read must be properties the shapes constrain for the type's classes,
and every property the shapes constrain for those classes must have a field. Fields that are not
a shape property (identifiers, inverse lists, computed fields) and properties the shapes do not
mention are listed here explicitly, each with the reason, so that adding one is a decision.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from strawberry.utils.str_converters import to_camel_case

from agora.api.graphql.nodes import NODE_TYPES, STRUCTURE_TYPES

SHAPES = Path(__file__).resolve().parents[1] / "shapes"
AGORA = "https://w3id.org/agora/ns#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFNS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

NOT_A_SHAPE_PROPERTY = {
    # Relay and the Resource interface.
    "*": {"id", "iri", "label", "types"},
    "Dataset": {"catalogs", "usedBy", "servedBy", "feeds"},  # inverse links
    "Distribution": {"datasets"},  # inverse
    "DataService": {"catalogs", "distributions", "usedBy", "feeds"},  # inverse
    "Catalog": {"parentCatalogs", "dataSpaces"},  # inverse
    "Stakeholder": {"datasets", "dataServices", "catalogs", "useCases", "governs"},  # inverse
    "UseCase": {"stakeholders", "flowDecisions"},  # computed from the participations / by the policy engine
    "LocalDigitalTwin": {"usedBy"},  # inverse
    "DataSpace": {"useCases"},  # inverse
    "Place": {"partOf", "datasets", "stakeholders", "useCases", "twins"},  # inverse
    "Policy": {"governs", "kind"},  # inverse; computed from rdf:type
    "Rule": {"kind", "parties"},  # computed from rdf:type and the ODRL party functions
    "Concept": {"narrower", "mappedConcepts", "datasets"},  # inverse / both directions / computed
}

UNSHAPED = {
    # Properties the shapes do not constrain on these classes but the catalog uses.
    "Stakeholder": {DCT + "description", FOAF + "homepage"},  # descriptive, free text and page
    "Policy": {DCT + "title", DCT + "description", DCT + "issued"},  # Agora's policies carry metadata
    "Rule": {"http://www.w3.org/ns/odrl/2/constraint", "http://www.w3.org/ns/odrl/2/duty"},  # shaped on their values
    "LocalDigitalTwin": {DCT + "publisher"},  # who runs the twin
    "DataSpace": {FOAF + "homepage"},
    "Place": {SKOS + "prefLabel", DCT + "hasPart"},  # names and containment of places
    "Concept": {SKOS + p for p in ("altLabel", "definition", "notation", "inScheme", "broader", "exactMatch",
                                   "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")},  # SKOS structure
}

NOT_EXPOSED = {
    # Shape properties without a field of their own.
    "Constraint": {RDFNS + "first"},  # RDF list cells of logical constraints: unrolled into and/or/xone
}


def _paths_of_shape(g: rdflib.Graph, shape: rdflib.term.Node, seen: set) -> set[str]:
    """Property paths a node shape constrains on its focus node (through sh:property and the
    logical combinations sh:and/sh:or/sh:xone, which keep the same focus node)."""
    if shape in seen:
        return set()
    seen.add(shape)
    out: set[str] = set()
    path = g.value(shape, SH.path)
    if isinstance(path, rdflib.URIRef):
        out.add(str(path))
    for prop in g.objects(shape, SH.property):
        p = g.value(prop, SH.path)
        if isinstance(p, rdflib.URIRef):
            out.add(str(p))
    for combinator in (SH["and"], SH["or"], SH.xone):
        for head in g.objects(shape, combinator):
            for member in Collection(g, head):
                out |= _paths_of_shape(g, member, seen)
    return out


@pytest.fixture(scope="module")
def shapes() -> tuple[dict[str, set[str]], set[str]]:
    """Class IRI -> constrained paths, and the paths constrained on any subject that has them."""
    g = rdflib.Graph()
    for f in ("dcat-ap-3.ttl", "agora.ttl"):
        g.parse(SHAPES / f)
    by_class: dict[str, set[str]] = {}
    anywhere: set[str] = set()
    for shape in set(g.subjects(RDF.type, SH.NodeShape)):
        paths = _paths_of_shape(g, shape, set())
        for cls in g.objects(shape, SH.targetClass):
            by_class.setdefault(str(cls), set()).update(paths)
        for pred in g.objects(shape, SH.targetSubjectsOf):
            if str(pred) in paths:
                anywhere.add(str(pred))
    return by_class, anywhere


def _fields(cls: type) -> dict[str, dict]:
    return {f.graphql_name or to_camel_case(f.python_name): dict(f.metadata or {})
            for f in cls.__strawberry_definition__.fields}


UNSHAPED_TYPES = {"Sector", "Relationship", "Attribution", "Checksum"}
"""GraphQL types whose RDF classes no SHACL shape targets (reviewed: optional DCAT-AP classes and SKOS sectors)."""

CHECKED = [c for c in [*NODE_TYPES, *STRUCTURE_TYPES] if getattr(c, "RDF_TYPES", None)]


@pytest.mark.parametrize("cls", CHECKED, ids=lambda c: c.__name__)
def test_fields_read_shape_properties(cls: type, shapes: tuple[dict[str, set[str]], set[str]]) -> None:
    by_class, anywhere = shapes
    name = cls.__strawberry_definition__.name
    constrained = set().union(*(by_class.get(c, set()) for c in cls.RDF_TYPES))
    if not constrained:
        # Types no shape targets (SKOS sector concepts, DCAT relationships, PROV attributions, SPDX checksums)
        # have nothing to drift from; they must be the reviewed ones.
        assert name in UNSHAPED_TYPES, f"no shape targets {name}: add shapes for it or list it in UNSHAPED_TYPES"
        return
    assert name not in UNSHAPED_TYPES, f"{name} is shaped now: remove it from UNSHAPED_TYPES"
    allowed = constrained | anywhere | UNSHAPED.get(name, set())
    free = NOT_A_SHAPE_PROPERTY["*"] | NOT_A_SHAPE_PROPERTY.get(name, set())
    for field, meta in _fields(cls).items():
        if "path" in meta:
            assert meta["path"] in allowed, f"{name}.{field} reads {meta['path']}, which no shape constrains"
        else:
            assert field in free, f"{name}.{field} reads no shape property and is not listed as computed/inverse"
    listed_unused = (free - set(_fields(cls))) - NOT_A_SHAPE_PROPERTY["*"]
    assert not listed_unused, f"{name}: listed fields that do not exist: {listed_unused}"


@pytest.mark.parametrize("cls", CHECKED, ids=lambda c: c.__name__)
def test_shape_properties_have_fields(cls: type, shapes: tuple[dict[str, set[str]], set[str]]) -> None:
    by_class, _ = shapes
    name = cls.__strawberry_definition__.name
    constrained = set().union(*(by_class.get(c, set()) for c in cls.RDF_TYPES))
    read = {meta["path"] for meta in _fields(cls).values() if "path" in meta}
    missing = constrained - read - NOT_EXPOSED.get(name, set())
    assert not missing, f"{name} has no field for the shape properties {sorted(missing)}"


def test_every_exposed_shape_class_is_checked(shapes: tuple[dict[str, set[str]], set[str]]) -> None:
    by_class, _ = shapes
    checked = {c for cls in CHECKED for c in cls.RDF_TYPES}
    for must in ("http://www.w3.org/ns/dcat#Dataset", "http://www.w3.org/ns/dcat#Distribution",
                 "http://www.w3.org/ns/dcat#DataService", "http://www.w3.org/ns/dcat#Catalog",
                 AGORA + "UseCase", AGORA + "Participation", AGORA + "DataFlow", AGORA + "LocalDigitalTwin",
                 AGORA + "DataSpace", "http://www.w3.org/ns/odrl/2/Policy", "http://www.w3.org/ns/odrl/2/Permission",
                 "http://www.w3.org/ns/odrl/2/Constraint", FOAF + "Agent", DCT + "Location", SKOS + "Concept"):
        assert must in checked and must in by_class, must
