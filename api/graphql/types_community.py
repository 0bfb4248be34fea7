"""The smart-community side (Agora ontology): stakeholders, use cases, twins, data spaces, places.

Checked against shapes/agora.ttl (and the DCAT-AP agent and location shapes) by
tests/test_graphql_shapes.py.
"""

from typing import Any

import pyoxigraph as ox
import strawberry

from . import terms
from .fields import (
    After,
    Before,
    First,
    Last,
    inline_connection,
    links,
    links_any,
    node_class,
    ref,
    related,
    related_any,
    structures,
    text,
    texts,
    value,
)
from .paging import Connection, make_slice
from .policy import FlowDecision, flow_decisions
from .types_base import Resource

AGORA = "https://w3id.org/agora/ns#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
ORG = "http://www.w3.org/ns/org#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
LOCN = "http://www.w3.org/ns/locn#"
AGENT_TYPES = frozenset({FOAF + "Agent", FOAF + "Organization", FOAF + "Person", FOAF + "Group",
                         ORG + "Organization", ORG + "FormalOrganization", ORG + "OrganizationalUnit"})
AGENT_PATTERN = f"VALUES ?f_agent_type {{ {' '.join(f'<{t}>' for t in sorted(AGENT_TYPES))} }} ?item a ?f_agent_type ."


@strawberry.type(description="An organisation (or person) taking part in the data space, with its roles.")
class Stakeholder(Resource):
    RDF_TYPES = AGENT_TYPES

    name = text(FOAF + "name", "The name (foaf:name) in the preferred language.")
    names = texts(FOAF + "name", "The name in every language.")
    type = ref(DCT + "type", "Concept", "Kind of organisation (dct:type, ADMS publisher type).")
    roles = links(AGORA + "hasRole", "Concept", "Roles it plays in data spaces (agora:hasRole).")
    description = text(DCT + "description", "A description (dct:description).")
    homepage = value(FOAF + "homepage", "The homepage (foaf:homepage).")
    cities = links(AGORA + "city", "Place", "Cities where it is based or active (agora:city).")
    member_of = links(AGORA + "memberOf", "DataSpace", "Data spaces it belongs to (agora:memberOf).")
    datasets = related(f"?item <{DCT}publisher> ?parent .", "Dataset", "Datasets it publishes, filterable.",
                       classes=(DCAT + "Dataset",), filterable=True)
    data_services = related(f"?item <{DCT}publisher> ?parent .", "DataService", "Data services it publishes.",
                            classes=(DCAT + "DataService",))
    catalogs = related(f"?item <{DCT}publisher> ?parent .", "Catalog", "Catalogs it publishes.",
                       classes=(DCAT + "Catalog",))
    use_cases = related(f"?item <{AGORA}participation>/<{AGORA}participant> ?parent .", "UseCase",
                        "Use cases it participates in.")
    governs = related(f"?item <{AGORA}governanceAuthority> ?parent .", "DataSpace",
                      "Data spaces it governs.")


@strawberry.type(description="A stakeholder's participation in a use case, with its roles there.")
class Participation:
    RDF_TYPES = frozenset({AGORA + "Participation"})
    term: strawberry.Private[Any]

    stakeholder = ref(AGORA + "participant", "Stakeholder", "The participant (agora:participant).")
    roles = links(AGORA + "role", "Concept", "Its roles in this use case (agora:role).")


@strawberry.type(description="A data exchange in a use case: which dataset, from whom, to whom, why, under what.")
class DataFlow:
    RDF_TYPES = frozenset({AGORA + "DataFlow"})
    term: strawberry.Private[Any]

    dataset = ref(AGORA + "flowDataset", "Dataset", "The dataset exchanged (agora:flowDataset).")
    provider = ref(AGORA + "provider", "Stakeholder", "Who provides it (agora:provider).")
    recipient = ref(AGORA + "recipient", "Stakeholder", "Who receives it (agora:recipient).")
    policy = ref(AGORA + "governedBy", "Policy", "The ODRL policy governing the exchange (agora:governedBy).")
    purpose = ref(AGORA + "purpose", "Concept", "The purpose of the exchange (agora:purpose).")


