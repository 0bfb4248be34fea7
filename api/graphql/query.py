"""The Query root: Relay `node`, one connection and one lookup per kind of resource, and sources."""

from typing import Annotated, Any

import strawberry
from strawberry import relay

from agora.kg.graph_access import iri_ref, string_literal

from .fields import RDF_TYPE, After, Before, Filter, First, Last, queried_connection
from .filters import dataset_constraints, sector_iri
from .nodes import (
    Catalog,
    Concept,
    DataService,
    Dataset,
    DataSpace,
    LocalDigitalTwin,
    Place,
    Policy,
    Resource,
    Sector,
    Stakeholder,
    UseCase,
)
from .paging import Connection, build_connection, make_slice, slice_in_memory
from .policy import PolicyDecision, resolve_policy_decision
from .prefetch import object_selections, prefetch
from .search import SearchResults, matching_datasets, resolve_search
from .sources import Source
from .types_community import AGENT_PATTERN

AGORA = "https://w3id.org/agora/ns#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
ODRL = "http://www.w3.org/ns/odrl/2/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
EU_COUNTRY = "http://publications.europa.eu/resource/authority/country/"

Iri = Annotated[str, strawberry.argument(description="The IRI of the resource.")]


def _text_filter(text: str | None, paths: list[str]) -> str:
    if not text:
        return ""
    alternatives = "|".join(f"<{p}>" for p in paths)
    return (f"FILTER EXISTS {{ ?item ({alternatives}) ?f_txt . "
            f"FILTER(CONTAINS(LCASE(STR(?f_txt)), {string_literal(text.lower())})) }}")


def _any_of(var: str, iris: list[str] | None, triple: str) -> str:
    if not iris:
        return ""
    return f"VALUES {var} {{ {' '.join(iri_ref(i) for i in iris)} }} {triple}"


def _country(value: str) -> str:
    return value if "://" in value else EU_COUNTRY + value.strip().upper()


@strawberry.input(description="Conditions on stakeholders, combined with AND.")
class StakeholderFilter:
    text: str | None = strawberry.field(default=None, description="Substring of the name or description.")
    role: list[str] | None = strawberry.field(default=None, description="Role IRIs (agora:hasRole); any of them.")
    city: list[str] | None = strawberry.field(default=None, description="Place IRIs (agora:city); any of them.")


@strawberry.input(description="Conditions on use cases, combined with AND.")
class UseCaseFilter:
    text: str | None = strawberry.field(default=None, description="Substring of the title, description or goal.")
    sector: list[str] | None = strawberry.field(default=None, description="Sector IRIs or notations; any of them.")
    status: list[str] | None = strawberry.field(default=None, description="Status IRIs; any of them.")
    city: list[str] | None = strawberry.field(default=None, description="Place IRIs; any of them.")
    stakeholder: list[str] | None = strawberry.field(default=None, description="Participant IRIs; any of them.")


@strawberry.input(description="Conditions on concepts, combined with AND.")
class ConceptFilter:
    text: str | None = strawberry.field(default=None, description="Substring of a preferred or alternative label.")
    scheme: list[str] | None = strawberry.field(default=None, description="Concept scheme IRIs; any of them.")


async def _lookup(info: strawberry.Info, cls: Any, iri: str) -> Any:
    node = cls.accept(iri, await info.context.properties(iri, (RDF_TYPE,)))
    if node is not None:
        await prefetch(info, cls.__strawberry_definition__.name, [iri], object_selections(info))
    return node


async def _list(info: strawberry.Info, cls: Any, pattern: str, first: int | None, after: str | None,
                last: int | None, before: str | None) -> Connection[Any]:
    return await queried_connection(info, pattern, None, make_slice(first, after, last, before), cls)


