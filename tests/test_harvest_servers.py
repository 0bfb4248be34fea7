"""The harvest fixture servers behave as documented (checked with plain urllib, quickly)."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
import rdflib
from rdflib import URIRef
from rdflib.namespace import Namespace

from .harvest_servers import (
    HYDRA,
    PRIVATE_METADATA_URL,
    ckan_packages,
    ckan_server,
    dcat_datasets,
    dcat_pages,
    dcat_server,
    hostile_server,
)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)
DCAT = Namespace("http://www.w3.org/ns/dcat#")  # plain namespaces: pytest probes module attributes
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")


def get(url: str, *, timeout: float = 5.0, data: bytes | None = None,
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) without following redirects and without raising on HTTP errors."""
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with _opener.open(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


def get_json(url: str, **kw: Any) -> tuple[int, dict[str, Any]]:
    status, headers, body = get(url, **kw)
    assert headers["Content-Type"].startswith("application/json")
    return status, json.loads(body)


def parse(body: bytes, fmt: str = "turtle") -> rdflib.Graph:
    return rdflib.Graph().parse(data=body, format=fmt)


# ------------------------------------------------------------------------------------------- CKAN


def test_ckan_packages_are_realistic_and_deterministic() -> None:
    pkgs = ckan_packages(24)
    assert pkgs == ckan_packages(24)
    assert len({p["id"] for p in pkgs}) == len({p["name"] for p in pkgs}) == 24
    assert len({p["organization"]["id"] for p in pkgs}) == 3
    assert {p["license_id"] for p in pkgs} >= {"cc-by", "cc-by-sa", "cc-zero", "odc-odbl"}
    formats = {r["format"] for p in pkgs for r in p["resources"]}
    assert formats >= {"CSV", "GeoJSON", "JSON", "XLSX", "PDF", "WMS", "API"}
    for p in pkgs:
        assert p["title"] and p["notes"] and p["tags"] and p["resources"]
        assert {e["key"] for e in p["extras"]} >= {"theme", "frequency", "language", "spatial"}
        assert all(r["package_id"] == p["id"] and r["url"].startswith("https://") for r in p["resources"])
    assert ckan_packages(3, city="Copenhagen")[0]["title"].endswith("Copenhagen 2024")


def test_ckan_packages_invalid_every() -> None:
    pkgs = ckan_packages(10, invalid_every=3)
    invalid = [i for i, p in enumerate(pkgs) if not p["title"] and not p["notes"]]
    assert invalid == [2, 5, 8]  # the 3rd, 6th and 9th package


def test_ckan_package_search_pages_like_ckan() -> None:
    pkgs = ckan_packages(25)
    with ckan_server(pkgs) as base:
        seen: list[str] = []
        for start in (0, 10, 20):
            status, doc = get_json(f"{base}/api/3/action/package_search?start={start}&rows=10")
            assert status == 200 and doc["success"] is True
            assert doc["help"] == f"{base}/api/3/action/help_show?name=package_search"
            result = doc["result"]
            assert set(result) == {"count", "results", "sort", "facets", "search_facets"}
            assert result["count"] == 25
            seen += [p["id"] for p in result["results"]]
        assert sorted(seen) == sorted(p["id"] for p in pkgs)
        status, doc = get_json(f"{base}/api/3/action/package_search?start=30&rows=10")
        assert doc["result"]["results"] == [] and doc["result"]["count"] == 25
        # default: CKAN's sort, newest modification first
        status, doc = get_json(f"{base}/api/3/action/package_search")
        assert len(doc["result"]["results"]) == 10
        assert doc["result"]["sort"] == "score desc, metadata_modified desc"
        mods = [p["metadata_modified"] for p in doc["result"]["results"]]
        assert mods == sorted(mods, reverse=True)
        assert [r.path for r in base.requests][0].startswith("/api/3/action/package_search?start=0")


def test_ckan_rows_are_capped_and_sort_and_q_work() -> None:
    pkgs = ckan_packages(12)
    with ckan_server(pkgs, page_size_cap=5) as base:
        _, doc = get_json(f"{base}/api/3/action/package_search?start=0&rows=100&sort=name%20asc")
        names = [p["name"] for p in doc["result"]["results"]]
        assert len(names) == 5 and names == sorted(p["name"] for p in pkgs)[:5]
        assert doc["result"]["count"] == 12
        _, doc = get_json(f"{base}/api/3/action/package_search?q=parking&rows=50")
        assert doc["result"]["count"] == 2
        assert all("parking" in p["name"] for p in doc["result"]["results"])
        _, doc = get_json(f"{base}/api/3/action/package_search?q=name:{pkgs[3]['name']}")
        assert [p["id"] for p in doc["result"]["results"]] == [pkgs[3]["id"]]
        # POST with a JSON body, as CKAN allows
        status, doc = get_json(f"{base}/api/3/action/package_search", data=json.dumps({"rows": 2}).encode(),
                               headers={"Content-Type": "application/json"})
        assert status == 200 and len(doc["result"]["results"]) == 2


def test_ckan_errors_have_ckan_bodies() -> None:
    pkgs = ckan_packages(30)
    with ckan_server(pkgs, fail_on_start=20) as base:
        status, doc = get_json(f"{base}/api/3/action/package_search?start=20&rows=10")
        assert status == 500 and doc["success"] is False and doc["error"]["__type"] == "Internal Server Error"
        status, doc = get_json(f"{base}/api/3/action/package_search?start=10&rows=10")
        assert status == 200 and len(doc["result"]["results"]) == 10
        status, doc = get_json(f"{base}/api/3/action/package_search?start=-1")
        assert status == 409 and doc["error"]["__type"] == "Validation Error" and "start" in doc["error"]
        status, doc = get_json(f"{base}/api/3/action/package_search?rows=ten")
        assert status == 409 and doc["error"]["rows"] == ["Invalid integer"]
        status, doc = get_json(f"{base}/api/3/action/package_search?sort=bogus%20asc")
        assert status == 409 and doc["error"]["__type"] == "Search Query Error"
        status, doc = get_json(f"{base}/api/3/action/no_such_action")
        assert status == 400 and "Action name not known" in doc["error"]["message"]
        status, _, _ = get(f"{base}/dataset/whatever")
        assert status == 404


def test_ckan_package_show_and_status_show() -> None:
    pkgs = ckan_packages(5)
    with ckan_server(pkgs) as base:
        for ident in (pkgs[2]["id"], pkgs[2]["name"]):
            status, doc = get_json(f"{base}/api/3/action/package_show?id={ident}")
            assert status == 200 and doc["result"] == pkgs[2]
        status, doc = get_json(f"{base}/api/3/action/package_show?id=nope")
        assert status == 404 and doc["error"] == {"__type": "Not Found Error", "message": "Not found"}
        status, doc = get_json(f"{base}/api/3/action/package_show")
        assert status == 409
        status, doc = get_json(f"{base}/api/3/action/status_show")
        assert status == 200 and doc["result"]["ckan_version"].startswith("2.")
        assert doc["result"]["site_url"] == base


# ------------------------------------------------------------------------------------------- DCAT


def _view(g: rdflib.Graph) -> URIRef:
    views = list(g.subjects(RDF.type, HYDRA.PartialCollectionView))
    assert len(views) == 1
    return views[0]


def test_dcat_pages_turtle_with_hydra_links() -> None:
    pages = dcat_pages(dcat_datasets(7), per_page=3)
    assert len(pages) == 3 and all(b"{base}" in p for p in pages)
    with dcat_server(pages) as base:
        url: str | None = f"{base}/catalog?page=1"
        listed: list[str] = []
        visited = []
        while url:
            status, headers, body = get(url)
            assert status == 200 and headers["Content-Type"] == "text/turtle"
            assert b"{base}" not in body
            g = parse(body)
            view = _view(g)
            assert str(view) == url
            catalog = URIRef(f"{base}/catalog")
            assert (catalog, RDF.type, DCAT.Catalog) in g
            listed += [str(d) for d in g.objects(catalog, DCAT.dataset)]
            assert g.value(view, HYDRA.first) == URIRef(f"{base}/catalog?page=1")
            assert g.value(view, HYDRA.last) == URIRef(f"{base}/catalog?page=3")
            assert g.value(view, HYDRA.totalItems).toPython() == 7
            visited.append(url)
            nxt = g.value(view, HYDRA.next)
            url = str(nxt) if nxt is not None else None
        assert visited == [f"{base}/catalog?page={i}" for i in (1, 2, 3)]
        assert sorted(listed) == sorted(f"{base}/dataset/{i}" for i in range(1, 8))
        assert get(f"{base}/catalog")[2] == get(f"{base}/catalog?page=1")[2]
        assert get(f"{base}/catalog?page=4")[0] == 404
        assert get(f"{base}/catalog?page=x")[0] == 400
        assert get(f"{base}/other")[0] == 404


def test_dcat_pages_json_ld_and_callable_pages() -> None:
    with dcat_server(lambda b: dcat_pages(dcat_datasets(2), per_page=1, base=b, fmt="json-ld"),
                     content_type="application/ld+json") as base:
        status, headers, body = get(f"{base}/catalog?page=2")
        assert status == 200 and headers["Content-Type"] == "application/ld+json"
        json.loads(body)
        g = parse(body, "json-ld")
        view = _view(g)
        assert g.value(view, HYDRA.next) is None
        assert g.value(view, HYDRA.previous) == URIRef(f"{base}/catalog?page=1")
        assert (URIRef(f"{base}/catalog"), DCAT.dataset, URIRef(f"{base}/dataset/2")) in g


def test_servers_serve_changes_between_harvests() -> None:
    pages = dcat_pages(dcat_datasets(2), per_page=2)
    pkgs = ckan_packages(3)
    with dcat_server(pages) as base, ckan_server(pkgs) as portal:
        assert (None, DCAT.dataset, URIRef(f"{base}/dataset/2")) in parse(get(f"{base}/catalog")[2])
        pages[:] = dcat_pages(dcat_datasets(1), per_page=2)
        assert (None, DCAT.dataset, URIRef(f"{base}/dataset/2")) not in parse(get(f"{base}/catalog")[2])
        pkgs.pop()
        _, doc = get_json(f"{portal}/api/3/action/package_search")
        assert doc["result"]["count"] == 2


def test_dcat_pages_checks_its_input() -> None:
    with pytest.raises(ValueError):
        dcat_pages(["<{base}/x> a <http://example.org/NotADataset> ."], per_page=1)
    with pytest.raises(ValueError):
        dcat_pages(dcat_datasets(1), per_page=0)
    assert len(dcat_pages([], per_page=5)) == 1  # an empty catalog is one page


# ---------------------------------------------------------------------------------------- hostile


def test_hostile_endless() -> None:
    with hostile_server("endless") as base:
        url = f"{base}/catalog"
        seen = set()
        for _ in range(40):
            status, _, body = get(url)
            assert status == 200
            g = parse(body)
            view = _view(g)
            assert g.value(view, HYDRA.last) is None
            url = str(g.value(view, HYDRA.next))
            assert url not in seen
            seen.add(url)
        assert url == f"{base}/catalog?page=41"


def test_hostile_error_midway() -> None:
    with hostile_server("error-midway") as base:
        status, _, body = get(f"{base}/catalog?page=1")
        assert status == 200
        assert str(parse(body).value(_view(parse(body)), HYDRA.next)) == f"{base}/catalog?page=2"
        assert get(f"{base}/catalog?page=2")[0] == 500
        assert get(f"{base}/catalog?page=3")[0] == 200


def test_hostile_wrong_type() -> None:
    with hostile_server("wrong-type") as base:
        status, headers, body = get(f"{base}/catalog")
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert (None, RDF.type, DCAT.Catalog) in parse(body)  # it is Turtle all the same


def test_hostile_slow_does_not_block_shutdown() -> None:
    t0 = time.monotonic()
    with hostile_server("slow") as base:
        with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
            get(f"{base}/catalog", timeout=0.3)
        assert len(base.requests) == 1
    assert time.monotonic() - t0 < 3


def test_hostile_huge_streams_without_end() -> None:
    t0 = time.monotonic()
    with hostile_server("huge") as base:
        req = urllib.request.Request(f"{base}/catalog")
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert resp.status == 200
            assert resp.headers.get("Content-Length") is None
            assert resp.headers.get("Transfer-Encoding") == "chunked"
            got = 0
            while got < 8 * 1024 * 1024:
                chunk = resp.read(256 * 1024)
                assert chunk, "the body ended"
                got += len(chunk)
    assert time.monotonic() - t0 < 10


def test_hostile_redirect_private() -> None:
    with hostile_server("redirect-private") as base:
        for path in ("/catalog", "/catalog?page=2", "/anything"):
            status, headers, _ = get(f"{base}{path}")
            assert status == 302 and headers["Location"] == PRIVATE_METADATA_URL


def test_hostile_flaky_fails_once_per_path() -> None:
    with hostile_server("flaky") as base:
        status, headers, _ = get(f"{base}/catalog")
        assert status == 503 and headers["Retry-After"] == "0"
        status, _, body = get(f"{base}/catalog")
        assert status == 200 and (None, RDF.type, DCAT.Catalog) in parse(body)
        assert get(f"{base}/catalog?page=2")[0] == 503
        assert get(f"{base}/catalog?page=2")[0] == 200
        assert get(f"{base}/catalog?page=2")[0] == 200
        assert base.paths() == ["/catalog", "/catalog", "/catalog?page=2", "/catalog?page=2", "/catalog?page=2"]


def test_hostile_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown hostile server kind"):
        hostile_server("sneaky")
