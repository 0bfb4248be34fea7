"""Real SPARQL clients against a real `agora serve`, as users run them.

A server is started in a subprocess (`agora serve --port <free> --no-demo` on a temporary
AGORA_DATA_DIR) and reached over TCP on 127.0.0.1; a write token is made with `agora token create
--scope write` and data is loaded with `agora load` (which goes through the running server).
Then SPARQLWrapper and rdflib's SPARQLStore / SPARQLUpdateStore query and update it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import CSV, JSON, POST, POSTDIRECTLY, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import Unauthorized

from . import servers

EX = Namespace("http://example.org/agora-clients/")
DATA = f"""@prefix ex: <{EX}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:alice a ex:Person ; rdfs:label "Alice" ; ex:knows ex:bob ; ex:age 42 .
ex:bob a ex:Person ; rdfs:label "Bob"@en ; ex:age 7 .
"""
SOURCE = "clients"


@dataclass
class Server:
    url: str
    data_dir: Path
    token: str
    graph: str
    """The public graph IRI of the loaded source."""
    process: subprocess.Popen

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("clients") / "data"
    data_dir.mkdir()
    port = servers.free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(data_dir.parent / "serve.log", "w")  # noqa: SIM115 (closed in the teardown)
    env = {**os.environ, "AGORA_DATA_DIR": str(data_dir), "AGORA_BASE_URL": url}
    proc = subprocess.Popen([sys.executable, "-m", "agora.api.cli", "serve", "--port", str(port), "--no-demo"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"agora serve exited with {proc.returncode}: "
                                   f"{(data_dir.parent / 'serve.log').read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("agora serve did not become ready in 120 s")
            time.sleep(0.3)
        made = servers.cli("token", "create", "--scope", "write", "--name", "clients-test", data_dir=data_dir)
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip().splitlines()[-1].strip()
        assert token, made.stdout
        ttl = data_dir.parent / "clients.ttl"
        ttl.write_text(DATA)
        loaded = servers.cli("load", str(ttl), "--graph", SOURCE, data_dir=data_dir, env={"AGORA_TOKEN": token})
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        info = httpx.get(f"{url}/api/sources/{SOURCE}", timeout=10).json()
        graph = info.get("graph") or info.get("graph_iri")
        assert graph, info
        yield Server(url=url, data_dir=data_dir, token=token, graph=graph, process=proc)
    finally:
        servers.stop_process(proc)
        log.close()


def _wrapper(server: Server, query: str, fmt: str) -> SPARQLWrapper:
    sw = SPARQLWrapper(server.sparql)
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    sw.setTimeout(30)
    return sw


SELECT = f"PREFIX ex: <{EX}> SELECT ?p ?age WHERE {{ ?p a ex:Person ; ex:age ?age }} ORDER BY ?age"


# -- SPARQLWrapper ------------------------------------------------------------------------------

def test_sparqlwrapper_select_json(server: Server) -> None:
    res = _wrapper(server, SELECT, JSON).queryAndConvert()
    assert res["head"]["vars"] == ["p", "age"]
    rows = [(b["p"]["value"], b["age"]["value"], b["age"].get("datatype")) for b in res["results"]["bindings"]]
    xsd_int = "http://www.w3.org/2001/XMLSchema#integer"
    assert rows == [(str(EX.bob), "7", xsd_int), (str(EX.alice), "42", xsd_int)]


def test_sparqlwrapper_select_json_by_post(server: Server) -> None:
    sw = _wrapper(server, SELECT, JSON)
    sw.setMethod(POST)
    assert len(sw.queryAndConvert()["results"]["bindings"]) == 2
    sw = _wrapper(server, SELECT, JSON)
    sw.setMethod(POST)
    sw.setRequestMethod(POSTDIRECTLY)
    assert len(sw.queryAndConvert()["results"]["bindings"]) == 2


def test_sparqlwrapper_select_xml(server: Server) -> None:
    doc = _wrapper(server, SELECT, XML).queryAndConvert()
    ns = "http://www.w3.org/2005/sparql-results#"
    uris = [u.firstChild.data for u in doc.getElementsByTagNameNS(ns, "uri")]
    assert uris == [str(EX.bob), str(EX.alice)]
    literals = [lit.firstChild.data for lit in doc.getElementsByTagNameNS(ns, "literal")]
    assert literals == ["7", "42"]


def test_sparqlwrapper_select_csv(server: Server) -> None:
    raw = _wrapper(server, SELECT, CSV).queryAndConvert()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    assert rows == [["p", "age"], [str(EX.bob), "7"], [str(EX.alice), "42"]]


def test_sparqlwrapper_ask(server: Server) -> None:
    q = f'PREFIX ex: <{EX}> ASK {{ ex:alice ex:knows ex:bob }}'
    assert _wrapper(server, q, JSON).queryAndConvert()["boolean"] is True
    q = f'PREFIX ex: <{EX}> ASK {{ ex:bob ex:knows ex:alice }}'
    assert _wrapper(server, q, JSON).queryAndConvert()["boolean"] is False


def test_sparqlwrapper_construct_turtle(server: Server) -> None:
    q = f"PREFIX ex: <{EX}> CONSTRUCT {{ ?a ex:friendOf ?b }} WHERE {{ ?a ex:knows ?b }}"
    raw = _wrapper(server, q, TURTLE).queryAndConvert()
    g = Graph().parse(data=raw, format="turtle")
    assert set(g) == {(EX.alice, EX.friendOf, EX.bob)}


def test_sparqlwrapper_describe(server: Server) -> None:
    raw = _wrapper(server, f"DESCRIBE <{EX.alice}>", TURTLE).queryAndConvert()
    g = Graph().parse(data=raw, format="turtle")
    assert (EX.alice, EX.knows, EX.bob) in g


@pytest.mark.parametrize("direct", [False, True])
def test_sparqlwrapper_update_with_bearer_token(server: Server, direct: bool) -> None:
    marker = f"update-{'direct' if direct else 'form'}"
    sw = SPARQLWrapper(server.sparql)
    sw.setMethod(POST)
    if direct:
        sw.setRequestMethod(POSTDIRECTLY)
    sw.addCustomHttpHeader("Authorization", f"Bearer {server.token}")
    sw.setQuery(f'INSERT DATA {{ GRAPH <{server.graph}> {{ <{EX.carol}> <{EX.note}> "{marker}" }} }}')
    sw.query()
    q = f'ASK {{ <{EX.carol}> <{EX.note}> "{marker}" }}'
    assert _wrapper(server, q, JSON).queryAndConvert()["boolean"] is True


def test_sparqlwrapper_update_without_token_is_refused(server: Server) -> None:
    sw = SPARQLWrapper(server.sparql)
    sw.setMethod(POST)
    sw.setQuery(f'INSERT DATA {{ GRAPH <{server.graph}> {{ <{EX.mallory}> <{EX.note}> "x" }} }}')
    with pytest.raises(Unauthorized):
        sw.query()
    q = f"ASK {{ <{EX.mallory}> ?p ?o }}"
    assert _wrapper(server, q, JSON).queryAndConvert()["boolean"] is False


# -- rdflib SPARQLStore / SPARQLUpdateStore ---------------------------------------------------------

def test_rdflib_sparqlstore_query(server: Server) -> None:
    # the usual way: Graph("SPARQLStore").open(url); its default identifier is a blank node, so rdflib
    # sends no default-graph-uri and the query sees the server's default graph (the union of the sources)
    ds = Graph("SPARQLStore")
    ds.open(server.sparql)
    rows = list(ds.query(SELECT))
    assert [(r.p, r.age) for r in rows] == [(EX.bob, Literal(7)), (EX.alice, Literal(42))]
    ask = ds.query(f"ASK {{ <{EX.alice}> <{EX.knows}> <{EX.bob}> }}")
    assert ask.askAnswer is True
    constructed = ds.query(f"CONSTRUCT {{ ?s <{EX.knows}> ?o }} WHERE {{ ?s <{EX.knows}> ?o }}")
    assert set(constructed.graph) == {(EX.alice, EX.knows, EX.bob)}


def test_rdflib_sparqlstore_graph_api(server: Server) -> None:
    """triples() and the named graph as a Graph (rdflib sends default-graph-uri for it)."""
    g = Graph(store=SPARQLStore(server.sparql), identifier=URIRef(server.graph))
    labels = {str(o) for o in g.objects(EX.alice, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))}
    assert labels == {"Alice"}
    assert (EX.alice, EX.knows, EX.bob) in g
    contexts = {str(c) for c in SPARQLStore(server.sparql).contexts()}
    assert server.graph in contexts


def test_rdflib_sparqlupdatestore_update_and_query(server: Server) -> None:
    store = SPARQLUpdateStore(query_endpoint=server.sparql, update_endpoint=server.sparql,
                              headers={"Authorization": f"Bearer {server.token}"})
    g = Graph(store=store, identifier=URIRef(server.graph))
    g.add((EX.dave, EX.note, Literal("added by rdflib")))
    assert (EX.dave, EX.note, Literal("added by rdflib")) in g
    store.update(f'INSERT DATA {{ GRAPH <{server.graph}> {{ <{EX.dave}> <{EX.age}> 30 }} }}')
    rows = list(g.query(f"SELECT ?a WHERE {{ <{EX.dave}> <{EX.age}> ?a }}"))
    assert [r.a for r in rows] == [Literal(30)]
    g.remove((EX.dave, EX.note, None))
    assert (EX.dave, EX.note, None) not in g
    # the change went through the server: a plain HTTP reader sees it in the source
    r = httpx.get(server.url + "/store", params={"graph": server.graph}, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200
    assert f"<{EX.dave}> <{EX.age}>".encode() in r.content
    assert b"added by rdflib" not in r.content


def test_rdflib_sparqlupdatestore_without_token_is_refused(server: Server) -> None:
    from urllib.error import HTTPError

    store = SPARQLUpdateStore(query_endpoint=server.sparql, update_endpoint=server.sparql)
    g = Graph(store=store, identifier=URIRef(server.graph))
    with pytest.raises(HTTPError) as info:
        g.add((EX.eve, EX.note, Literal("anonymous")))
    assert info.value.code == 401


def test_large_answers_stream_whole_through_the_real_server(server: Server) -> None:
    """Answers larger than one message are streamed from the query worker; on the real server
    (uvloop, whose watched descriptors turn non-blocking) every stream must arrive whole, and the
    worker must serve the next query."""
    values = " ".join(str(i) for i in range(40))
    query = (f"SELECT ?i ?j ?k WHERE {{ VALUES ?i {{ {values} }} VALUES ?j {{ {values} }} "
             "VALUES ?k { 1 2 3 4 5 6 7 8 9 10 } }")
    json_results = {"Accept": "application/sparql-results+json"}
    with httpx.Client(timeout=60) as client:
        for _ in range(6):  # more than the workers: each one streams at least once
            r = client.get(server.sparql, params={"query": query}, headers=json_results)
            assert r.status_code == 200
            assert len(r.content) > 256 * 1024  # several messages from the worker
            assert len(r.json()["results"]["bindings"]) == 40 * 40 * 10
        small = client.get(server.sparql, params={"query": "ASK { }"}, headers=json_results)
        assert small.json()["boolean"] is True


def test_a_served_instance_warms_its_query_workers_before_the_first_query(tmp_path: Path) -> None:
    """`agora serve` starts its query workers at once and has them open the newest snapshot (and build
    their literal tables), so the first queries do not pay for it; nothing is queried here."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    ttl = tmp_path / "warm.ttl"
    ttl.write_text(DATA)
    assert servers.cli("load", str(ttl), "--graph", "warm", data_dir=data_dir).returncode == 0
    server = servers.start(data_dir, env={"AGORA_QUERY_WORKERS": "2"})
    with servers.running(server):
        snapshots = data_dir / "snapshots"
        deadline = time.monotonic() + 60
        while not (snapshots.is_dir() and any(snapshots.iterdir())) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert snapshots.is_dir() and any(snapshots.iterdir()), "no worker opened a snapshot before any query"