@strawberry.type(description="A smart-community use case: goal, participants, datasets, data flows.")
class UseCase(Resource):
    RDF_TYPES = frozenset({AGORA + "UseCase"})

    @strawberry.field(description="For each data flow: may the recipient use the dataset for its purpose "
                                  "(the policy engine's decision and duties)?")
    async def flow_decisions(self, info: strawberry.Info) -> list[FlowDecision]:
        import asyncio

        return await asyncio.to_thread(flow_decisions, info.context.store, self.iri)

    title = text(DCT + "title", "The title in the preferred language.")
    titles = texts(DCT + "title", "The title in every language.")
    description = text(DCT + "description", "The description in the preferred language.")
    descriptions = texts(DCT + "description", "The description in every language.")
    goal = text(AGORA + "goal", "What the use case wants to achieve (agora:goal).")
    outcome = text(AGORA + "outcome", "What it achieved so far (agora:outcome).")
    sectors = links(AGORA + "sector", "Sector", "Sectors (agora:sector).")
    status = ref(AGORA + "status", "Concept", "Status: planned, pilot, active... (agora:status).")
    cities = links(AGORA + "city", "Place", "Cities involved (agora:city).")
    participations = structures(AGORA + "participation", "Participation",
                                "Participants with their roles (agora:participation).")
    datasets = links(AGORA + "usesDataset", "Dataset", "Datasets used (agora:usesDataset).")
    services = links(AGORA + "usesService", "DataService", "Data services used (agora:usesService).")
    twins = links(AGORA + "usesTwin", "LocalDigitalTwin", "Local digital twins used (agora:usesTwin).")
    data_spaces = links(AGORA + "inDataSpace", "DataSpace", "Data spaces it runs in (agora:inDataSpace).")
    data_flows = structures(AGORA + "dataFlow", "DataFlow", "Data exchanges between participants (agora:dataFlow).")

    @strawberry.field(description="The participating stakeholders (from the participations).")
    async def stakeholders(self, info: strawberry.Info, first: First = None, after: After = None,
                           last: Last = None, before: Before = None) -> Connection[Stakeholder]:
        s = make_slice(first, after, last, before)
        ctx = info.context
        props = await ctx.properties(self.iri, (AGORA + "participation",))
        blanks = [t for t in props.get(AGORA + "participation", []) if isinstance(t, ox.BlankNode | ox.NamedNode)]
        keys = [t if isinstance(t, ox.BlankNode) else t.value for t in blanks]
        participants: list[str] = []
        for p in await ctx.properties_many(keys, (AGORA + "participant",)):
            participants.extend(terms.iris(p.get(AGORA + "participant", [])))
        return inline_connection(participants, s, node_class("Stakeholder"))


@strawberry.type(description="A local digital twin of a place, fed by catalog datasets and services.")
class LocalDigitalTwin(Resource):
    RDF_TYPES = frozenset({AGORA + "LocalDigitalTwin"})

    title = text(DCT + "title", "The title in the preferred language.")
    titles = texts(DCT + "title", "The title in every language.")
    description = text(DCT + "description", "The description in the preferred language.")
    descriptions = texts(DCT + "description", "The description in every language.")
    twin_of = ref(AGORA + "twinOf", "Place", "The place it mirrors (agora:twinOf).")
    fed_by = links_any(AGORA + "fedBy", "Datasets and data services feeding it (agora:fedBy).")
    publisher = ref(DCT + "publisher", "Stakeholder", "Who runs it (dct:publisher).")
    cities = links(AGORA + "city", "Place", "Cities (agora:city).")
    sectors = links(AGORA + "sector", "Sector", "Sectors (agora:sector).")
    member_of = links(AGORA + "memberOf", "DataSpace", "Data spaces it belongs to (agora:memberOf).")
    used_by = related(f"?item <{AGORA}usesTwin> ?parent .", "UseCase", "Use cases using this twin.")


@strawberry.type(description="A data space: a federation sharing data under common rules.")
class DataSpace(Resource):
    RDF_TYPES = frozenset({AGORA + "DataSpace"})

    title = text(DCT + "title", "The title in the preferred language.")
    titles = texts(DCT + "title", "The title in every language.")
    description = text(DCT + "description", "The description in the preferred language.")
    descriptions = texts(DCT + "description", "The description in every language.")
    governance_authorities = links(AGORA + "governanceAuthority", "Stakeholder",
                                   "Who governs it (agora:governanceAuthority).")
    catalogs = links(AGORA + "hasCatalog", "Catalog", "Catalogs describing its offer (agora:hasCatalog).")
    members = related_any(f"{{ ?parent <{AGORA}hasMember> ?item }} UNION {{ ?item <{AGORA}memberOf> ?parent }}",
                          "Members: stakeholders and twins (agora:hasMember, or their agora:memberOf).",
                          path=AGORA + "hasMember")
    homepage = value(FOAF + "homepage", "The homepage (foaf:homepage).")
    use_cases = related(f"?item <{AGORA}inDataSpace> ?parent .", "UseCase", "Use cases running in it.")


@strawberry.type(description="A place (dct:Location): a city, district, region or country.")
class Place(Resource):
    RDF_TYPES = frozenset({DCT + "Location"})

    name = text(SKOS + "prefLabel", "The name (skos:prefLabel) in the preferred language.")
    names = texts(SKOS + "prefLabel", "The name in every language.")
    centroid = value(DCAT + "centroid", "Centre point (dcat:centroid, WKT).")
    bbox = value(DCAT + "bbox", "Bounding box (dcat:bbox, WKT).")
    geometry = value(LOCN + "geometry", "Geometry (locn:geometry).")
    country = ref(AGORA + "country", "Place", "The country it lies in (agora:country).")
    parts = links(DCT + "hasPart", "Place", "Places inside it (dct:hasPart).")
    part_of = related(f"?item <{DCT}hasPart> ?parent .", "Place", "Places it is part of.")
    datasets = related(f"{{ ?parent <{DCT}hasPart>* ?f_p . ?item <{DCT}spatial> ?f_p }} UNION "
                       f"{{ ?item <{DCT}spatial>/<{AGORA}country> ?parent }}", "Dataset",
                       "Datasets covering it or a part of it, filterable.", classes=(DCAT + "Dataset",),
                       filterable=True)
    stakeholders = related(f"?item <{AGORA}city> ?parent .", "Stakeholder", "Stakeholders based here (agora:city).",
                           classes=tuple(sorted(AGENT_TYPES)))
    use_cases = related(f"?item <{AGORA}city> ?parent .", "UseCase", "Use cases in this city.",
                        classes=(AGORA + "UseCase",))
    twins = related(f"?item <{AGORA}twinOf> ?parent .", "LocalDigitalTwin", "Local digital twins of this place.")
