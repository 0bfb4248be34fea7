"""Tests of the Virtuoso test fixture itself (tests/virtuoso.py), not of Agora.

Why: the SPARQL-endpoint backend tests trust this fixture to give them a fresh, writable Virtuoso with working
query, update and Graph Store Protocol endpoints, and to leave nothing behind. If Virtuoso is missing these tests
FAIL (CI installs it with .ci/virtuoso-deps), so a broken install can never pass as "skipped".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.virtuoso import INSTALL_HINT, VirtuosoServer, agora_graphs, clear_agora_graphs, virtuoso_available

JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def server() -> Iterator[VirtuosoServer]:
    """One Virtuoso for this module: start-up costs ~2-4 s, so tests share it and clean graphs between them."""
    if not virtuoso_available():
        pytest.fail(INSTALL_HINT)
    with VirtuosoServer() as s:
        yield s


@pytest.fixture(autouse=True)
def _clean(server: VirtuosoServer) -> Iterator[None]:
    """Each test starts without urn:agora: graphs, as the backend tests will."""
    clear_agora_graphs(server)
    yield


def select(server: VirtuosoServer, query: str) -> list[dict[str, dict[str, str]]]:
    """Bindings of a SELECT sent as a form POST (Virtuoso 7.2 hangs on application/sparql-query bodies)."""
    r = httpx.post(server.sparql_url, data={"query": query}, headers=JSON, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["results"]["bindings"]


def test_virtuoso_is_installed() -> None:
    """CI must have run .ci/virtuoso-deps: a missing binary is a failure, never a skip."""
    assert virtuoso_available(), INSTALL_HINT


def test_started_quickly_on_loopback(server: VirtuosoServer) -> None:
    """The fixture is cheap enough to use per module, and binds only 127.0.0.1 (the endpoints have no auth)."""
    assert server.startup_seconds < 30, server.startup_seconds
    assert server.sparql_url == f"http://127.0.0.1:{server.http_port}/sparql"
    assert server.store_url == f"sparql+http://127.0.0.1:{server.http_port}/sparql"
    assert server.gsp_url.endswith("/sparql-graph-crud")
    r = httpx.get(server.sparql_url, params={"query": "ASK {}"}, headers=JSON, timeout=30)
    assert r.status_code == 200 and r.json()["boolean"] is True


def test_update_then_query(server: VirtuosoServer) -> None:
    """Anonymous SPARQL UPDATE works on /sparql (GRANT SPARQL_UPDATE TO "SPARQL")."""
    r = httpx.post(server.sparql_url, timeout=60, data={
        "update": 'INSERT DATA { GRAPH <urn:agora:t1> { <urn:agora:s> <urn:agora:p> "héllo 😀"@en } }'})
    assert r.status_code == 200, r.text
    rows = select(server, "SELECT ?o WHERE { GRAPH <urn:agora:t1> { <urn:agora:s> <urn:agora:p> ?o } }")
    assert rows == [{"o": {"type": "literal", "xml:lang": "en", "value": "héllo 😀"}}]


def test_gsp_put_get_roundtrip(server: VirtuosoServer) -> None:
    """PUT/GET/DELETE on the unauthenticated Graph Store Protocol endpoint."""
    nt = '<urn:agora:a> <urn:agora:p> <urn:agora:b> .\n<urn:agora:a> <urn:agora:q> "x\\ny" .\n'
    r = httpx.put(server.gsp_url, params={"graph": "urn:agora:t2"}, content=nt.encode(),
                  headers={"Content-Type": "application/n-triples"}, timeout=60)
    assert r.status_code in (200, 201, 204), r.text
    r = httpx.get(server.gsp_url, params={"graph": "urn:agora:t2"}, headers={"Accept": "application/n-triples"},
                  timeout=60)
    assert r.status_code == 200, r.text
    got = {" ".join(line.rstrip(" .").split("\t")) for line in r.text.splitlines() if line.strip()}
    assert got == {'<urn:agora:a> <urn:agora:p> <urn:agora:b>', '<urn:agora:a> <urn:agora:q> "x\\ny"'}
    r = httpx.delete(server.gsp_url, params={"graph": "urn:agora:t2"}, timeout=60)
    assert r.status_code in (200, 204), r.text
    r = httpx.get(server.gsp_url, params={"graph": "urn:agora:t2"}, timeout=60)
    assert r.status_code == 404


def test_authenticated_endpoints_use_digest(server: VirtuosoServer) -> None:
    """The -auth variants accept HTTP digest (dba/dba) and refuse basic, as documented in docs/virtuoso-notes.md."""
    r = httpx.post(server.auth_sparql_url, auth=server.digest_auth(), timeout=60,
                   data={"update": "INSERT DATA { GRAPH <urn:agora:t3> { <urn:agora:s> <urn:agora:p> 1 } }"})
    assert r.status_code == 200, r.text
    r = httpx.get(server.auth_gsp_url, params={"graph": "urn:agora:t3"}, auth=server.digest_auth(),
                  headers={"Accept": "application/n-triples"}, timeout=60)
    assert r.status_code == 200 and "urn:agora:p" in r.text
    r = httpx.get(server.auth_sparql_url, params={"query": "ASK {}"},
                  auth=httpx.BasicAuth(server.user, server.password), timeout=60)
    assert r.status_code == 401


def test_clear_agora_graphs_keeps_system_graphs(server: VirtuosoServer) -> None:
    """clear_agora_graphs drops only urn:agora: graphs; Virtuoso's own graphs (virtrdf#, ...) stay."""
    update = " ; ".join(f"INSERT DATA {{ GRAPH <urn:agora:c{i}> {{ <urn:agora:s> <urn:agora:p> {i} }} }}"
                        for i in range(30))
    update += " ; INSERT DATA { GRAPH <urn:other:keep> { <urn:agora:s> <urn:agora:p> 1 } }"
    assert httpx.post(server.sparql_url, data={"update": update}, timeout=60).status_code == 200
    assert len(agora_graphs(server)) == 30
    assert clear_agora_graphs(server) == 30
    assert agora_graphs(server) == []
    rows = select(server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    graphs = {b["g"]["value"] for b in rows}
    assert "urn:other:keep" in graphs
    assert "http://www.openlinksw.com/schemas/virtrdf#" in graphs
    httpx.post(server.sparql_url, data={"update": "DROP SILENT GRAPH <urn:other:keep>"}, timeout=60)


def test_stop_leaves_no_process_and_no_directory(tmp_path: Path) -> None:
    """A second, private server (in a given directory) is fully gone after stop(): process group and files."""
    if not virtuoso_available():
        pytest.fail(INSTALL_HINT)
    directory = tmp_path / "vdb"
    s = VirtuosoServer(directory)
    s.start()
    assert s.process is not None
    pid = s.process.pid
    port = s.http_port
    assert (directory / "virtuoso.db").exists()
    s.stop()
    assert not directory.exists()
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK {}"}, timeout=5)
