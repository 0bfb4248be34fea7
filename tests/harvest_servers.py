"""Real HTTP servers on 127.0.0.1 that play CKAN portals, paged DCAT catalogs and hostile hosts.

Harvest tests need the network behaviour of real portals (paging, caps, 500s halfway, wrong media
types, redirects to cloud metadata addresses, endless or slow answers), so these are real servers
(stdlib `ThreadingHTTPServer` on port 0, in a daemon thread), not mocks of the HTTP client. Each
is a context manager that yields the server's base URL (`http://127.0.0.1:PORT`, no trailing
slash) as a `ServerURL`: a `str` that also carries `.requests`, the requests the server received,
so a test can check how many pages were fetched or whether a request was retried.

- `ckan_server(packages)`: the CKAN action API (`package_search`, `package_show`, `status_show`)
  in CKAN 2.10's response shape; `ckan_packages(n)` makes realistic packages for it.
- `dcat_server(pages)`: a DCAT catalog paged with Hydra at `{base}/catalog?page=N`;
  `dcat_pages(...)` builds the pages (Turtle or JSON-LD) and `dcat_datasets(n)` dataset snippets.
- `hostile_server(kind)`: endless paging, a 500 halfway, Turtle as text/html, a 30 s stall, an
  unbounded body, a redirect to 169.254.169.254, a 503-then-200 flake. The catalog entry point of
  every kind is `{base}/catalog`.

Leaving the `with` block stops the server at once, also while a handler is stalling ("slow") or
streaming ("huge").
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD, Namespace

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
BASE_PLACEHOLDER = "{base}"
"""Stands for the server's base URL in page bytes; `dcat_server` fills it in when it starts."""
_SENTINEL = "http://agora-fixture.invalid/base-placeholder"
PRIVATE_METADATA_URL = "http://169.254.169.254/latest/meta-data/"
HOSTILE_KINDS = ("endless", "error-midway", "wrong-type", "slow", "huge", "redirect-private", "flaky")
SLOW_SECONDS = 30.0

TURTLE_PREFIXES = """\
@prefix rdf:   <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs:  <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:   <http://www.w3.org/2001/XMLSchema#> .
@prefix dcat:  <http://www.w3.org/ns/dcat#> .
@prefix dct:   <http://purl.org/dc/terms/> .
@prefix foaf:  <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix skos:  <http://www.w3.org/2004/02/skos/core#> .
@prefix adms:  <http://www.w3.org/ns/adms#> .
@prefix locn:  <http://www.w3.org/ns/locn#> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
"""
"""Prefixes `dcat_pages` declares before each dataset snippet (a snippet may redeclare them)."""


# ------------------------------------------------------------------------------------- server core


@dataclass
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    """Path and query string, as sent (`/catalog?page=2`)."""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class ServerURL(str):
    """The base URL of a fixture server; `.requests` lists the requests it has received so far."""

    requests: list[Request]

    def __new__(cls, url: str, requests: list[Request]) -> ServerURL:
        obj = super().__new__(cls, url)
        obj.requests = requests
        return obj

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


App = Callable[["_Handler"], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, app: App) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.app = app
        self.stopping = threading.Event()
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.base = f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 30  # socket timeout: a client that stops reading cannot pin a handler thread forever
    server_version = "AgoraFixture/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length > 0 else b""
        with self.server.lock:
            self.server.requests.append(Request(self.command, self.path, dict(self.headers.items()), self.body))
        self.close_connection = True
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, TimeoutError):
            self.server.app(self)

    # -- helpers for apps --

    @property
    def route(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query, keep_blank_values=True).items()}

    def send(self, status: int, body: bytes = b"", content_type: str = "text/plain; charset=utf-8",
             headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if body or status not in (204, 304):
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, doc: Any) -> None:
        self.send(status, json.dumps(doc).encode(), "application/json;charset=utf-8")


@contextlib.contextmanager
def _serve(app: App) -> Iterator[ServerURL]:
    server = _Server(app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"fixture-server-{server.server_address[1]}", daemon=True)
    thread.start()
    try:
        yield ServerURL(server.base, server.requests)
    finally:
        server.stopping.set()  # wakes stalled ("slow") and streaming ("huge") handlers
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -------------------------------------------------------------------------------------------- CKAN


