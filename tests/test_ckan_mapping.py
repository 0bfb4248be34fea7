"""CKAN package -> DCAT-AP 3 mapping (kg/harvest/ckan.py), checked triple by triple and with SHACL.

The packages below have the shape CKAN 2.9-2.11's action API returns (`package_show`), with the
legacy extras ckanext-dcat reads and, in one case, the scheming fields of ckanext-dcat's DCAT-AP
schemas. The expected RDF follows ckanext-dcat's `euro_dcat_ap_3` profile, with the documented
differences (docs/ckan-mapping.md).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import Namespace

from agora.kg.errors import BadInput
from agora.kg.harvest.ckan import dataset_uri, package_to_rdf, parse_page, portal_base, search_url
from agora.kg.rdfio import RDFInput
from agora.kg.validation import validate_documents

from .conftest import SHARED
from .harvest_servers import ckan_packages

# Plain namespaces (pytest probes module attributes, which rdflib's DefinedNamespaces warn about).
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
DCT = Namespace("http://purl.org/dc/terms/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"

PORTAL = "https://opendata.tartu.ee"
PKG_ID = "5b8f3a2e-8d3c-4c55-a1ef-0c1f0a6d9e11"
DS = URIRef(f"{PORTAL}/dataset/{PKG_ID}")
RES_CSV = URIRef(f"{PORTAL}/dataset/{PKG_ID}/resource/0f6c2a4e-1d6b-4f77-9a57-3b1a6e0e7c01")
RES_API = URIRef(f"{PORTAL}/dataset/{PKG_ID}/resource/7a1e4c9b-2f0d-4e1a-8c3b-5d6e7f809102")

# A package as CKAN 2.10's package_show returns it (legacy extras, two resources).
PACKAGE: dict[str, Any] = {
    "author": "Tartu Linnavalitsus",
    "author_email": "info@raad.tartu.ee",
    "creator_user_id": "3b2c5d4e-aaaa-4bbb-8ccc-1d2e3f405060",
    "id": PKG_ID,
    "isopen": True,
    "license_id": "cc-by",
    "license_title": "Creative Commons Attribution",
    "license_url": "http://www.opendefinition.org/licenses/cc-by",
    "maintainer": "Tartu Open Data Office",
    "maintainer_email": "avaandmed@tartu.ee",
    "metadata_created": "2022-03-14T09:26:53.118245",
    "metadata_modified": "2024-05-02T11:40:07.902113",
    "name": "bussipeatused",
    "notes": "Tartu linna ühistranspordi peatuste asukohad ja nimed.\n\n**Uuendatakse** iga kuu.",
    "num_resources": 2,
    "num_tags": 3,
    "organization": {
        "id": "f1c2e3d4-b5a6-4978-8a9b-0c1d2e3f4a5b",
        "name": "tartu-linnavalitsus",
        "title": "Tartu Linnavalitsus",
        "type": "organization",
        "description": "Tartu linna avaandmed",
        "image_url": "https://www.tartu.ee/logo.png",
        "created": "2021-11-02T10:00:00.000000",
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
    },
    "owner_org": "f1c2e3d4-b5a6-4978-8a9b-0c1d2e3f4a5b",
    "private": False,
    "state": "active",
    "title": "Bussipeatused",
    "type": "dataset",
    "url": "https://www.tartu.ee/et/avaandmed",
    "version": "2.1",
    "extras": [
        {"key": "frequency", "value": "monthly"},
        {"key": "language", "value": "[\"et\", \"en\"]"},
        {"key": "theme", "value": "[\"http://publications.europa.eu/resource/authority/data-theme/TRAN\"]"},
        {"key": "spatial_uri", "value": "http://publications.europa.eu/resource/authority/country/EST"},
        {"key": "spatial_text", "value": "Tartu"},
        {"key": "spatial", "value": "{\"type\": \"Point\", \"coordinates\": [26.7290, 58.3780]}"},
        {"key": "temporal_start", "value": "2022-01-01"},
        {"key": "temporal_end", "value": "2024"},
        {"key": "access_rights", "value": "public"},
        {"key": "conforms_to", "value": "https://gtfs.org/schedule/reference/"},
        {"key": "alternate_identifier", "value": "[\"TLV-ÜT-001\"]"},
    ],
    "groups": [{"id": "1", "name": "transport", "title": "Transport", "display_name": "Transport",
                "description": "", "image_display_url": ""}],
    "tags": [
        {"display_name": "buss", "id": "t1", "name": "buss", "state": "active", "vocabulary_id": None},
        {"display_name": "ühistransport", "id": "t2", "name": "ühistransport", "state": "active",
         "vocabulary_id": None},
        {"display_name": "peatused", "id": "t3", "name": "peatused", "state": "active", "vocabulary_id": None},
    ],
    "resources": [
        {
            "cache_last_updated": None, "cache_url": None, "created": "2022-03-14T09:30:11.001200",
            "datastore_active": True, "description": "Kõik peatused CSV-failina",
            "format": "CSV", "hash": "md5:9e107d9d372bb6826bd81d3542a419d6",
            "id": "0f6c2a4e-1d6b-4f77-9a57-3b1a6e0e7c01",
            "last_modified": "2024-05-02T11:39:58.000000", "metadata_modified": "2024-05-02T11:40:07.902113",
            "mimetype": "text/csv", "mimetype_inner": None, "name": "Peatused (CSV)",
            "package_id": PKG_ID, "position": 0, "resource_type": None, "size": 48213, "state": "active",
            "url": f"{PORTAL}/dataset/{PKG_ID}/resource/0f6c2a4e-1d6b-4f77-9a57-3b1a6e0e7c01/download/peatused.csv",
            "url_type": "upload",
        },
        {
            "cache_last_updated": None, "cache_url": None, "created": "2022-03-14T09:31:40.000000",
            "datastore_active": False, "description": "Reaalajas väljumised",
            "format": "API", "hash": "", "id": "7a1e4c9b-2f0d-4e1a-8c3b-5d6e7f809102",
            "last_modified": None, "metadata_modified": "2023-01-09T08:00:00.000000",
            "mimetype": None, "mimetype_inner": None, "name": "Väljumised (API)",
            "package_id": PKG_ID, "position": 1, "resource_type": None, "size": None, "state": "active",
            "url": "https://api.tartu.ee/transport/v1/departures?stop={id}", "url_type": None,
        },
    ],
}


def mapped(pkg: dict[str, Any] | None = None, portal: str = PORTAL) -> rdflib.Graph:
    return package_to_rdf(copy.deepcopy(pkg or PACKAGE), portal_url=portal)


def one(g: rdflib.Graph, s: Any, p: Any) -> Any:
    values = list(g.objects(s, p))
    assert len(values) == 1, f"{p} of {s}: {values}"
    return values[0]


def with_extras(pkg: dict[str, Any], **extras: Any) -> dict[str, Any]:
    out = copy.deepcopy(pkg)
    out["extras"] = [e for e in out.get("extras", []) if e["key"] not in extras]
    out["extras"] += [{"key": k, "value": v} for k, v in extras.items() if v is not None]
    return out


# ------------------------------------------------------------------------------------- dataset


def test_dataset_core_properties() -> None:
    g = mapped()
    assert (DS, RDF.type, DCAT.Dataset) in g
    assert one(g, DS, DCT.title) == Literal("Bussipeatused")
    assert one(g, DS, DCT.description) == Literal(PACKAGE["notes"])
    assert one(g, DS, DCT.identifier) == Literal(PKG_ID)  # no identifier extra: falls back to id
    assert one(g, DS, OWL.versionInfo) == Literal("2.1")
    assert one(g, DS, DCAT.version) == Literal("2.1")
    assert set(g.objects(DS, DCAT.keyword)) == {Literal("buss"), Literal("ühistransport"), Literal("peatused")}
    assert one(g, DS, DCT.issued) == Literal("2022-03-14T09:26:53.118245", datatype=XSD.dateTime)
    assert one(g, DS, DCT.modified) == Literal("2024-05-02T11:40:07.902113", datatype=XSD.dateTime)
    landing = one(g, DS, DCAT.landingPage)
    assert landing == URIRef("https://www.tartu.ee/et/avaandmed")
    assert (landing, RDF.type, FOAF.Document) in g
    assert set(g.objects(DS, DCAT.distribution)) == {RES_CSV, RES_API}


def test_nothing_is_language_tagged() -> None:
    g = mapped()
    literals = [o for o in g.objects() if isinstance(o, Literal)]
    assert literals and all(lit.language is None for lit in literals)


def test_publisher_from_organization() -> None:
    g = mapped()
    publisher = one(g, DS, DCT.publisher)
    assert publisher == URIRef(f"{PORTAL}/organization/f1c2e3d4-b5a6-4978-8a9b-0c1d2e3f4a5b")
    assert {FOAF.Agent, FOAF.Organization} <= set(g.objects(publisher, RDF.type))
    assert one(g, publisher, FOAF.name) == Literal("Tartu Linnavalitsus")


def test_publisher_extras_win_over_organization() -> None:
    pkg = with_extras(PACKAGE, publisher_name="Statistics Estonia", publisher_uri="https://www.stat.ee/",
                      publisher_email="stat@stat.ee", publisher_url="https://www.stat.ee/en",
                      publisher_type="http://purl.org/adms/publishertype/NationalAuthority")
    g = mapped(pkg)
    publisher = one(g, DS, DCT.publisher)
    assert publisher == URIRef("https://www.stat.ee/")
    assert (publisher, RDF.type, FOAF.Agent) in g
    assert one(g, publisher, FOAF.name) == Literal("Statistics Estonia")
    assert one(g, publisher, FOAF.mbox) == URIRef("mailto:stat@stat.ee")
    assert one(g, publisher, FOAF.homepage) == URIRef("https://www.stat.ee/en")
    assert one(g, publisher, DCT.type) == URIRef("http://purl.org/adms/publishertype/NationalAuthority")


def test_contact_point_falls_back_to_maintainer() -> None:
    g = mapped()
    contact = one(g, DS, DCAT.contactPoint)
    assert isinstance(contact, BNode)
    assert {VCARD.Kind, VCARD.Organization} <= set(g.objects(contact, RDF.type))
    assert one(g, contact, VCARD.fn) == Literal("Tartu Open Data Office")
    assert one(g, contact, VCARD.hasEmail) == URIRef("mailto:avaandmed@tartu.ee")
    # author when there is no maintainer; contact_* extras before both
    pkg = copy.deepcopy(PACKAGE)
    pkg["maintainer"] = pkg["maintainer_email"] = None
    g = mapped(pkg)
    contact = one(g, DS, DCAT.contactPoint)
    assert one(g, contact, VCARD.fn) == Literal("Tartu Linnavalitsus")
    assert one(g, contact, VCARD.hasEmail) == URIRef("mailto:info@raad.tartu.ee")
    g = mapped(with_extras(PACKAGE, contact_name="Helpdesk", contact_email="mailto:help@tartu.ee",
                           contact_uri="https://www.tartu.ee/contact"))
    contact = one(g, DS, DCAT.contactPoint)
    assert contact == URIRef("https://www.tartu.ee/contact")
    assert one(g, contact, VCARD.fn) == Literal("Helpdesk")
    assert one(g, contact, VCARD.hasEmail) == URIRef("mailto:help@tartu.ee")


def test_controlled_vocabularies() -> None:
    g = mapped()
    assert one(g, DS, DCT.accrualPeriodicity) == URIRef(EU + "frequency/MONTHLY")
    assert set(g.objects(DS, DCT.language)) == {URIRef(EU + "language/EST"), URIRef(EU + "language/ENG")}
    assert (URIRef(EU + "language/EST"), RDF.type, DCT.LinguisticSystem) in g
    assert one(g, DS, DCAT.theme) == URIRef(EU + "data-theme/TRAN")
    assert one(g, DS, DCT.accessRights) == URIRef(EU + "access-right/PUBLIC")
    standard = one(g, DS, DCT.conformsTo)
    assert standard == URIRef("https://gtfs.org/schedule/reference/")
    assert (standard, RDF.type, DCT.Standard) in g


@pytest.mark.parametrize(("extras", "predicate", "expected"), [
    ({"frequency": "R/P1D"}, DCT.accrualPeriodicity, URIRef(EU + "frequency/DAILY")),
    ({"frequency": "IRREG"}, DCT.accrualPeriodicity, URIRef(EU + "frequency/IRREG")),
    ({"frequency": "whenever we feel like it"}, DCT.accrualPeriodicity, None),
    ({"language": "de_DE"}, DCT.language, URIRef(EU + "language/DEU")),
    ({"language": "klingon"}, DCT.language, None),
    ({"theme": "ENVI"}, DCAT.theme, URIRef(EU + "data-theme/ENVI")),
    ({"theme": "Earth sciences"}, DCAT.theme, None),
    ({"theme": "http://eurovoc.europa.eu/100142"}, DCAT.theme, URIRef("http://eurovoc.europa.eu/100142")),
    ({"identifier": "https://data.tartu.ee/id/1"}, DCT.identifier, Literal("https://data.tartu.ee/id/1")),
    ({"dcat_type": "http://inspire.ec.europa.eu/metadata-codelist/ResourceType/dataset"}, DCT.type,
     URIRef("http://inspire.ec.europa.eu/metadata-codelist/ResourceType/dataset")),
    ({"dcat_type": "statistics"}, DCT.type, None),
    ({"issued": "2019"}, DCT.issued, Literal("2019", datatype=XSD.gYear)),
    ({"issued": "2019-07"}, DCT.issued, Literal("2019-07", datatype=XSD.gYearMonth)),
    ({"issued": "2019-07-04"}, DCT.issued, Literal("2019-07-04", datatype=XSD.date)),
    ({"issued": "2019-07-04T10:00:00Z"}, DCT.issued, Literal("2019-07-04T10:00:00+00:00", datatype=XSD.dateTime)),
    ({"issued": "last summer"}, DCT.issued, None),
    ({"temporal_resolution": "P1D"}, DCAT.temporalResolution, Literal("P1D", datatype=XSD.duration)),
])
def test_extras(extras: dict[str, str], predicate: URIRef, expected: Any) -> None:
    pkg = copy.deepcopy(PACKAGE)
    if "issued" in extras:
        pkg.pop("metadata_created")
    g = mapped(with_extras(pkg, **extras))
    values = list(g.objects(DS, predicate))
    assert values == ([expected] if expected is not None else [])


def test_spatial_and_temporal() -> None:
    g = mapped()
    location = one(g, DS, DCT.spatial)
    assert location == URIRef(EU + "country/EST")
    assert (location, RDF.type, DCT.Location) in g
    assert one(g, location, SKOS.prefLabel) == Literal("Tartu")
    assert one(g, location, LOCN.geometry) == Literal("POINT (26.7290 58.3780)", datatype=GSP.wktLiteral)
    period = one(g, DS, DCT.temporal)
    assert (period, RDF.type, DCT.PeriodOfTime) in g
    assert one(g, period, DCAT.startDate) == Literal("2022-01-01", datatype=XSD.date)
    assert one(g, period, DCAT.endDate) == Literal("2024", datatype=XSD.gYear)


def test_spatial_polygon_bbox_centroid_without_uri() -> None:
    poly = {"type": "Polygon", "coordinates": [[[26.6, 58.3], [26.8, 58.3], [26.8, 58.4], [26.6, 58.3]]]}
    pkg = with_extras(PACKAGE, spatial_uri=None, spatial_text=None, spatial=json.dumps(poly),
                      spatial_bbox=json.dumps(poly), spatial_centroid=json.dumps({"type": "Point",
                                                                                  "coordinates": [26.7, 58.35]}))
    g = mapped(pkg)
    location = one(g, DS, DCT.spatial)
    assert isinstance(location, BNode)
    wkt = "POLYGON ((26.6000 58.3000, 26.8000 58.3000, 26.8000 58.4000, 26.6000 58.3000))"
    assert one(g, location, LOCN.geometry) == Literal(wkt, datatype=GSP.wktLiteral)
    assert one(g, location, DCAT.bbox) == Literal(wkt, datatype=GSP.wktLiteral)
    assert one(g, location, DCAT.centroid) == Literal("POINT (26.7000 58.3500)", datatype=GSP.wktLiteral)
    g = mapped(with_extras(PACKAGE, spatial_uri=None, spatial_text=None, spatial="not json"))
    assert list(g.objects(DS, DCT.spatial)) == []


def test_dataset_uri_and_identifier_extras() -> None:
    pkg = with_extras(PACKAGE, uri="https://data.tartu.ee/id/dataset/bussipeatused", identifier="TLV-001")
    g = mapped(pkg)
    ds = URIRef("https://data.tartu.ee/id/dataset/bussipeatused")
    assert (ds, RDF.type, DCAT.Dataset) in g and (DS, None, None) not in g
    assert one(g, ds, DCT.identifier) == Literal("TLV-001")
    # distributions keep the portal-based IRI, as in ckanext-dcat
    assert RES_CSV in set(g.objects(ds, DCAT.distribution))
    assert dataset_uri({"id": "a b"}, portal_url="https://x.example/") == "https://x.example/dataset/a%20b"
    assert dataset_uri(with_extras(PACKAGE, uri="urn:uuid:6f1d0c4e-0000-4000-8000-000000000000"),
                       portal_url=PORTAL) == "urn:uuid:6f1d0c4e-0000-4000-8000-000000000000"
    assert dataset_uri(with_extras(PACKAGE, uri="None"), portal_url=PORTAL) == str(DS)
    assert dataset_uri(with_extras(PACKAGE, uri="see the portal"), portal_url=PORTAL) == str(DS)
    assert dataset_uri({"name": "only-name"}, portal_url="https://x.example") == "https://x.example/dataset/only-name"


def test_alternate_identifier() -> None:
    g = mapped()
    node = one(g, DS, ADMS.identifier)
    assert (node, RDF.type, ADMS.Identifier) in g
    assert one(g, node, SKOS.notation) == Literal("TLV-ÜT-001")


def test_dataset_series() -> None:
    pkg = copy.deepcopy(PACKAGE)
    pkg["type"] = "dataset_series"
    g = mapped(pkg)
    assert set(g.objects(DS, RDF.type)) == {DCAT.DatasetSeries}
    pkg = copy.deepcopy(PACKAGE)
    pkg["in_series"] = ["series-1"]
    g = mapped(pkg)
    assert one(g, DS, DCAT.inSeries) == URIRef(f"{PORTAL}/dataset/series-1")


# -------------------------------------------------------------------------------- distributions


def test_uploaded_file_distribution() -> None:
    g = mapped()
    assert (RES_CSV, RDF.type, DCAT.Distribution) in g
    assert one(g, RES_CSV, DCT.title) == Literal("Peatused (CSV)")
    assert one(g, RES_CSV, DCT.description) == Literal("Kõik peatused CSV-failina")
    url = URIRef(PACKAGE["resources"][0]["url"])
    assert one(g, RES_CSV, DCAT.accessURL) == url
    assert one(g, RES_CSV, DCAT.downloadURL) == url
    fmt = one(g, RES_CSV, DCT["format"])
    assert fmt == URIRef(EU + "file-type/CSV") and (fmt, RDF.type, DCT.MediaTypeOrExtent) in g
    media = one(g, RES_CSV, DCAT.mediaType)
    assert media == URIRef(IANA + "text/csv") and (media, RDF.type, DCT.MediaType) in g
    assert one(g, RES_CSV, DCAT.byteSize) == Literal(48213, datatype=XSD.nonNegativeInteger)
    assert one(g, RES_CSV, DCT.issued) == Literal("2022-03-14T09:30:11.001200", datatype=XSD.dateTime)
    assert one(g, RES_CSV, DCT.modified) == Literal("2024-05-02T11:40:07.902113", datatype=XSD.dateTime)
    checksum = one(g, RES_CSV, SPDX.checksum)
    assert (checksum, RDF.type, SPDX.Checksum) in g
    assert one(g, checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_md5
    assert str(one(g, checksum, SPDX.checksumValue)) == "9e107d9d372bb6826bd81d3542a419d6"
    licence = one(g, RES_CSV, DCT.license)
    assert licence == URIRef(EU + "licence/CC_BY")
    assert (licence, RDF.type, DCT.LicenseDocument) in g


def test_api_distribution() -> None:
    g = mapped()
    assert one(g, RES_API, DCAT.accessURL) == URIRef("https://api.tartu.ee/transport/v1/departures?stop=%7Bid%7D")
    assert list(g.objects(RES_API, DCAT.downloadURL)) == []  # an API is not a file
    fmt = one(g, RES_API, DCT["format"])
    assert isinstance(fmt, BNode)
    assert (fmt, RDF.type, DCT.MediaTypeOrExtent) in g and one(g, fmt, RDFS.label) == Literal("API")
    assert list(g.objects(RES_API, DCAT.mediaType)) == []
    assert list(g.objects(RES_API, DCAT.byteSize)) == [] and list(g.objects(RES_API, SPDX.checksum)) == []
    assert one(g, RES_API, DCT.modified) == Literal("2023-01-09T08:00:00", datatype=XSD.dateTime)


@pytest.mark.parametrize(("licence_id", "licence_url", "expected"), [
    ("cc-by-sa", "", EU + "licence/CC_BYSA"),
    ("cc-zero", "", EU + "licence/CC0"),
    ("odc-odbl", "", EU + "licence/ODC_ODBL"),
    ("CC-BY-4.0", "", EU + "licence/CC_BY_4_0"),
    ("other-open", "https://www.tartu.ee/avaandmete-litsents", "https://www.tartu.ee/avaandmete-litsents"),
    ("https://creativecommons.org/licenses/by/4.0/", "", "https://creativecommons.org/licenses/by/4.0/"),
    ("notspecified", "", None),
])
def test_licences(licence_id: str, licence_url: str, expected: str | None) -> None:
    pkg = copy.deepcopy(PACKAGE)
    pkg["license_id"], pkg["license_url"] = licence_id, licence_url
    g = mapped(pkg)
    for res in (RES_CSV, RES_API):
        assert list(g.objects(res, DCT.license)) == ([URIRef(expected)] if expected else [])
    assert list(g.objects(DS, DCT.license)) == []  # DCAT-AP licences distributions, not datasets


def test_resource_licence_wins() -> None:
    pkg = copy.deepcopy(PACKAGE)
    pkg["resources"][1]["license"] = "odc-by"
    g = mapped(pkg)
    assert one(g, RES_API, DCT.license) == URIRef(EU + "licence/ODC_BY")
    assert one(g, RES_CSV, DCT.license) == URIRef(EU + "licence/CC_BY")


@pytest.mark.parametrize(("fmt", "mimetype", "expect_format", "expect_media"), [
    ("text/csv", None, None, IANA + "text/csv"),  # a media type in `format` is a media type
    ("CSV", "CSV", EU + "file-type/CSV", None),
    ("GeoJSON", "application/geo+json", EU + "file-type/GEOJSON", IANA + "application/geo+json"),
    ("https://www.iana.org/assignments/media-types/application/json", None, None, IANA + "application/json"),
    ("http://publications.europa.eu/resource/authority/file-type/ODS", None, EU + "file-type/ODS", None),
    ("", "application/pdf; charset=binary", None, IANA + "application/pdf"),
    ("", "Excel", None, None),
])
def test_format_and_media_type(fmt: str, mimetype: str | None, expect_format: str | None,
                               expect_media: str | None) -> None:
    pkg = copy.deepcopy(PACKAGE)
    pkg["resources"][0]["format"], pkg["resources"][0]["mimetype"] = fmt, mimetype
    g = mapped(pkg)
    assert list(g.objects(RES_CSV, DCT["format"])) == ([URIRef(expect_format)] if expect_format else [])
    assert list(g.objects(RES_CSV, DCAT.mediaType)) == ([URIRef(expect_media)] if expect_media else [])


@pytest.mark.parametrize(("hash_value", "algorithm", "expected"), [
    ("2fd4e1c67a2d28fced849ee1bb76e7391b93eb12", None, ("sha1", "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12")),
    ("sha256:" + "ab" * 32, None, ("sha256", "ab" * 32)),
    ("AB" * 32, "SHA-256", ("sha256", "ab" * 32)),
    ("abc", None, None),  # no algorithm has 3-digit digests
    ("not a hash", "md5", None),
])
def test_checksums(hash_value: str, algorithm: str | None, expected: tuple[str, str] | None) -> None:
    pkg = copy.deepcopy(PACKAGE)
    pkg["resources"][0]["hash"] = hash_value
    if algorithm:
        pkg["resources"][0]["hash_algorithm"] = algorithm
    g = mapped(pkg)
    checksums = list(g.objects(RES_CSV, SPDX.checksum))
    if expected is None:
        assert checksums == []
        return
    (node,) = checksums
    assert one(g, node, SPDX.algorithm) == SPDX[f"checksumAlgorithm_{expected[0]}"]
    assert str(one(g, node, SPDX.checksumValue)).lower() == expected[1]


@pytest.mark.parametrize(("size", "expected"), [("1024", 1024), (1024.0, 1024), ("-5", None), ("big", None),
                                                ("NaN", None), (0, None)])
def test_byte_size(size: Any, expected: int | None) -> None:
    pkg = copy.deepcopy(PACKAGE)
    pkg["resources"][0]["size"] = size
    g = mapped(pkg)
    sizes = list(g.objects(RES_CSV, DCAT.byteSize))
    assert sizes == ([Literal(expected, datatype=XSD.nonNegativeInteger)] if expected is not None else [])


def test_access_and_download_url_fields() -> None:
    pkg = copy.deepcopy(PACKAGE)
    res = pkg["resources"][1]
    res["url"] = "/dataset/x/resource/y/download/data.json"  # site-relative: resolved against the portal
    g = mapped(pkg)
    assert one(g, RES_API, DCAT.accessURL) == URIRef(f"{PORTAL}/dataset/x/resource/y/download/data.json")
    assert one(g, RES_API, DCAT.downloadURL) == URIRef(f"{PORTAL}/dataset/x/resource/y/download/data.json")
    res["access_url"] = "https://www.tartu.ee/bussid"
    res["download_url"] = "https://files.tartu.ee/bussid.zip"
    g = mapped(pkg)
    assert one(g, RES_API, DCAT.accessURL) == URIRef("https://www.tartu.ee/bussid")
    assert one(g, RES_API, DCAT.downloadURL) == URIRef("https://files.tartu.ee/bussid.zip")
    res.pop("access_url")
    res.pop("download_url")
    res["url"] = "not a url"
    g = mapped(pkg)
    assert list(g.objects(RES_API, DCAT.accessURL)) == []  # the truth: DCAT-AP validation will say so


def test_resource_without_id_is_a_blank_node() -> None:
    pkg = copy.deepcopy(PACKAGE)
    del pkg["resources"][1]["id"]
    g = mapped(pkg)
    assert sum(isinstance(d, BNode) for d in g.objects(DS, DCAT.distribution)) == 1


def test_access_services() -> None:
    pkg = copy.deepcopy(PACKAGE)
    pkg["resources"][1]["access_services"] = json.dumps([{
        "title": "Tartu transport API", "endpoint_url": ["https://api.tartu.ee/transport/v1"],
        "endpoint_description": "https://api.tartu.ee/transport/v1/openapi.json",
        "serves_dataset": [str(DS)], "license": "cc-by"}])
    g = mapped(pkg)
    service = one(g, RES_API, DCAT.accessService)
    assert (service, RDF.type, DCAT.DataService) in g
    assert one(g, service, DCT.title) == Literal("Tartu transport API")
    assert one(g, service, DCAT.endpointURL) == URIRef("https://api.tartu.ee/transport/v1")
    assert one(g, service, DCAT.endpointDescription) == URIRef("https://api.tartu.ee/transport/v1/openapi.json")
    assert one(g, service, DCAT.servesDataset) == DS
    assert one(g, service, DCT.license) == URIRef(EU + "licence/CC_BY")


# ------------------------------------------------------------------------- scheming-based packages


SCHEMING_PACKAGE: dict[str, Any] = {
    "id": "c0ffee00-0000-4000-8000-000000000001", "name": "air-quality", "type": "dataset",
    "title": "Air quality", "notes": "Hourly measurements.", "license_id": "odc-odbl",
    "metadata_created": "2023-02-01T00:00:00", "metadata_modified": "2023-02-02T00:00:00",
    "tags": [{"name": "air"}], "extras": [],
    "theme": ["http://publications.europa.eu/resource/authority/data-theme/ENVI"],
    "language": ["en"],
    "contact": [{"name": "Environment desk", "email": "env@example.org"},
                {"name": "Open data team", "email": "open@example.org", "uri": "https://example.org/team"}],
    "publisher": [{"name": "Environment Board", "uri": "https://example.org/env",
                   "type": "http://purl.org/adms/publishertype/RegionalAuthority"}],
    "creator": [{"name": "Sensor Lab", "email": "lab@example.org"}],
    "temporal_coverage": [{"start": "2020-01-01", "end": "2020-12-31"}, {"start": "2022-01-01"}],
    "spatial_coverage": [{"uri": "https://sws.geonames.org/588335/", "text": "Tartu",
                          "centroid": {"type": "Point", "coordinates": [26.72, 58.38]}}],
    "resources": [{"id": "r1", "url": "https://example.org/air.csv", "format": "CSV", "name": "CSV"}],
}


def test_scheming_fields() -> None:
    g = mapped(SCHEMING_PACKAGE, portal="https://example.org")
    ds = URIRef("https://example.org/dataset/c0ffee00-0000-4000-8000-000000000001")
    contacts = list(g.objects(ds, DCAT.contactPoint))
    assert len(contacts) == 2
    assert {str(one(g, c, VCARD.fn)) for c in contacts} == {"Environment desk", "Open data team"}
    publisher = one(g, ds, DCT.publisher)
    assert publisher == URIRef("https://example.org/env")
    assert one(g, publisher, FOAF.name) == Literal("Environment Board")
    creator = one(g, ds, DCT.creator)
    assert one(g, creator, FOAF.name) == Literal("Sensor Lab")
    assert len(list(g.objects(ds, DCT.temporal))) == 2
    location = one(g, ds, DCT.spatial)
    assert location == URIRef("https://sws.geonames.org/588335/")
    assert one(g, location, DCAT.centroid) == Literal("POINT (26.7200 58.3800)", datatype=GSP.wktLiteral)
    assert one(g, ds, DCT.language) == URIRef(EU + "language/ENG")
    assert one(g, ds, DCAT.theme) == URIRef(EU + "data-theme/ENVI")
    dist = URIRef("https://example.org/dataset/c0ffee00-0000-4000-8000-000000000001/resource/r1")
    assert one(g, dist, DCT.license) == URIRef(EU + "licence/ODC_ODBL")
    assert one(g, dist, DCAT.downloadURL) == URIRef("https://example.org/air.csv")


# ------------------------------------------------------------------------------ bad input, paging


def test_bad_packages() -> None:
    with pytest.raises(BadInput, match="neither|without"):
        package_to_rdf({"title": "no id"}, portal_url=PORTAL)
    with pytest.raises(BadInput, match="JSON object"):
        package_to_rdf(["not", "a", "dict"], portal_url=PORTAL)  # type: ignore[arg-type]
    with pytest.raises(BadInput, match="http"):
        package_to_rdf(PACKAGE, portal_url="opendata.tartu.ee")
    g = package_to_rdf({"id": "bare"}, portal_url=PORTAL)  # a bare package maps to a bare dataset
    assert set(g) == {(URIRef(f"{PORTAL}/dataset/bare"), RDF.type, DCAT.Dataset),
                      (URIRef(f"{PORTAL}/dataset/bare"), DCT.identifier, Literal("bare"))}


def test_search_url_and_portal_base() -> None:
    assert (search_url("https://opendata.tartu.ee/", start=200, rows=100)
            == "https://opendata.tartu.ee/api/3/action/package_search?start=200&rows=100")
    assert portal_base("https://data.example.org/ckan/api/3/action/package_search?q=x") == \
        "https://data.example.org/ckan"
    with pytest.raises(BadInput):
        search_url(PORTAL, start=-1, rows=10)
    with pytest.raises(BadInput):
        search_url(PORTAL, start=0, rows=0)


def test_parse_page() -> None:
    body = json.dumps({"help": "x", "success": True,
                       "result": {"count": 41, "results": [PACKAGE], "sort": "score desc", "facets": {},
                                  "search_facets": {}}}).encode()
    results, count = parse_page(body)
    assert count == 41 and results == [PACKAGE]


@pytest.mark.parametrize(("body", "message"), [
    (json.dumps({"help": "x", "success": False,
                 "error": {"__type": "Validation Error", "rows": ["Invalid integer"]}}).encode(),
     "Validation Error: rows: Invalid integer"),
    (json.dumps({"success": False, "error": {"__type": "Authorization Error", "message": "Access denied"}}).encode(),
     "Authorization Error: Access denied"),
    (b"<html><body>Bad gateway</body></html>", "not JSON"),
    (b"\xff\xfe\x00garbage", "not JSON"),
    (json.dumps({"@context": "https://schema.org"}).encode(), "not a CKAN action API response"),
    (json.dumps({"success": True, "result": {"count": 3}}).encode(), "result.results"),
    (json.dumps({"success": True, "result": {"count": "3", "results": []}}).encode(), "result.count"),
    (json.dumps({"success": True, "result": [1, 2]}).encode(), "\"result\""),
])
def test_parse_page_errors(body: bytes, message: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_page(body)
    assert message in str(err.value)


# ----------------------------------------------------------------------------- DCAT-AP conformance


def _nt(graphs: list[rdflib.Graph]) -> RDFInput:
    union = rdflib.Graph()
    for g in graphs:
        union += g
    return RDFInput.from_bytes(union.serialize(format="nt").encode(), name="ckan-mapped.nt",
                               fmt=ox.RdfFormat.N_TRIPLES)


def _demo_graphs(invalid_every: int = 0) -> list[rdflib.Graph]:
    packages = [PACKAGE, SCHEMING_PACKAGE, *ckan_packages(16, invalid_every=invalid_every),
                *ckan_packages(8, city="Copenhagen")]
    return [package_to_rdf(copy.deepcopy(p), portal_url="https://opendata.example.org") for p in packages]


def _describe(report: Any) -> str:
    return "\n".join(f"{r.focus_node} {r.result_path} {r.value} {r.source_shape}" for r in report.results[:20])


def test_mapped_packages_conform_to_dcat_ap_3_mandatory() -> None:
    report = validate_documents([_nt(_demo_graphs())], profile="dcat-ap@3.0.1")
    assert report.conforms, _describe(report)


def test_mapped_packages_have_no_violations_with_recommendations() -> None:
    report = validate_documents([_nt(_demo_graphs())], profile="dcat-ap-recommended@3.0.1")
    assert report.violations == [], _describe(report)


OFFICIAL_SHAPES = SHARED / "dcat-ap" / "releases" / "3.0.1" / "html" / "shacl"


@pytest.mark.skipif(not (OFFICIAL_SHAPES / "shapes.ttl").is_file(), reason="reference DCAT-AP shapes not present")
def test_mapped_packages_conform_to_official_dcat_ap_3_shapes() -> None:
    shapes: list[Path] = [OFFICIAL_SHAPES / "shapes.ttl", OFFICIAL_SHAPES / "range.ttl"]
    report = validate_documents([_nt(_demo_graphs())], shapes=shapes, background=True)
    assert report.conforms, _describe(report)


def test_packages_without_title_and_notes_violate() -> None:
    graphs = [package_to_rdf(p, portal_url="https://opendata.example.org")
              for p in ckan_packages(9, invalid_every=3)]
    report = validate_documents([_nt(graphs)], profile="dcat-ap@3.0.1")
    paths = sorted((str(r.focus_node).rsplit("/", 1)[-1], str(r.result_path)) for r in report.violations)
    invalid_ids = sorted(p["id"] for p in ckan_packages(9, invalid_every=3) if not p["title"])
    assert paths == sorted((i, str(p)) for i in invalid_ids for p in (DCT.title, DCT.description))
