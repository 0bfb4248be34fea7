"""The SPARQL endpoint as clients meet it: protocol, formats, updates with validation, GSP, limits."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from agora.api.app import create_app

from .conftest import backend_settings

pytestmark = pytest.mark.backends  # every test here runs on the embedded store and on Virtuoso

TTL = ('@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n'
       '@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n'
       '<http://ex/d1> a dcat:Dataset ; dct:title "Traffic counts"@en ; dct:description "Counts."@en ;\n'
       '  dcat:byteSize "0042"^^xsd:nonNegativeInteger .\n')


TITLES = "SELECT ?t WHERE { <http://ex/d1> <http://purl.org/dc/terms/title> ?t }"


@pytest.fixture
def client(tmp_path, backend, request):
    settings = backend_settings(backend, tmp_path / "data", request, query_timeout=2.0, query_workers=2)
    app = create_app(settings, load_demo=False)
    with TestClient(app) as c:
        c.app_state = app.state  # type: ignore[attr-defined]
        yield c


@pytest.fixture
def writer(client):
    _token, secret = client.app_state.ops.create_token("write")
    return {"Authorization": f"Bearer {secret}"}


def _put(client, writer, name="cat", body=TTL):
    r = client.put(f"/store?graph={name}", content=body, headers={**writer, "Content-Type": "text/turtle"})
    assert r.status_code in (201, 204), r.text
    return r


def test_query_get_post_and_formats(client, writer):
    _put(client, writer)
    q = "SELECT ?t WHERE { <http://ex/d1> <http://purl.org/dc/terms/title> ?t }"
    r = client.get("/sparql", params={"query": q})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/sparql-results+json")
    assert r.json()["results"]["bindings"][0]["t"] == {"type": "literal", "value": "Traffic counts", "xml:lang": "en"}
    r = client.post("/sparql", data={"query": q}, headers={"Accept": "text/csv"})
    assert r.text.splitlines() == ["t", "Traffic counts"]
    r = client.post("/sparql", content=q, headers={"Content-Type": "application/sparql-query",
                                                   "Accept": "application/sparql-results+xml"})
    assert "<literal xml:lang=\"en\">Traffic counts</literal>" in r.text
    r = client.get("/sparql", params={"query": q, "format": "tsv"})
    assert r.text.splitlines()[1] == '"Traffic counts"@en'
    r = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s <http://www.w3.org/ns/dcat#byteSize> ?o }"},
                   headers={"Accept": "application/n-triples"})
    assert '"0042"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>' in r.text
    r = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert r.json()["boolean"] is True


def test_service_description_and_errors(client):
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and "sd:Service" in r.text or "service-description#Service" in r.text
    r = client.get("/sparql", params={"query": "SELECT WHERE {"})
    assert r.status_code == 400 and "syntax" in r.json()["message"].lower()
    assert "Traceback" not in r.text
    r = client.post("/sparql", content="x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


def test_service_clauses_are_refused_unless_allowlisted(client):
    r = client.get("/sparql", params={"query": "SELECT * WHERE { SERVICE <http://169.254.169.254/> { ?s ?p ?o } }"})
    assert r.status_code == 400 and "allowlist" in r.json()["message"]


def test_a_query_over_its_time_limit_is_stopped_with_503(client, writer):
    _put(client, writer)
    slow = ("SELECT (COUNT(*) AS ?n) WHERE { VALUES ?a { 1 2 3 4 5 6 7 8 9 10 } "
            + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(8)) + " }")
    t = time.monotonic()
    r = client.get("/sparql", params={"query": slow})
    elapsed = time.monotonic() - t
    assert r.status_code == 503 and r.headers["retry-after"]
    assert "time limit" in r.json()["message"]
    assert elapsed < 2.0 + 3.0  # stopped, not left to run for minutes
    # The pool recovered: the next query is answered.
    r = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert r.status_code == 200


def test_writes_need_a_write_token(client):
    r = client.post("/sparql", content="INSERT DATA { GRAPH <http://ex/g> { <http://ex/a> <http://ex/p> 1 } }",
                    headers={"Content-Type": "application/sparql-update"})
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    _t, read = client.app_state.ops.create_token("read")
    r = client.put("/store?graph=x", content=TTL, headers={"Authorization": f"Bearer {read}",
                                                            "Content-Type": "text/turtle"})
    assert r.status_code == 403


def test_update_is_validated_and_atomic(client, writer):
    _put(client, writer)
    graph = client.get("/api/sources/cat").json()["graph"]
    # Removing the mandatory title would break the shapes: 422 with the report, nothing changes.
    delete = f"DELETE WHERE {{ GRAPH <{graph}> {{ ?d <http://purl.org/dc/terms/title> ?t }} }}"
    r = client.post("/sparql", content=delete,
                    headers={**writer, "Content-Type": "application/sparql-update"})
    assert r.status_code == 422
    assert any(res["path"] == "http://purl.org/dc/terms/title" for res in r.json()["report"]["results"])
    titles = client.get("/sparql", params={"query": TITLES})
    assert len(titles.json()["results"]["bindings"]) == 1
    # A valid update goes in and is recorded as a new version of the source.
    r = client.post("/sparql", data={"update": f'INSERT DATA {{ GRAPH <{graph}> {{ <http://ex/d1> '
                                               f'<http://purl.org/dc/terms/title> "Verkeerstellingen"@nl }} }}'},
                    headers=writer)
    assert r.status_code == 204, r.text
    assert client.get("/api/sources/cat").json()["version"] == 2
    # Writes to the union default graph are refused with a clear message.
    r = client.post("/sparql", content="INSERT DATA { <http://ex/a> <http://ex/p> 1 }",
                    headers={**writer, "Content-Type": "application/sparql-update"})
    assert r.status_code == 400 and "default graph" in r.json()["message"]


def test_blank_nodes_an_update_makes_are_blank_nodes_that_later_reads_find(client, writer):
    _put(client, writer)
    graph = client.get("/api/sources/cat").json()["graph"]
    r = client.post("/sparql", data={"update": f"""PREFIX dct: <http://purl.org/dc/terms/>
        PREFIX dcat: <http://www.w3.org/ns/dcat#>
        INSERT {{ GRAPH <{graph}> {{ <http://ex/d1> dct:temporal [ a dct:PeriodOfTime ;
            dcat:startDate "2020-01-01"^^<http://www.w3.org/2001/XMLSchema#date> ] }} }}
        WHERE {{}}"""}, headers=writer)
    assert r.status_code == 204, r.text
    q = ("SELECT ?t ?start WHERE { <http://ex/d1> <http://purl.org/dc/terms/temporal> ?t . "
         "?t <http://www.w3.org/ns/dcat#startDate> ?start FILTER(isBlank(?t)) }")
    rows = client.get("/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json"}).json()
    (row,) = rows["results"]["bindings"]
    assert row["t"]["type"] == "bnode" and row["start"]["value"] == "2020-01-01"
    # The node can be read again on its own: its description comes with the dataset's page data.
    page = client.get("/resource", params={"iri": "http://ex/d1"}, headers={"Accept": "application/n-triples"})
    assert page.status_code == 200 and '"2020-01-01"^^<http://www.w3.org/2001/XMLSchema#date>' in page.text


def test_graph_store_protocol_with_etags(client, writer):
    r = _put(client, writer)
    assert r.status_code == 201
    etag = r.headers["etag"]
    r = client.get("/store?graph=cat", headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and r.headers["etag"] == etag
    assert '"0042"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>' in r.text
    assert client.head("/store?graph=cat").status_code == 200
    # Two curators: the second one's edit is based on an old ETag and is refused.
    r = client.put("/store?graph=cat", content=TTL, headers={**writer, "Content-Type": "text/turtle", "If-Match": etag})
    assert r.status_code == 204
    r = client.put("/store?graph=cat", content=TTL, headers={**writer, "Content-Type": "text/turtle", "If-Match": etag})
    assert r.status_code == 412
    more = '<http://ex/d1> <http://www.w3.org/ns/dcat#keyword> "traffic"@en .'
    r = client.post("/store?graph=cat", content=more, headers={**writer, "Content-Type": "application/n-triples"})
    assert r.status_code == 204
    keywords = "SELECT ?k WHERE { <http://ex/d1> <http://www.w3.org/ns/dcat#keyword> ?k }"
    r = client.get("/sparql", params={"query": keywords})
    assert json.loads(r.text)["results"]["bindings"][0]["k"]["value"] == "traffic"
    r = client.put("/store?default", content=TTL, headers={**writer, "Content-Type": "text/turtle"})
    assert r.status_code == 400
    assert client.delete("/store?graph=cat", headers=writer).status_code == 204
    assert client.get("/store?graph=cat").status_code == 404


def test_a_slow_query_does_not_block_point_lookups(client, writer):
    import threading

    _put(client, writer)
    slow = ("SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(8)) + " }")
    finished: dict[str, float] = {}

    def run_slow() -> None:
        r = client.get("/sparql", params={"query": slow})
        finished["slow"] = time.monotonic()
        finished["slow_status"] = r.status_code

    t = threading.Thread(target=run_slow)
    t.start()
    time.sleep(0.3)
    statuses = []
    for _ in range(5):
        r = client.get("/sparql", params={"query": "SELECT ?p ?o WHERE { <http://ex/d1> ?p ?o }"})
        statuses.append(r.status_code)
    answered = time.monotonic()
    t.join()
    assert statuses == [200] * 5
    assert answered < finished["slow"]  # the lookups were answered while the aggregate was still running
    assert finished["slow_status"] == 503


def test_queries_are_answered_while_a_writer_holds_the_store(client, writer):
    """After a write, the next query needs a new snapshot; it must not wait for whatever holds the
    write lock next (a long load, the change feed digesting versions), and it sees the write."""
    import threading

    _put(client, writer)
    _put(client, writer, body=TTL.replace("Traffic counts", "Parking spaces"))  # a new generation
    store = client.app_state.store
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.write_lock:
            holding.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert holding.wait(5)
        started = time.monotonic()
        r = client.get("/sparql", params={"query": TITLES}, headers={"Accept": "application/sparql-results+json"})
        answered = time.monotonic()
        still_held = not release.is_set()
    finally:
        release.set()
        t.join()
    assert r.status_code == 200, r.text
    assert still_held and answered - started < 2.0  # not after the writer let go (the limit is 2 s)
    assert [b["t"]["value"] for b in r.json()["results"]["bindings"]] == ["Parking spaces"]
