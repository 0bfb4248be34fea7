"""Three real Agora instances on 127.0.0.1 harvesting each other through `/catalog`.

A harvests B (the demo catalog) and C (a small city); C changes; A re-harvests C and sees
exactly the change, in the run report, in its change feed, in search and in GraphQL.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .servers import Agora, cli, ready, start, stop

FIXTURES = Path(__file__).parent / "fixtures" / "harvest"
C = "https://data.city-c.example.org/id/"
LOOPBACK = {"AGORA_ALLOW_HOSTS": "127.0.0.1", "AGORA_HARVEST_CHECK_INTERVAL": "0.5"}


@pytest.fixture(scope="module")
def instances(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Agora, Agora, Agora]]:
    root = tmp_path_factory.mktemp("federation")
    shutil.copytree(demo_dir, root / "b")
    loaded = cli("load", str(FIXTURES / "city-c.ttl"), "--graph", "city-c", data_dir=root / "c")
    assert loaded.returncode == 0, loaded.stderr
    a = start(root / "a", env=LOOPBACK)
    b = start(root / "b")
    c = start(root / "c")
    try:
        for s in (a, b, c):
            ready(s)
        yield a, b, c
    finally:
        for s in (a, b, c):
            stop(s)


def _register(a: Agora, name: str, url: str) -> None:
    r = httpx.post(a.url + "/api/harvest/sources", headers=a.auth,
                   json={"name": name, "url": url, "kind": "agora", "replace": True})
    assert r.status_code == 201, r.text


def _harvest(a: Agora, name: str) -> dict:
    r = httpx.post(a.url + f"/api/harvest/sources/{name}/run", params={"wait": "true"}, headers=a.auth, timeout=300)
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["status"] == "ok", run
    return run


def _count(server: Agora, graph: str | None = None) -> int:
    where = "?d a dcat:Dataset" if graph is None else f"GRAPH <{graph}> {{ ?d a dcat:Dataset }}"
    q = f"PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{ {where} }}"
    r = httpx.post(server.url + "/sparql", data={"query": q}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def _graphql_titles(server: Agora, text: str) -> list[str]:
    q = "query($q: String!) { search(q: $q, first: 20) { results { title } } }"
    r = httpx.post(server.url + "/graphql", json={"query": q, "variables": {"q": text}})
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    return [h["title"] for h in r.json()["data"]["search"]["results"]]


def test_a_harvests_b_and_c_and_follows_exactly_what_c_changed(instances: tuple[Agora, Agora, Agora]) -> None:
    a, b, c = instances
    _register(a, "b", b.url)
    _register(a, "c", c.url)

    first_b = _harvest(a, "b")
    first_c = _harvest(a, "c")
    # Everything B and C describe as datasets arrives, nothing is rejected, and the feed says "added".
    assert first_b["rejected"] == 0 and first_c["rejected"] == 0
    assert first_c["records"] == 3 and first_c["added"] == 3
    assert _count(a) == _count(b) + _count(c)
    cursor = httpx.get(a.url + "/changes").json()["next"]

    # Literal forms survive the trip: C served "0120"^^xsd:nonNegativeInteger as loaded.
    exported = httpx.get(a.url + "/store", params={"graph": httpx.get(a.url + "/api/sources/c").json()["graph"]},
                         headers={"Accept": "application/n-triples"}).text
    assert '"0120"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>' in exported

    # C changes: one title edited, one dataset removed, one added.
    with c.client() as client:
        r = client.post("/api/sources/city-c", params={"replace": "true"},
                        files=[("file", ("city-c.ttl", (FIXTURES / "city-c-changed.ttl").read_bytes()))])
        assert r.status_code == 200, r.text

    again = _harvest(a, "c")
    assert (again["added"], again["changed"], again["removed"]) == (1, 1, 1)
    feed = httpx.get(a.url + "/changes", params={"since": cursor}).json()
    assert {(x["record"], x["change"]) for x in feed["changes"]} == {
        (C + "heat", "added"), (C + "bikes", "changed"), (C + "parking", "removed")}

    # Removed records disappear from search and GraphQL; the added one is found.
    hits = httpx.get(a.url + "/api/search", params={"q": "parking occupancy"}).json()
    assert C + "parking" not in {h["iri"] for h in hits["results"]}
    assert "Parking occupancy" not in _graphql_titles(a, "parking")
    assert "Heat-wave alerts" in _graphql_titles(a, "heat-wave")

    # Re-harvesting an unchanged peer changes nothing.
    same = _harvest(a, "b")
    assert (same["added"], same["changed"], same["removed"]) == (0, 0, 0)
    assert same["version"] == first_b["version"] + 1


def test_runs_are_listed_with_provenance_and_the_cli_harvests_through_the_server(
        instances: tuple[Agora, Agora, Agora]) -> None:
    a, _b, c = instances
    if httpx.get(a.url + "/api/harvest/sources/c").status_code == 404:
        _register(a, "c", c.url)
    done = cli("harvest", "c", "--json", data_dir=a.data_dir, env={"AGORA_TOKEN": a.token})
    assert done.returncode == 0, done.stderr
    listed = cli("source", "list", "--json", data_dir=a.data_dir)
    assert listed.returncode == 0, listed.stderr
    assert '"kind": "agora"' in listed.stdout
    src = httpx.get(a.url + "/api/harvest/sources/c").json()
    assert src["runs"][0]["status"] == "ok" and src["runs"][0]["trigger"] == "manual"
    row = next(s for s in httpx.get(a.url + "/api/sources").json() if s["name"] == "c")
    assert row["harvest"]["kind"] == "agora" and row["harvest"]["last_run"]["status"] == "ok"
    table = cli("sources", data_dir=a.data_dir)
    assert table.returncode == 0 and "ok, 3 records, 0 rejected" in table.stdout


def test_only_admins_register_sources_and_writers_run_only_their_own(instances: tuple[Agora, Agora, Agora]) -> None:
    a, b, _c = instances
    spec = {"name": "nope", "url": b.url, "kind": "agora"}
    assert httpx.post(a.url + "/api/harvest/sources", json=spec).status_code == 401
    made = cli("token", "create", "--scope", "write", "--name", "curator", data_dir=a.data_dir)
    writer = {"Authorization": "Bearer " + made.stdout.strip().splitlines()[-1]}
    assert httpx.post(a.url + "/api/harvest/sources", json=spec, headers=writer).status_code == 403
    # The admin who registers a source owns it: another curator cannot run it.
    _register(a, "admins-own", b.url)
    assert httpx.post(a.url + "/api/harvest/sources/admins-own/run", headers=writer).status_code == 403


def test_a_sparql_endpoint_is_harvested_with_a_construct_query(instances: tuple[Agora, Agora, Agora]) -> None:
    a, _b, c = instances
    r = httpx.post(a.url + "/api/harvest/sources", headers=a.auth,
                   json={"name": "c-sparql", "url": c.url + "/sparql", "kind": "sparql"})
    assert r.status_code == 201, r.text
    assert "CONSTRUCT" in r.json()["options"]["query"]
    run = _harvest(a, "c-sparql")
    assert run["pages"] == 1 and run["rejected"] == 0
    assert run["records"] == _count(c)


def test_the_server_runs_a_scheduled_harvest_once_when_it_is_due(instances: tuple[Agora, Agora, Agora]) -> None:
    import sqlite3
    import time

    a, _b, c = instances
    r = httpx.post(a.url + "/api/harvest/sources", headers=a.auth,
                   json={"name": "c-nightly", "url": c.url, "kind": "agora", "schedule": "0 3 * * *"})
    assert r.status_code == 201, r.text
    assert r.json()["next_run"].endswith("T03:00:00Z")
    with sqlite3.connect(a.data_dir / "ops.sqlite") as db:  # pretend 03:00 has come
        db.execute("UPDATE harvest_schedule SET next_run='2000-01-01T03:00:00Z' WHERE source='c-nightly'")
    deadline = time.monotonic() + 60
    runs: list[dict] = []
    while time.monotonic() < deadline:
        runs = httpx.get(a.url + "/api/harvest/sources/c-nightly").json()["runs"]
        if runs and runs[0]["status"] != "running":
            break
        time.sleep(0.3)
    assert [(x["trigger"], x["status"]) for x in runs] == [("schedule", "ok")]
    assert httpx.get(a.url + "/api/harvest/sources/c-nightly").json()["next_run"] > "2026"
