"""`/catalog` serves the holdings as a paged DCAT-AP 3 catalog; `/changes` says what changed since when."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import rdflib
from fastapi.testclient import TestClient
from rdflib.namespace import DCAT, RDF

from agora.api.app import create_app
from agora.kg.opsdb import OpsDB
from agora.kg.store import AgoraStore

HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
BASE = "http://agora.test"


@pytest.fixture
def client(demo_store: AgoraStore) -> Iterator[TestClient]:
    demo_store.settings.base_url = BASE
    app = create_app(demo_store.settings, store=demo_store, load_demo=False)
    with TestClient(app, base_url=BASE) as c:
        yield c


@pytest.fixture
def writer(demo_store: AgoraStore) -> dict[str, str]:
    _token, secret = OpsDB(demo_store.settings.ops_db_path).create_token("write", name="curator")
    return {"Authorization": f"Bearer {secret}"}


def _records(store: AgoraStore) -> set[str]:
    q = """SELECT DISTINCT ?d WHERE { VALUES ?t { <http://www.w3.org/ns/dcat#Dataset>
             <http://www.w3.org/ns/dcat#DatasetSeries> <http://www.w3.org/ns/dcat#DataService> } ?d a ?t }"""
    return {r["d"].value for r in store.ox.query(q, default_graph=[s.physical for s in store.sources(
        include_system=False)])}


def _walk(client: TestClient, url: str, accept: str = "text/turtle") -> tuple[list[rdflib.Graph], list[str]]:
    pages, urls = [], []
    while url:
        r = client.get(url, headers={"Accept": accept})
        assert r.status_code == 200, r.text
        g = rdflib.Graph().parse(data=r.text, format={"text/turtle": "turtle", "application/ld+json": "json-ld",
                                                      "application/rdf+xml": "xml"}[accept], publicID=url)
        pages.append(g)
        urls.append(url)
        nxt = list(g.objects(None, HYDRA.next))
        assert len(nxt) <= 1
        url = str(nxt[0]).removeprefix(BASE) if nxt else ""
    return pages, urls


def test_following_hydra_next_gives_every_record_exactly_once(client: TestClient, demo_store: AgoraStore) -> None:
    pages, _urls = _walk(client, "/catalog?per_page=25")
    listed: list[str] = []
    for g in pages:
        cat = rdflib.URIRef(BASE + "/catalog")
        assert (cat, RDF.type, DCAT.Catalog) in g
        listed += [str(o) for p in (DCAT.dataset, DCAT.service) for o in g.objects(cat, p)]
        total = int(next(g.objects(cat, HYDRA.totalItems)))
    assert len(listed) == len(set(listed)) == total
    assert set(listed) == _records(demo_store)
    assert len(pages) == -(-total // 25)


@pytest.mark.parametrize("accept", ["application/ld+json", "application/rdf+xml"])
def test_content_negotiation_gives_the_same_graph(client: TestClient, accept: str) -> None:
    turtle, _ = _walk(client, "/catalog?per_page=40")
    other, _ = _walk(client, "/catalog?per_page=40", accept)
    for a, b in zip(turtle, other, strict=True):
        assert len(a) == len(b)
        assert set(a.subjects(RDF.type, DCAT.Dataset)) == set(b.subjects(RDF.type, DCAT.Dataset))


def test_each_record_comes_with_its_distributions_and_agents(client: TestClient) -> None:
    g = _walk(client, "/catalog?per_page=1000")[0][0]
    for ds in g.subjects(RDF.type, DCAT.Dataset):
        for dist in g.objects(ds, DCAT.distribution):
            assert (dist, DCAT.accessURL, None) in g, f"{dist} of {ds} is listed without its description"
        for agent in g.objects(ds, rdflib.DCTERMS.publisher):
            assert (agent, RDF.type, None) in g


def test_the_catalog_conforms_to_dcat_ap_3(client: TestClient) -> None:
    from agora.kg.rdfio import RDFInput
    from agora.kg.validation import validate_documents

    body = client.get("/catalog?per_page=1000", headers={"Accept": "application/n-triples"}).content
    import pyoxigraph as ox

    report = validate_documents([RDFInput.from_bytes(body, name="catalog", fmt=ox.RdfFormat.N_TRIPLES)],
                                profile="dcat-ap@3.0.1")
    assert not report.violations, report.violations[:3]


def test_paging_parameters_are_checked(client: TestClient) -> None:
    assert client.get("/catalog?per_page=0").status_code == 422
    assert client.get("/catalog?per_page=100000").status_code == 422
    # A key past the end is an empty last page, not an error.
    r = client.get("/catalog", params={"after": "zzzz"})
    assert r.status_code == 200 and "hydra:next" not in r.text


def test_the_feed_reports_loads_replaces_and_deletes_in_order(client: TestClient, writer: dict[str, str]) -> None:
    start = client.get("/changes").json()["next"]
    ds = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
    <https://x.example.org/a> a dcat:Dataset ; dct:title "A"@en ; dct:description "a"@en .
    <https://x.example.org/b> a dcat:Dataset ; dct:title "B"@en ; dct:description "b"@en .
    """
    assert client.post("/api/sources/feedtest", content=ds, headers={**writer, "Content-Type": "text/turtle"},
                       params={"validate": "false"}).status_code == 200
    first = client.get("/changes", params={"since": start}).json()
    assert {(c["record"], c["change"]) for c in first["changes"]} == {
        ("https://x.example.org/a", "added"), ("https://x.example.org/b", "added")}

    changed = ds.replace('"B"@en', '"B, revised"@en').replace(
        '<https://x.example.org/a> a dcat:Dataset ; dct:title "A"@en ; dct:description "a"@en .', "")
    assert client.post("/api/sources/feedtest", content=changed, params={"replace": "true", "validate": "false"},
                       headers={**writer, "Content-Type": "text/turtle"}).status_code == 200
    second = client.get("/changes", params={"since": first["next"]}).json()
    assert [(c["record"], c["change"]) for c in second["changes"]] == [
        ("https://x.example.org/b", "changed"), ("https://x.example.org/a", "removed")]

    assert client.delete("/api/sources/feedtest", headers=writer).status_code == 200
    third = client.get("/changes", params={"since": second["next"]}).json()
    assert [(c["record"], c["change"]) for c in third["changes"]] == [("https://x.example.org/b", "removed")]
    # A time works as a cursor too; nothing happened after now.
    assert client.get("/changes", params={"since": "2999-01-01T00:00:00Z"}).json()["changes"] == []


def test_a_bad_cursor_is_a_clear_400(client: TestClient) -> None:
    r = client.get("/changes", params={"since": "yesterday"})
    assert r.status_code == 400 and "ISO 8601" in r.json()["message"]
