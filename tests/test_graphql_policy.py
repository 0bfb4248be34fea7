"""Policy decisions through GraphQL: policyDecision and the decisions of a use case's data flows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from .test_graphql_support import ID, gql, graphql_client

SCOOTER = ID + "antwerp/dataset/deelsteps-ritten"


@pytest.fixture
def client(demo_dir: Path, tmp_path: Path) -> Iterator[TestClient]:
    with graphql_client(demo_dir, tmp_path / "data") as c:
        yield c


def test_policy_decision_permits_planning_and_denies_marketing(client: TestClient) -> None:
    q = """query($p: String!, $t: String!, $u: String) {
             policyDecision(party: $p, target: $t, purpose: $u) { decision summary decidedBy duties } }"""
    permit = gql(client, q, {"p": ID + "org/stad-antwerpen", "t": SCOOTER, "u": "purpose:urban-planning"})
    assert permit["policyDecision"]["decision"] == "Permit"
    assert ID + "policy/voltway-trip-data" in permit["policyDecision"]["decidedBy"]
    deny = gql(client, q, {"p": ID + "org/adpulse-media", "t": SCOOTER, "u": "purpose:marketing"})
    assert deny["policyDecision"]["decision"] == "Deny"


def test_use_case_flows_carry_their_decisions(client: TestClient) -> None:
    q = """query($iri: String!) { useCase(iri: $iri) { flowDecisions { dataset recipient decision duties } } }"""
    data = gql(client, q, {"iri": ID + "usecase/e-scooter-b2g-planning"})
    flows = data["useCase"]["flowDecisions"]
    assert [(f["dataset"], f["recipient"], f["decision"]) for f in flows] == [
        (SCOOTER, ID + "org/stad-antwerpen", "Permit")]


def test_graphql_requests_stop_at_the_query_time_limit(demo_dir: Path, tmp_path: Path) -> None:
    """A request over its limit stops at its next store query and reports it the GraphQL way."""
    import shutil

    from agora.api.app import create_app
    from agora.kg.config import load_settings

    shutil.copytree(demo_dir, tmp_path / "data")
    app = create_app(load_settings(tmp_path / "data", query_timeout=0.0), load_demo=False)
    with TestClient(app) as client:
        body = gql(client, "{ datasets(first: 5) { edges { node { iri title } } } }", errors=True)
    assert body.get("data") is None or body["data"].get("datasets") is None
    assert any("time limit" in e["message"] for e in body["errors"])


def test_search_in_graphql_with_facets_and_as_a_dataset_filter(client: TestClient) -> None:
    q = """{ search(q: "verkeersintensiteit", types: ["dataset"], first: 5) {
               totalCount results { iri why { kind } } facets { name values { value count } } } }"""
    data = gql(client, q)["search"]
    assert data["totalCount"] >= 1 and data["results"]
    assert any(f["name"] == "sector" and f["values"] for f in data["facets"])
    first = data["results"][0]["iri"]
    listing = """query($s: String!) { datasets(search: $s, first: 100) { totalCount edges { node { iri } } } }"""
    listed = gql(client, listing, {"s": "verkeersintensiteit"})["datasets"]
    iris = {e["node"]["iri"] for e in listed["edges"]}
    assert first in iris and listed["totalCount"] == len(iris) <= data["totalCount"]