@strawberry.type(description="Read the catalog: datasets, services, stakeholders, use cases, policies, vocabularies.")
class Query:
    node: relay.Node | None = relay.node(description="Any node by its global id.")

    @strawberry.field(description="Datasets, ordered by IRI, filterable.")
    async def datasets(self, info: strawberry.Info, first: First = None, after: After = None, last: Last = None,
                       before: Before = None, filter: Filter = None,
                       search: Annotated[str | None, strawberry.argument(
                           description="Only datasets the full-text search finds for these words (any language, "
                                       "with semantic expansion); combined with the filter.")] = None,
                       ) -> Connection[Dataset]:
        c = await dataset_constraints(info.context, filter)
        allowed = c.allowed
        if search:
            found = await matching_datasets(info, search)
            allowed = found if allowed is None else allowed & found
        return await queried_connection(info, f"?item a <{DCAT}Dataset> . {c.sparql}", None,
                                        make_slice(first, after, last, before), Dataset, (), allowed)

    @strawberry.field(description="Full-text search across languages and city vocabularies, ranked, with facets "
                                  "and why each result matched. `filter` items are facet=value (sector=mobility).")
    async def search(self, info: strawberry.Info, q: str, filter: list[str] | None = None,
                     types: list[str] | None = None, expand: bool = True, first: int = 10,
                     lang: str | None = None) -> SearchResults:
        return await resolve_search(info, q, filter, types, expand, first, lang)

    @strawberry.field(description="A dataset by IRI.")
    async def dataset(self, info: strawberry.Info, iri: Iri) -> Dataset | None:
        return await _lookup(info, Dataset, iri)

    @strawberry.field(description="Catalogs, ordered by IRI.")
    async def catalogs(self, info: strawberry.Info, first: First = None, after: After = None, last: Last = None,
                       before: Before = None) -> Connection[Catalog]:
        return await _list(info, Catalog, f"?item a <{DCAT}Catalog> .", first, after, last, before)

    @strawberry.field(description="A catalog by IRI.")
    async def catalog(self, info: strawberry.Info, iri: Iri) -> Catalog | None:
        return await _lookup(info, Catalog, iri)

    @strawberry.field(description="Data services, ordered by IRI.")
    async def data_services(self, info: strawberry.Info, first: First = None, after: After = None,
                            last: Last = None, before: Before = None) -> Connection[DataService]:
        return await _list(info, DataService, f"?item a <{DCAT}DataService> .", first, after, last, before)

    @strawberry.field(description="A data service by IRI.")
    async def data_service(self, info: strawberry.Info, iri: Iri) -> DataService | None:
        return await _lookup(info, DataService, iri)

    @strawberry.field(description="Stakeholders (organisations), ordered by IRI.")
    async def stakeholders(self, info: strawberry.Info, first: First = None, after: After = None,
                           last: Last = None, before: Before = None,
                           filter: StakeholderFilter | None = None) -> Connection[Stakeholder]:
        f = filter or StakeholderFilter()
        pattern = " ".join([AGENT_PATTERN, _text_filter(f.text, [FOAF + "name", DCT + "description"]),
                            _any_of("?f_role", f.role, f"?item <{AGORA}hasRole> ?f_role ."),
                            _any_of("?f_city", f.city, f"?item <{AGORA}city> ?f_city .")])
        return await _list(info, Stakeholder, pattern, first, after, last, before)

    @strawberry.field(description="A stakeholder by IRI.")
    async def stakeholder(self, info: strawberry.Info, iri: Iri) -> Stakeholder | None:
        return await _lookup(info, Stakeholder, iri)

    @strawberry.field(description="Use cases, ordered by IRI.")
    async def use_cases(self, info: strawberry.Info, first: First = None, after: After = None, last: Last = None,
                        before: Before = None, filter: UseCaseFilter | None = None) -> Connection[UseCase]:
        f = filter or UseCaseFilter()
        pattern = " ".join([
            f"?item a <{AGORA}UseCase> .",
            _text_filter(f.text, [DCT + "title", DCT + "description", AGORA + "goal"]),
            _any_of("?f_sec", [sector_iri(s) for s in f.sector or []], f"?item <{AGORA}sector> ?f_sec ."),
            _any_of("?f_status", f.status, f"?item <{AGORA}status> ?f_status ."),
            _any_of("?f_city", f.city, f"?item <{AGORA}city> ?f_city ."),
            _any_of("?f_who", f.stakeholder, f"?item <{AGORA}participation>/<{AGORA}participant> ?f_who ."),
        ])
        return await _list(info, UseCase, pattern, first, after, last, before)

    @strawberry.field(description="Decide a request with the ODRL policy engine: may `party` perform `action` "
                                  "on `target` (for `purpose`, at `at`)? CURIEs like odrl:use are accepted.")
    async def policy_decision(self, info: strawberry.Info, party: str, target: str, action: str = "odrl:use",
                              purpose: str | None = None, at: str | None = None) -> PolicyDecision:
        return await resolve_policy_decision(info, party, target, action, purpose, at)

    @strawberry.field(description="A use case by IRI.")
    async def use_case(self, info: strawberry.Info, iri: Iri) -> UseCase | None:
        return await _lookup(info, UseCase, iri)

    @strawberry.field(description="ODRL policies, ordered by IRI.")
    async def policies(self, info: strawberry.Info, first: First = None, after: After = None, last: Last = None,
                       before: Before = None) -> Connection[Policy]:
        kinds = " ".join(f"<{t}>" for t in sorted(Policy.RDF_TYPES))
        return await _list(info, Policy, f"VALUES ?f_kind {{ {kinds} }} ?item a ?f_kind .", first, after, last,
                           before)

    @strawberry.field(description="A policy by IRI.")
    async def policy(self, info: strawberry.Info, iri: Iri) -> Policy | None:
        return await _lookup(info, Policy, iri)

    @strawberry.field(description="SKOS concepts (themes, local terms, roles, purposes, codes), ordered by IRI.")
    async def concepts(self, info: strawberry.Info, first: First = None, after: After = None, last: Last = None,
                       before: Before = None, filter: ConceptFilter | None = None) -> Connection[Concept]:
        f = filter or ConceptFilter()
        pattern = " ".join([f"?item a <{SKOS}Concept> .",
                            _text_filter(f.text, [SKOS + "prefLabel", SKOS + "altLabel"]),
                            _any_of("?f_scheme", f.scheme, f"?item <{SKOS}inScheme> ?f_scheme .")])
        return await _list(info, Concept, pattern, first, after, last, before)

    @strawberry.field(description="A concept by IRI.")
    async def concept(self, info: strawberry.Info, iri: Iri) -> Concept | None:
        return await _lookup(info, Concept, iri)

    @strawberry.field(description="Agora sectors, ordered by IRI.")
    async def sectors(self, info: strawberry.Info, first: First = None, after: After = None, last: Last = None,
                      before: Before = None) -> Connection[Sector]:
        return await _list(info, Sector, f"?item a <{AGORA}Sector> .", first, after, last, before)

    @strawberry.field(description="A sector by IRI or notation (`mobility`).")
    async def sector(self, info: strawberry.Info, iri: Iri) -> Sector | None:
        return await _lookup(info, Sector, sector_iri(iri))

    @strawberry.field(description="Places (cities, districts, regions, countries), ordered by IRI.")
    async def places(self, info: strawberry.Info, first: First = None, after: After = None, last: Last = None,
                     before: Before = None,
                     country: Annotated[str | None, strawberry.argument(
                         description="Only places in this country (ISO alpha-3 code or IRI).")] = None
                     ) -> Connection[Place]:
        pattern = f"?item a <{DCT}Location> ."
        if country:
            pattern += f" ?item <{AGORA}country> {iri_ref(_country(country))} ."
        return await _list(info, Place, pattern, first, after, last, before)

    @strawberry.field(description="A place by IRI.")
    async def place(self, info: strawberry.Info, iri: Iri) -> Place | None:
        return await _lookup(info, Place, iri)

    @strawberry.field(description="Local digital twins, ordered by IRI.")
    async def local_digital_twins(self, info: strawberry.Info, first: First = None, after: After = None,
                                  last: Last = None, before: Before = None) -> Connection[LocalDigitalTwin]:
        return await _list(info, LocalDigitalTwin, f"?item a <{AGORA}LocalDigitalTwin> .", first, after, last,
                           before)

    @strawberry.field(description="A local digital twin by IRI.")
    async def local_digital_twin(self, info: strawberry.Info, iri: Iri) -> LocalDigitalTwin | None:
        return await _lookup(info, LocalDigitalTwin, iri)

    @strawberry.field(description="Data spaces, ordered by IRI.")
    async def data_spaces(self, info: strawberry.Info, first: First = None, after: After = None, last: Last = None,
                          before: Before = None) -> Connection[DataSpace]:
        return await _list(info, DataSpace, f"?item a <{AGORA}DataSpace> .", first, after, last, before)

    @strawberry.field(description="A data space by IRI.")
    async def data_space(self, info: strawberry.Info, iri: Iri) -> DataSpace | None:
        return await _lookup(info, DataSpace, iri)

    @strawberry.field(description="Any described resource by IRI, typed by its rdf:type.")
    async def resource(self, info: strawberry.Info, iri: Iri) -> Resource | None:
        from .nodes import classify

        props = await info.context.properties(iri, (RDF_TYPE,))
        return classify(iri, props) if props else None

    @strawberry.field(description="Loaded sources (named graphs), ordered by graph IRI.")
    def sources(self, info: strawberry.Info, first: First = None, after: After = None, last: Last = None,
                before: Before = None,
                include_system: Annotated[bool, strawberry.argument(
                    description="Include the ontology and vocabularies Agora ships.")] = True) -> Connection[Source]:
        s = make_slice(first, after, last, before)
        by_iri = {x.graph_iri: x for x in info.context.store.sources(include_system=include_system)}
        page, has_next, has_prev = slice_in_memory(list(by_iri), s)
        total = len(by_iri)

        async def count() -> int:
            return total

        return build_connection(page, has_next, has_prev, lambda i: Source.of(by_iri[i]), count)

    @strawberry.field(description="A source by name or graph IRI.")
    def source(self, info: strawberry.Info,
               name: Annotated[str, strawberry.argument(description="Source name or graph IRI.")]) -> Source | None:
        found = info.context.store.get(name)
        return Source.of(found) if found is not None else None


__all__ = ["ConceptFilter", "Query", "StakeholderFilter", "UseCaseFilter"]
