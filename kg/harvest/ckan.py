"""CKAN packages as DCAT-AP 3: the mapping of ckanext-dcat's `euro_dcat_ap_3` profile, without CKAN.

Why this exists: most city portals run CKAN, and its action API (`package_search`) is the one
complete, paged listing every CKAN offers. A portal's own DCAT endpoint may be missing (ckanext-dcat
not installed), switched off, or configured with another profile. Harvesting the action API and
mapping each package here gives the RDF that a portal running ckanext-dcat's
`EuropeanDCATAP3Profile` (ckanext-dcat 2.x, its default serializer settings) would publish for the
same package, so a dataset looks the same in Agora whichever way it was harvested, and curators who
know ckanext-dcat's mapping know ours (the table is in docs/ckan-mapping.md).

ckanext-dcat is followed property by property, fallback by fallback (`identifier` then `guid` then
`id`, `contact_name` then `maintainer` then `author`, ...), including its scheming-based fields
(`contact`, `publisher`, `creator`, `temporal_coverage`, `spatial_coverage` lists). Where it would
write something the DCAT-AP 3.0.1 range shapes reject, this module writes the controlled-vocabulary
IRI instead (EU authority tables for licences, languages, frequencies, file types and themes; IANA
for media types) or leaves the value out, and it never invents facts it cannot know: no language
tags on CKAN's untagged text, no time zone on CKAN's naive timestamps, no checksum algorithm it
cannot tell from the value. docs/ckan-mapping.md lists every difference and why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD, Namespace

from ..errors import BadInput

DCT = Namespace("http://purl.org/dc/terms/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
ADMS = Namespace("http://www.w3.org/ns/adms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"

PREFIXES: dict[str, Namespace] = {
    "dct": DCT, "dcat": DCAT, "dcatap": DCATAP, "adms": ADMS, "vcard": VCARD, "foaf": FOAF,
    "skos": Namespace(str(SKOS)), "locn": LOCN, "gsp": GSP, "owl": Namespace(str(OWL)), "spdx": SPDX,
    "eli": ELI,
}

Package = dict[str, Any]

# --------------------------------------------------------------------------------- controlled values

LICENCES: dict[str, str] = {
    # CKAN's default licence register (ckan/model/license.py): unversioned ids map to the
    # unversioned EU codes; the versioned/SPDX-style ids some portals use map to versioned codes.
    "cc-by": "CC_BY", "cc-by-sa": "CC_BYSA", "cc-nc": "CC_BYNC", "cc-by-nc": "CC_BYNC",
    "cc-zero": "CC0", "cc0": "CC0", "cc0-1.0": "CC0", "cc-0": "CC0",
    "odc-by": "ODC_BY", "odc-odbl": "ODC_ODBL", "odc-pddl": "ODC_PDDL",
    "cc-by-4.0": "CC_BY_4_0", "cc-by-sa-4.0": "CC_BYSA_4_0", "cc-by-nc-4.0": "CC_BYNC_4_0",
    "cc-by-nd-4.0": "CC_BYND_4_0", "cc-by-nc-sa-4.0": "CC_BYNCSA_4_0", "cc-by-nc-nd-4.0": "CC_BYNCND_4_0",
    "odbl-1.0": "ODC_ODBL", "odc-by-1.0": "ODC_BY", "pddl-1.0": "ODC_PDDL",
}
"""CKAN licence id (lower case) -> code in the EU licence authority table."""

LANGUAGES: dict[str, str] = {
    "bg": "BUL", "cs": "CES", "da": "DAN", "de": "DEU", "el": "ELL", "en": "ENG", "es": "SPA",
    "et": "EST", "fi": "FIN", "fr": "FRA", "ga": "GLE", "hr": "HRV", "hu": "HUN", "it": "ITA",
    "lt": "LIT", "lv": "LAV", "mt": "MLT", "nl": "NLD", "pl": "POL", "pt": "POR", "ro": "RON",
    "sk": "SLK", "sl": "SLV", "sv": "SWE", "no": "NOR", "nb": "NOB", "nn": "NNO", "is": "ISL",
    "ru": "RUS", "uk": "UKR", "be": "BEL", "ca": "CAT", "eu": "EUS", "gl": "GLG", "cy": "CYM",
    "lb": "LTZ", "sq": "SQI", "sr": "SRP", "mk": "MKD", "bs": "BOS", "tr": "TUR", "ar": "ARA",
    "zh": "ZHO", "ja": "JPN", "ko": "KOR", "he": "HEB", "hi": "HIN", "fa": "FAS", "se": "SME",
    "fy": "FRY", "lv-lv": "LAV",
    # ISO 639-2/B codes whose EU code is the 639-2/T one
    "ger": "DEU", "fre": "FRA", "dut": "NLD", "cze": "CES", "gre": "ELL", "rum": "RON", "slo": "SLK",
    "ice": "ISL", "alb": "SQI", "mac": "MKD", "wel": "CYM", "baq": "EUS", "chi": "ZHO", "per": "FAS",
}
"""ISO 639-1 (and 639-2/B) code -> code in the EU language authority table (ISO 639-2/T)."""

FREQUENCIES: dict[str, str] = {
    "continuous": "CONT", "continual": "CONT", "realtime": "UPDATE_CONT", "real-time": "UPDATE_CONT",
    "updated continuously": "UPDATE_CONT", "hourly": "HOURLY", "daily": "DAILY", "weekly": "WEEKLY",
    "biweekly": "BIWEEKLY", "fortnightly": "BIWEEKLY", "monthly": "MONTHLY", "bimonthly": "BIMONTHLY",
    "quarterly": "QUARTERLY", "semiannual": "ANNUAL_2", "semi-annual": "ANNUAL_2", "biannual": "ANNUAL_2",
    "half-yearly": "ANNUAL_2", "annual": "ANNUAL", "annually": "ANNUAL", "yearly": "ANNUAL",
    "biennial": "BIENNIAL", "triennial": "TRIENNIAL", "irregular": "IRREG", "never": "NEVER",
    "unknown": "UNKNOWN", "other": "OTHER",
    # ISO 8601 repeating intervals (Project Open Data style accrualPeriodicity)
    "r/pt1h": "HOURLY", "r/p1d": "DAILY", "r/p1w": "WEEKLY", "r/p2w": "BIWEEKLY", "r/p1m": "MONTHLY",
    "r/p2m": "BIMONTHLY", "r/p3m": "QUARTERLY", "r/p6m": "ANNUAL_2", "r/p1y": "ANNUAL",
    "r/p2y": "BIENNIAL", "r/p3y": "TRIENNIAL",
}
"""Frequency words CKAN portals use -> code in the EU frequency authority table."""
_FREQUENCY_CODES = frozenset(FREQUENCIES.values())

FILE_TYPES: dict[str, str] = {
    "CSV": "CSV", "TSV": "TSV", "JSON": "JSON", "GEOJSON": "GEOJSON", "JSON-LD": "JSON_LD",
    "JSONLD": "JSON_LD", "XML": "XML", "XLS": "XLS", "XLSX": "XLSX", "ODS": "ODS", "PDF": "PDF",
    "DOC": "DOC", "DOCX": "DOCX", "ODT": "ODT", "TXT": "TXT", "HTML": "HTML", "ZIP": "ZIP",
    "GZIP": "GZIP", "GZ": "GZIP", "TAR": "TAR", "SHP": "SHP", "SHAPEFILE": "SHP", "ESRI SHAPEFILE": "SHP",
    "KML": "KML", "KMZ": "KMZ", "GML": "GML", "GPKG": "GPKG", "GEOPACKAGE": "GPKG", "RDF": "RDF",
    "RDF/XML": "RDF_XML", "RDF-XML": "RDF_XML", "TTL": "RDF_TURTLE", "TURTLE": "RDF_TURTLE",
    "N-TRIPLES": "RDF_N_TRIPLES", "NT": "RDF_N_TRIPLES", "N-QUADS": "RDF_N_QUADS", "NQ": "RDF_N_QUADS",
    "TRIG": "RDF_TRIG", "N3": "N3", "PNG": "PNG", "JPEG": "JPEG", "JPG": "JPEG", "TIFF": "TIFF",
    "TIF": "TIFF", "GEOTIFF": "GEOTIFF", "NETCDF": "NETCDF", "NC": "NETCDF", "PARQUET": "PARQUET",
    "WMS": "WMS_SRVC", "WFS": "WFS_SRVC", "WMTS": "WMTS_SRVC", "WCS": "WCS_SRVC",
}
"""CKAN resource format label (upper case) -> code in the EU file-type authority table."""

THEMES = frozenset({"AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "REGI",
                    "SOCI", "TECH", "TRAN", "OP_DATPRO"})
"""Codes of the EU data-theme authority table (DCAT-AP's dcat:theme vocabulary)."""

ACCESS_RIGHTS = {"public": "PUBLIC", "restricted": "RESTRICTED", "non-public": "NON_PUBLIC",
                 "non_public": "NON_PUBLIC"}

CHECKSUM_LENGTHS = {32: "md5", 40: "sha1", 56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}
"""Hex digest length -> SPDX checksum algorithm, for hashes stored without their algorithm."""

FILE_EXTENSIONS = frozenset({
    "csv", "tsv", "json", "geojson", "jsonld", "xml", "rdf", "ttl", "nt", "nq", "trig", "n3", "xls",
    "xlsx", "ods", "zip", "gz", "tgz", "bz2", "xz", "7z", "tar", "pdf", "txt", "shp", "kml", "kmz", "gml",
    "gpkg", "tif", "tiff", "png", "jpg", "jpeg", "nc", "parquet", "doc", "docx", "odt", "sqlite", "db",
    "gtfs", "pbf", "las", "laz", "dbf", "dxf", "dwg", "xsd", "yaml", "yml", "sav", "dta", "mp4", "mp3",
})
"""Extensions that make a resource URL a file (so also a dcat:downloadURL)."""

_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_NOT_IN_IRI = re.compile(r"[\x00-\x20<>\"{}|\\^`\x7f]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+$")
_FETCHABLE = ("http", "https", "ftp", "ftps")
_API_SUFFIX = re.compile(r"(/api(/3)?(/action(/[a-z_]+)?)?)?/*$")


# ---------------------------------------------------------------------------------------- public API


def portal_base(portal_url: str) -> str:
    """The portal's base URL: no trailing slash, no `/api/3/action/...` if the curator pasted an API URL."""
    url = (portal_url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadInput(f"{portal_url!r}: a CKAN portal URL must be an http(s) URL such as https://data.example.org")
    return _API_SUFFIX.sub("", url.split("?", 1)[0].split("#", 1)[0])


def search_url(portal_url: str, *, start: int, rows: int) -> str:
    """The action-API URL of one `package_search` page: `{portal}/api/3/action/package_search?start=&rows=`."""
    if start < 0 or rows < 1:
        raise BadInput(f"package_search needs start >= 0 and rows >= 1 (got start={start}, rows={rows})")
    return f"{portal_base(portal_url)}/api/3/action/package_search?{urlencode({'start': start, 'rows': rows})}"


def parse_page(body: bytes) -> tuple[list[Package], int]:
    """(results, count) of a CKAN `package_search` response; BadInput when the portal reports an error.

    `count` is the total number of matching packages on the portal (not the length of this page),
    which is what paging needs to know when to stop.
    """
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        snippet = body[:80].decode("utf-8", "replace").strip()
        raise BadInput(f"CKAN package_search: the response is not JSON ({exc}); it starts with {snippet!r}") from None
    if not isinstance(doc, dict) or "success" not in doc:
        raise BadInput("CKAN package_search: the response is JSON but not a CKAN action API response "
                       "(no \"success\" member); is the URL a CKAN portal?")
    if doc["success"] is not True:
        raise BadInput(f"CKAN package_search failed: {_ckan_error_text(doc.get('error'))}")
    result = doc.get("result")
    if not isinstance(result, dict):
        raise BadInput("CKAN package_search: \"result\" is missing or not an object")
    results, count = result.get("results"), result.get("count")
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise BadInput("CKAN package_search: \"result.results\" is missing or not a list of packages")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise BadInput(f"CKAN package_search: \"result.count\" is not a non-negative integer ({count!r})")
    return results, count


def dataset_uri(pkg: Package, *, portal_url: str) -> str:
    """The dataset IRI ckanext-dcat gives a package: its `uri` (field or extra), else `{portal}/dataset/{id}`."""
    uri = pkg.get("uri")
    if not uri:
        for extra in _extras(pkg):
            if extra[0] == "uri" and extra[1] not in (None, "", "None"):
                uri = extra[1]
                break
    iri = _iri(uri, identifier=True)
    if iri is not None:
        return str(iri)
    ident = pkg.get("id") or pkg.get("name")
    if not ident:
        raise BadInput("a CKAN package without \"id\" or \"name\" cannot be mapped (no stable dataset IRI)")
    return _url_quote(f"{portal_base(portal_url)}/dataset/{ident}")


def package_to_rdf(pkg: Package, *, portal_url: str) -> rdflib.Graph:
    """One CKAN package (as `package_search`/`package_show` return it) as a DCAT-AP 3 graph."""
    if not isinstance(pkg, dict):
        raise BadInput(f"a CKAN package must be a JSON object, not {type(pkg).__name__}")
    g = rdflib.Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    _Mapper(g, pkg, portal_base(portal_url)).dataset()
    return g


# ------------------------------------------------------------------------------------------- helpers


def _ckan_error_text(error: Any) -> str:
    if not isinstance(error, dict):
        return "the portal answered success=false without details"
    kind = error.get("__type") or "error"
    parts = [str(error["message"])] if error.get("message") else []
    for key, value in error.items():
        if key not in ("__type", "message"):
            parts.append(f"{key}: {'; '.join(map(str, value)) if isinstance(value, list) else value}")
    return f"{kind}: {', '.join(parts)}" if parts else str(kind)


def _extras(d: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    extras = d.get("extras") or []
    if isinstance(extras, dict):
        yield from extras.items()
        return
    for extra in extras:
        if isinstance(extra, dict) and "key" in extra:
            yield str(extra["key"]), extra.get("value")


def _get(d: dict[str, Any], key: str) -> Any:
    """ckanext-dcat's `_get_dict_value`: the root field, else the extra `key` or `dcat_key`."""
    if key in d:
        return d[key]
    for k, v in _extras(d):
        if k in (key, "dcat_" + key):
            return v
    return None


def _first(d: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = _get(d, key)
        if value not in (None, "", [], {}):
            return value
    return None


def _list(value: Any) -> list[Any]:
    """ckanext-dcat's `_read_list_value`: a list, a JSON list, a comma-separated string or one value."""
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return [v for v in value if v not in (None, "")]
    if isinstance(value, str):
        try:
            items = json.loads(value)
        except ValueError:
            return [v.strip() for v in value.split(",") if v.strip()] if "," in value else [value.strip()]
        if isinstance(items, list):
            return [v for v in items if v not in (None, "")]
        return [items] if items not in (None, "") else []
    return [value]


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    s = str(value).strip()
    return s or None


def _url_quote(url: str) -> str:
    """ckanext-dcat's `url_quote`: percent-encode what cannot stand in a URL, keep the rest."""
    return quote(url, safe="%/:=&?~#+!$,;'@()[]")


def _iri(value: Any, base: str | None = None, *, identifier: bool = False) -> URIRef | None:
    """An absolute http(s)/ftp IRI from `value`, or None. `base` resolves site-relative paths ("/x").

    With `identifier`, any absolute IRI is accepted (`urn:uuid:...` as a dataset or agent IRI), not
    only the locations a client can fetch.
    """
    s = _text(value)
    if s is None:
        return None
    if base and s.startswith("/") and not s.startswith("//"):
        s = urljoin(base + "/", s)
    s = _NOT_IN_IRI.sub(lambda m: quote(m.group(0)), s)
    try:
        parts = urlsplit(s)
    except ValueError:
        return None
    if identifier and _SCHEME.match(parts.scheme) and parts.scheme.lower() not in _FETCHABLE and (
            parts.netloc or parts.path) and not re.search(r"\s", str(value).strip()):
        return URIRef(s)
    if parts.scheme.lower() not in _FETCHABLE or not parts.netloc:
        return None
    return URIRef(s)


def _mailto(value: Any) -> URIRef | None:
    s = _text(value)
    if s is None:
        return None
    if s.lower().startswith("mailto:"):
        s = s[7:].strip()
    if "@" not in s:
        return None
    return URIRef("mailto:" + _NOT_IN_IRI.sub(lambda m: quote(m.group(0)), s))


def _eu(table: str, code: str) -> URIRef:
    return URIRef(f"{EU_AUTHORITY}{table}/{code}")


def _iri_or_code(value: Any) -> URIRef | str | None:
    """The IRI in `value` (a `URIRef`), else its text (a plain `str`) as a code; None when empty.

    CKAN fields bound to a controlled vocabulary hold either the vocabulary's IRI, which is kept
    as given (as ckanext-dcat does), or a code or label that each caller looks up in its own table.
    """
    s = _text(value)
    if s is None:
        return None
    iri = _iri(s)
    return iri if iri is not None else s


def licence_iri(value: Any) -> URIRef | None:
    """A licence IRI from a CKAN licence id (cc-by, odc-odbl...) or URL; None when neither."""
    s = _text(value)
    if s is None:
        return None
    code = LICENCES.get(s.lower())
    return _eu("licence", code) if code else _iri(s)


def language_iri(value: Any) -> URIRef | None:
    s = _iri_or_code(value)
    if s is None or isinstance(s, URIRef):
        return s
    key = s.lower().replace("_", "-")
    if key in LANGUAGES:
        return _eu("language", LANGUAGES[key])
    primary = key.split("-", 1)[0]
    if primary in LANGUAGES:
        return _eu("language", LANGUAGES[primary])
    if re.fullmatch(r"[a-z]{3}", primary):
        return _eu("language", primary.upper())
    return None


def frequency_iri(value: Any) -> URIRef | None:
    s = _iri_or_code(value)
    if s is None or isinstance(s, URIRef):
        return s
    if s.upper() in _FREQUENCY_CODES:
        return _eu("frequency", s.upper())
    code = FREQUENCIES.get(s.lower())
    return _eu("frequency", code) if code else None


def theme_iri(value: Any) -> URIRef | None:
    s = _iri_or_code(value)
    if s is None or isinstance(s, URIRef):
        return s
    return _eu("data-theme", s.upper()) if s.upper() in THEMES else None


def media_type_iri(value: Any) -> URIRef | None:
    s = _text(value)
    if s is None:
        return None
    if "iana.org/assignments/media-types/" in s:
        return _iri(s)
    key = s.split(";", 1)[0].strip().lower()
    return URIRef(IANA_MEDIA_TYPES + key) if _MEDIA_TYPE.match(key) else None


def _date_literal(value: Any) -> Literal | None:
    """ckanext-dcat's `_add_date_triple`: xsd:gYear / gYearMonth / date when that is all there is,
    else xsd:dateTime; None (instead of a plain string) when the value is not a date at all."""
    s = _text(value)
    if s is None:
        return None
    for pattern, fmt, datatype in ((r"\d{4}", "%Y", XSD.gYear), (r"\d{4}-\d{2}", "%Y-%m", XSD.gYearMonth),
                                   (r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d", XSD.date)):
        if re.fullmatch(pattern, s):
            try:
                datetime.strptime(s, fmt)
            except ValueError:
                return None
            return Literal(s, datatype=datatype)
    try:
        parsed = datetime.fromisoformat(s)
    except ValueError:
        return None
    return Literal(parsed.isoformat(), datatype=XSD.dateTime)


def _geojson_to_wkt(value: Any) -> str | None:
    """GeoJSON geometry -> WKT with four decimals, as geomet's `wkt.dumps(decimals=4)` in ckanext-dcat."""
    try:
        geom = json.loads(value) if isinstance(value, str) else value
        if isinstance(geom, dict) and geom.get("type") == "Feature":
            geom = geom.get("geometry")
        return _wkt(geom)
    except (ValueError, TypeError, KeyError, IndexError):
        return None


def _wkt(geom: dict[str, Any]) -> str:
    def pt(p: list[float]) -> str:
        if len(p) < 2:
            raise ValueError("a position needs two coordinates")
        return " ".join(f"{float(v):.4f}" for v in p)

    def seq(ps: list[list[float]]) -> str:
        return "(" + ", ".join(pt(p) for p in ps) + ")"

    def rings(rs: list[list[list[float]]]) -> str:
        return "(" + ", ".join(seq(r) for r in rs) + ")"

    kind, c = geom["type"], geom.get("coordinates")
    if kind == "Point":
        return f"POINT ({pt(c)})"
    if kind == "LineString":
        return f"LINESTRING {seq(c)}"
    if kind == "Polygon":
        return f"POLYGON {rings(c)}"
    if kind == "MultiPoint":
        return "MULTIPOINT (" + ", ".join(f"({pt(p)})" for p in c) + ")"
    if kind == "MultiLineString":
        return f"MULTILINESTRING {rings(c)}"
    if kind == "MultiPolygon":
        return "MULTIPOLYGON (" + ", ".join(rings(p) for p in c) + ")"
    if kind == "GeometryCollection":
        return "GEOMETRYCOLLECTION (" + ", ".join(_wkt(g) for g in geom["geometries"]) + ")"
    raise ValueError(f"unknown GeoJSON type {kind!r}")


def _looks_like_file(url: str, resource: dict[str, Any]) -> bool:
    """A resource URL is a download when CKAN stores the file (url_type=upload) or the path names a file."""
    if resource.get("url_type") == "upload":
        return True
    name = urlsplit(url).path.rsplit("/", 1)[-1].lower()
    return "." in name and name.rsplit(".", 1)[-1] in FILE_EXTENSIONS


def _checksum(hash_value: Any, algorithm: Any) -> tuple[str, str] | None:
    """(algorithm, hex digest) when both can be known; CKAN stores `hash` as free text."""
    s = _text(hash_value)
    if s is None:
        return None
    algo = (_text(algorithm) or "").lower()
    m = re.fullmatch(r"([A-Za-z0-9-]+)[:=]([0-9A-Fa-f]+)", s)
    if m:
        algo, s = algo or m.group(1).lower(), m.group(2)
    if not _HEX.match(s):
        return None
    algo = algo.rsplit("checksumalgorithm_", 1)[-1].replace("-", "")
    if not algo:
        algo = CHECKSUM_LENGTHS.get(len(s), "")
    if algo not in CHECKSUM_LENGTHS.values():
        return None
    return algo, s


# -------------------------------------------------------------------------------------------- mapper


class _Mapper:
    """Writes one package into `g`, in the order of ckanext-dcat's `graph_from_dataset`."""

    def __init__(self, g: rdflib.Graph, pkg: Package, portal: str) -> None:
        self.g = g
        self.pkg = pkg
        self.portal = portal
        self.ref = URIRef(dataset_uri(pkg, portal_url=portal))

    # -- small writers --------------------------------------------------------------------------

    def add(self, s: URIRef | BNode, p: URIRef, o: URIRef | BNode | Literal | None,
            cls: URIRef | None = None) -> None:
        if o is None:
            return
        self.g.add((s, p, o))
        if cls is not None and isinstance(o, URIRef):
            self.g.add((o, RDF.type, cls))

    def text(self, s: URIRef | BNode, p: URIRef, value: Any) -> None:
        t = _text(value)
        if t is not None:
            self.g.add((s, p, Literal(t)))

    def date(self, s: URIRef | BNode, p: URIRef, value: Any) -> None:
        self.add(s, p, _date_literal(value))

    def statement(self, s: URIRef | BNode, p: URIRef, value: Any, cls: URIRef,
                  vocabulary: dict[str, str] | None = None, table: str = "") -> None:
        """ckanext-dcat's `_add_statement_to_graph`: an IRI as is, text as a labelled statement node."""
        t = _text(value)
        if t is None:
            return
        if vocabulary and t.lower() in vocabulary:
            self.add(s, p, _eu(table, vocabulary[t.lower()]), cls)
            return
        iri = _iri(t)
        if iri is not None:
            self.add(s, p, iri, cls)
            return
        node = BNode()
        self.g.add((s, p, node))
        self.g.add((node, RDF.type, cls))
        self.g.add((node, RDFS.label, Literal(t)))

    def iris(self, s: URIRef | BNode, p: URIRef, value: Any, cls: URIRef | None = None) -> None:
        for item in _list(value):
            self.add(s, p, _iri(item), cls)

    # -- dataset --------------------------------------------------------------------------------

    def dataset(self) -> None:
        g, pkg, ref = self.g, self.pkg, self.ref
        series = pkg.get("type") == "dataset_series"
        g.add((ref, RDF.type, DCAT.DatasetSeries if series else DCAT.Dataset))

        self.text(ref, DCT.title, pkg.get("title"))
        self.text(ref, DCT.description, pkg.get("notes"))
        self.add(ref, DCAT.landingPage, _iri(pkg.get("url")), FOAF.Document)
        self.text(ref, DCT.identifier, _first(pkg, "identifier", "guid", "id"))
        version = _first(pkg, "version", "dcat_version")
        self.text(ref, OWL.versionInfo, version)
        self.text(ref, DCAT.version, version)
        self.text(ref, ADMS.versionNotes, _get(pkg, "version_notes"))
        self.add(ref, DCT.accrualPeriodicity, frequency_iri(_get(pkg, "frequency")), DCT.Frequency)
        self.add(ref, DCT.type, _iri(_get(pkg, "dcat_type")))

        for tag in pkg.get("tags") or []:
            self.text(ref, DCAT.keyword, tag.get("name") if isinstance(tag, dict) else tag)

        self.date(ref, DCT.issued, _first(pkg, "issued", "metadata_created"))
        self.date(ref, DCT.modified, _first(pkg, "modified", "metadata_modified"))

        for item in _list(_get(pkg, "language")):
            self.add(ref, DCT.language, language_iri(item), DCT.LinguisticSystem)
        for item in _list(_get(pkg, "theme")):
            self.add(ref, DCAT.theme, theme_iri(item))
        self.iris(ref, DCT.conformsTo, _get(pkg, "conforms_to"), DCT.Standard)
        self.iris(ref, FOAF.page, _get(pkg, "documentation"), FOAF.Document)
        self.iris(ref, DCT.relation, _get(pkg, "related_resource"))
        self.iris(ref, DCT.hasVersion, _get(pkg, "has_version"))
        self.iris(ref, DCT.isVersionOf, _get(pkg, "is_version_of"))
        self.iris(ref, DCT.source, _get(pkg, "source"))
        self.iris(ref, ADMS.sample, _get(pkg, "sample"), DCAT.Distribution)

        self.contact_points()
        self.publisher()
        self.creators()
        self.temporal()
        self.spatial()
        self.statement(ref, DCT.accessRights, _get(pkg, "access_rights"), DCT.RightsStatement,
                       ACCESS_RIGHTS, "access-right")
        self.statement(ref, DCT.provenance, _get(pkg, "provenance"), DCT.ProvenanceStatement)

        # DCAT-AP 2 additions
        durations = [d for d in map(_text, _list(_get(pkg, "temporal_resolution"))) if d]
        if durations:
            g.add((ref, DCAT.temporalResolution, Literal(durations[0], datatype=XSD.duration)))
        self.iris(ref, DCT.isReferencedBy, _get(pkg, "is_referenced_by"))
        self.iris(ref, DCATAP.applicableLegislation, _get(pkg, "applicable_legislation"), ELI.LegalResource)
        self.iris(ref, DCATAP.hvdCategory, _get(pkg, "hvd_category"))
        for value in _list(_get(pkg, "spatial_resolution_in_meters")):
            try:
                metres = Decimal(str(value))
            except ArithmeticError:
                continue
            if metres.is_finite():
                g.add((ref, DCAT.spatialResolutionInMeters, Literal(metres, datatype=XSD.decimal)))
                break

        # DCAT-AP 3 additions
        for item in _list(_get(pkg, "alternate_identifier")):
            node = BNode()
            g.add((ref, ADMS.identifier, node))
            g.add((node, RDF.type, ADMS.Identifier))
            g.add((node, SKOS.notation, Literal(str(item))))
        if not series:
            for series_id in _list(pkg.get("in_series")):
                g.add((ref, DCAT.inSeries, URIRef(_url_quote(f"{self.portal}/dataset/{series_id}"))))

        licence = self.dataset_licence()
        for resource in pkg.get("resources") or []:
            if isinstance(resource, dict):
                self.distribution(resource, licence)

    def contact_points(self) -> None:
        pkg = self.pkg
        contacts = pkg.get("contact")
        if isinstance(contacts, list) and contacts:  # ckanext-scheming repeating subfields
            for item in contacts:
                if isinstance(item, dict):
                    self.contact(item.get("uri"), item.get("name"), item.get("email"))
            return
        keys = ("contact_uri", "contact_name", "contact_email", "maintainer", "maintainer_email", "author",
                "author_email")
        if any(_text(_get(pkg, k)) for k in keys):
            self.contact(_get(pkg, "contact_uri"), _first(pkg, "contact_name", "maintainer", "author"),
                         _first(pkg, "contact_email", "maintainer_email", "author_email"))

    def contact(self, uri: Any, name: Any, email: Any) -> None:
        node: URIRef | BNode = _iri(uri, identifier=True) or BNode()
        self.g.add((self.ref, DCAT.contactPoint, node))
        self.g.add((node, RDF.type, VCARD.Organization))
        self.g.add((node, RDF.type, VCARD.Kind))
        self.text(node, VCARD.fn, name)
        self.add(node, VCARD.hasEmail, _mailto(email))

    def publisher(self) -> None:
        pkg = self.pkg
        scheming = pkg.get("publisher")
        if isinstance(scheming, list):
            if scheming and isinstance(scheming[0], dict):
                self.agent(DCT.publisher, scheming[0], organization=False)
            return
        if _text(_get(pkg, "publisher_uri")) or _text(_get(pkg, "publisher_name")):
            self.agent(DCT.publisher, {k: _get(pkg, f"publisher_{k}") for k in
                                       ("uri", "name", "email", "url", "type", "identifier")}, organization=False)
            return
        org = pkg.get("organization")
        if isinstance(org, dict) and (org.get("id") or org.get("name")):
            details = {"uri": _url_quote(f"{self.portal}/organization/{org.get('id') or org.get('name')}"),
                       "name": org.get("title") or org.get("name"), "email": org.get("email"),
                       "url": org.get("url"), "type": org.get("dcat_type"), "identifier": org.get("identifier")}
            self.agent(DCT.publisher, details, organization=True)

    def creators(self) -> None:
        pkg = self.pkg
        scheming = pkg.get("creator")
        if isinstance(scheming, list):
            for item in scheming:
                if isinstance(item, dict):
                    self.agent(DCT.creator, item, organization=False)
            return
        if _text(_get(pkg, "creator_uri")) or _text(_get(pkg, "creator_name")):
            self.agent(DCT.creator, {k: _get(pkg, f"creator_{k}") for k in
                                     ("uri", "name", "email", "url", "type", "identifier")}, organization=False)

    def agent(self, predicate: URIRef, d: dict[str, Any], *, organization: bool) -> None:
        node: URIRef | BNode = _iri(d.get("uri"), identifier=True) or BNode()
        self.g.add((self.ref, predicate, node))
        self.g.add((node, RDF.type, FOAF.Agent))
        if organization:
            self.g.add((node, RDF.type, FOAF.Organization))
        self.text(node, FOAF.name, d.get("name"))
        self.add(node, FOAF.mbox, _mailto(d.get("email")))
        self.add(node, FOAF.homepage, _iri(d.get("url")))
        self.add(node, DCT.type, _iri(d.get("type")))
        self.text(node, DCT.identifier, d.get("identifier"))

    def temporal(self) -> None:
        pkg = self.pkg
        periods: list[tuple[Any, Any]] = []
        coverage = pkg.get("temporal_coverage")
        if isinstance(coverage, list) and coverage:
            periods = [(c.get("start"), c.get("end")) for c in coverage if isinstance(c, dict)]
        else:
            periods = [(_get(pkg, "temporal_start"), _get(pkg, "temporal_end"))]
        for start, end in periods:
            start_lit, end_lit = _date_literal(start), _date_literal(end)
            if start_lit is None and end_lit is None:
                continue
            node = BNode()
            self.g.add((self.ref, DCT.temporal, node))
            self.g.add((node, RDF.type, DCT.PeriodOfTime))
            self.add(node, DCAT.startDate, start_lit)
            self.add(node, DCAT.endDate, end_lit)

    def spatial(self) -> None:
        pkg = self.pkg
        coverage = pkg.get("spatial_coverage")
        if isinstance(coverage, list) and coverage:
            items = [c for c in coverage if isinstance(c, dict)]
        else:
            items = [{"uri": _get(pkg, "spatial_uri"), "text": _get(pkg, "spatial_text"),
                      "geom": _get(pkg, "spatial"), "bbox": _get(pkg, "spatial_bbox"),
                      "centroid": _get(pkg, "spatial_centroid")}]
        for item in items:
            uri = _iri(item.get("uri"))
            geometries = [(p, _geojson_to_wkt(item.get(k))) for k, p in
                          (("geom", LOCN.geometry), ("bbox", DCAT.bbox), ("centroid", DCAT.centroid))]
            label = _text(item.get("text"))
            if uri is None and label is None and not any(w for _, w in geometries):
                continue
            node: URIRef | BNode = uri or BNode()
            self.g.add((self.ref, DCT.spatial, node))
            self.g.add((node, RDF.type, DCT.Location))
            self.text(node, SKOS.prefLabel, label)
            for predicate, wkt in geometries:
                if wkt:
                    self.g.add((node, predicate, Literal(wkt, datatype=GSP.wktLiteral)))

    def dataset_licence(self) -> URIRef | None:
        """The dataset licence every distribution without its own inherits (license_id, else license_url)."""
        return licence_iri(self.pkg.get("license_id")) or _iri(self.pkg.get("license_url"))

    # -- distribution ---------------------------------------------------------------------------

    def distribution_ref(self, res: dict[str, Any]) -> URIRef | BNode:
        uri = _iri(res.get("uri"), identifier=True) if res.get("uri") not in (None, "", "None") else None
        if uri is not None:
            return uri
        if not res.get("id"):
            return BNode()
        package = self.pkg.get("id") or res.get("package_id") or self.pkg.get("name")
        return URIRef(_url_quote(f"{self.portal}/dataset/{package}/resource/{res['id']}"))

    def distribution(self, res: dict[str, Any], dataset_licence: URIRef | None) -> None:
        g = self.g
        dist = self.distribution_ref(res)
        g.add((self.ref, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))

        self.text(dist, DCT.title, res.get("name"))
        self.text(dist, DCT.description, res.get("description"))
        self.add(dist, ADMS.status, _iri(res.get("status")))
        self.add(dist, DCT.license, licence_iri(res.get("license")) or dataset_licence, DCT.LicenseDocument)

        url = _iri(res.get("url"), self.portal)
        access = _iri(res.get("access_url"), self.portal) or url
        download = _iri(res.get("download_url"), self.portal)
        if download is None and url is not None and _looks_like_file(str(url), res):
            download = url
        self.add(dist, DCAT.accessURL, access)
        self.add(dist, DCAT.downloadURL, download)

        for item in _list(res.get("documentation")):
            self.add(dist, FOAF.page, _iri(item), FOAF.Document)
        for item in _list(res.get("language")):
            self.add(dist, DCT.language, language_iri(item), DCT.LinguisticSystem)
        self.iris(dist, DCT.conformsTo, res.get("conforms_to"), DCT.Standard)
        self.statement(dist, DCT.rights, res.get("rights"), DCT.RightsStatement)

        self.formats(dist, res)

        self.date(dist, DCT.issued, _first(res, "issued", "created"))
        self.date(dist, DCT.modified, _first(res, "modified", "metadata_modified", "last_modified"))

        size = res.get("size")
        if size:  # as ckanext-dcat: 0 is how many CKAN instances say "unknown"
            try:
                count = int(Decimal(str(size)))
            except (ArithmeticError, ValueError):
                count = -1
            if count >= 0:
                g.add((dist, DCAT.byteSize, Literal(count, datatype=XSD.nonNegativeInteger)))

        checksum = _checksum(res.get("hash"), res.get("hash_algorithm"))
        if checksum is not None:
            node = BNode()
            algorithm = SPDX[f"checksumAlgorithm_{checksum[0]}"]
            g.add((dist, SPDX.checksum, node))
            g.add((node, RDF.type, SPDX.Checksum))
            g.add((node, SPDX.algorithm, algorithm))
            g.add((node, SPDX.checksumValue, Literal(checksum[1], datatype=XSD.hexBinary)))

        # DCAT-AP 2 additions
        self.add(dist, DCATAP.availability, _iri(res.get("availability")))
        self.add(dist, DCAT.compressFormat, media_type_iri(res.get("compress_format")), DCT.MediaType)
        self.add(dist, DCAT.packageFormat, media_type_iri(res.get("package_format")), DCT.MediaType)
        self.iris(dist, DCATAP.applicableLegislation, res.get("applicable_legislation"), ELI.LegalResource)
        for service in self.access_services(res.get("access_services")):
            self.access_service(dist, service)

    def formats(self, dist: URIRef | BNode, res: dict[str, Any]) -> None:
        """ckanext-dcat's media type / format choice, with vocabulary IRIs instead of literals."""
        mimetype, fmt = _text(res.get("mimetype")), _text(res.get("format"))
        if fmt and (not mimetype or mimetype == fmt):
            if "iana.org/assignments/media-types" in fmt or (not fmt.startswith("http") and "/" in fmt):
                mimetype, fmt = fmt, None
            else:
                mimetype = None
        self.add(dist, DCAT.mediaType, media_type_iri(mimetype), DCT.MediaType)
        if not fmt:
            return
        iri = _iri(fmt)
        if iri is None and fmt.upper() in FILE_TYPES:
            iri = _eu("file-type", FILE_TYPES[fmt.upper()])
        if iri is not None:
            self.add(dist, DCT["format"], iri, DCT.MediaTypeOrExtent)
            return
        node = BNode()
        self.g.add((dist, DCT["format"], node))
        self.g.add((node, RDF.type, DCT.MediaTypeOrExtent))
        self.g.add((node, RDFS.label, Literal(fmt)))

    @staticmethod
    def access_services(value: Any) -> Iterable[dict[str, Any]]:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return []
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []

    def access_service(self, dist: URIRef | BNode, d: dict[str, Any]) -> None:
        node: URIRef | BNode = _iri(d.get("uri"), identifier=True) or BNode()
        self.g.add((dist, DCAT.accessService, node))
        self.g.add((node, RDF.type, DCAT.DataService))
        self.add(node, DCATAP.availability, _iri(d.get("availability")))
        self.add(node, DCT.license, licence_iri(d.get("license")), DCT.LicenseDocument)
        self.statement(node, DCT.accessRights, d.get("access_rights"), DCT.RightsStatement,
                       ACCESS_RIGHTS, "access-right")
        self.text(node, DCT.title, d.get("title"))
        self.text(node, DCT.description, d.get("description"))
        self.add(node, DCAT.endpointDescription, _iri(d.get("endpoint_description")))
        self.iris(node, DCAT.endpointURL, d.get("endpoint_url"))
        self.iris(node, DCAT.servesDataset, d.get("serves_dataset"))
