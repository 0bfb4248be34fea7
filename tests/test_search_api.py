"""The search interfaces: GET /api/search (and /similar, /usecases, /status, POST /reindex) with its
OpenAPI description, and the `search` / `reindex` CLI commands."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from agora.api.app import create_app
from agora.api.cli_search import search_app
from agora.kg.config import load_settings
from agora.kg.store import AgoraStore

from .conftest import demo_settings

ID = "https://agora.example.org/id/"


pytestmark = pytest.mark.backends  # every test here runs on the embedded store and on Virtuoso


@pytest.fixture(scope="module")
def data_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory, backend: str,
             request: pytest.FixtureRequest) -> Path:
    target = tmp_path_factory.mktemp("search-api") / "data"
    demo_settings(backend, demo_dir, target, request)
    return target


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[TestClient]:
    settings = load_settings(data_dir)
    store = AgoraStore(settings)
    app = create_app(settings, store=store, load_demo=False)
    with TestClient(app) as c:
        yield c
    search = getattr(app.state, "search", None)
    if search is not None:
        search.detach()
    store.close()


def test_search_json(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": "trafiktælling", "facet": ["sector", "city"],
                                          "filter": ["type=dataset"], "size": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] >= 5 and len(body["results"]) == 5
    hit = body["results"][0]
    assert set(hit) >= {"iri", "type", "title", "snippet", "score", "why"}
    assert set(body["facets"]) == {"sector", "city"}
    assert all({"value", "label", "count"} <= set(v) for v in body["facets"]["city"])
    kinds = {reason["kind"] for h in body["results"] for reason in h["why"]}
    assert {"text", "concept", "mapping"} <= kinds
    assert body["expansion"]


def test_search_parameters(client: TestClient) -> None:
    plain = client.get("/api/search", params={"q": "trafiktælling", "expand": "false", "type": "dataset"}).json()
    expanded = client.get("/api/search", params={"q": "trafiktælling", "type": "dataset"}).json()
    assert plain["total"] < expanded["total"]
    florence = client.get("/api/search", params={"bbox": "11.1,43.7,11.4,43.9", "type": "dataset",
                                                 "facet": ""}).json()
    assert florence["total"] == 18 and florence["facets"] == {}
    assert client.get("/api/search", params={"near": "43.77,11.25,3", "type": "dataset"}).json()["total"] > 0
    since = client.get("/api/search", params={"since": "2025-06-01", "type": "dataset", "size": 0}).json()
    assert 0 < since["total"] < 105 and since["results"] == []
    period = client.get("/api/search", params={"period": "2030/", "type": "dataset"}).json()
    assert [h["iri"] for h in period["results"]] == [ID + "amsterdam/dataset/netbelasting-wijk"]
    page2 = client.get("/api/search", params={"q": "water", "page": 2, "size": 3}).json()
    assert page2["page"] == 2 and len(page2["results"]) == 3


@pytest.mark.parametrize("params", [{"bbox": "1,2,3"}, {"near": "95,1"}, {"filter": "nofacet=x"},
                                    {"since": "yesterday"}, {"facet": "colour"}, {"type": "spaceship"}])
def test_bad_parameters_are_400(client: TestClient, params: dict[str, str]) -> None:
    r = client.get("/api/search", params=params)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "BadInput"


def test_similar_usecases_status(client: TestClient) -> None:
    iri = ID + "copenhagen/dataset/trafiktaelling"
    similar = client.get("/api/search/similar", params={"iri": iri}).json()
    assert iri not in [h["iri"] for h in similar["results"]] and similar["results"]
    cases = client.get("/api/search/usecases", params={"iri": iri}).json()
    assert ID + "usecase/oresund-cross-border-traffic" in [h["iri"] for h in cases["results"]]
    assert client.get("/api/search/similar", params={"iri": "https://example.org/nope"}).status_code == 404
    status = client.get("/api/search/status").json()
    assert status["documents"] > 105 and status["disagreement"] == {"missing": [], "stale": [], "extra": []}
    assert client.post("/api/search/reindex").status_code == 401


def test_openapi_documents_the_response(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/api/search"]["get"]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("SearchResponseModel")
    names = {p["name"] for p in op["parameters"]}
    assert {"q", "facet", "filter", "expand", "page", "size", "bbox", "near", "since"} <= names
    assert "HitModel" in spec["components"]["schemas"]


def test_every_operation_has_its_own_operation_id(client: TestClient) -> None:
    # OpenAPI client generators refuse a document where two operations share an operationId.
    spec = client.get("/openapi.json").json()
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert "/api/search/reindex" in spec["paths"]


def test_cli_search_and_reindex(data_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "cli-data"
    shutil.copytree(data_dir, target, ignore=shutil.ignore_patterns("server.json"))
    runner = CliRunner()
    r = runner.invoke(search_app, ["search", "flussi di traffico", "--json", "--type", "dataset", "-d", str(target)])
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert ID + "amsterdam/dataset/verkeersintensiteiten" in [h["iri"] for h in body["results"]]
    r = runner.invoke(search_app, ["search", "parking", "--facet", "city", "--filter", "country=NLD",
                                   "-d", str(target)])
    assert r.exit_code == 0, r.output
    assert "Parkeervakken" in r.stdout or "Parking bays" in r.stdout
    assert "city:" in r.stdout
    r = runner.invoke(search_app, ["search", "--like", ID + "florence/dataset/qualita-aria", "--json",
                                   "-d", str(target)])
    assert r.exit_code == 0 and json.loads(r.stdout)["results"]
    r = runner.invoke(search_app, ["search", "x", "--filter", "colour=red", "-d", str(target)])
    assert r.exit_code == 2
    r = runner.invoke(search_app, ["reindex", "-d", str(target)])
    assert r.exit_code == 0, r.output
    assert "search index rebuilt" in r.stdout


def test_search_results_can_be_restricted_to_what_a_stakeholder_may_use(tmp_path: Path, demo_dir: Path) -> None:
    """The policy engine plugs into search: usableBy + purpose keeps only the datasets it permits."""
    shutil.copytree(demo_dir, tmp_path / "data")
    app = create_app(load_settings(tmp_path / "data"), load_demo=False)
    scooters = "https://agora.example.org/id/antwerp/dataset/deelsteps-ritten"
    with TestClient(app) as client:
        def found(**params: str) -> set[str]:
            r = client.get("/api/search", params={"q": "deelsteps", "type": "dataset", **params})
            assert r.status_code == 200, r.text
            return {hit["iri"] for hit in r.json()["results"]}

        assert scooters in found()
        assert scooters in found(usableBy="https://agora.example.org/id/org/stad-antwerpen",
                                 purpose="purpose:urban-planning")
        assert scooters not in found(usableBy="https://agora.example.org/id/org/adpulse-media",
                                     purpose="purpose:marketing")
