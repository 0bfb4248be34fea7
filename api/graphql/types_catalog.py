"""DCAT-AP 3 types: catalogs, datasets, distributions, data services and their structured values.

Field names follow the DCAT-AP property names; each field declares the property it reads, and
tests/test_graphql_shapes.py checks them against shapes/dcat-ap-3.ttl so the two cannot drift.
"""

from typing import Any

import strawberry

from .fields import (
    links,
    ref,
    ref_any,
    related,
    strings,
    structure,
    structures,
    text,
    texts,
    value,
    values,
)
from .types_base import Resource

AGORA = "https://w3id.org/agora/ns#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
DCATAP = "http://data.europa.eu/r5r/"
ADMS = "http://www.w3.org/ns/adms#"
FOAF = "http://xmlns.com/foaf/0.1/"
ODRL = "http://www.w3.org/ns/odrl/2/"
PROV = "http://www.w3.org/ns/prov#"
SPDX = "http://spdx.org/rdf/terms#"
TIME = "http://www.w3.org/2006/time#"
VCARD = "http://www.w3.org/2006/vcard/ns#"


@strawberry.interface(description="A dataset or a data service (dcat:Resource).")
class CatalogResource(Resource):
    title = text(DCT + "title", "The title (dct:title) in the preferred language.")
    titles = texts(DCT + "title", "The title in every language.")
    description = text(DCT + "description", "The description (dct:description) in the preferred language.")
    descriptions = texts(DCT + "description", "The description in every language.")
    keywords = strings(DCAT + "keyword", "Keywords (dcat:keyword), optionally in one language.")
    themes = links(DCAT + "theme", "Concept", "Themes (dcat:theme): EU data themes and local concepts.")
    publisher = ref(DCT + "publisher", "Stakeholder", "The publisher (dct:publisher).")
    contact_points = links(DCAT + "contactPoint", "ContactPoint", "Contact points (dcat:contactPoint).")
    landing_pages = values(DCAT + "landingPage", "Landing pages (dcat:landingPage).")
    applicable_legislation = values(DCATAP + "applicableLegislation", "Applicable legislation (ELI IRIs).")
    access_rights = ref(DCT + "accessRights", "Concept", "Access rights (dct:accessRights).")
    conforms_to = values(DCT + "conformsTo", "Standards it conforms to (dct:conformsTo).")
    sectors = links(AGORA + "sector", "Sector", "Agora sectors (agora:sector).")


@strawberry.type(description="A DCAT catalog: a curated collection of datasets and data services.")
class Catalog(Resource):
    RDF_TYPES = frozenset({DCAT + "Catalog"})

    title = text(DCT + "title", "The title in the preferred language.")
    titles = texts(DCT + "title", "The title in every language.")
    description = text(DCT + "description", "The description in the preferred language.")
    descriptions = texts(DCT + "description", "The description in every language.")
    publisher = ref(DCT + "publisher", "Stakeholder", "The publisher (dct:publisher).")
    creator = ref(DCT + "creator", "Stakeholder", "The creator (dct:creator).")
    homepage = value(FOAF + "homepage", "The homepage (foaf:homepage).")
    languages = links(DCT + "language", "Concept", "Languages (dct:language).")
    spatial = links(DCT + "spatial", "Place", "Geographical coverage (dct:spatial).")
    theme_taxonomies = values(DCAT + "themeTaxonomy", "Concept schemes used for themes (dcat:themeTaxonomy).")
    issued = value(DCT + "issued", "Release date (dct:issued), as loaded.")
    modified = value(DCT + "modified", "Last modification (dct:modified), as loaded.")
    license = ref(DCT + "license", "Concept", "The licence of the catalog (dct:license).")
    rights = values(DCT + "rights", "Rights statements (dct:rights).")
    applicable_legislation = values(DCATAP + "applicableLegislation", "Applicable legislation (ELI IRIs).")
    has_part = links(DCT + "hasPart", "Catalog", "Catalogs this one contains (dct:hasPart).")
    datasets = related(f"?parent <{DCAT}dataset> ?item .", "Dataset",
                       "The catalog's datasets (dcat:dataset), filterable.", path=DCAT + "dataset", filterable=True)
    services = related(f"?parent <{DCAT}service> ?item .", "DataService",
                       "The catalog's data services (dcat:service).", path=DCAT + "service")
    catalogs = related(f"?parent <{DCAT}catalog> ?item .", "Catalog",
                       "Sub-catalogs (dcat:catalog).", path=DCAT + "catalog")
    records = related(f"?parent <{DCAT}record> ?item .", "Thing",
                      "Catalog records (dcat:record).", path=DCAT + "record")
    parent_catalogs = related(f"?item <{DCAT}catalog> ?parent .", "Catalog", "Catalogs listing this one.")
    data_spaces = related(f"?item <{AGORA}hasCatalog> ?parent .", "DataSpace", "Data spaces this catalog serves.")


