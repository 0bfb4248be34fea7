"""Helpers for the GraphQL tests (no tests here): an app over a demo store with /graphql mounted, a query shim."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from agora.api.app import create_app
from agora.api.graphql import make_graphql_router
from agora.kg.config import Settings, load_settings
from agora.kg.store import AgoraStore

ID = "https://agora.example.org/id/"


@contextmanager
def graphql_client(demo_dir: Path, target: Path, remote: Settings | None = None) -> Iterator[TestClient]:
    """A TestClient for an app over a private copy of the demo data directory, or (`remote`) over a
    remote store the demo catalog is loaded into."""
    if remote is None:
        shutil.copytree(demo_dir, target)
    settings = remote or load_settings(target)
    store = AgoraStore(settings)
    app = create_app(settings, store=store, load_demo=remote is not None)
    if not any(getattr(r, "path", None) == "/graphql" for r in app.routes):  # until the lead wires it
        app.include_router(make_graphql_router())
    try:
        with TestClient(app) as client:
            yield client
    finally:
        store.close()


def expand(query: str) -> str:
    """Fill `<NAME>` placeholders with the test module's IRI constants (`<ID>`, `<TRAFFIC_NL>`...)."""
    import inspect

    names = inspect.currentframe().f_back.f_globals  # type: ignore[union-attr]
    return re.sub(r"<([A-Z_]+)>", lambda m: str(names[m.group(1)]), query)


def gql(client: TestClient, query: str, variables: dict[str, Any] | None = None, *,
        headers: dict[str, str] | None = None, errors: bool = False) -> dict[str, Any]:
    """POST a query; return `data` (asserting there are no errors) or the whole body if `errors`."""
    r = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {})
    assert r.status_code == 200, r.text
    body = r.json()
    if errors:
        return body
    assert "errors" not in body, body["errors"]
    return body["data"]


class CountingStore:
    """Wraps a store's Oxigraph handle and records every SPARQL query sent to it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.queries: list[str] = []

    def query(self, text: str, *args: Any, **kwargs: Any) -> Any:
        self.queries.append(text)
        return self.inner.query(text, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@contextmanager
def counting_queries(client: TestClient) -> Iterator[CountingStore]:
    store = client.app.state.store
    shim = CountingStore(store.ox)
    store.ox = shim
    try:
        yield shim
    finally:
        store.ox = shim.inner