def _ckan_body(base: str, action: str, *, result: Any = None, error: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"help": f"{base}/api/3/action/help_show?name={action}", "success": error is None}
    if error is None:
        doc["result"] = result
    else:
        doc["error"] = error
    return doc


_SORT_FIELDS = {"id", "name", "title", "metadata_modified", "metadata_created", "score", "views_recent"}


def _sorted(packages: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """Solr-like sort over a few package fields ("metadata_modified desc, name asc"); score is constant."""
    keys: list[tuple[str, bool]] = []
    for clause in filter(None, (c.strip() for c in sort.split(","))):
        name, _, direction = clause.partition(" ")
        direction = direction.strip().lower() or "asc"
        if name not in _SORT_FIELDS or direction not in ("asc", "desc"):
            raise ValueError(f"Can't determine a sort order from {clause!r}")
        keys.append((name, direction == "desc"))
    out = list(packages)
    for name, desc in reversed(keys):
        if name not in ("score", "views_recent"):
            out.sort(key=lambda p, n=name: str(p.get(n) or ""), reverse=desc)
    return out


def _matches(pkg: dict[str, Any], q: str) -> bool:
    """A small subset of CKAN's Solr syntax: `*:*`, `field:value` and free words (all must match)."""
    for term in re.findall(r'\S+:"[^"]*"|\S+', q):
        if term == "*:*":
            continue
        name, sep, value = term.partition(":")
        if sep and name and value:
            value = value.strip('"')
            if name == "organization":
                actual = (pkg.get("organization") or {}).get("name")
            elif name == "tags":
                if value not in [t.get("name") for t in pkg.get("tags") or []]:
                    return False
                continue
            else:
                actual = pkg.get(name)
            if str(actual) != value:
                return False
            continue
        haystack = " ".join([str(pkg.get("title") or ""), str(pkg.get("notes") or ""), str(pkg.get("name") or ""),
                             *[str(t.get("name")) for t in pkg.get("tags") or []]]).lower()
        if term.lower() not in haystack:
            return False
    return True


def ckan_server(packages: list[dict[str, Any]], *, page_size_cap: int = 1000,
                fail_on_start: int | None = None) -> contextlib.AbstractContextManager[ServerURL]:
    """A CKAN 2.10 action API over `packages`.

    `package_search` honours `start`, `rows` (silently capped at `page_size_cap`, like CKAN's
    `ckan.search.rows_max`), `q`, `fq` and `sort`; `count` is the number of matches. The page
    starting at `fail_on_start` answers HTTP 500 with a CKAN error body. Bad parameters answer
    409 with a CKAN "Validation Error", unknown actions 400, unknown packages 404, other paths 404.
    GET with a query string and POST with a JSON body are both accepted, as in CKAN. `packages` is
    read on every request: change the list in place to change the portal between two harvests.
    """

    def app(h: _Handler) -> None:
        base = h.server.base
        params: dict[str, Any] = dict(h.query)
        if h.command == "POST" and h.body:
            try:
                posted = json.loads(h.body)
            except ValueError:
                h.send_json(400, _ckan_body(base, "", error={"__type": "Bad request",
                                                               "message": "Bad request - JSON Error"}))
                return
            if isinstance(posted, dict):
                params.update(posted)
        m = re.fullmatch(r"/api(?:/3)?/action/([A-Za-z_]+)", h.route)
        if not m:
            h.send(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html; charset=utf-8")
            return
        action = m.group(1)
        if action == "package_search":
            _package_search(h, base, params)
        elif action == "package_show":
            ident = params.get("id") or params.get("name_or_id")
            if not ident:
                h.send_json(409, _ckan_body(base, action, error={"__type": "Validation Error",
                                                                  "id": ["Missing value"]}))
                return
            found = next((p for p in packages if ident in (p.get("id"), p.get("name"))), None)
            if found is None:
                h.send_json(404, _ckan_body(base, action, error={"__type": "Not Found Error",
                                                                  "message": "Not found"}))
                return
            h.send_json(200, _ckan_body(base, action, result=found))
        elif action == "status_show":
            h.send_json(200, _ckan_body(base, action, result={
                "ckan_version": "2.10.5", "site_url": base, "site_title": "Fixture CKAN portal",
                "site_description": "A CKAN action API served by tests/harvest_servers.py",
                "error_emails_to": None, "locale_default": "en",
                "extensions": ["datastore", "scheming_datasets", "dcat"]}))
        else:
            h.send_json(400, _ckan_body(base, action, error={
                "__type": "Bad request", "message": f"Bad request - Action name not known: {action}"}))

    def _package_search(h: _Handler, base: str, params: dict[str, Any]) -> None:
        errors: dict[str, list[str]] = {}
        values: dict[str, int] = {}
        for name, default in (("start", 0), ("rows", 10)):
            raw = params.get(name, default)
            try:
                values[name] = int(raw)
            except (TypeError, ValueError):
                errors[name] = ["Invalid integer"]
                continue
            if values[name] < 0:
                errors[name] = ["Must be a natural number"]
        if errors:
            h.send_json(409, _ckan_body(base, "package_search", error={"__type": "Validation Error", **errors}))
            return
        start, rows = values["start"], min(values["rows"], page_size_cap)
        if fail_on_start is not None and start == fail_on_start:
            h.send_json(500, _ckan_body(base, "package_search", error={
                "__type": "Internal Server Error", "message": "Internal Server Error: Solr returned an error"}))
            return
        q = str(params.get("q") or "").strip()
        fq = str(params.get("fq") or "").strip()
        sort = str(params.get("sort") or "").strip() or "score desc, metadata_modified desc"
        try:
            matching = _sorted([p for p in packages if _matches(p, q) and _matches(p, fq)], sort)
        except ValueError as exc:
            h.send_json(409, _ckan_body(base, "package_search", error={
                "__type": "Search Query Error", "message": f"Search Query is invalid: {exc}"}))
            return
        h.send_json(200, _ckan_body(base, "package_search", result={
            "count": len(matching), "facets": {}, "results": matching[start:start + rows], "sort": sort,
            "search_facets": {}}))

    return _serve(app)


_CITIES: dict[str, tuple[float, float, str, str]] = {
    # name: (longitude, latitude, language, country code for the fictitious domain)
    "Tartu": (26.7290, 58.3780, "et", "ee"), "Tallinn": (24.7536, 59.4370, "et", "ee"),
    "Copenhagen": (12.5683, 55.6761, "da", "dk"), "Malmö": (13.0038, 55.6050, "sv", "se"),
    "Amsterdam": (4.9041, 52.3676, "nl", "nl"), "Antwerp": (4.4025, 51.2194, "nl", "be"),
    "Florence": (11.2558, 43.7696, "it", "it"),
}

_TOPICS: list[dict[str, Any]] = [
    {"slug": "bus-stops", "title": "Public transport stops", "theme": "TRAN", "frequency": "monthly",
     "tags": ["transport", "public transport", "bus"], "formats": ["CSV", "GeoJSON"],
     "notes": "Location, name and served lines of every public transport stop in {city}."},
    {"slug": "air-quality", "title": "Air quality measurements", "theme": "ENVI", "frequency": "hourly",
     "tags": ["air quality", "environment", "sensors"], "formats": ["JSON", "CSV"],
     "notes": "Hourly NO2, PM10 and PM2.5 concentrations from the monitoring stations of {city}."},
    {"slug": "parking", "title": "Parking facilities and occupancy", "theme": "TRAN", "frequency": "daily",
     "tags": ["parking", "mobility"], "formats": ["CSV", "WMS"],
     "notes": "Off-street parking facilities in {city} with capacity, tariffs and daily occupancy."},
    {"slug": "budget", "title": "City budget", "theme": "GOVE", "frequency": "annual",
     "tags": ["budget", "finance", "transparency"], "formats": ["XLSX", "PDF"],
     "notes": "The adopted budget of {city} by department and by economic category."},
    {"slug": "ev-charging", "title": "Electric vehicle charging stations", "theme": "ENER", "frequency": "weekly",
     "tags": ["energy", "electric vehicles", "charging"], "formats": ["GeoJSON", "API"],
     "notes": "Public charging points for electric vehicles in {city}, with connector types and power."},
    {"slug": "noise", "title": "Road traffic noise levels", "theme": "ENVI", "frequency": "daily",
     "tags": ["noise", "environment"], "formats": ["CSV"],
     "notes": "Daily Lden and Lnight noise levels measured along the main roads of {city}."},
    {"slug": "population", "title": "Population by district", "theme": "SOCI", "frequency": "annual",
     "tags": ["population", "demography", "statistics"], "formats": ["CSV", "XLSX"],
     "notes": "Registered residents of {city} by district, age group and sex on 1 January."},
    {"slug": "traffic-counts", "title": "Traffic counts", "theme": "TRAN", "frequency": "continuous",
     "tags": ["traffic", "mobility", "sensors"], "formats": ["JSON", "API"],
     "notes": "Vehicle and bicycle counts from the induction loops and cameras of {city}."},
]

_GROUPS = {"TRAN": "Transport", "ENVI": "Environment", "GOVE": "Government and public sector",
           "ENER": "Energy", "SOCI": "Population and society"}

_LICENCES: list[tuple[str, str, str]] = [
    ("cc-by", "Creative Commons Attribution", "http://www.opendefinition.org/licenses/cc-by"),
    ("cc-by-sa", "Creative Commons Attribution Share-Alike", "http://www.opendefinition.org/licenses/cc-by-sa"),
    ("cc-zero", "Creative Commons CCZero", "http://www.opendefinition.org/licenses/cc-zero"),
    ("odc-odbl", "Open Data Commons Open Database License (ODbL)", "http://www.opendefinition.org/licenses/odc-odbl"),
    ("odc-by", "Open Data Commons Attribution License", "http://www.opendefinition.org/licenses/odc-by"),
    ("notspecified", "License not specified", ""),
]

_FORMATS: dict[str, tuple[str | None, str | None]] = {
    # format label: (mimetype, file extension; None = not a file)
    "CSV": ("text/csv", "csv"), "GeoJSON": ("application/geo+json", "geojson"),
    "JSON": ("application/json", None), "XLSX": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "PDF": ("application/pdf", "pdf"), "WMS": (None, None), "API": (None, None),
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("ö", "o").replace("ä", "a").replace("ü", "u")).strip("-")


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")


def ckan_packages(n: int, *, city: str = "Tartu", invalid_every: int = 0) -> list[dict[str, Any]]:
    """`n` realistic CKAN 2.10 packages of a city portal, the same for the same arguments.

    Three organizations, tags, extras (theme, frequency, language, spatial, temporal coverage,
    identifier), licences from CKAN's default register (cc-by, cc-by-sa, cc-zero, odc-odbl, odc-by,
    notspecified) and resources in several formats (uploaded CSV/GeoJSON/XLSX/PDF files, a JSON
    API, a WMS, a REST API). With `invalid_every=k`, packages k, 2k, 3k... (1-based) have an empty
    title and no notes, so they lack DCAT-AP's mandatory dct:title and dct:description.
    """
    lon, lat, lang, tld = _CITIES.get(city, (10.0, 50.0, "en", "org"))
    city_slug = _slug(city)
    portal = f"https://opendata.{city_slug}.example.{tld}"
    web = f"https://www.{city_slug}.example.{tld}"
    orgs = [
        {"slug": f"{city_slug}-city-government", "title": f"{city} City Government",
         "description": f"The city government of {city}."},
        {"slug": f"{city_slug}-transport-department", "title": f"{city} Transport Department",
         "description": f"Public transport, roads and parking in {city}."},
        {"slug": f"{city_slug}-environment-board", "title": f"{city} Environment Board",
         "description": f"Environmental monitoring in {city}."},
    ]
    for org in orgs:
        org["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{portal}/organization/{org['slug']}"))
    epoch = datetime(2021, 1, 4, 8, 30, 0)
    packages: list[dict[str, Any]] = []
    for i in range(n):
        topic = _TOPICS[i % len(_TOPICS)]
        edition = i // len(_TOPICS)
        year = 2024 - edition
        pkg_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{portal}/dataset/{i}"))
        name = f"{city_slug}-{topic['slug']}" + (f"-{year}" if edition else "")
        org = orgs[0] if topic["theme"] in ("GOVE", "SOCI") else orgs[1] if topic["theme"] == "TRAN" else orgs[2]
        created = epoch + timedelta(days=i, minutes=7 * i)
        modified = created + timedelta(days=30 + i % 11, hours=i % 5, microseconds=1000 * i)
        licence_id, licence_title, licence_url = _LICENCES[i % len(_LICENCES)]
        invalid = invalid_every > 0 and (i + 1) % invalid_every == 0
        resources = []
        for position, fmt in enumerate(topic["formats"]):
            res_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{portal}/dataset/{i}/resource/{position}"))
            mimetype, ext = _FORMATS[fmt]
            if ext:
                url = f"{portal}/dataset/{pkg_id}/resource/{res_id}/download/{topic['slug']}-{year}.{ext}"
            elif fmt == "WMS":
                url = f"https://gis.{city_slug}.example.{tld}/geoserver/wms?service=WMS&request=GetCapabilities"
            else:
                url = f"https://api.{city_slug}.example.{tld}/v1/{topic['slug']}" + ("?format=json" if fmt == "JSON"
                                                                                    else "")
            res_created = created + timedelta(minutes=5 + position)
            resources.append({
                "id": res_id, "package_id": pkg_id, "position": position, "state": "active",
                "name": f"{topic['title']} {year} ({fmt})",
                "description": f"{topic['title']} for {city}, {year}, as {fmt}.",
                "format": fmt, "mimetype": mimetype, "mimetype_inner": None, "url": url,
                "url_type": "upload" if ext else None,
                "size": (1024 * (i + 1) * (position + 3)) if ext else None,
                "hash": hashlib.md5(res_id.encode()).hexdigest() if ext else "",
                "created": _ts(res_created), "last_modified": _ts(modified) if ext else None,
                "metadata_modified": _ts(modified), "cache_url": None, "cache_last_updated": None,
                "datastore_active": fmt == "CSV", "resource_type": None,
            })
        tags = [{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"tag/{t}")), "name": t, "display_name": t,
                 "state": "active", "vocabulary_id": None} for t in [*topic["tags"], city_slug]]
        half = 0.04
        polygon = {"type": "Polygon", "coordinates": [[[lon - half, lat - half], [lon + half, lat - half],
                                                       [lon + half, lat + half], [lon - half, lat + half],
                                                       [lon - half, lat - half]]]}
        extras = [
            {"key": "theme", "value": json.dumps(
                [f"http://publications.europa.eu/resource/authority/data-theme/{topic['theme']}"])},
            {"key": "frequency", "value": topic["frequency"]},
            {"key": "language", "value": json.dumps([lang, "en"] if lang != "en" else ["en"])},
            {"key": "spatial", "value": json.dumps(polygon)},
            {"key": "spatial_text", "value": city},
            {"key": "temporal_start", "value": f"{year - 1}-01-01"},
            {"key": "temporal_end", "value": f"{year - 1}-12-31"},
            {"key": "identifier", "value": f"{city_slug}:{topic['slug']}:{year}"},
        ]
        packages.append({
            "id": pkg_id, "name": name, "type": "dataset", "state": "active", "private": False,
            "title": "" if invalid else f"{topic['title']} – {city} {year}",
            "notes": None if invalid else topic["notes"].format(city=city) + f" Edition {year}.",
            "url": f"{web}/open-data/{topic['slug']}", "version": f"{year}.{1 + i % 3}",
            "author": f"{org['title']} data team", "author_email": f"data@{city_slug}.example.{tld}",
            "maintainer": f"{city} Open Data Office", "maintainer_email": f"opendata@{city_slug}.example.{tld}",
            "license_id": licence_id, "license_title": licence_title, "license_url": licence_url,
            "isopen": licence_id != "notspecified",
            "owner_org": org["id"],
            "organization": {"id": org["id"], "name": org["slug"], "title": org["title"], "type": "organization",
                             "description": org["description"], "image_url": f"{web}/logo.png",
                             "created": _ts(epoch - timedelta(days=400)), "is_organization": True,
                             "approval_status": "approved", "state": "active"},
            "groups": [{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"group/{topic['theme']}")),
                        "name": _slug(_GROUPS[topic["theme"]]), "title": _GROUPS[topic["theme"]],
                        "display_name": _GROUPS[topic["theme"]], "description": "",
                        "image_display_url": ""}],
            "tags": tags, "num_tags": len(tags), "extras": extras,
            "resources": resources, "num_resources": len(resources),
            "metadata_created": _ts(created), "metadata_modified": _ts(modified),
            "creator_user_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{portal}/user/admin")),
            "relationships_as_object": [], "relationships_as_subject": [],
        })
    return packages


