"""Abusive queries are refused before anything runs: depth, tokens, aliases and estimated cost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from graphql import get_introspection_query

from agora.api.graphql import limits

from .test_graphql_support import counting_queries, gql, graphql_client


@pytest.fixture(scope="module")
def client(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with graphql_client(demo_dir, tmp_path_factory.mktemp("graphql-limits") / "data") as c:
        yield c


def refused(client: TestClient, query: str, variables: dict | None = None) -> str:
    """The error message of a query that must be rejected without touching the store."""
    with counting_queries(client) as shim:
        body = gql(client, query, variables, errors=True)
    assert body.get("data") is None, body
    assert shim.queries == [], "a refused query must not reach the store"
    return body["errors"][0]["message"]


def test_too_deep(client: TestClient) -> None:
    inner = "iri"
    for _ in range(limits.MAX_DEPTH):
        inner = f"publisher {{ catalogs(first: 1) {{ nodes {{ {inner} }} }} }}"
    message = refused(client, f"{{ datasets(first: 1) {{ nodes {{ {inner} }} }} }}")
    assert "exceeds maximum operation depth" in message


def test_too_many_tokens(client: TestClient) -> None:
    fields = " ".join("iri" for _ in range(limits.MAX_TOKENS))
    message = refused(client, f"{{ datasets(first: 1) {{ nodes {{ {fields} }} }} }}")
    assert "tokens" in message


def test_too_many_aliases(client: TestClient) -> None:
    aliases = " ".join(f"a{i}: datasets(first: 1) {{ totalCount }}" for i in range(limits.MAX_ALIASES + 1))
    message = refused(client, f"{{ {aliases} }}")
    assert "aliases" in message


def test_too_costly_nested_pages(client: TestClient) -> None:
    q = """{ datasets(first: 100) { nodes { distributions(first: 100) { nodes { policies(first: 100) {
        nodes { iri } } } } } } }"""
    message = refused(client, q)
    assert "query cost" in message and "exceeds the limit" in message


def test_cost_counts_variables(client: TestClient) -> None:
    q = """query($n: Int!) { datasets(first: $n) { nodes { distributions(first: $n) { nodes {
        iri format { label } license { label } } } } } }"""
    assert "query cost" in refused(client, q, {"n": 100})
    small = gql(client, q, {"n": 5})
    assert len(small["datasets"]["nodes"]) == 5


def test_reasonable_queries_pass(client: TestClient) -> None:
    q = """{ datasets(first: 100) { edges { node { title publisher { name } themes { nodes { label } }
        distributions { nodes { format { label } license { label } } } } } } }"""
    assert len(gql(client, q)["datasets"]["edges"]) == 100


def test_introspection_passes_the_limits(client: TestClient) -> None:
    data = gql(client, get_introspection_query(descriptions=True))
    assert any(t["name"] == "Dataset" for t in data["__schema"]["types"])


def test_cost_rule_arithmetic() -> None:
    from graphql import parse, validate

    from agora.api.graphql.schema import build_schema

    schema = build_schema()._schema
    doc = parse("{ datasets(first: 10) { nodes { themes(first: 5) { nodes { iri } } } } }")
    # datasets 1 + 10 x (nodes 1 + themes (1 + 5 x (nodes 1 + iri 1)))
    assert validate(schema, doc, [limits.cost_rule({}, limit=1 + 10 * (1 + 1 + 5 * 2))]) == []
    assert validate(schema, doc, [limits.cost_rule({}, limit=10 * (1 + 1 + 5 * 2))])
