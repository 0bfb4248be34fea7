"""Curator mutations over HTTP: tokens and ownership, typed outcomes, and reads that see the writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from .test_graphql_support import gql, graphql_client

DATASET = "https://example.org/test/dataset/bike-lanes"
VALID = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix agora: <https://w3id.org/agora/ns#> .
<https://example.org/test/dataset/bike-lanes> a dcat:Dataset ;
    dct:title "Bike lanes of Testville"@en , "Fietspaden van Testdorp"@nl ;
    dct:description "Every bike lane in Testville, as lines."@en ;
    dct:publisher <https://example.org/test/org/testville> ;
    agora:sector <https://w3id.org/agora/sector/mobility> .
<https://example.org/test/org/testville> a foaf:Agent , foaf:Organization ;
    foaf:name "Municipality of Testville"@en ;
    dct:type <http://purl.org/adms/publishertype/LocalAuthority> .
"""
NO_TITLE = VALID.replace('dct:title "Bike lanes of Testville"@en , "Fietspaden van Testdorp"@nl ;', "")

LOAD = """mutation($name: String!, $body: String!, $replace: Boolean! = false, $format: String! = "turtle") {
  loadSource(name: $name, body: $body, replace: $replace, format: $format) {
    __typename
    ... on LoadSuccess { triples replacedVersion warnings source { name iri current { number loadedBy validation } }
                         report { conforms warnings } }
    ... on ValidationFailed { message report { conforms violations results(first: 5) { path severity message } } }
    ... on PermissionDenied { message reason }
    ... on InputError { message code line }
  }
}"""
DELETE = """mutation($name: String!) { deleteSource(name: $name) { __typename
  ... on DeleteSuccess { name iri } ... on PermissionDenied { reason } ... on InputError { code message } } }"""
FIND = '{ dataset(iri: "https://example.org/test/dataset/bike-lanes") { title(lang: "nl") publisher { name } } ' \
       '  datasets { totalCount } }'


@pytest.fixture(scope="module")
def client(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with graphql_client(demo_dir, tmp_path_factory.mktemp("graphql-mutations") / "data") as c:
        yield c


def bearer(client: TestClient, scope: str = "write") -> dict[str, str]:
    _token, secret = client.app.state.ops.create_token(scope)
    return {"authorization": f"Bearer {secret}"}


def load(client: TestClient, name: str, body: str, headers: dict[str, str] | None = None, **extra: object) -> dict:
    return gql(client, LOAD, {"name": name, "body": body, **extra}, headers=headers)["loadSource"]


def test_writes_need_a_write_token(client: TestClient) -> None:
    anonymous = load(client, "testville", VALID)
    assert anonymous["__typename"] == "PermissionDenied" and anonymous["reason"] == "unauthenticated"
    unknown = load(client, "testville", VALID, {"authorization": "Bearer agora_nope"})
    assert unknown["reason"] == "unauthenticated"
    reader = load(client, "testville", VALID, bearer(client, "read"))
    assert reader["__typename"] == "PermissionDenied" and reader["reason"] == "forbidden"
    assert gql(client, FIND)["dataset"] is None


def test_load_replace_and_delete_a_source(client: TestClient) -> None:
    curator = bearer(client)
    before = gql(client, FIND)["datasets"]["totalCount"]
    loaded = load(client, "testville", VALID, curator)
    assert loaded["__typename"] == "LoadSuccess", loaded
    assert loaded["triples"] == 10 and loaded["replacedVersion"] is None
    assert loaded["source"]["current"]["validation"] == "warnings" and loaded["warnings"] > 0
    assert loaded["report"]["conforms"] is False and loaded["report"]["warnings"] == loaded["warnings"]
    found = gql(client, FIND)
    assert found["dataset"] == {"title": "Fietspaden van Testdorp", "publisher": {"name": "Municipality of Testville"}}
    assert found["datasets"]["totalCount"] == before + 1  # the cached dataset list follows the write

    again = load(client, "testville", VALID, curator)
    assert again["__typename"] == "InputError" and again["code"] == "SourceExists"
    replaced = load(client, "testville", VALID.replace("Fietspaden van Testdorp", "Fietsroutes"), curator,
                    replace=True)
    assert replaced["__typename"] == "LoadSuccess" and replaced["replacedVersion"] == 1
    assert replaced["source"]["current"]["number"] == 2
    assert gql(client, FIND)["dataset"]["title"] == "Fietsroutes"

    other = bearer(client)  # another curator may not touch it
    denied = gql(client, DELETE, {"name": "testville"}, headers=other)["deleteSource"]
    assert denied == {"__typename": "PermissionDenied", "reason": "forbidden"}
    deleted = gql(client, DELETE, {"name": "testville"}, headers=curator)["deleteSource"]
    assert deleted["__typename"] == "DeleteSuccess" and deleted["name"] == "testville"
    assert gql(client, FIND)["dataset"] is None
    assert gql(client, FIND)["datasets"]["totalCount"] == before
    missing = gql(client, DELETE, {"name": "testville"}, headers=curator)["deleteSource"]
    assert missing["__typename"] == "InputError" and missing["code"] == "SourceNotFound"


def test_invalid_data_is_a_typed_validation_failure(client: TestClient) -> None:
    failed = load(client, "untitled", NO_TITLE, bearer(client))
    assert failed["__typename"] == "ValidationFailed"
    assert failed["report"]["conforms"] is False and failed["report"]["violations"] >= 1
    assert any(r["path"] == "http://purl.org/dc/terms/title" and r["severity"] == "Violation"
               for r in failed["report"]["results"])
    assert gql(client, '{ source(name: "untitled") { name } }')["source"] is None


def test_bad_input_is_a_typed_input_error(client: TestClient) -> None:
    curator = bearer(client)
    syntax = load(client, "broken", "<a> <b> .\n<c> <d> <e>", curator, format="ntriples")
    assert syntax["__typename"] == "InputError" and syntax["code"] == "RDFSyntaxError"
    fmt = load(client, "broken", VALID, curator, format="no-such-format")
    assert fmt["__typename"] == "InputError" and fmt["code"] == "BadInput"
    name = load(client, "bad name!", VALID, curator)
    assert name["__typename"] == "InputError" and "not valid" in name["message"]


def test_validate_without_loading(client: TestClient) -> None:
    q = """mutation($body: String!, $profile: String!) { validate(body: $body, profile: $profile) { __typename
        ... on ValidationReport { conforms violations warnings results(first: 20) { severity path } }
        ... on InputError { code } } }"""
    bad = gql(client, q, {"body": NO_TITLE, "profile": "agora"})["validate"]
    assert bad["__typename"] == "ValidationReport" and bad["violations"] >= 1
    good = gql(client, q, {"body": VALID, "profile": "dcat-ap-recommended@3.0.1"})["validate"]
    assert good["violations"] == 0 and good["warnings"] > 0
    unknown = gql(client, q, {"body": VALID, "profile": "nope"})["validate"]
    assert unknown == {"__typename": "InputError", "code": "BadInput"}
    assert gql(client, FIND)["dataset"] is None  # nothing was loaded


def test_mutations_are_not_allowed_over_get(client: TestClient) -> None:
    r = client.get("/graphql", params={"query": 'mutation { deleteSource(name: "amsterdam") { __typename } }'})
    assert r.status_code == 405
    assert gql(client, '{ source(name: "amsterdam") { name } }')["source"] == {"name": "amsterdam"}
