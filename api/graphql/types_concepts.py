"""SKOS concepts (themes, local vocabularies, roles, purposes, EU tables) and Agora sectors.

A concept's datasets include, with `expand`, those tagged with a concept mapped to it
(skos:exactMatch/closeMatch, either direction), which is how a search for Copenhagen's
"trafiktælling" also finds Amsterdam's "verkeersintensiteit" datasets.
"""

from typing import Annotated

import strawberry

from .fields import (
    After,
    Before,
    Filter,
    First,
    Last,
    lazy,
    links,
    node_class,
    queried_connection,
    related,
    text,
    texts,
    value,
    values,
)
from .filters import TAGS, concept_tagged, dataset_constraints
from .paging import Connection, make_slice
from .types_base import Resource

SKOS = "http://www.w3.org/2004/02/skos/core#"
AGORA = "https://w3id.org/agora/ns#"
DCAT = "http://www.w3.org/ns/dcat#"
MAPPINGS = ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")
_ANY_MAPPING = "|".join(f"<{SKOS}{m}>|^<{SKOS}{m}>" for m in MAPPINGS)

Expand = Annotated[bool, strawberry.argument(
    description="Include datasets tagged with concepts mapped to this one (skos:exactMatch/closeMatch, both ways).")]


@strawberry.type(description="A SKOS concept: a theme, a local subject term, a role, a purpose, a code.")
class Concept(Resource):
    RDF_TYPES = frozenset({SKOS + "Concept"})

    pref_label = text(SKOS + "prefLabel", "The preferred label in the preferred language.")
    pref_labels = texts(SKOS + "prefLabel", "The preferred label in every language.")
    alt_labels = texts(SKOS + "altLabel", "Alternative labels and synonyms (skos:altLabel).")
    definition = text(SKOS + "definition", "The definition (skos:definition).")
    notation = value(SKOS + "notation", "The code (skos:notation).")
    in_schemes = values(SKOS + "inScheme", "Concept schemes it belongs to (skos:inScheme).")
    broader = links(SKOS + "broader", "Concept", "Broader concepts in its scheme (skos:broader).")
    narrower = related(f"{{ ?item <{SKOS}broader> ?parent }} UNION {{ ?parent <{SKOS}narrower> ?item }}", "Concept",
                       "Narrower concepts (skos:broader pointing here, or skos:narrower).")
    exact_matches = links(SKOS + "exactMatch", "Concept", "Equivalent concepts in other schemes (skos:exactMatch).")
    close_matches = links(SKOS + "closeMatch", "Concept", "Nearly equivalent concepts (skos:closeMatch).")
    broad_matches = links(SKOS + "broadMatch", "Concept", "Broader concepts in other schemes (skos:broadMatch).")
    narrow_matches = links(SKOS + "narrowMatch", "Concept", "Narrower concepts elsewhere (skos:narrowMatch).")
    related_matches = links(SKOS + "relatedMatch", "Concept", "Related concepts elsewhere (skos:relatedMatch).")
    mapped_concepts = related(f"?parent ({_ANY_MAPPING}) ?item . FILTER(?item != ?parent)", "Concept",
                              "Every concept mapped to or from this one (all SKOS mapping properties, both ways).")

    @strawberry.field(description="Datasets tagged with this concept (dcat:theme or agora:sector), in any city.")
    async def datasets(self, info: strawberry.Info, expand: Expand = True, first: First = None,
                       after: After = None, last: Last = None, before: Before = None,
                       filter: Filter = None) -> Connection[lazy("Dataset")]:
        s = make_slice(first, after, last, before)
        tagged = concept_tagged("?parent", expand) if expand else f"?item {TAGS} ?parent ."
        c = await dataset_constraints(info.context, filter)
        return await queried_connection(info, f"{tagged} {c.sparql}", self.iri, s, node_class("Dataset"),
                                        (DCAT + "Dataset",), c.allowed)


@strawberry.type(description="An Agora sector (mobility, energy, water...), a concept of the sector scheme.")
class Sector(Concept):
    RDF_TYPES = frozenset({AGORA + "Sector"})

    use_cases = related(f"?item <{AGORA}sector> ?parent .", "UseCase", "Use cases in this sector.",
                        classes=(AGORA + "UseCase",))
    data_services = related(f"?item <{AGORA}sector> ?parent .", "DataService", "Data services in this sector.",
                            classes=(DCAT + "DataService",))
    twins = related(f"?item <{AGORA}sector> ?parent .", "LocalDigitalTwin", "Local digital twins covering it.",
                    classes=(AGORA + "LocalDigitalTwin",))