@strawberry.type(description="A DCAT dataset.")
class Dataset(CatalogResource):
    RDF_TYPES = frozenset({DCAT + "Dataset"})

    identifiers = strings(DCT + "identifier", "Identifiers (dct:identifier).")
    issued = value(DCT + "issued", "Release date (dct:issued), as loaded.")
    modified = value(DCT + "modified", "Last modification (dct:modified), as loaded.")
    creator = ref(DCT + "creator", "Stakeholder", "The creator (dct:creator).")
    spatial = links(DCT + "spatial", "Place", "Geographical coverage (dct:spatial): cities, countries.")
    temporal = structures(DCT + "temporal", "PeriodOfTime", "Temporal coverage (dct:temporal).")
    temporal_resolution = value(DCAT + "temporalResolution", "Temporal resolution (xsd:duration), as loaded.")
    spatial_resolution_in_meters = value(DCAT + "spatialResolutionInMeters", "Spatial resolution in metres.")
    accrual_periodicity = ref(DCT + "accrualPeriodicity", "Concept", "Update frequency (dct:accrualPeriodicity).")
    languages = links(DCT + "language", "Concept", "Languages (dct:language).")
    distributions = links(DCAT + "distribution", "Distribution", "Distributions (dcat:distribution).")
    policies = links(ODRL + "hasPolicy", "Policy", "ODRL policies governing the dataset (odrl:hasPolicy).")
    samples = links(ADMS + "sample", "Distribution", "Sample distributions (adms:sample).")
    version_notes = text(ADMS + "versionNotes", "Version notes (adms:versionNotes).")
    version = value(DCAT + "version", "Version (dcat:version).")
    versions = links(DCAT + "hasVersion", "Dataset", "Versions of this dataset (dcat:hasVersion).")
    in_series = values(DCAT + "inSeries", "Dataset series it belongs to (dcat:inSeries).")
    qualified_relations = structures(DCAT + "qualifiedRelation", "Relationship",
                                     "Qualified relations to other resources (dcat:qualifiedRelation).")
    provenance = values(DCT + "provenance", "Provenance statements (dct:provenance).")
    relations = values(DCT + "relation", "Related resources (dct:relation).")
    sources = values(DCT + "source", "Datasets this one is derived from (dct:source).")
    type = ref(DCT + "type", "Concept", "The type of dataset (dct:type).")
    pages = values(FOAF + "page", "Documentation pages (foaf:page).")
    qualified_attributions = structures(PROV + "qualifiedAttribution", "Attribution",
                                        "Agents with a role (prov:qualifiedAttribution).")
    was_generated_by = values(PROV + "wasGeneratedBy", "Activities that generated it (prov:wasGeneratedBy).")
    catalogs = related(f"?item <{DCAT}dataset> ?parent .", "Catalog", "Catalogs listing this dataset.")
    used_by = related(f"?item <{AGORA}usesDataset> ?parent .", "UseCase", "Use cases using this dataset.")
    served_by = related(f"?item <{DCAT}servesDataset> ?parent .", "DataService", "Data services serving it.")
    feeds = related(f"?item <{AGORA}fedBy> ?parent .", "LocalDigitalTwin", "Local digital twins it feeds.")


@strawberry.type(description="A DCAT distribution: one downloadable or accessible form of a dataset.")
class Distribution(Resource):
    RDF_TYPES = frozenset({DCAT + "Distribution"})

    title = text(DCT + "title", "The title in the preferred language.")
    titles = texts(DCT + "title", "The title in every language.")
    description = text(DCT + "description", "The description in the preferred language.")
    descriptions = texts(DCT + "description", "The description in every language.")
    access_urls = values(DCAT + "accessURL", "Access URLs (dcat:accessURL).")
    download_urls = values(DCAT + "downloadURL", "Download URLs (dcat:downloadURL).")
    format = ref(DCT + "format", "Concept", "File format (dct:format, EU file-type table).")
    media_type = ref(DCAT + "mediaType", "Concept", "IANA media type (dcat:mediaType).")
    compress_format = ref(DCAT + "compressFormat", "Concept", "Compression format (dcat:compressFormat).")
    package_format = ref(DCAT + "packageFormat", "Concept", "Packaging format (dcat:packageFormat).")
    license = ref(DCT + "license", "Concept", "Licence (dct:license).")
    rights = values(DCT + "rights", "Rights statements (dct:rights).")
    policies = links(ODRL + "hasPolicy", "Policy", "ODRL policies (odrl:hasPolicy).")
    byte_size = value(DCAT + "byteSize", "Size in bytes (dcat:byteSize), as loaded.")
    checksum = structure(SPDX + "checksum", "Checksum", "Checksum (spdx:checksum).")
    access_services = links(DCAT + "accessService", "DataService", "Services giving access (dcat:accessService).")
    status = ref(ADMS + "status", "Concept", "Maturity status (adms:status).")
    availability = ref(DCATAP + "availability", "Concept", "Planned availability (dcatap:availability).")
    issued = value(DCT + "issued", "Release date (dct:issued), as loaded.")
    modified = value(DCT + "modified", "Last modification (dct:modified), as loaded.")
    languages = links(DCT + "language", "Concept", "Languages (dct:language).")
    conforms_to = values(DCT + "conformsTo", "Standards it conforms to (dct:conformsTo).")
    pages = values(FOAF + "page", "Documentation pages (foaf:page).")
    temporal_resolution = value(DCAT + "temporalResolution", "Temporal resolution, as loaded.")
    spatial_resolution_in_meters = value(DCAT + "spatialResolutionInMeters", "Spatial resolution in metres.")
    applicable_legislation = values(DCATAP + "applicableLegislation", "Applicable legislation (ELI IRIs).")
    datasets = related(f"?item <{DCAT}distribution> ?parent .", "Dataset", "Datasets with this distribution.")


