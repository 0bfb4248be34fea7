"""Agora on a remote SPARQL 1.1 store (a real Virtuoso 7 on 127.0.0.1): what only a remote store needs.

The features themselves (loading, literal fidelity, SPARQL protocol, GraphQL, validation of stored
data) run on both backends in their own modules (`pytestmark = pytest.mark.backends`); here are the
remote store's own concerns: store URLs, blank nodes, answers over the store's row cap, atomic
replace seen by concurrent readers, and several API processes serving one store.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from agora.kg.backends.remote import parse_store_url, rewrite_term_tests
from agora.kg.config import load_settings
from agora.kg.errors import BadInput, StoreUnavailable
from agora.kg.harvest.sources import HarvestRegistry
from agora.kg.loader import load_documents
from agora.kg.opsdb import OpsDB
from agora.kg.query import run_query
from agora.kg.rdfio import RDFInput
from agora.kg.store import AgoraStore

from .conftest import backend_settings
from .harvest_servers import dcat_datasets, dcat_pages, dcat_server
from .servers import cli, running, start
from .virtuoso import VirtuosoServer

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"


def _catalog(n: int, title: str) -> RDFInput:
    lines = [f'<http://ex/d{i}> a <{DCAT}Dataset> ; <{DCT}title> "{title} {i}"@en ; '
             f'<{DCAT}byteSize> "00{i}"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger> ; '
             f'<{DCT}temporal> [ <{DCAT}startDate> "2024-01-0{1 + i % 9}"^^<http://www.w3.org/2001/XMLSchema#date> ] .'
             for i in range(n)]
    return RDFInput.from_bytes("\n".join(lines).encode(), name=f"{title}.ttl", fmt=ox.RdfFormat.TURTLE)


def test_store_urls_name_the_endpoints_and_refuse_credentials() -> None:
    url = parse_store_url("sparql+http://db:8890/sparql?gsp=/sparql-graph-crud")
    assert (url.query, url.update, url.gsp) == ("http://db:8890/sparql", "http://db:8890/sparql",
                                                "http://db:8890/sparql-graph-crud")
    assert parse_store_url("sparql+https://db/q?update=/u").update == "https://db/u"
    with pytest.raises(BadInput, match="AGORA_STORE_USER"):
        parse_store_url("sparql+http://dba:dba@db:8890/sparql")
    with pytest.raises(BadInput, match="sparql\\+http"):
        parse_store_url("http://db:8890/sparql")
    with pytest.raises(BadInput, match="unknown store URL option"):
        parse_store_url("sparql+http://db/sparql?timeout=5")


def test_term_tests_treat_skolemised_nodes_as_blank_nodes() -> None:
    out = rewrite_term_tests('SELECT * WHERE { ?s ?p ?o FILTER(isBlank(?s) && !isIRI(STR(?o)) && "isBlank(x)" != ?o) }')
    assert '(isBLANK(?s) || (isIRI(?s) && STRSTARTS(STR(?s), "urn:agora:genid:")))' in out
    assert '(isIRI(STR(?o)) && !STRSTARTS(STR(STR(?o)), "urn:agora:genid:"))' in out
    assert '"isBlank(x)"' in out  # strings are left alone
    assert rewrite_term_tests("SELECT ?x WHERE { ?x <urn:isIRI(> 1 }") == "SELECT ?x WHERE { ?x <urn:isIRI(> 1 }"


def test_blank_nodes_come_back_as_blank_nodes_and_can_be_read_again(virtuoso, tmp_path: Path, request) -> None:
    store = AgoraStore(backend_settings("virtuoso", tmp_path / "data", request))
    try:
        load_documents(store, [_catalog(3, "Bn")], name="bn", validate=False)
        rows = list(run_query(store, f"SELECT ?t WHERE {{ ?d <{DCT}temporal> ?t FILTER(isBlank(?t)) }}").rows)
        assert len(rows) == 3 and all(type(t).__name__ == "BlankNode" for (t,) in rows)
        (node,) = rows[0]
        assert [q.predicate.value for q in store.ox.quads_for_pattern(node, None, None, None)] == [DCAT + "startDate"]
        assert not list(run_query(store, f"SELECT ?t WHERE {{ ?d <{DCT}temporal> ?t FILTER(isIRI(?t)) }}").rows)
    finally:
        store.close()


def test_answers_over_the_stores_row_cap_are_read_in_pages(tmp_path: Path) -> None:
    with VirtuosoServer(max_rows=500) as small:
        settings = load_settings(tmp_path / "data", store=small.agora_store_url)
        store = AgoraStore(settings, install_background=False)
        try:
            load_documents(store, [_catalog(300, "Paged")], name="paged", validate=False)
            info = store.require("paged")
            assert info.current.triples == 1500  # five triples per dataset
            quads = list(store.ox.quads_for_pattern(None, None, None, info.physical))
            assert len(quads) == len(set(quads)) == 1500
            exported = store.export("paged", ox.RdfFormat.N_TRIPLES)
            assert exported.count(b"\n") == 1500 and b'"0042"^^' in exported  # original forms, every triple
            with pytest.raises(StoreUnavailable, match="truncated"):  # its own LIMIT cannot be paged
                list(store.ox.query(f"SELECT * WHERE {{ GRAPH <{info.physical.value}> {{ ?s ?p ?o }} }} LIMIT 900"))
        finally:
            store.close()


def test_readers_never_see_a_half_replaced_source(virtuoso, tmp_path: Path, request) -> None:
    """A replace is one registry update: a query sees all of version A or all of version B."""
    store = AgoraStore(backend_settings("virtuoso", tmp_path / "data", request))
    n = 200
    load_documents(store, [_catalog(n, "A")], name="flip", validate=False)
    seen: Counter[str] = Counter()
    problems: list[str] = []
    stop = threading.Event()
    query = f"SELECT ?t WHERE {{ ?d a <{DCAT}Dataset> ; <{DCT}title> ?t }}"

    def read() -> None:
        while not stop.is_set():
            titles = [str(t.value).split(" ")[0] for (t,) in run_query(store, query).rows]
            kinds = set(titles)
            if len(titles) != n or len(kinds) != 1:
                problems.append(f"{len(titles)} titles of {sorted(kinds)}")
            seen.update(kinds)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        for i in range(6):
            load_documents(store, [_catalog(n, "B" if i % 2 == 0 else "A")], name="flip", replace=True,
                           validate=False)
            time.sleep(0.05)
    finally:
        stop.set()
        for t in readers:
            t.join()
        store.close()
    assert not problems, problems[:5]
    assert seen["A"] and seen["B"]


def test_several_api_processes_serve_one_remote_store(virtuoso, tmp_path: Path, request) -> None:
    """`agora serve --workers 2` on a remote store: a write through one process is seen by both, in
    SPARQL and search, as soon as it returns."""
    settings = backend_settings("virtuoso", tmp_path / "data", request)
    server = start(settings.data_dir, args=("--store", settings.store, "--workers", "2"))
    body = ('<http://ex/w1> a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> '
            '"Verkeersintensiteit Zuidas"@nl ; <http://purl.org/dc/terms/description> "Tellingen."@nl .\n')
    with running(server), server.client() as http:
        pids: set[int] = set()
        r = http.put("/store?graph=zuidas", content=body, headers={"Content-Type": "text/turtle"})
        assert r.status_code in (201, 204), r.text
        for version in ("Zuidas", "Sloterdijk"):
            if version == "Sloterdijk":
                r = http.put("/store?graph=zuidas", content=body.replace("Zuidas", "Sloterdijk"),
                             headers={"Content-Type": "text/turtle"})
                assert r.status_code in (201, 204), r.text
            for _ in range(40):  # fresh connections: the kernel spreads them over both processes
                with httpx.Client(base_url=server.url, timeout=60) as one:
                    pids.add(one.get("/readyz").json()["pid"])
                    q = "SELECT ?t WHERE { <http://ex/w1> <http://purl.org/dc/terms/title> ?t }"
                    titles = one.get("/sparql", params={"query": q},
                                     headers={"Accept": "application/sparql-results+json"}).json()
                    assert [b["t"]["value"] for b in titles["results"]["bindings"]] == [
                        f"Verkeersintensiteit {version}"]
                    hits = one.get("/api/search", params={"q": version.lower()}).json()
                    assert "http://ex/w1" in {h["iri"] for h in hits["results"]}, hits
        assert len(pids) == 2, f"one process answered every request: {pids}"


def test_a_scheduled_harvest_runs_once_across_api_processes(virtuoso, tmp_path: Path, request) -> None:
    """Both processes of `agora serve --workers 2` run the harvest scheduler on one data directory:
    a due harvest is claimed, run and committed by exactly one of them."""
    settings = backend_settings("virtuoso", tmp_path / "data", request)
    config = settings.data_dir / "agora.toml"
    config.write_text(config.read_text() + 'harvest_check_interval = 0.2\nallow_hosts = ["127.0.0.1"]\n')
    datasets = dcat_datasets(12)
    with dcat_server(lambda base: dcat_pages(datasets, per_page=5, base=base)) as url:
        HarvestRegistry(OpsDB(settings.ops_db_path)).add("city", f"{url}/catalog", "dcat", schedule="0 0 1 1 *")
        with sqlite3.connect(settings.ops_db_path) as db:  # due now, rather than next New Year
            db.execute("UPDATE harvest_schedule SET next_run='2000-01-01T00:00:00Z' WHERE source='city'")
        server = start(settings.data_dir, args=("--store", settings.store, "--workers", "2"))
        with running(server), server.client() as http:
            deadline = time.monotonic() + 120
            while True:
                runs = http.get("/api/harvest/sources/city").json()["runs"]
                if runs and all(r["status"] != "running" for r in runs):
                    break
                assert time.monotonic() < deadline, runs
                time.sleep(0.2)
            time.sleep(2)  # ten more ticks of each process's scheduler
            runs = http.get("/api/harvest/sources/city").json()["runs"]
            assert [(r["status"], r["trigger"], r["records"]) for r in runs] == [("ok", "schedule", 12)], [
                r["error"] for r in runs]
            source = http.get("/api/sources/city").json()
            assert (source["version"], source["history"]) == (1, []), source  # committed once


def test_the_stores_own_blank_nodes_can_be_read_again(virtuoso) -> None:
    """Blank nodes another application wrote (Virtuoso names them nodeID://b...) are still addressable."""
    from agora.kg.backends.remote import SparqlStore

    store = SparqlStore(virtuoso.store_url)
    try:
        store.update("INSERT { GRAPH <urn:agora:native> { <urn:a> <urn:p> [ <urn:q> 1 ] } } WHERE {}")
        (row,) = list(store.query("SELECT ?o WHERE { GRAPH <urn:agora:native> { <urn:a> <urn:p> ?o } }"))
        node = row["o"]
        assert isinstance(node, ox.BlankNode)
        assert [str(q.object) for q in store.quads_for_pattern(node, None, None, ox.NamedNode("urn:agora:native"))] \
            == ['"1"^^<http://www.w3.org/2001/XMLSchema#integer>']
    finally:
        store.remove_graph(ox.NamedNode("urn:agora:native"))
        store.close()


def test_datatypes_the_store_cannot_hold_are_kept_as_loaded(virtuoso, tmp_path: Path, request) -> None:
    """Virtuoso 7 turns "P30D"^^xsd:duration into a number of seconds that no query can match again;
    Agora finds such datatypes once per store and stores their literals in a form the store leaves alone."""
    store = AgoraStore(backend_settings("virtuoso", tmp_path / "data", request), install_background=False)
    try:
        xsd = "http://www.w3.org/2001/XMLSchema#"
        assert xsd + "duration" in store.ox.kept_datatypes()
        assert xsd + "integer" not in store.ox.kept_datatypes()
        ttl = f'_:c <http://ex/rightOperand> "P30D"^^<{xsd}duration> ; <http://ex/time> "10:00:00"^^<{xsd}time> .\n'
        load_documents(store, [RDFInput.from_bytes(ttl.encode(), name="p.ttl", fmt=ox.RdfFormat.TURTLE)],
                       name="durations", validate=False)
        rows = list(run_query(store, 'PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> '
                                     'SELECT ?c WHERE { ?c <http://ex/rightOperand> "P30D"^^xsd:duration }').rows)
        assert len(rows) == 1 and isinstance(rows[0][0], ox.BlankNode)
        exported = store.export("durations", ox.RdfFormat.N_TRIPLES).decode()
        assert f'"P30D"^^<{xsd}duration>' in exported and f'"10:00:00"^^<{xsd}time>' in exported
        assert "urn:agora:kept" not in exported
    finally:
        store.close()


def test_several_workers_need_a_remote_store_and_backups_are_the_operators(virtuoso, tmp_path: Path,
                                                                           request) -> None:
    embedded = cli("serve", "--workers", "2", "--no-demo", data_dir=tmp_path / "embedded")
    assert embedded.returncode != 0 and "--workers needs a remote --store" in embedded.stderr
    remote = backend_settings("virtuoso", tmp_path / "remote", request)  # agora.toml names the store
    backup = cli("backup", str(tmp_path / "copy"), data_dir=remote.data_dir)
    assert backup.returncode != 0 and "made by its operator" in backup.stderr


def test_the_cli_reaches_an_authenticated_store_with_credentials_from_the_environment(virtuoso, tmp_path: Path,
                                                                                       request) -> None:
    """`agora load` and `agora query` on a data directory whose agora.toml names Virtuoso's digest-protected
    endpoints: with AGORA_STORE_USER / AGORA_STORE_PASSWORD they work, without them the user is told which."""
    data_dir = backend_settings("virtuoso", tmp_path / "data", request).data_dir  # empties Agora's graphs
    base = virtuoso.base_url.replace("http://", "sparql+http://")
    (data_dir / "agora.toml").write_text(f'store = "{base}/sparql-auth?gsp=/sparql-graph-crud-auth"\n')
    catalog = tmp_path / "gent.ttl"
    catalog.write_text('<http://ex/g1> a <http://www.w3.org/ns/dcat#Dataset> ; '
                       '<http://purl.org/dc/terms/title> "Parkeren Gent"@nl .\n')
    refused = cli("load", str(catalog), "--graph", "gent", "--no-validate", data_dir=data_dir,
                  env={"AGORA_STORE_USER": "", "AGORA_STORE_PASSWORD": ""})
    assert refused.returncode != 0 and "AGORA_STORE_USER" in refused.stderr, refused.stderr
    creds = {"AGORA_STORE_USER": virtuoso.user, "AGORA_STORE_PASSWORD": virtuoso.password}
    loaded = cli("load", str(catalog), "--graph", "gent", "--no-validate", data_dir=data_dir, env=creds)
    assert loaded.returncode == 0, loaded.stderr
    answer = cli("query", "SELECT ?t WHERE { <http://ex/g1> <http://purl.org/dc/terms/title> ?t }",
                 "--format", "csv", data_dir=data_dir, env=creds)
    assert answer.returncode == 0 and "Parkeren Gent" in answer.stdout, answer.stderr


def test_a_same_day_date_and_date_time_damage_virtuosos_index(tmp_path: Path) -> None:
    """Pins a Virtuoso 7.2.5 bug (openlink/virtuoso-opensource#571) that a shared test server once hit.

    After the demo catalog has been stored and dropped, a source holding `"2024-01-01Z"^^xsd:date` and
    `"2024-01-01T10:00:00Z"^^xsd:dateTime` on one property damages the store's object-first index: once it is
    dropped too, the demo's Copenhagen catalog can no longer be stored, and later inserts fail as well. Agora
    cannot prevent it, so it says what happened and what to do, and the failed load leaves no source behind.
    A private server, because this one stays broken; if a Virtuoso release fixes the bug, this test says so.
    """
    from agora.kg.demo import demo_files, load_demo
    from agora.kg.loader import load_files

    from .virtuoso import agora_graphs, clear_agora_graphs

    xsd = "http://www.w3.org/2001/XMLSchema#"
    days = (f'<http://ex/a> <http://ex/p> "2024-01-01T10:00:00Z"^^<{xsd}dateTime> .\n'
            f'<http://ex/b> <http://ex/p> "2024-01-01Z"^^<{xsd}date> .\n')
    catalogs = {path.stem: path for path in demo_files()}
    with VirtuosoServer() as server:
        def emptied_store(name: str) -> AgoraStore:
            clear_agora_graphs(server)
            directory = tmp_path / name
            directory.mkdir()
            (directory / "agora.toml").write_text(f'store = "{server.agora_store_url}"\n')
            return AgoraStore(load_settings(directory))

        store = emptied_store("demo")
        load_demo(store, say=lambda _m: None)
        store.close()
        store = emptied_store("days")
        load_documents(store, [RDFInput.from_bytes(days.encode(), name="days.nt", fmt=ox.RdfFormat.N_TRIPLES)],
                       name="days", validate=False)
        store.close()
        store = emptied_store("again")
        with pytest.raises(StoreUnavailable, match=r"index is damaged .*virtuoso-opensource#571.* restore"):
            load_files(store, [catalogs["copenhagen"]], name="copenhagen", validate=False)
        assert store.get("copenhagen") is None
        store.close()
        # Trying again fails the same way, and a curator at the command line is told the same.
        again = cli("load", str(catalogs["copenhagen"]), "--graph", "copenhagen", "--no-validate",
                    data_dir=tmp_path / "again")
        assert again.returncode != 0
        assert "index is damaged" in again.stderr and "virtuoso-opensource#571" in again.stderr, again.stderr
        store = AgoraStore(load_settings(tmp_path / "again"))
        assert store.get("copenhagen") is None
        store.close()
        assert not [g for g in agora_graphs(server) if g.startswith("urn:agora:g:copenhagen")]