# -------------------------------------------------------------------------------------------- DCAT


def dcat_datasets(n: int, *, invalid_every: int = 0) -> list[str]:
    """`n` Turtle snippets, each one DCAT-AP 3 dataset with one distribution, IRIs under `{base}`.

    With `invalid_every=k`, datasets k, 2k... (1-based) have no dct:title and no dct:description.
    """
    out = []
    for i in range(1, n + 1):
        invalid = invalid_every > 0 and i % invalid_every == 0
        texts = "" if invalid else (f'    dct:title "Dataset {i}" ;\n'
                                    f'    dct:description "Fixture dataset number {i}." ;\n')
        out.append(
            f"<{BASE_PLACEHOLDER}/dataset/{i}> a dcat:Dataset ;\n{texts}"
            f'    dct:identifier "fixture-{i}" ;\n'
            f'    dcat:keyword "fixture" ;\n'
            f'    dct:modified "2024-01-{1 + i % 28:02d}"^^xsd:date ;\n'
            f"    dcat:distribution <{BASE_PLACEHOLDER}/dataset/{i}/csv> .\n"
            f"<{BASE_PLACEHOLDER}/dataset/{i}/csv> a dcat:Distribution ;\n"
            f"    dcat:accessURL <{BASE_PLACEHOLDER}/files/{i}.csv> ;\n"
            f"    dcat:downloadURL <{BASE_PLACEHOLDER}/files/{i}.csv> ;\n"
            f"    dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> .\n")
    return out