@strawberry.type(description="A DCAT data service: an API or endpoint giving access to data.")
class DataService(CatalogResource):
    RDF_TYPES = frozenset({DCAT + "DataService"})

    endpoint_urls = values(DCAT + "endpointURL", "Endpoint URLs (dcat:endpointURL).")
    endpoint_descriptions = values(DCAT + "endpointDescription", "Endpoint descriptions (dcat:endpointDescription).")
    serves_datasets = links(DCAT + "servesDataset", "Dataset", "Datasets it serves (dcat:servesDataset).")
    formats = links(DCT + "format", "Concept", "Formats (dct:format).")
    license = ref(DCT + "license", "Concept", "Licence (dct:license).")
    catalogs = related(f"?item <{DCAT}service> ?parent .", "Catalog", "Catalogs listing this service.")
    distributions = related(f"?item <{DCAT}accessService> ?parent .", "Distribution",
                            "Distributions accessed through it.")
    used_by = related(f"?item <{AGORA}usesService> ?parent .", "UseCase", "Use cases using this service.")
    feeds = related(f"?item <{AGORA}fedBy> ?parent .", "LocalDigitalTwin", "Local digital twins it feeds.")


@strawberry.type(description="A contact point (vCard).")
class ContactPoint(Resource):
    RDF_TYPES = frozenset({VCARD + "Kind", VCARD + "Organization", VCARD + "Individual", VCARD + "Group"})

    name = text(VCARD + "fn", "The formatted name (vcard:fn).")
    emails = values(VCARD + "hasEmail", "E-mail addresses (vcard:hasEmail, mailto: IRIs).")
    telephones = values(VCARD + "hasTelephone", "Telephone numbers (vcard:hasTelephone, tel: IRIs).")
    urls = values(VCARD + "hasURL", "Web pages (vcard:hasURL).")


@strawberry.type(description="A period of time (dct:PeriodOfTime).")
class PeriodOfTime:
    RDF_TYPES = frozenset({DCT + "PeriodOfTime"})
    term: strawberry.Private[Any]

    start_date = value(DCAT + "startDate", "Start (dcat:startDate), as loaded.")
    end_date = value(DCAT + "endDate", "End (dcat:endDate), as loaded.")
    has_beginning = value(TIME + "hasBeginning", "Start instant (time:hasBeginning).")
    has_end = value(TIME + "hasEnd", "End instant (time:hasEnd).")


@strawberry.type(description="A qualified relation (dcat:Relationship).")
class Relationship:
    RDF_TYPES = frozenset({DCAT + "Relationship"})
    term: strawberry.Private[Any]

    relations = values(DCT + "relation", "The related resources (dct:relation).")
    had_roles = values(DCAT + "hadRole", "The role of the relation (dcat:hadRole).")


@strawberry.type(description="An agent with a role (prov:Attribution).")
class Attribution:
    RDF_TYPES = frozenset({PROV + "Attribution"})
    term: strawberry.Private[Any]

    agent = ref_any(PROV + "agent", "The agent (prov:agent).")
    had_roles = values(DCAT + "hadRole", "Its role (dcat:hadRole).")


@strawberry.type(description="A checksum (spdx:Checksum).")
class Checksum:
    RDF_TYPES = frozenset({SPDX + "Checksum"})
    term: strawberry.Private[Any]

    algorithm = value(SPDX + "algorithm", "The algorithm (spdx:algorithm).")
    checksum_value = value(SPDX + "checksumValue", "The value (spdx:checksumValue).")
