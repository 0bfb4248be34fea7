"""Schemathesis against the real app's OpenAPI and GraphQL schemas: never a 500.

Every operation of `/openapi.json` and every field of the GraphQL schema is called with generated
input (valid and invalid), once without credentials and once with a `write` token, on a private
copy of the demo store. Each response must be a proper 2xx/3xx/4xx, or a 503 that says when to
retry (`Retry-After`); a 5xx of any other kind fails the test with the request that caused it.

Several routes read their parameters from the request themselves (SPARQL Protocol, Graph Store
Protocol, validation, GraphQL over GET), so the schema FastAPI publishes does not list them; the
schema given to schemathesis is the published one plus those parameters and bodies (`_documented`),
so that the generator reaches them too.

The number of examples is bounded and the run derandomized (hypothesis profile `agora-fuzz`), so
CI sees the same inputs on every run; `AGORA_FUZZ_EXAMPLES=200` explores more on a workstation.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import settings
from schemathesis.python import asgi

from agora.api.app import create_app
from agora.kg.config import load_settings
from agora.kg.store import AgoraStore

from .fault_support import FUZZ_PROFILE, GraphQLInternalErrors, ServerError, check_status, copy_data_dir


@schemathesis.serializer("application/sparql-query", "application/sparql-update", "application/n-triples",
                         "application/ld+json", "application/rdf+xml", "application/graphql")
def _text_body(ctx: schemathesis.SerializationContext, value: Any) -> dict[str, Any]:
    if isinstance(value, bytes):
        return {"data": value}
    if not isinstance(value, str):
        import json

        value = json.dumps(value)
    return {"data": value.encode("utf-8", "surrogatepass")}


_STR = {"type": "string"}
_RDF_BODY = {"required": False, "content": {
    "text/turtle": {"schema": _STR, "example": "<http://ex/a> <http://ex/p> \"x\" ."},
    "application/n-triples": {"schema": _STR},
    "application/ld+json": {"schema": {"type": "object"}},
    "application/rdf+xml": {"schema": _STR},
}}
_GRAPH_PARAMS = [
    {"name": "graph", "in": "query", "schema": _STR},
    {"name": "default", "in": "query", "schema": _STR},
    {"name": "format", "in": "query", "schema": _STR},
]
_SPARQL_PARAMS = [
    {"name": "query", "in": "query", "schema": _STR, "example": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"},
    {"name": "default-graph-uri", "in": "query", "schema": {"type": "array", "items": _STR}},
    {"name": "named-graph-uri", "in": "query", "schema": {"type": "array", "items": _STR}},
    {"name": "format", "in": "query", "schema": _STR},
]


def _documented(raw: dict[str, Any]) -> dict[str, Any]:
    """The published schema plus the parameters and bodies that routes read by hand."""
    schema = copy.deepcopy(raw)
    paths = schema["paths"]

    def add(path: str, method: str, params: list[dict[str, Any]] | None = None,
            body: dict[str, Any] | None = None) -> None:
        op = paths.get(path, {}).get(method)
        if op is None:
            return
        known = {(p["name"], p["in"]) for p in op.get("parameters", [])}
        op["parameters"] = op.get("parameters", []) + [p for p in params or [] if (p["name"], p["in"]) not in known]
        if body is not None and "requestBody" not in op:
            op["requestBody"] = body

    add("/sparql", "get", _SPARQL_PARAMS)
    add("/sparql", "post", _SPARQL_PARAMS[1:3], {"required": True, "content": {
        "application/sparql-query": {"schema": _STR, "example": "ASK { ?s ?p ?o }"},
        "application/sparql-update": {"schema": _STR,
                                      "example": "INSERT DATA { GRAPH <urn:x:g> { <urn:x:a> <urn:x:p> 1 } }"},
        "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
            "query": _STR, "update": _STR, "default-graph-uri": _STR, "format": _STR}}},
    }})
    for method in ("get", "head", "delete"):
        add("/store", method, _GRAPH_PARAMS)
    for method in ("put", "post"):
        add("/store", method, _GRAPH_PARAMS, _RDF_BODY)
        add("/graph/{name}", method, None, _RDF_BODY)
    add("/graphql", "get", [{"name": "query", "in": "query", "schema": _STR, "example": "{ __typename }"},
                            {"name": "variables", "in": "query", "schema": _STR}])
    add("/graphql", "post", None, {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "properties": {"query": _STR, "variables": {"type": "object"},
                                         "operationName": _STR}}}}})
    add("/validate", "post", [{"name": "graph", "in": "query", "schema": _STR},
                              {"name": "profile", "in": "query", "schema": _STR},
                              {"name": "format", "in": "query", "schema": _STR},
                              {"name": "focus", "in": "query", "schema": _STR},
                              {"name": "url", "in": "query", "schema": _STR}], _RDF_BODY)
    add("/api/sources/{name}", "post", None, _RDF_BODY)
    add("/api/profiles/{name}", "post", None, {"required": False, "content": {"text/turtle": {"schema": _STR}}})
    return schema


class _FuzzTarget:
    """A real app over a private copy of the demo store, and the credentials its calls carry."""

    def __init__(self, data: Path, scope: str | None) -> None:
        self.settings = load_settings(data, query_timeout=5, max_result_rows=2_000)
        self.store = AgoraStore(self.settings)
        self.app = create_app(self.settings, store=self.store, load_demo=False)
        self.headers: dict[str, str] = {}
        if scope is not None:
            secret = self.app.state.ops.create_token(scope, name=f"fuzz-{scope}")[1]
            self.headers = {"Authorization": f"Bearer {secret}"}
        self.gql_errors = GraphQLInternalErrors()
        logging.getLogger("strawberry.execution").addHandler(self.gql_errors)

    def close(self) -> None:
        logging.getLogger("strawberry.execution").removeHandler(self.gql_errors)
        asgi.shutdown_lifespans()
        ex = getattr(self.app.state, "executor", None)
        if ex is not None:
            ex.close()
            self.app.state.executor = None
        harvest = getattr(self.app.state, "harvest", None)
        if harvest is not None:  # scheduled harvests and the change feed (their threads use the store)
            harvest.stop()
        self.app.state.search.detach()
        self.store.close()


def _target(demo_dir: Path, tmp: Path, scope: str | None) -> Iterator[_FuzzTarget]:
    target = _FuzzTarget(copy_data_dir(demo_dir, tmp / "data"), scope)
    try:
        yield target
    finally:
        target.close()


@pytest.fixture(scope="module")
def public_target(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[_FuzzTarget]:
    yield from _target(demo_dir, tmp_path_factory.mktemp("fuzz-public"), None)


@pytest.fixture(scope="module")
def writer_target(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[_FuzzTarget]:
    yield from _target(demo_dir, tmp_path_factory.mktemp("fuzz-writer"), "write")


def _openapi(target: _FuzzTarget) -> Any:
    from fastapi.testclient import TestClient

    raw = TestClient(target.app).get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(_documented(raw))
    schema.app = target.app
    schema.location = "/openapi.json"
    return schema


def _call(case: Any, target: _FuzzTarget) -> None:
    request = f"{case.method} {case.formatted_path} query={case.query!r} body={str(case.body)[:300]!r}"
    try:
        with target.gql_errors.watch(request):
            response = case.call(headers=dict(target.headers))
    except ServerError:
        raise
    except Exception as exc:  # the in-process client re-raises what the app did not handle: a 500
        raise ServerError(f"unhandled {type(exc).__name__}: {exc} for {request}") from exc
    check_status(response.status_code, response.headers, response.text, request=request)


def _fuzz(schema: Any, target: _FuzzTarget) -> None:
    """Every operation, valid and invalid inputs; collects all failures before reporting them."""
    from hypothesis import given
    from hypothesis import strategies as st

    failures: list[str] = []
    operations = 0
    profile = settings.get_profile(FUZZ_PROFILE)  # half its examples per operation: ~50 operations here
    for result in schema.get_all_operations():
        operation = result.ok()
        strategies = []
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            try:
                strategies.append(operation.as_strategy(generation_mode=mode))
            except Exception:  # an operation with nothing to make invalid has no negative strategy
                continue
        operations += 1

        @settings(profile, max_examples=max(3, profile.max_examples // 2))
        @given(case=st.one_of(strategies))
        def run(case: Any) -> None:
            _call(case, target)

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    assert operations > 0
    assert not failures, "\n\n".join(failures)


def test_openapi_without_credentials(public_target: _FuzzTarget) -> None:
    _fuzz(_openapi(public_target), public_target)


def test_openapi_with_a_write_token(writer_target: _FuzzTarget) -> None:
    _fuzz(_openapi(writer_target), writer_target)


def test_graphql_without_credentials(public_target: _FuzzTarget) -> None:
    _fuzz(schemathesis.graphql.from_asgi("/graphql", public_target.app), public_target)


def test_graphql_with_a_write_token(writer_target: _FuzzTarget) -> None:
    _fuzz(schemathesis.graphql.from_asgi("/graphql", writer_target.app), writer_target)