def _page_url(base: str, page: int) -> URIRef:
    return URIRef(f"{base}/catalog?page={page}")


def _catalog_page(datasets: list[URIRef], extra: rdflib.Graph | None, *, base: str, page: int,
                  last: int | None, total: int | None) -> rdflib.Graph:
    """One Hydra page: the catalog listing `datasets`, plus its PartialCollectionView."""
    g = rdflib.Graph()
    g.bind("dcat", DCAT)
    g.bind("dct", DCTERMS)
    g.bind("foaf", FOAF)
    g.bind("hydra", HYDRA)
    if extra is not None:
        g += extra
    catalog = URIRef(f"{base}/catalog")
    publisher = URIRef(f"{base}/publisher")
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal("Fixture catalog")))
    g.add((catalog, DCTERMS.description, Literal("A DCAT catalog paged with Hydra, served by harvest_servers.py")))
    g.add((catalog, DCTERMS.publisher, publisher))
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal("Fixture publisher")))
    for ds in datasets:
        g.add((catalog, DCAT.dataset, ds))
    view = _page_url(base, page)
    g.add((catalog, HYDRA.view, view))
    g.add((view, RDF.type, HYDRA.PartialCollectionView))
    g.add((view, HYDRA.first, _page_url(base, 1)))
    if last is None or page < last:
        g.add((view, HYDRA.next, _page_url(base, page + 1)))
    if page > 1:
        g.add((view, HYDRA.previous, _page_url(base, page - 1)))
    if last is not None:
        g.add((view, HYDRA.last, _page_url(base, last)))
    if total is not None:
        g.add((view, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
    return g


def _serialize(g: rdflib.Graph, fmt: str, base: str) -> bytes:
    if fmt in ("turtle", "ttl"):
        text = g.serialize(format="turtle")
    elif fmt in ("json-ld", "jsonld"):
        text = g.serialize(format="json-ld", indent=2)
    else:
        raise ValueError(f"unknown page format {fmt!r}; use 'turtle' or 'json-ld'")
    return text.replace(_SENTINEL, base).encode("utf-8")


def dcat_pages(datasets_turtle: list[str], *, per_page: int, base: str = BASE_PLACEHOLDER,
               fmt: str = "turtle") -> list[bytes]:
    """The pages of a Hydra-paged DCAT catalog holding the given datasets, `per_page` per page.

    Each snippet is Turtle describing one or more `dcat:Dataset`s (and their distributions...);
    the prefixes in `TURTLE_PREFIXES` are declared for it, and `{base}` in it stands for the
    server's base URL. Each page has the `dcat:Catalog` `{base}/catalog` listing that page's
    datasets and a `hydra:PartialCollectionView` `{base}/catalog?page=N` with `hydra:first`,
    `hydra:next` (not on the last page), `hydra:previous`, `hydra:last` and `hydra:totalItems`
    (the number of datasets in the whole catalog). `base` defaults to the `{base}` placeholder,
    which `dcat_server` fills in; pass a real URL to get final bytes. `fmt` is "turtle" or
    "json-ld" (expanded JSON-LD, no remote context).
    """
    if per_page < 1:
        raise ValueError("per_page must be at least 1")
    parsed: list[tuple[rdflib.Graph, list[URIRef]]] = []
    for i, snippet in enumerate(datasets_turtle):
        g = rdflib.Graph()
        g.parse(data=TURTLE_PREFIXES + snippet.replace(BASE_PLACEHOLDER, _SENTINEL), format="turtle")
        found = sorted(s for s in g.subjects(RDF.type, DCAT.Dataset) if isinstance(s, URIRef))
        if not found:
            raise ValueError(f"dataset snippet {i} declares no dcat:Dataset with an IRI")
        parsed.append((g, found))
    total = sum(len(ds) for _, ds in parsed)
    last = max(1, math.ceil(len(parsed) / per_page))
    pages = []
    for page in range(1, last + 1):
        chunk = parsed[(page - 1) * per_page: page * per_page]
        extra = rdflib.Graph()
        for g, _ in chunk:
            extra += g
        datasets = [d for _, ds in chunk for d in ds]
        pages.append(_serialize(_catalog_page(datasets, extra, base=_SENTINEL, page=page, last=last, total=total),
                                fmt, base))
    return pages


def _serve_pages(h: _Handler, pages: list[bytes], content_type: str) -> None:
    """`/catalog` (page 1) and `/catalog?page=N`; 400 for a bad page number, 404 past the end."""
    if h.route != "/catalog":
        h.send(404, b"Not Found")
        return
    raw = h.query.get("page", "1")
    if not raw.isdigit():
        h.send(400, f"page must be a positive integer, not {raw!r}".encode())
        return
    page = int(raw)
    if not 1 <= page <= len(pages):
        h.send(404, f"no page {page}; the catalog has {len(pages)} pages".encode())
        return
    h.send(200, pages[page - 1], content_type)


def _fill(pages: list[bytes] | Callable[[str], list[bytes]], base: str) -> list[bytes]:
    raw = pages(base) if callable(pages) else pages
    return [p.replace(BASE_PLACEHOLDER.encode(), base.encode()) for p in raw]


def dcat_server(pages: list[bytes] | Callable[[str], list[bytes]], *,
                content_type: str = "text/turtle") -> contextlib.AbstractContextManager[ServerURL]:
    """A DCAT catalog over Hydra pages at `{base}/catalog?page=1..n` (`/catalog` is page 1).

    `pages` are the page bodies, in which `{base}` is replaced by the server's base URL (see
    `dcat_pages`), or a callable that gets the base URL and returns the pages. Both are read on
    every request, so a test can change the catalog between two harvests of the same server (same
    base URL, same IRIs) by changing the list in place or what the callable returns.
    `content_type` is sent with every page (use "application/ld+json" for JSON-LD pages).
    """

    return _serve(lambda h: _serve_pages(h, _fill(pages, h.server.base), content_type))


# ------------------------------------------------------------------------------------------ hostile


def _endless_page(base: str, page: int) -> bytes:
    snippet = dcat_datasets(page)[-1].replace(BASE_PLACEHOLDER, _SENTINEL)
    g = rdflib.Graph()
    g.parse(data=TURTLE_PREFIXES + snippet, format="turtle")
    ds = URIRef(f"{_SENTINEL}/dataset/{page}")
    return _serialize(_catalog_page([ds], g, base=_SENTINEL, page=page, last=None, total=None), "turtle", base)


def _huge_chunks() -> bytes:
    lines = [f'<urn:agora:fixture:huge:{i}> <http://purl.org/dc/terms/title> "filler triple number {i} '
             f'of an endless document" .\n' for i in range(600)]
    return "".join(lines).encode()


def hostile_server(kind: str) -> contextlib.AbstractContextManager[ServerURL]:
    """A server that misbehaves in one way; the catalog entry point is `{base}/catalog`.

    - "endless": every `/catalog?page=N` is a valid page with one dataset and a `hydra:next` to
      page N+1, forever (no `hydra:last`, no `hydra:totalItems`).
    - "error-midway": three pages; page 2 answers HTTP 500.
    - "wrong-type": a valid Turtle catalog served as `text/html; charset=utf-8`.
    - "slow": every request waits 30 s before answering (a valid page); leaving the `with` block
      ends the wait, so shutdown is immediate.
    - "huge": 200 `text/turtle`, chunked, no Content-Length, a body that never ends (chunks of valid
      triples, about 64 KiB each) until the client hangs up or the server stops.
    - "redirect-private": every request answers 302 to http://169.254.169.254/latest/meta-data/.
    - "flaky": the first request for each path (with its query) answers 503 with `Retry-After: 0`;
      later ones are served normally (a two-page catalog).
    """
    if kind not in HOSTILE_KINDS:
        raise ValueError(f"unknown hostile server kind {kind!r}; use one of {', '.join(HOSTILE_KINDS)}")
    state: dict[str, Any] = {"pages": [], "seen": set()}

    def app(h: _Handler) -> None:
        base = h.server.base
        if kind == "redirect-private":
            h.send(302, b"", headers={"Location": PRIVATE_METADATA_URL})
        elif kind == "endless":
            raw = h.query.get("page", "1")
            if h.route != "/catalog" or not raw.isdigit() or int(raw) < 1:
                h.send(404, b"Not Found")
                return
            h.send(200, _endless_page(base, int(raw)), "text/turtle")
        elif kind == "error-midway":
            if h.route == "/catalog" and h.query.get("page") == "2":
                h.send(500, b"Internal Server Error")
                return
            _serve_pages(h, state["pages"], "text/turtle")
        elif kind == "wrong-type":
            _serve_pages(h, state["pages"], "text/html; charset=utf-8")
        elif kind == "slow":
            if h.server.stopping.wait(SLOW_SECONDS):
                return  # shutting down: drop the connection without an answer
            _serve_pages(h, state["pages"], "text/turtle")
        elif kind == "huge":
            _stream_forever(h)
        elif kind == "flaky":
            with h.server.lock:
                first = h.path not in state["seen"]
                state["seen"].add(h.path)
            if first:
                h.send(503, b"Service Unavailable: try again", headers={"Retry-After": "0"})
                return
            _serve_pages(h, state["pages"], "text/turtle")

    @contextlib.contextmanager
    def run() -> Iterator[ServerURL]:
        with _serve(app) as base:
            count = {"error-midway": 3, "flaky": 2}.get(kind, 1)
            state["pages"] = dcat_pages(dcat_datasets(count), per_page=1, base=base)
            yield base

    return run()


def _stream_forever(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/turtle")
    h.send_header("Transfer-Encoding", "chunked")
    h.send_header("Connection", "close")
    h.end_headers()
    chunk = _huge_chunks()
    framed = f"{len(chunk):X}\r\n".encode() + chunk + b"\r\n"
    h.wfile.write(framed)
    while not h.server.stopping.is_set():
        h.wfile.write(framed)
